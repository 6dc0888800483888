// SPDX-License-Identifier: MIT
// fakes.h: test doubles the hypervisor unit tests share: a bare struct hv, and guest memory whose virtual addresses are host pointers.
#ifndef UNIT_FAKES_H
#define UNIT_FAKES_H
#include "gmem.h"
#include "hv_int.h"

/* Where gmem_read/gmem_write fault besides the first page; all NULL (no
 * window) after fake_gmem_reset(). */
struct fake_gmem {
	const void *bad_lo, *bad_hi;   /* reads and writes fault in [bad_lo, bad_hi) */
	const void *ro_lo, *ro_hi;     /* writes also fault in [ro_lo, ro_hi) */
};
extern struct fake_gmem fake_gmem;

void fake_gmem_reset(void);
/* An instance with no KVM and no domains (free() it). */
struct hv *fake_hv(void);
#endif
