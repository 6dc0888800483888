// SPDX-License-Identifier: MIT
// hvbench.c: run the benchmark guests on libhv and report each cost as a ratio to the PIO-exit floor.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "evtchn.h"
#include "hv.h"

#define MAX_RES 16

struct result { char name[48]; double ns; };
static struct result res[MAX_RES];
static int nres;
static long doorbells_sent = -1;
static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;

static void parse_line(const char *l)
{
	char name[48];
	double ns;
	long n;

	pthread_mutex_lock(&res_lock);
	if (sscanf(l, "BENCH %47s %lf", name, &ns) == 2 && nres < MAX_RES) {
		snprintf(res[nres].name, sizeof(res[nres].name), "%s", name);
		res[nres++].ns = ns;
	} else if (sscanf(l, "BENCH-COUNT doorbells_sent %ld", &n) == 1) {
		doorbells_sent = n;
	}
	pthread_mutex_unlock(&res_lock);
}

/* Read one domain's console: keep BENCH lines, echo failures. */
static void *reader(void *arg)
{
	FILE *f = fdopen((int)(intptr_t)arg, "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "BENCH", 5))
			parse_line(line);
		else if (strstr(line, "FAIL") || strstr(line, "SKIP"))
			fprintf(stderr, "hvbench: guest: %s", line);
	}
	if (f)
		fclose(f);
	return NULL;
}

static struct domain *start_dom(struct hv *hv, const char *name, const char *elf,
				const char *cmdline, int vcpus, pthread_t *th, int *wfd)
{
	int p[2];
	char err[256];

	if (pipe(p) < 0)
		return NULL;
	struct hv_dom_params prm = { .name = name, .kernel = elf, .cmdline = cmdline,
		.mem_bytes = 32 << 20, .vcpus = vcpus, .console_fd = p[1] };
	struct domain *d = hv_create(hv, &prm, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "hvbench: %s: %s\n", name, err);
		return NULL;
	}
	pthread_create(th, NULL, reader, (void *)(intptr_t)p[0]);
	*wfd = p[1];
	return d;
}

static double find(const char *name)
{
	for (int i = 0; i < nres; i++)
		if (!strcmp(res[i].name, name))
			return res[i].ns;
	return -1;
}

static void report(FILE *json, uint64_t evfd_count, uint64_t door_exits)
{
	double floor = find("pio_exit");

	printf("%-28s %12s %10s\n", "benchmark", "ns/op", "x floor");
	for (int i = 0; i < nres; i++)
		printf("%-28s %12.1f %10.2f\n", res[i].name, res[i].ns,
		       floor > 0 ? res[i].ns / floor : 0);
	printf("doorbells to a back-end: %ld sent, %llu counted by its eventfd, %llu reached "
	       "the hypervisor's user space\n", doorbells_sent, (unsigned long long)evfd_count,
	       (unsigned long long)door_exits);
	double null = find("null_hypercall");
	if (floor > 0 && null > 0)
		printf("goal: null hypercall <= 1.2x PIO exit: %.2fx, %s\n", null / floor,
		       null / floor <= 1.2 ? "met" : "NOT met");
	printf("goal: no doorbell exits to user space: %s\n",
	       door_exits == 0 && (long)evfd_count == doorbells_sent ? "met" : "NOT met");
	fprintf(json, "{\n  \"floor\": \"pio_exit\",\n  \"results\": {");
	for (int i = 0; i < nres; i++)
		fprintf(json, "%s\n    \"%s\": { \"ns_per_op\": %.1f, \"ratio_to_floor\": %.3f }",
			i ? "," : "", res[i].name, res[i].ns, floor > 0 ? res[i].ns / floor : 0);
	fprintf(json, "\n  },\n  \"doorbells\": { \"sent\": %ld, \"eventfd_count\": %llu, "
		"\"user_space_exits\": %llu }\n}\n", doorbells_sent,
		(unsigned long long)evfd_count, (unsigned long long)door_exits);
}

int main(int argc, char **argv)
{
	char err[256], c1[128], c2[128];
	pthread_t th[2];
	int wfd[2], efd;
	uint32_t gport;

	if (argc != 4) {
		fprintf(stderr, "usage: hvbench ITERATIONS BENCH.ELF OUT.json\n");
		return 2;
	}
	long iters = atol(argv[1]);
	FILE *json = fopen(argv[3], "w");
	struct hv *hv = hv_open(err, sizeof(err));
	if (!hv || !json) {
		fprintf(stderr, "hvbench: %s\n", hv ? strerror(errno) : err);
		return 1;
	}
	snprintf(c1, sizeof(c1), "role=main iters=%ld pong=1", iters);
	snprintf(c2, sizeof(c2), "role=pong iters=%ld", iters);
	struct domain *d1 = start_dom(hv, "bench", argv[2], c1, 2, &th[0], &wfd[0]);
	struct domain *d2 = start_dom(hv, "pong", argv[2], c2, 1, &th[1], &wfd[1]);
	if (!d1 || !d2 || evt_host_alloc(d1, &gport, &efd) < 0) {
		fprintf(stderr, "hvbench: could not set up the domains\n");
		return 1;
	}
	hv_start(d1);
	hv_start(d2);
	int r1 = hv_wait(d1), r2 = hv_wait(d2);
	uint64_t count = 0;
	fcntl(efd, F_SETFL, O_NONBLOCK);
	if (read(efd, &count, 8) != 8)
		count = 0;
	struct hv_dom_stats st;
	hv_stats(d1, &st);
	hv_close(hv);
	for (int i = 0; i < 2; i++) {
		close(wfd[i]);
		pthread_join(th[i], NULL);
	}
	report(json, count, st.doorbell_exits);
	fclose(json);
	if (r1 || r2)
		fprintf(stderr, "hvbench: a benchmark domain did not power off cleanly (%d, %d)\n", r1, r2);
	return r1 || r2 ? 1 : 0;
}
