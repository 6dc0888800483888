// SPDX-License-Identifier: MIT
// lamina start: create a defined domain (starting laminad if needed).
#include "lamina.h"

#include <stdio.h>
#include <unistd.h>

int console_attach(const char *name); // cmd_console.c

int cmd_start(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "console", no_argument, NULL, 'c' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	bool console = false;
	struct lp_msg m;
	int fd, rc, ch;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "c", lo)) != -1)
		console |= ch == 'c';
	if (want_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if ((fd = cl_connect(true)) < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, LP_START, argv[optind], &m);
	close(fd);
	if (rc)
		return rc;
	printf("Started domain '%s' (id %u).\n", argv[optind], ((struct lp_ok *)m.payload)->id);
	lp_msg_free(&m);
	if (console) {
		fflush(stdout);
		rc = console_attach(argv[optind]);
	}
	return rc;
}
