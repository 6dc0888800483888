// SPDX-License-Identifier: MIT
// lamina autostart: mark or unmark a defined domain for starting when laminad starts.
#include "lamina.h"

#include <stdio.h>
#include <unistd.h>

int cmd_autostart(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "disable", no_argument, NULL, 'd' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	struct lp_autostart rq = { .enable = 1 };
	struct lp_msg m;
	int fd, rc, ch;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "", lo)) != -1)
		if (ch == 'd')
			rq.enable = 0;
	if (want_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	copy_name(rq.name, argv[optind]);
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_AUTOSTART, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	printf("Domain '%s' %s.\n", argv[optind],
	       rq.enable ? "will start when laminad starts" : "will not start with laminad");
	lp_msg_free(&m);
	return EXIT_OK;
}
