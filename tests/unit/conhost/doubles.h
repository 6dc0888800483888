// SPDX-License-Identifier: MIT
// doubles.h: what the test doubles of doubles.c recorded.
#ifndef CONHOST_DOUBLES_H
#define CONHOST_DOUBLES_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "evtchn.h"
#include "hv_int.h"

extern int dbl_notified;          /* evt_host_notify() calls (atomic) */
extern int dbl_efd;               /* the host end evt_host_alloc() made last */
bool dbl_logged(const char *what);/* some dom_log() line contains what */
#endif
