// SPDX-License-Identifier: MIT
// lamina dumpxml: a domain's current configuration as domain XML.
#include "lamina.h"

#include <stdio.h>
#include <unistd.h>

int cmd_dumpxml(const struct cmd *self, int argc, char **argv)
{
	struct lp_msg m;
	int fd, rc;

	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, LP_DUMPXML, argv[optind], &m);
	close(fd);
	if (rc)
		return rc;
	fputs((const char *)m.payload, stdout);
	lp_msg_free(&m);
	return EXIT_OK;
}
