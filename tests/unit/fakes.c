// SPDX-License-Identifier: MIT
// fakes.c: test doubles the hypervisor unit tests share: a bare struct hv, and guest memory whose virtual addresses are host pointers.
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "fakes.h"

struct fake_gmem fake_gmem;

void fake_gmem_reset(void) { memset(&fake_gmem, 0, sizeof(fake_gmem)); }

struct hv *fake_hv(void)
{
	struct hv *hv = calloc(1, sizeof(*hv));

	ck_assert_ptr_nonnull(hv);
	pthread_mutex_init(&hv->lock, NULL);
	return hv;
}

static bool in(uint64_t va, size_t len, const void *lo, const void *hi)
{
	return va + len > (uint64_t)(uintptr_t)lo && va < (uint64_t)(uintptr_t)hi;
}

/* The first page and the bad window fault; so does the read-only one if write. */
static bool faults(uint64_t va, size_t len, bool write)
{
	return va < 4096 || in(va, len, fake_gmem.bad_lo, fake_gmem.bad_hi) ||
	       (write && in(va, len, fake_gmem.ro_lo, fake_gmem.ro_hi));
}

int gmem_read(struct vcpu *v, uint64_t va, void *buf, size_t len)
{
	(void)v;
	if (faults(va, len, false))
		return -LAMINA_EFAULT;
	memcpy(buf, (const void *)(uintptr_t)va, len);
	return 0;
}

int gmem_write(struct vcpu *v, uint64_t va, const void *buf, size_t len)
{
	(void)v;
	if (faults(va, len, true))
		return -LAMINA_EFAULT;
	memcpy((void *)(uintptr_t)va, buf, len);
	return 0;
}

/* As gmem.c: a page-contained object, NULL where the rules above fault. */
void *gmem_ptr(struct vcpu *v, uint64_t va, size_t len, bool write)
{
	(void)v;
	if (len == 0 || len > 4096 || (va & 4095) + len > 4096 || faults(va, len, write))
		return NULL;
	return (void *)(uintptr_t)va;
}
