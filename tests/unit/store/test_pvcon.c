// SPDX-License-Identifier: MIT
// test_pvcon.c: unit tests of the PV console ring back-end (placeholder until pvconsole.c lands).
#include "test.h"
Suite *pvcon_suite(void) { return suite_create("pvcon"); }
