// SPDX-License-Identifier: MIT
// lamina mem-set: set a domain's memory target (the balloon follows it).
#include "lamina.h"
#include "units.h"

#include <stdio.h>
#include <unistd.h>

int cmd_memset(const struct cmd *self, int argc, char **argv)
{
	struct lp_memset rq;
	struct lp_msg m;
	uint64_t bytes;
	char buf[32];
	int fd, rc;

	if (simple_args(self, argc, argv, 2) < 0)
		return EXIT_USAGE;
	if (parse_size(argv[optind + 1], "MiB", &bytes) || bytes % 1024) {
		err_msg("mem-set: invalid size '%s' (examples: 512, 512M, 2G, 1GiB)",
			argv[optind + 1]);
		return EXIT_USAGE;
	}
	copy_name(rq.name, argv[optind]);
	rq.kib = bytes / 1024;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_MEMSET, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	lp_msg_free(&m);
	printf("Memory target of '%s' set to %s.\n", rq.name, fmt_kib(rq.kib, buf, sizeof(buf)));
	return EXIT_OK;
}
