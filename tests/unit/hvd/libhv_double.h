// SPDX-License-Identifier: MIT
// libhv_double.h: the libhv stand-in for lamina-hvd's unit tests and its counters.
#ifndef LIBHV_DOUBLE_H
#define LIBHV_DOUBLE_H

#include <hv.h>
#include <stdio.h>

extern int dbl_creates, dbl_destroys; // hv_create()s that succeeded, hv_destroy()s
extern int dbl_pins, dbl_ports, dbl_watches; // live grant pins, bound ports, watches
const char *dbl_store(const char *path); // a store value, or NULL
void dbl_store_reset(void);
// The last watch set: its callback, argument and token (call it as the store's thread would).
extern hv_store_watch_fn *dbl_watch_fn;
extern void *dbl_watch_arg;
extern char dbl_watch_token[64];
#endif
