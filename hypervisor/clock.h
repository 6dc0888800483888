// SPDX-License-Identifier: MIT
// clock.h: the PV clock.
#ifndef HV_CLOCK_H
#define HV_CLOCK_H
#include "dom.h"

int clock_init(struct vcpu *v);
void clock_learn_offset(struct vcpu *v);   /* v's thread, before it runs */
void clock_sync(struct vcpu *v);           /* any thread */
void clock_sync_all(struct domain *d);     /* e.g. after shared_info moved */
void clock_maybe_sync(struct vcpu *v);
void clock_publish_locked(struct vcpu *v);
#endif
