// SPDX-License-Identifier: MIT
// test.h: shared declarations of the store unit tests (suites, the event recorder).
#ifndef STORE_TEST_H
#define STORE_TEST_H
#include <check.h>
#include <stdint.h>
#include "store_db.h"

/* Watch events recorded by rec_fire (the store_fire_fn of the tests). */
struct ev {
	uint16_t dom;
	char path[3100];
	char token[64];
};
extern struct ev evs[64];
extern int nevs;
void rec_fire(void *arg, uint16_t dom, const char *path, const char *token, void *priv);
void rec_reset(void);
/* Index of the first recorded event for (dom, path, token), or -1. */
int rec_find(uint16_t dom, const char *path, const char *token);

Suite *db_suite(void);
Suite *svc_suite(void);
Suite *host_suite(void);
Suite *ceiling_suite(void);
#endif
