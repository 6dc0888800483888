// SPDX-License-Identifier: MIT
// tests/unit/net: the test cases each file adds to the suite.
#ifndef NET_TESTS_H
#define NET_TESTS_H

#include <check.h>

TCase *frame_tcase(void); // test_frame.c: nb_tx_frame, nb_check_hdr, nb_rx_prepare, checksums, lists, MACs
TCase *queue_tcase(void); // test_frame.c: the receive queue's caps
TCase *rate_tcase(void); // test_rate.c: net_rate.c's buckets on a fake clock
TCase *io_tcase(void); // test_io.c: net_io.c against rings in private memory
TCase *switch_tcase(void); // test_switch.c: sw_core.c
TCase *swproc_tcase(void); // test_swproc.c: sw_serve.c with real sockets
#endif
