// SPDX-License-Identifier: MIT
// lamina block-detach: detach a disk from a domain by its target name.
#include "lamina.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_blockdetach(const struct cmd *self, int argc, char **argv)
{
	struct lp_block rq = { 0 };
	struct lp_msg m;
	int fd, rc;

	if (simple_args(self, argc, argv, 2) < 0)
		return EXIT_USAGE;
	if (strlen(argv[optind + 1]) >= sizeof(rq.target) || !*argv[optind + 1]) {
		err_msg("block-detach: invalid target '%s'", argv[optind + 1]);
		return EXIT_USAGE;
	}
	copy_name(rq.name, argv[optind]);
	strcpy(rq.target, argv[optind + 1]);
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_BLOCK_DETACH, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	lp_msg_free(&m);
	printf("Detached %s from '%s'.\n", rq.target, rq.name);
	return EXIT_OK;
}
