// SPDX-License-Identifier: MIT
// main.c: runs the grant-table unit tests (Check); exit status 1 if any failed.
#include <stdlib.h>
#include "tests.h"

int main(void)
{
	Suite *s = suite_create("grant" NAME_SUFFIX);

	suite_add_tcase(s, tc_tbl());
	suite_add_tcase(s, tc_map());
	suite_add_tcase(s, tc_copy());
	suite_add_tcase(s, tc_hcall());
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
