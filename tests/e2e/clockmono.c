// SPDX-License-Identifier: MIT
// clockmono.c: runs in the Linux guest: one thread per CPU compares CLOCK_MONOTONIC readings across CPUs; prints one "@T mono" line.
//
// usage: clockmono [SECONDS]   (default 3)
//        clockmono sleep N      N times: how long a 1 s nanosleep lasts, one
//                               "@T sleep1 s=..." line each (CLOCK_MONOTONIC)
// Each thread, pinned to its own CPU, loops: read what the other thread last
// published, read the clock, publish it. The other's value was read by it
// before this reading was taken, so it must not be later: if it is, time
// went backwards across CPUs. Each thread also checks its own readings.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NTHREADS 2

struct side {
	int cpu;
	uint64_t reads, back, worst, self_back;   /* owned by the thread, read after join */
};

static uint64_t published[NTHREADS];   /* atomics: each thread's latest reading */
static uint64_t end_ns;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *run(void *arg)
{
	struct side *s = arg;
	cpu_set_t set;
	uint64_t prev = 0;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("clockmono: sched_setaffinity");
	for (;;) {
		uint64_t other = __atomic_load_n(&published[1 - s->cpu], __ATOMIC_ACQUIRE);
		uint64_t n = now_ns();
		__atomic_store_n(&published[s->cpu], n, __ATOMIC_RELEASE);
		if (other > n) {
			s->back++;
			s->worst = other - n > s->worst ? other - n : s->worst;
		}
		s->self_back += n < prev;
		prev = n;
		if (++s->reads % 64 == 0 && n >= end_ns)
			return NULL;
	}
}

/* N 1 s sleeps in this process (no fork, no exec: only the sleep and its
 * wakeup are timed). */
static int sleeps(int n)
{
	for (int i = 0; i < n; i++) {
		struct timespec one = { 1, 0 };
		uint64_t t0 = now_ns();
		while (nanosleep(&one, &one) != 0)
			;
		printf("@T sleep1 i=%d s=%.6f\n", i, (double)(now_ns() - t0) / 1e9);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "sleep"))
		return sleeps(atoi(argv[2]) > 0 && atoi(argv[2]) <= 100 ? atoi(argv[2]) : 7);
	double secs = argc > 1 ? atof(argv[1]) : 3;
	struct side side[NTHREADS] = { { .cpu = 0 }, { .cpu = 1 } };
	pthread_t th[NTHREADS];

	if (secs <= 0 || secs > 600) {
		fprintf(stderr, "clockmono: SECONDS must be in (0, 600], not '%s'\n", argv[1]);
		return 2;
	}
	end_ns = now_ns() + (uint64_t)(secs * 1e9);
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, run, &side[i]) != 0) {
			fprintf(stderr, "clockmono: cannot start a thread\n");
			return 1;
		}
	uint64_t reads = 0, back = 0, worst = 0, self_back = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		reads += side[i].reads;
		back += side[i].back;
		self_back += side[i].self_back;
		worst = side[i].worst > worst ? side[i].worst : worst;
	}
	printf("@T mono reads=%llu back=%llu worst_ns=%llu self_back=%llu\n",
	       (unsigned long long)reads, (unsigned long long)back, (unsigned long long)worst,
	       (unsigned long long)self_back);
	return 0;
}
