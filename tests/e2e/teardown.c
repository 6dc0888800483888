// SPDX-License-Identifier: MIT
// teardown.c: e2e test: 100 create/fill/destroy cycles of a domain using every quota leave host memory and fds flat.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hv.h"

#define WARMUP 10          /* cycles before the baseline is taken */

struct filled { int nodes, watches, tx, ports, frames; };

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long total = 0, v;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld", &v) == 1 || sscanf(line, "RssShmem: %ld", &v) == 1)
			total += v;
	if (f)
		fclose(f);
	return total;
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n - 3;   /* ".", ".." and the DIR's own fd */
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void result(int ok, const char *why)
{
	if (ok)
		printf("RESULT PASS hostile/teardown-100\n");
	else
		printf("RESULT FAIL hostile/teardown-100: %s\n", why);
	fflush(stdout);
}

/* Read console lines until FILLED: 0 and the counts, or -1 (the guest ended or failed). */
static int wait_filled(FILE *con, struct filled *f)
{
	char line[512];

	while (fgets(line, sizeof(line), con)) {
		if (sscanf(line, "FILLED nodes=%d watches=%d transactions=%d ports=%d frames=%d",
			   &f->nodes, &f->watches, &f->tx, &f->ports, &f->frames) == 5)
			return 0;
		if (strstr(line, "FAILURE") || strstr(line, "fail"))
			fputs(line, stdout);
	}
	return -1;
}

/* Every quota at its documented limit (the home's own nodes count as nodes). */
static int all_full(const struct filled *f, char *why, size_t n)
{
	int ok = f->nodes >= 990 && f->nodes <= 1000 && f->watches == 128 && f->tx == 10 &&
		 f->ports >= 1000 && f->frames == 64;

	if (!ok)
		snprintf(why, n, "a quota was not filled: nodes=%d watches=%d transactions=%d ports=%d frames=%d",
			 f->nodes, f->watches, f->tx, f->ports, f->frames);
	return ok;
}

/* /local/domain no longer lists id. */
static int home_gone(struct hv *hv, int id)
{
	char buf[8192], want[16];
	int n = hv_store_directory(hv, "/local/domain", buf, sizeof(buf));

	snprintf(want, sizeof(want), "%d", id);
	for (int i = 0; i < n; i += (int)strlen(buf + i) + 1)
		if (!strcmp(buf + i, want))
			return 0;
	return n >= 0;
}

/* One cycle: create, wait until every quota is used, destroy. 0 or -1 with why. */
static int cycle(struct hv *hv, const char *kernel, double *destroy_s, char *why, size_t n)
{
	char err[200];
	int p[2];
	struct filled f;

	if (pipe(p) < 0)
		return snprintf(why, n, "pipe failed"), -1;
	struct hv_dom_params prm = { .name = "teardown", .kernel = kernel, .vcpus = 1,
		.mem_bytes = 16 << 20, .console_fd = p[1] };
	struct domain *d = hv_create(hv, &prm, err, sizeof(err));
	if (!d || hv_start(d) < 0) {
		close(p[0]), close(p[1]);
		return snprintf(why, n, "cannot start the guest: %s", err), -1;
	}
	FILE *con = fdopen(p[0], "r");
	int rc = wait_filled(con, &f);
	int id = hv_dom_id(d);
	if (getenv("TEARDOWN_VERBOSE"))
		fprintf(stderr, "teardown: domain %d filled (%d), destroying\n", id, rc);
	double t0 = now_s();
	hv_destroy(d);
	*destroy_s = now_s() - t0;
	if (getenv("TEARDOWN_VERBOSE"))
		fprintf(stderr, "teardown: destroyed in %.3f s\n", *destroy_s);
	fclose(con);
	close(p[1]);
	if (rc < 0)
		return snprintf(why, n, "the guest ended before it filled its quotas"), -1;
	if (!all_full(&f, why, n))
		return -1;
	if (!home_gone(hv, id))
		return snprintf(why, n, "/local/domain/%d is still in the store after destroy", id), -1;
	return 0;
}

int main(int argc, char **argv)
{
	int cycles = getenv("TEARDOWN_CYCLES") ? atoi(getenv("TEARDOWN_CYCLES")) : 100;
	char err[200], why[300] = "";
	long rss0 = 0, rss = 0;
	int fd0 = 0, fds = 0, i;
	double worst = 0, t, start = now_s();

	if (argc != 2 || cycles <= WARMUP)
		return fprintf(stderr, "usage: teardown GUEST.elf (TEARDOWN_CYCLES > %d)\n", WARMUP), 2;
	struct hv *hv = hv_open(err, sizeof(err));
	if (!hv)
		return result(0, err), 1;
	for (i = 0; i < cycles; i++) {
		if (cycle(hv, argv[1], &t, why, sizeof(why)) < 0)
			break;
		worst = t > worst ? t : worst;
		rss = rss_kib(), fds = fd_count();
		if (i + 1 == WARMUP)
			rss0 = rss, fd0 = fds;
		if ((i + 1) % 10 == 0)
			printf("teardown: %d cycles, %.1f s: RSS %ld KiB, %d fds, slowest destroy %.3f s\n",
			       i + 1, now_s() - start, rss, fds, worst), fflush(stdout);
	}
	hv_close(hv);
	if (i < cycles)
		return result(0, why), 0;
	snprintf(why, sizeof(why), "after cycle %d: RSS %ld KiB, %d fds; after cycle %d: RSS %ld KiB (limit %ld), %d fds",
		 WARMUP, rss0, fd0, cycles, rss, rss0 + rss0 / 20, fds);
	printf("teardown: %s; slowest destroy %.3f s\n", why, worst);
	result(rss <= rss0 + rss0 / 20 && fds == fd0, why);
	return 0;
}
