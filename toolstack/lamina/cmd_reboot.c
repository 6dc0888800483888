// SPDX-License-Identifier: MIT
// lamina reboot: ask a domain's guest to reboot.
#include "lamina.h"

#include <stdio.h>

int cmd_reboot(const struct cmd *self, int argc, char **argv)
{
	int rc;

	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	rc = cl_simple(LP_REBOOT, argv[optind], NULL);
	if (rc == EXIT_OK)
		printf("Domain '%s' is rebooting.\n", argv[optind]);
	return rc;
}
