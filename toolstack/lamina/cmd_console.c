// SPDX-License-Identifier: MIT
// lamina console: attach the terminal to a domain's console; Ctrl-] detaches.
#include "lamina.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define DETACH_CHAR 0x1d // Ctrl-]
#define LINGER_MS 300 // after input ends (not a terminal): wait for the last output

int console_attach(const char *name);

static struct termios saved;
static bool raw;

static void restore_tty(void)
{
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	raw = false;
}

static void raw_tty(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
		return;
	t = saved;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
		raw = true;
}

// Input from the user: 1 to go on, 0 to detach (Ctrl-] or end of input).
static int from_user(int fd)
{
	char buf[1024];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	char *stop;

	if (n <= 0)
		return 0;
	stop = memchr(buf, DETACH_CHAR, (size_t)n);
	if (stop)
		n = stop - buf;
	if (n > 0 && lp_send(fd, LP_CONSOLE_DATA, buf, (size_t)n, NULL, 0))
		return 0;
	return stop ? -1 : 1;
}

// Output from the domain: 1 to go on, 0 when the stream ended.
static int from_domain(int fd)
{
	struct lp_msg m;
	struct lp_err e;
	ssize_t w;

	if (lp_recv(fd, &m, &e)) {
		restore_tty();
		err_msg("console: %s", e.msg);
		return 0;
	}
	if (m.hdr.type == LP_CONSOLE_DATA)
		w = write(STDOUT_FILENO, m.payload, m.hdr.len);
	else if (m.hdr.type == LP_STREAM_END)
		fprintf(stderr, "\r\n[console closed: %s]\r\n",
			(char *)m.payload + sizeof(struct lp_error));
	(void)w;
	lp_msg_free(&m);
	return m.hdr.type == LP_CONSOLE_DATA;
}

static void relay(int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = STDIN_FILENO, .events = POLLIN } };
	int nfds = 2, user;

	while (poll(p, (nfds_t)nfds, nfds == 2 ? -1 : LINGER_MS) > 0) {
		if ((p[0].revents & (POLLIN | POLLHUP)) && !from_domain(fd))
			return;
		if (nfds == 2 && (p[1].revents & (POLLIN | POLLHUP))) {
			user = from_user(fd);
			if (user < 0 || (user == 0 && raw))
				return; // Ctrl-], or a terminal that went away
			nfds = user ? 2 : 1; // piped input ended: linger for output
		}
	}
}

int console_attach(const char *name)
{
	struct lp_msg m;
	int fd = cl_connect(false), rc;

	if (fd < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, LP_CONSOLE, name, &m);
	if (rc == 0) {
		lp_msg_free(&m);
		if (isatty(STDIN_FILENO))
			fprintf(stderr, "Connected to the console of '%s' (Ctrl-] detaches).\r\n",
				name);
		raw_tty();
		relay(fd);
		restore_tty();
		if (isatty(STDIN_FILENO))
			fprintf(stderr, "\nDetached from '%s'.\n", name);
	}
	close(fd);
	return rc;
}

int cmd_console(const struct cmd *self, int argc, char **argv)
{
	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	return console_attach(argv[optind]);
}
