// SPDX-License-Identifier: MIT
// test_svc.c: unit tests of the store ring service (placeholder until store_svc.c lands).
#include "test.h"
Suite *svc_suite(void) { return suite_create("store-svc"); }
Suite *pvcon_suite(void) { return suite_create("pvcon"); }
