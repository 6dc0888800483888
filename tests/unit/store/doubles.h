// SPDX-License-Identifier: MIT
// doubles.h: what the test doubles of doubles.c recorded.
#ifndef STORE_DOUBLES_H
#define STORE_DOUBLES_H
#include <stddef.h>
#include <stdint.h>
#include "console.h"
#include "evtchn.h"

extern char dbl_out[1 << 16];      /* console_output() bytes */
extern size_t dbl_out_len;
extern void (*dbl_on_output)(void); /* called after each console_output() */
extern char dbl_in[4096];          /* what console_input_take() hands out */
extern size_t dbl_in_len;
extern int dbl_notified;           /* evt_host_notify() calls */
extern void (*dbl_on_notify)(struct domain *guest); /* called in each evt_host_notify() */
extern uint32_t dbl_notified_port;
extern int dbl_logged;             /* dom_log() calls, and the last message */
extern char dbl_log[512];
extern int dbl_efd;                /* the host end evt_host_alloc() made last */
void dbl_reset(void);
#endif
