// SPDX-License-Identifier: MIT
// lamina pause: stop running a domain's vCPUs.
#include "lamina.h"

#include <stdio.h>

int cmd_pause(const struct cmd *self, int argc, char **argv)
{
	int rc;

	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	rc = cl_simple(LP_PAUSE, argv[optind], NULL);
	if (rc == EXIT_OK)
		printf("Domain '%s' paused.\n", argv[optind]);
	return rc;
}
