// SPDX-License-Identifier: MIT
// fake.h: the hypercall harness's stand-ins (fake.c) and what they counted.
#ifndef FUZZ_HCALL_FAKE_H
#define FUZZ_HCALL_FAKE_H
#include "hv_int.h"

extern int64_t fake_now;           /* the virtual PV clock, ns */
extern unsigned fake_upcalls;      /* vcpu_upcall() calls */
extern unsigned fake_shutdowns;    /* dom_shutdown() calls */
void fake_reset(void);             /* before each input: the clock at boot, counts 0 */
#endif
