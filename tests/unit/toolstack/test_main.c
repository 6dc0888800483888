// SPDX-License-Identifier: MIT
// Toolstack unit tests: runs every suite; exit status 0 only if all pass.
#include "suites.h"

#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_add_suite(sr, proto_suite());
	srunner_add_suite(sr, registry_suite());
	srunner_add_suite(sr, e2e_suite());
	srunner_add_suite(sr, devices_suite());
	srunner_add_suite(sr, snapshot_suite());
	srunner_add_suite(sr, netconfig_suite());
	srunner_add_suite(sr, backends_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
