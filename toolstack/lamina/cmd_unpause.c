// SPDX-License-Identifier: MIT
// lamina unpause: run a paused domain's vCPUs again.
#include "lamina.h"

#include <stdio.h>

int cmd_unpause(const struct cmd *self, int argc, char **argv)
{
	int rc;

	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	rc = cl_simple(LP_UNPAUSE, argv[optind], NULL);
	if (rc == EXIT_OK)
		printf("Domain '%s' unpaused.\n", argv[optind]);
	return rc;
}
