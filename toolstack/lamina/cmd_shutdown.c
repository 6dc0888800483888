// SPDX-License-Identifier: MIT
// lamina shutdown: ask a domain's guest to power off, and optionally wait for it.
#include "lamina.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

// 1 while the domain (still with id `id`) is up, 0 once it is gone or
// down, -1 on error.
static int still_up(const char *name, unsigned id)
{
	struct lp_msg m;
	struct lp_err e;
	struct lp_name n;
	int fd = cl_connect(false), up = -1;

	if (fd < 0)
		return -1;
	copy_name(n.name, name);
	if (lp_send(fd, LP_INFO, &n, sizeof(n), NULL, 0) == 0 && lp_recv(fd, &m, &e) == 0) {
		const struct lp_dom_stats *st = (const struct lp_dom_stats *)m.payload;
		up = m.hdr.type == LP_REPLY_INFO && st->id == id && st->state != LP_STATE_SHUTOFF &&
		     st->state != LP_STATE_CRASHED;
		lp_msg_free(&m);
	}
	close(fd);
	return up;
}

static int wait_down(const char *name, unsigned id, int timeout_s)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	int up;

	for (long waited = 0; (up = still_up(name, id)) == 1; waited += 100) {
		if (waited >= timeout_s * 1000L) {
			err_msg("domain '%s' did not shut down within %d s", name, timeout_s);
			return EXIT_FAIL;
		}
		nanosleep(&tick, NULL);
	}
	return up < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_shutdown(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "wait", no_argument, NULL, 'w' },
					    { "timeout", required_argument, NULL, 't' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	struct lp_ok ok;
	bool wait = false;
	int ch, timeout = 60, rc;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "wt:", lo)) != -1) {
		if (ch == 'w')
			wait = true;
		else if ((timeout = atoi(optarg)) <= 0) {
			err_msg("shutdown: invalid timeout '%s'", optarg);
			return EXIT_USAGE;
		}
	}
	if (want_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	rc = cl_simple(LP_SHUTDOWN, argv[optind], &ok);
	if (rc == EXIT_OK && wait)
		rc = wait_down(argv[optind], ok.id, timeout);
	if (rc == EXIT_OK)
		printf(wait ? "Domain '%s' has shut down.\n" : "Domain '%s' is shutting down.\n",
		       argv[optind]);
	return rc;
}
