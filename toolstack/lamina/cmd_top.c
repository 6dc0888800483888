// SPDX-License-Identifier: MIT
// lamina top: live per-domain CPU, memory, exits by reason and hypercalls per second.
#include "lamina.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sample {
	struct lp_msg m;
	double t; // seconds, monotonic
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int take(struct sample *s)
{
	int fd = cl_connect(false), rc;

	if (fd < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_LIST, NULL, 0, NULL, 0, &s->m);
	s->t = now();
	close(fd);
	return rc;
}

static const struct lp_dom_stats *find(const struct sample *s, unsigned id)
{
	const struct lp_dom_stats *st = (const struct lp_dom_stats *)s->m.payload;

	for (size_t i = 0; i < s->m.hdr.len / sizeof(*st); i++)
		if (st[i].id == id)
			return &st[i];
	return NULL;
}

static void print_dom(const struct lp_dom_stats *a, const struct lp_dom_stats *b, double dt)
{
	uint64_t exits = 0, exits0 = 0;
	char mem[32];

	for (uint32_t i = 0; i < b->nexits; i++)
		exits += b->exits[i].count;
	for (uint32_t i = 0; a && i < a->nexits; i++)
		exits0 += a->exits[i].count;
	printf("%-20s %5u %-13s %6.1f %10s %5u %10.0f %10.0f\n", b->name, b->id,
	       lp_state_name(b->state), a ? (double)(b->cpu_ns - a->cpu_ns) / 1e9 / dt * 100 : 0.0,
	       fmt_kib(b->mem_kib, mem, sizeof(mem)), b->vcpus,
	       a ? (double)(exits - exits0) / dt : 0.0,
	       a ? (double)(b->hypercalls - a->hypercalls) / dt : 0.0);
	printf("%-20s exits/s:", "");
	for (uint32_t i = 0; i < b->nexits; i++) {
		uint64_t before = a && i < a->nexits ? a->exits[i].count : b->exits[i].count;
		printf(" %s %.0f", b->exits[i].what, (double)(b->exits[i].count - before) / dt);
	}
	printf("\n");
}

static void print_frame(const struct sample *prev, const struct sample *cur, bool batch)
{
	const struct lp_dom_stats *st = (const struct lp_dom_stats *)cur->m.payload;
	double dt = cur->t - prev->t;

	if (!batch)
		printf("\033[H\033[2J");
	printf("%-20s %5s %-13s %6s %10s %5s %10s %10s\n", "NAME", "ID", "STATE", "CPU%",
	       "MEMORY", "VCPUS", "EXITS/s", "HCALLS/s");
	for (size_t i = 0; i < cur->m.hdr.len / sizeof(*st); i++)
		print_dom(find(prev, st[i].id), &st[i], dt > 0 ? dt : 1);
	fflush(stdout);
}

static int parse(const struct cmd *self, int argc, char **argv, bool *batch, double *delay,
		 long *iters)
{
	static const struct option lo[] = { { "batch", no_argument, NULL, 'b' },
					    { "delay", required_argument, NULL, 'd' },
					    { "iterations", required_argument, NULL, 'n' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	int ch;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "bd:n:", lo)) != -1) {
		if (ch == 'b')
			*batch = true;
		else if (ch == 'd' && (*delay = atof(optarg)) > 0)
			continue;
		else if (ch == 'n' && (*iters = atol(optarg)) > 0)
			continue;
		else if (ch != 'b') {
			err_msg("top: invalid value '%s'", optarg);
			return -1;
		}
	}
	return want_args(self, argc, argv, 0);
}

int cmd_top(const struct cmd *self, int argc, char **argv)
{
	struct sample s[2];
	bool batch = !isatty(STDOUT_FILENO);
	double delay = 1;
	long iters = 0;
	int cur = 0;

	if (parse(self, argc, argv, &batch, &delay, &iters) < 0)
		return EXIT_USAGE;
	if (take(&s[0]))
		return EXIT_FAIL;
	for (long i = 0; iters <= 0 || i < iters; i++) {
		struct timespec ts = { (time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9) };
		nanosleep(&ts, NULL);
		if (take(&s[!cur])) {
			lp_msg_free(&s[cur].m);
			return EXIT_FAIL;
		}
		print_frame(&s[cur], &s[!cur], batch);
		lp_msg_free(&s[cur].m);
		cur = !cur;
	}
	lp_msg_free(&s[cur].m);
	return EXIT_OK;
}
