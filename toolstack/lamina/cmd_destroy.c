// SPDX-License-Identifier: MIT
// lamina destroy: stop a domain at once and free it.
#include "lamina.h"

#include <stdio.h>

int cmd_destroy(const struct cmd *self, int argc, char **argv)
{
	int rc;

	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	rc = cl_simple(LP_DESTROY, argv[optind], NULL);
	if (rc == EXIT_OK)
		printf("Domain '%s' destroyed.\n", argv[optind]);
	return rc;
}
