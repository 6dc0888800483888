// SPDX-License-Identifier: MIT
// vcpu.h: vCPU threads.
#ifndef HV_VCPU_H
#define HV_VCPU_H
#include "dom.h"

void vcpu_signals_init(void);
void vcpu_kick_out(struct vcpu *v);
void vcpu_kick_others(struct vcpu *v);   /* every started vCPU of its domain but v */
void *vcpu_main(void *arg);
void vcpu_name_thread(struct vcpu *v);
/* On v's own thread, once its timer exists: load the vCPU threads' seccomp
 * filter for this thread only (domain/vcpu_sandbox.c). 0, or -errno with err. */
int vcpu_sandbox(struct vcpu *v, char *err, size_t n);
#endif
