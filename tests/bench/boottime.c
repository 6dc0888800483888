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
#include "kvmstats.h"

/*
 * usage: boottime [-o FILE] [-b BOOTMARK] [-k STATSMARK] MARKER TIMEOUT_S COMMAND [ARG...]
 * Runs COMMAND in its own process group with stdout and stderr on a pipe
 * until a line containing MARKER appears on that output, then kills the
 * group and prints "@BOOT ms=T": T is the time from just before exec to the
 * first line containing BOOTMARK (-b), or MARKER without -b. Exits 1 with
 * a message if COMMAND ends or TIMEOUT_S passes first. -o saves everything
 * COMMAND printed up to then in FILE. -k: after each line that is exactly
 * STATSMARK (a trailing CR aside), write a line "@KVMSTATS ..." with the
 * KVM counters of COMMAND's VMs (kvmstats.h) into FILE, in order with
 * COMMAND's output.
 */
static FILE *save;
static const char *boot_mark, *stats_mark;
static pid_t child;
static double boot_ms = -1;

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

/* One whole output line (without its newline) seen at time t: note the
 * boot mark, answer the stats mark; 1 if it holds the end marker. */
static int line(char *l, size_t len, const char *marker, double t)
{
	if (len && l[len - 1] == '\r')
		l[--len] = 0;
	if (boot_mark && boot_ms < 0 && strstr(l, boot_mark))
		boot_ms = t;
	if (stats_mark && save && !strcmp(l, stats_mark)) {
		char buf[8192];
		int n = kvm_stats_line(child, buf, sizeof(buf));
		if (n > 0)
			fwrite(buf, 1, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, save);
	}
	return strstr(l, marker) != NULL;
}

/* Read until a line holds the marker; the time it did, or a negative number. */
static double wait_marker(int fd, const char *marker, double t0, double limit_ms)
{
	static char buf[1 << 16];
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(t0 + limit_ms - now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		if (len == sizeof(buf) - 1)   /* an overlong line: judge it in parts */
			len = 0;
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -2;
		double t = now_ms() - t0;
		size_t from = 0, end = len + (size_t)n;
		for (size_t i = len; i < end; i++) {
			if (buf[i] != '\n')
				continue;
			buf[i] = 0;
			if (save)
				fprintf(save, "%s\n", buf + from);
			if (line(buf + from, i - from, marker, t))
				return t;
			from = i + 1;
		}
		memmove(buf, buf + from, end - from);
		len = end - from;
	}
}

int main(int argc, char **argv)
{
	int o;

	while ((o = getopt(argc, argv, "+o:b:k:")) != -1) {
		if (o == 'o' && !(save = fopen(optarg, "w"))) {
			perror(optarg);
			return 1;
		}
		if (o == 'b')
			boot_mark = optarg;
		else if (o == 'k')
			stats_mark = optarg;
		else if (o == '?')
			argc = 0;
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || atof(argv[1]) <= 0) {
		fprintf(stderr, "usage: boottime [-o FILE] [-b BOOTMARK] [-k STATSMARK] MARKER "
				"TIMEOUT_S COMMAND [ARG...]\n");
		return 2;
	}
	int fd;
	double t0 = now_ms();
	child = start(argv + 2, &fd);
	if (child < 0) {
		perror("boottime");
		return 1;
	}
	double ms = wait_marker(fd, argv[0], t0, atof(argv[1]) * 1e3);
	kill(-child, SIGKILL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (ms < 0) {
		fprintf(stderr, "boottime: %s: no '%s' %s\n", argv[2], argv[0],
			ms == -1 ? "before the timeout" : "before it ended");
		return 1;
	}
	if (boot_mark && boot_ms < 0)
		printf("@BOOT-MISSING no '%s' before '%s'\n", boot_mark, argv[0]);
	else
		printf("@BOOT ms=%.1f\n", boot_mark ? boot_ms : ms);
	return 0;
}
