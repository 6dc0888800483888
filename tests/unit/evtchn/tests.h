// SPDX-License-Identifier: MIT
// tests.h: the test cases of the event channel unit tests, one TCase per area, and their names.
#ifndef EVT_TESTS_H
#define EVT_TESTS_H
#include <check.h>

#ifndef NAME_SUFFIX
#define NAME_SUFFIX ""      /* "-san" in the sanitized build, so results stay distinct */
#endif

TCase *tc_table(void);      /* evtchn.c: the pure port table */
TCase *tc_hcall(void);      /* hc_evtchn.c + event*.c: every sub-op and documented error */
TCase *tc_delivery(void);   /* event.c: pending/mask/selector/upcall */
TCase *tc_host(void);       /* event_link.c: domain 0 ends, doorbell ioeventfd, teardown */
#endif
