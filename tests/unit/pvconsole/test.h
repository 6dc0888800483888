// SPDX-License-Identifier: MIT
// test.h: the suites of the lamina-console unit tests, and the fake hypervisor end they share.
#ifndef PVCONSOLE_TEST_H
#define PVCONSOLE_TEST_H
#include <check.h>
#include "con.h"

#ifndef SUFFIX
#define SUFFIX ""
#endif
#define OB LAMINA_CONSOLE_OUT_BYTES
#define IB LAMINA_CONSOLE_IN_BYTES

Suite *ring_suite(void);
Suite *serve_suite(void);
Suite *link_suite(void);

/* The fake hypervisor: hv is its end of the link; c the back-end under test
 * on the other end, with a zeroed ring and a real kick eventfd. */
extern int hv;
extern struct con_dev c;
extern struct lamina_console_ring ring;
void fake_setup(void);
void fake_teardown(void);
/* The guest writes output and publishes it. */
void gwrite(const void *s, uint32_t n);
/* The next message from the back-end: its type, data into buf (len into
 * *n); -1 if none waits. */
int hv_take(char *buf, uint32_t *n);
/* Send a raw message to the back-end. */
void hv_send(uint32_t type, const void *data, uint32_t len);
/* Kicks the back-end gave the guest since the last call. */
uint64_t kicks(void);
#endif
