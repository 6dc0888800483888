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
#endif
