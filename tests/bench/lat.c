// SPDX-License-Identifier: MIT
// lat.c: lmbench-style OS latencies (null syscall, fork+exit, pipe round trip, context switch), run in a guest and natively.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/*
 * Prints one line "@LAT name=value ..." with the median of ROUNDS batches
 * for each measurement. The scale (-s) multiplies every batch's size, so a
 * slow machine (an emulated testbed) can take fewer iterations. Methods, as
 * lmbench's lat_syscall null, lat_proc fork, lat_pipe and lat_ctx -s 0 2:
 *   null_syscall_ns  getppid(), through syscall(2) so no library caches it
 *   fork_exit_us     fork(); the child _exit(0)s; the parent waits
 *   pipe_rtt_us      one byte there and back between two processes
 *   ctxsw_us         the same with both pinned to one CPU, less the cost of
 *                    one process writing and reading its own pipes, halved:
 *                    the time of one switch
 * With -x it then runs the pipe batches again, ROUNDS of them, each (its
 * fork and wait included) between two lines "@hvstats" (lamina-hv
 * --stats-marker @hvstats answers each with the domain's exits to user
 * space so far), and prints "@LAT-EXITS pipe_rtt_iters=N", N the round
 * trips of all batches: the counts' differences within each pair, summed,
 * over N are the exits per round trip. These batches run unpinned, as
 * pipe_rtt_us's do, and after every measurement, so that the markers cost
 * those nothing. Elsewhere (natively, another VMM) the markers are plain
 * output.
 */
#define ROUNDS 5

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "lat: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double null_syscall(long n)
{
	double t = now_ns();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now_ns() - t) / n;
}

static double fork_exit(long n)
{
	double t = now_ns();

	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0)
			_exit(0);
		if (waitpid(p, NULL, 0) != p)
			die("waitpid");
	}
	return (now_ns() - t) / n / 1e3;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s))
		die("sched_setaffinity");
}

/* Ask the hypervisor for its exit counts (-x): a line "@hvstats", on the
 * console before this returns, as far as the guest's tty can tell. */
static void hvstats_marker(void)
{
	printf("@hvstats\n");
	fflush(stdout);
	tcdrain(STDOUT_FILENO);   /* not a tty (a pipe, a file): nothing to wait for */
}

/* Pass one byte around n times over a pair of pipes; the child echoes it. */
static double pipe_rtt(long n, int cpu)
{
	int a[2], b[2];
	char c = 'x';

	if (pipe(a) || pipe(b))
		die("pipe");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		if (cpu >= 0)
			pin(cpu);
		for (long i = 0; i < n; i++)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	if (cpu >= 0)
		pin(cpu);
	double t = now_ns();
	for (long i = 0; i < n; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			die("pipe round trip");
	t = now_ns() - t;
	waitpid(p, NULL, 0);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
	return t / n / 1e3;
}

/* One process writing and reading its own pipe: the non-switch part. */
static double pipe_self(long n)
{
	int a[2];
	char c = 'x';

	if (pipe(a))
		die("pipe");
	double t = now_ns();
	for (long i = 0; i < n; i++)
		if (write(a[1], &c, 1) != 1 || read(a[0], &c, 1) != 1)
			die("pipe to itself");
	t = now_ns() - t;
	close(a[0]); close(a[1]);
	return t / n / 1e3;
}

static double ctxsw(long n)
{
	double rtt = pipe_rtt(n, 0), self = pipe_self(n);
	double sw = (rtt - 2 * self) / 2;

	return sw > 0 ? sw : 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double (*fn)(long), long n)
{
	double v[ROUNDS];

	fn(n / 10 + 1);         /* warm up */
	for (int i = 0; i < ROUNDS; i++)
		v[i] = fn(n);
	qsort(v, ROUNDS, sizeof(v[0]), cmp);
	return v[ROUNDS / 2];
}

static double pipe_rtt_any(long n) { return pipe_rtt(n, -1); }

/* -x: the pipe batches again, unpinned (ctxsw pinned this process to CPU 0;
 * all is the affinity it started with), each between two markers. */
static void pipe_exits(long n, const cpu_set_t *all)
{
	if (sched_setaffinity(0, sizeof(*all), all))
		die("sched_setaffinity");
	for (int i = 0; i < ROUNDS; i++) {
		hvstats_marker();
		pipe_rtt(n, -1);
		hvstats_marker();
	}
	printf("@LAT-EXITS pipe_rtt_iters=%ld\n", ROUNDS * n);
}

int main(int argc, char **argv)
{
	double scale = 1;
	int o, exits = 0;
	cpu_set_t all;

	while ((o = getopt(argc, argv, "s:x")) != -1) {
		if (o == 'x')
			exits = 1;
		else if (o != 's' || (scale = atof(optarg)) <= 0) {
			fprintf(stderr, "usage: lat [-s SCALE] [-x]  (SCALE > 0 multiplies the iteration "
					"counts; -x: count the exits of pipe batches, see lat.c)\n");
			return 2;
		}
	}
	if (sched_getaffinity(0, sizeof(all), &all))
		die("sched_getaffinity");
	long k = (long)(1000 * scale) + 1;
	double ns = median(null_syscall, 200 * k), fk = median(fork_exit, k / 5 + 1);
	double pr = median(pipe_rtt_any, 5 * k), cs = median(ctxsw, 5 * k);
	printf("@LAT null_syscall_ns=%.1f fork_exit_us=%.2f pipe_rtt_us=%.2f ctxsw_us=%.2f\n",
	       ns, fk, pr, cs);
	if (exits)
		pipe_exits(5 * k, &all);
	return 0;
}
