// SPDX-License-Identifier: MIT
// Unit tests for lamina-netback and lamina-netswitch (pvdrivers/net): the suite and its main (Check).
#include <stdlib.h>

#include "tests.h"

#ifndef SUITE_NAME
#define SUITE_NAME "net"
#endif

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	SRunner *sr;
	int failed;

	suite_add_tcase(s, frame_tcase());
	suite_add_tcase(s, queue_tcase());
	suite_add_tcase(s, rate_tcase());
	suite_add_tcase(s, io_tcase());
	suite_add_tcase(s, switch_tcase());
	suite_add_tcase(s, swproc_tcase());
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
