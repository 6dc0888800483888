// SPDX-License-Identifier: MIT
// clock.h: the PV clock.
#ifndef HV_CLOCK_H
#define HV_CLOCK_H
#include "dom.h"

int clock_init(struct vcpu *v);
void clock_sync(struct vcpu *v);
void clock_maybe_sync(struct vcpu *v);
#endif
