// SPDX-License-Identifier: MIT
// boottime.c: start a VMM, time how long until a marker line appears on its output, then stop it.
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: boottime [-o FILE] MARKER TIMEOUT_S COMMAND [ARG...]
 * Runs COMMAND in its own process group with stdout and stderr on a pipe,
 * and prints "@BOOT ms=T" where T is the time from just before exec to the
 * first output that contains MARKER; then kills the group. Exits 1 with a
 * message if COMMAND ends or TIMEOUT_S passes first. -o saves everything
 * COMMAND printed up to then in FILE.
 */
static FILE *save;
static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static pid_t start(char **argv, int *out)
{
	int p[2];

	if (pipe(p))
		return -1;
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		dprintf(2, "boottime: cannot run %s\n", argv[0]);
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	return c;
}

/* Read until the marker shows; the time it did, or a negative number. */
static double wait_marker(int fd, const char *marker, double t0, double limit_ms)
{
	static char buf[1 << 16];
	size_t len = 0, keep = strlen(marker);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(t0 + limit_ms - now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		if (len == sizeof(buf) - 1) {   /* keep a tail the marker may start in */
			memmove(buf, buf + len - keep, keep);
			len = keep;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -2;
		double t = now_ms();
		if (save)
			fwrite(buf + len, 1, (size_t)n, save);
		len += (size_t)n;
		buf[len] = 0;
		if (strstr(buf, marker))
			return t - t0;
	}
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "-o")) {
		if (!(save = fopen(argv[2], "w"))) {
			perror(argv[2]);
			return 1;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 4 || atof(argv[2]) <= 0) {
		fprintf(stderr, "usage: boottime [-o FILE] MARKER TIMEOUT_S COMMAND [ARG...]\n");
		return 2;
	}
	int fd;
	double t0 = now_ms();
	pid_t c = start(argv + 3, &fd);
	if (c < 0) {
		perror("boottime");
		return 1;
	}
	double ms = wait_marker(fd, argv[1], t0, atof(argv[2]) * 1e3);
	kill(-c, SIGKILL);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	if (ms < 0) {
		fprintf(stderr, "boottime: %s: no '%s' %s\n", argv[3], argv[1],
			ms == -1 ? "before the timeout" : "before it ended");
		return 1;
	}
	printf("@BOOT ms=%.1f\n", ms);
	return 0;
}
