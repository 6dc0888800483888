// SPDX-License-Identifier: MIT
// lamina autostart: mark or unmark a defined domain for starting when laminad starts.
#include "lamina.h"

#include <stdio.h>
#include <unistd.h>

// Mark or unmark (--disable) the domain or network named by the one
// argument for starting with laminad: request type, and what it is for
// people ("Domain", "Network"). Shared by autostart and net-autostart.
int autostart_call(const struct cmd *self, int argc, char **argv, uint16_t type, const char *what)
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
	rc = cl_call(fd, type, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	printf("%s '%s' %s.\n", what, rq.name,
	       rq.enable ? "will start when laminad starts" : "will not start with laminad");
	lp_msg_free(&m);
	return EXIT_OK;
}

int cmd_autostart(const struct cmd *self, int argc, char **argv)
{
	return autostart_call(self, argc, argv, LP_AUTOSTART, "Domain");
}
