// SPDX-License-Identifier: MIT
// lat.c: the suite's CPU-side workloads (lmbench-style latencies, a CPU-bound job), run as a guest's init or natively.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "lat.h"

/*
 * Every workload runs ROUNDS timed batches after a warm-up; lat prints
 * "@LAT name=median ..." (one line, every workload) and, per workload,
 * "@SAMPLES name=v1,v2,..." (the batches). Methods, as lmbench's:
 *   null_syscall_ns  getppid() through syscall(2) (lat_syscall null)
 *   ctxsw_us         a pipe round trip with both processes pinned to one
 *                    CPU, less one process using its own pipe, halved
 *                    (lat_ctx -s 0 2)
 *   fork_exit_us     fork(); the child _exit(0)s; the parent waits (lat_proc fork)
 *   page_fault_ns    the first write to each page of a fresh anonymous
 *                    mapping, per page (mmap, touch, munmap)
 *   pipe_rtt_us      one byte there and back between two processes (lat_pipe)
 *   unix_rtt_us      the same over a UNIX stream socket pair (lat_unix)
 *   cpu_job_ms       compressing 1 MiB of fixed text with a small LZ77
 *                    coder: pure user-space work, the CPU-bound job
 * The scale (-s) multiplies each batch's size.
 *
 * -x: exits per operation. After the timed batches, each workload runs
 * one more batch between two lines "@stats": the VMM side answers each
 * (boottime -k with KVM's counters, lamina-hv --stats-marker with its
 * exits to user space). Each pair is framed by "@XB name" and
 * "@XE name ops=N", and lat sleeps SETTLE_MS after every marker so the
 * answer is read before the batch starts (or the next one does). The
 * pair "none" has no batch: its counts are the markers' and the sleep's
 * own, which the report subtracts.
 *
 * As PID 1 (a guest's init; lat_init.c) it mounts /dev and /proc, prints
 * "@BOOT-INIT uptime=S" on the console, takes "lat.scale=S" and
 * "lat.exits" from the kernel command line, runs, prints "@LAT-DONE" and
 * powers off.
 */
#define ROUNDS 5
#define SETTLE_MS 300

struct work {
	const char *name;
	double (*fn)(long n);   /* the time of one operation in the unit */
	long per_k;             /* batch size per 1000 of scale */
	long ops_per_n;         /* operations in a batch of n, for -x */
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what)
{
	printf("lat: %s: %s\n", what, strerror(errno));
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

/* n pages of a fresh anonymous mapping, each written once. */
static double page_fault(long n)
{
	size_t pg = 4096;
	char *m = mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		die("mmap");
	double t = now_ns();
	for (long i = 0; i < n; i++)
		m[i * pg] = 1;
	t = now_ns() - t;
	munmap(m, n * pg);
	return t / n;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s))
		die("sched_setaffinity");
}

/* Pass one byte around n times over fds a (there) and b (back); the
 * child echoes it. sock: a and b are the two ends of one socket pair. */
