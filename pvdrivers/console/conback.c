// SPDX-License-Identifier: MIT
// lamina-console: the PV console back-end process: one domain's console ring, for the hypervisor process that started it.
//
// usage: lamina-console [--domain ID] (see docs/man/lamina-console.8)
// Started by the hypervisor process (libhv), never by hand: descriptor 3
// is its link (hypervisor/console/conlink.h). --domain only names the
// process in ps for people and scripts; the link says which domain it is.
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "con.h"
#include "libbackend.h"

#define STOP_ROUNDS 16   /* rounds of output taken after CL_STOP, at most */

static int die(const char *what, int err)
{
	fprintf(stderr, "lamina-console: %s: %s\n", what, strerror(err));
	return 1;
}

static void drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;   /* EAGAIN: nothing to take */
}

/* Handle the messages that wait, up to CON_MSG_BUDGET. 1: more may wait,
 * 0, or -errno (-EPIPE: the hypervisor went away). */
static int take_messages(struct con_dev *c)
{
	struct conlink_msg m;
	int fds[3];
	unsigned nfds;

	for (int i = 0; i < CON_MSG_BUDGET; i++) {
		int n = con_recv(c->link, &m, fds, &nfds);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return n ? n : -EPIPE;
		int rc = con_handle(c, &m, (uint32_t)n - 1, fds, nfds);
		for (unsigned k = 0; k < nfds; k++)
			close(fds[k]);
		if (rc < 0)
			return rc;
	}
	return 1;
}

/* CL_STOP came: take what output is left (bounded), answer, and go. */
static int finish(struct con_dev *c)
{
	int more = 1;

	for (int i = 0; i < STOP_ROUNDS && more > 0; i++)
		more = con_round(c);
	return con_send(c, CL_DONE, NULL, 0);
}

static int serve(struct con_dev *c)
{
	struct pollfd p[2] = { { .fd = c->link, .events = POLLIN },
			       { .fd = c->doorbell, .events = POLLIN } };
	int more = 1;   /* a first round: output may wait from before a restart */

	for (;;) {
		if (poll(p, 2, more ? 0 : -1) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents) {
			drain(c->doorbell);
			con_guest_event(c);
		}
		int msgs = take_messages(c);
		if (msgs < 0)
			return msgs;
		if (c->stopping)
			return finish(c);
		more = con_round(c);
		if (more < 0)
			return more;
		more |= msgs;
	}
}

int main(int argc, char **argv)
{
	struct con_dev c;
	struct lbk sb = { .fd = -1 };

	if (argc != 1 && !(argc == 3 && !strcmp(argv[1], "--domain"))) {
		fprintf(stderr, "usage: lamina-console [--domain ID]  (started by lamina-hv/lamina-hvd, link on fd %d)\n",
			CONLINK_FD);
		return 2;
	}
	/* Nothing else of the hypervisor process's may reach us. */
	if (close_range(CONLINK_FD + 1, ~0u, 0) < 0)
		return die("close_range", errno);
	int rc = con_init(&c, CONLINK_FD);
	if (rc < 0)
		return die("setup from the hypervisor process", -rc);
	if (lbk_sandbox(&sb, NULL, 0) < 0) {
		fprintf(stderr, "lamina-console: %s\n", sb.err);
		return 1;
	}
	rc = serve(&c);
	con_exit(&c);
	if (rc == -EPIPE)
		return 0;   /* the hypervisor process went away: so do we */
	return rc < 0 ? die("link to the hypervisor process", -rc) : 0;
}
