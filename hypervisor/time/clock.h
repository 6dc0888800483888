// SPDX-License-Identifier: MIT
// clock.h: the PV clock (kept by KVM as kvmclock on each vcpu_info) and system time.
#ifndef HV_CLOCK_H
#define HV_CLOCK_H
#include "dom.h"

/* At creation: every vCPU gets vCPU 0's TSC offset (+ i * skew_us for tests). */
int clock_align_tsc(struct domain *d, int skew_us, char *err, size_t n);
void clock_vcpu_poll(struct vcpu *v);      /* v's thread, before each entry */
void clock_wallclock(struct domain *d);    /* any thread */
int clock_describe(struct vcpu *v, char *buf, size_t n);   /* any thread: for stall reports */
#endif