static double rtt(long n, int cpu, int sock)
{
	int a[2], b[2];
	char c = 'x';

	if (sock ? socketpair(AF_UNIX, SOCK_STREAM, 0, a) : pipe(a) || pipe(b))
		die(sock ? "socketpair" : "pipe");
	int there = a[1], back = sock ? a[1] : b[0], cin = a[0], cout = sock ? a[0] : b[1];
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		if (cpu >= 0)
			pin(cpu);
		for (long i = 0; i < n; i++)
			if (read(cin, &c, 1) != 1 || write(cout, &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	if (cpu >= 0)
		pin(cpu);
	double t = now_ns();
	for (long i = 0; i < n; i++)
		if (write(there, &c, 1) != 1 || read(back, &c, 1) != 1)
			die("round trip");
	t = now_ns() - t;
	waitpid(p, NULL, 0);
	close(a[0]); close(a[1]);
	if (!sock) { close(b[0]); close(b[1]); }
	return t / n / 1e3;
}

static double pipe_rtt(long n) { return rtt(n, -1, 0); }
static double unix_rtt(long n) { return rtt(n, -1, 1); }

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

static cpu_set_t all_cpus;   /* the affinity lat started with */

static double ctxsw(long n)
{
	double r = rtt(n, 0, 0), self = pipe_self(n), sw = (r - 2 * self) / 2;

	if (sched_setaffinity(0, sizeof(all_cpus), &all_cpus))
		die("sched_setaffinity");
	return sw > 0 ? sw : 0;
}


static double cpu_job(long n)
{
	double t = now_ns();

	for (long i = 0; i < n; i++)
		if (lz_compress_fixed() <= 0)
			die("lz");
	return (now_ns() - t) / n / 1e6;
}

static const struct work works[] = {
	{ "null_syscall_ns", null_syscall, 200000, 1 },
	{ "ctxsw_us", ctxsw, 5000, 1 },
	{ "fork_exit_us", fork_exit, 200, 1 },
	{ "page_fault_ns", page_fault, 20000, 1 },
	{ "pipe_rtt_us", pipe_rtt, 5000, 1 },
	{ "unix_rtt_us", unix_rtt, 5000, 1 },
	{ "cpu_job_ms", cpu_job, 4, 1 },
};
#define NWORKS (sizeof(works) / sizeof(works[0]))

static long batch(const struct work *w, double scale)
{
	long n = (long)(w->per_k * scale);

	return n > 0 ? n : 1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The batches of w into v[ROUNDS]; returns their median. */
static double measure(const struct work *w, long n, double *v)
{
	double s[ROUNDS];

	w->fn(n / 10 + 1);   /* warm up */
	for (int i = 0; i < ROUNDS; i++)
		s[i] = v[i] = w->fn(n);
	qsort(s, ROUNDS, sizeof(s[0]), cmp);
	return s[ROUNDS / 2];
}

static void settle(void)
{
	struct timespec t = { 0, SETTLE_MS * 1000000L };

	nanosleep(&t, NULL);
}

/* "@stats" on the console, drained, then a pause for the VMM to answer. */
static void marker(void)
{
	printf("@stats\n");
	fflush(stdout);
	tcdrain(STDOUT_FILENO);   /* not a tty (a pipe, a file): nothing to wait for */
	settle();
}

/* -x: each workload's extra batch between two markers, and "none". */
static void exit_pairs(double scale)
{
	printf("@XB none\n");
	marker();
	marker();
	printf("@XE none ops=0\n");
	for (size_t i = 0; i < NWORKS; i++) {
		long n = batch(&works[i], scale);
		printf("@XB %s\n", works[i].name);
		marker();
		works[i].fn(n);
		marker();
		printf("@XE %s ops=%ld\n", works[i].name, n * works[i].ops_per_n);
	}
	fflush(stdout);
}

static void run(double scale, int exits)
{
	double med[NWORKS], v[NWORKS][ROUNDS];

	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus))
		die("sched_getaffinity");
	for (size_t i = 0; i < NWORKS; i++)
		med[i] = measure(&works[i], batch(&works[i], scale), v[i]);
	printf("@LAT");
	for (size_t i = 0; i < NWORKS; i++)
		printf(" %s=%.3f", works[i].name, med[i]);
	printf("\n");
	for (size_t i = 0; i < NWORKS; i++) {
		printf("@SAMPLES %s=", works[i].name);
		for (int r = 0; r < ROUNDS; r++)
			printf("%s%.3f", r ? "," : "", v[i][r]);
		printf("\n");
	}
	fflush(stdout);
	if (exits)
		exit_pairs(scale);
}


int main(int argc, char **argv)
{
	double scale = 1;
	int o, exits = 0;

	if (getpid() == 1)
		return lat_init(run);
	while ((o = getopt(argc, argv, "s:x")) != -1) {
		if (o == 'x')
			exits = 1;
		else if (o != 's' || (scale = atof(optarg)) <= 0) {
			fprintf(stderr, "usage: lat [-s SCALE] [-x]  (SCALE > 0 multiplies the batch "
					"sizes; -x: exits per operation, see lat.c)\n");
			return 2;
		}
	}
	run(scale, exits);
	return 0;
}
