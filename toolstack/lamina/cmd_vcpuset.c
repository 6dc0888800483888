// SPDX-License-Identifier: MIT
// lamina vcpu-set: set how many of a domain's vCPUs are online.
#include "lamina.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cmd_vcpuset(const struct cmd *self, int argc, char **argv)
{
	struct lp_vcpuset rq = { 0 };
	struct lp_msg m;
	char *end;
	unsigned long n;
	int fd, rc;

	if (simple_args(self, argc, argv, 2) < 0)
		return EXIT_USAGE;
	n = strtoul(argv[optind + 1], &end, 10);
	if (*end || !*argv[optind + 1] || n == 0 || n > 4096) {
		err_msg("vcpu-set: invalid vCPU count '%s'", argv[optind + 1]);
		return EXIT_USAGE;
	}
	copy_name(rq.name, argv[optind]);
	rq.count = (uint32_t)n;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_VCPUSET, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	lp_msg_free(&m);
	printf("'%s' now has %u vCPUs online.\n", rq.name, rq.count);
	return EXIT_OK;
}
