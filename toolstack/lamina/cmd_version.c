// SPDX-License-Identifier: MIT
// lamina version: the versions of lamina, its protocol, and the running laminad.
#include "lamina.h"
#include "rundir.h"

#include <stdio.h>
#include <unistd.h>

int cmd_version(const struct cmd *self, int argc, char **argv)
{
	struct rundir rd;
	struct lp_msg m;
	char err[PATH_MAX + 128];
	int fd, rc;

	if (simple_args(self, argc, argv, 0) < 0)
		return EXIT_USAGE;
	printf("lamina %s (protocol %d)\n", LAMINA_VERSION, LP_VERSION);
	rundir_locate(&rd, NULL);
	if (rundir_check(&rd, err, sizeof(err))) {
		printf("laminad: not running\n");
		return EXIT_OK;
	}
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_GET_VERSION, NULL, 0, NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	const struct lp_version *v = (const struct lp_version *)m.payload;
	printf("laminad %s (protocol %u, back-end %s)\n", v->daemon, v->proto, v->backend);
	lp_msg_free(&m);
	return EXIT_OK;
}
