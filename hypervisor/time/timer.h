// SPDX-License-Identifier: MIT
// timer.h: vCPU timers, fired on each vCPU's own thread, and the domain's PV-clock thread.
#ifndef HV_TIMER_H
#define HV_TIMER_H
#include <stdbool.h>
#include "dom.h"

int timer_start(struct domain *d);   /* the PV-clock re-anchoring thread */
void timer_stop(struct domain *d);
void timer_kick(struct domain *d);   /* wake d's sleepers (a state change) */

/* Per vCPU, on its own thread (timer.c says how they fit together). */
int timer_vcpu_init(struct vcpu *v, int sig);
void timer_vcpu_fini(struct vcpu *v);
void timer_vcpu_poll(struct vcpu *v);

/* d->lock held: v's next deadline (0 = none), and consume what is due. */
int64_t timer_next(struct vcpu *v);
bool timer_take_due(struct vcpu *v, int64_t now);
bool timer_fire_due(struct vcpu *v);              /* drops d->lock while it raises */
void timer_wait(struct domain *d, int64_t until); /* on d->wake; 0 = no limit */
#endif
