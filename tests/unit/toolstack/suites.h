// SPDX-License-Identifier: MIT
// Toolstack unit tests: the Check suites the runner in test_main.c collects.
#ifndef LAMINA_TEST_SUITES_H
#define LAMINA_TEST_SUITES_H

#include <check.h>

Suite *config_suite(void);
Suite *proto_suite(void);
Suite *registry_suite(void);
Suite *e2e_suite(void);
Suite *devices_suite(void);
Suite *backends_suite(void);
Suite *snapshot_suite(void);
Suite *netconfig_suite(void);

#endif
