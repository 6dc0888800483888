// SPDX-License-Identifier: MIT
// timer.h: per-domain timer thread (set_timer_op, vcpu one-shot and periodic timers).
#ifndef HV_TIMER_H
#define HV_TIMER_H
#include "dom.h"

int timer_start(struct domain *d);
void timer_stop(struct domain *d);
void timer_kick(struct domain *d);   /* deadlines changed */
#endif
