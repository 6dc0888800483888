// SPDX-License-Identifier: MIT
// doubles.h: what the test doubles of doubles.c recorded.
#ifndef STORE_DOUBLES_H
#define STORE_DOUBLES_H
#include <stddef.h>
#include <stdint.h>
#include "evtchn.h"

extern int dbl_notified;           /* evt_host_notify() calls */
extern void (*dbl_on_notify)(struct domain *guest); /* called in each evt_host_notify() */
extern uint32_t dbl_notified_port;
extern int dbl_logged;             /* dom_log() calls, and the last message */
extern char dbl_log[512];
extern int dbl_efd;                /* the host end evt_host_alloc() made last */
void dbl_reset(void);
#endif
