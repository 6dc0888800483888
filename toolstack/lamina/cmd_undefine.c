// SPDX-License-Identifier: MIT
// lamina undefine: forget a defined domain's configuration and autostart mark.
#include "lamina.h"

#include <stdio.h>

int cmd_undefine(const struct cmd *self, int argc, char **argv)
{
	int rc;

	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	rc = cl_simple(LP_UNDEFINE, argv[optind], NULL);
	if (rc == EXIT_OK)
		printf("Domain '%s' undefined.\n", argv[optind]);
	return rc;
}
