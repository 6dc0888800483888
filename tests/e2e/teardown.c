// SPDX-License-Identifier: MIT
// teardown.c: e2e test: 100 create/fill/destroy cycles of a domain using every quota leave host memory and fds flat.
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hv.h"

#define WARMUP 10          /* cycles before the baseline is taken */
#define MAX_RETRIES 2      /* cycles run again after a vCPU triple fault */

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

static char last_line[160];   /* the guest's last console line, for a failure */

/* Parse one console line; 1 if it is the FILLED line. */
static int filled_line(const char *line, struct filled *f)
{
	size_t k = strnlen(line, sizeof(last_line) - 1);

	memcpy(last_line, line, k);
	last_line[k] = 0;
	if (sscanf(line, "FILLED nodes=%d watches=%d transactions=%d ports=%d frames=%d",
		   &f->nodes, &f->watches, &f->tx, &f->ports, &f->frames) == 5)
		return 1;
	if (strstr(line, "FAILURE") || strstr(line, "fail"))
		fputs(line, stdout);
	return 0;
}

/* The domain has ended (shut down or crashed). */
static int ended(struct domain *d)
{
	struct hv_dom_stats st;

	return hv_stats(d, &st) == 0 && (st.state == HV_DOM_SHUTDOWN || st.state == HV_DOM_CRASHED);
}

/* Read console lines from fd until FILLED: 0 and the counts; -1 if the
 * guest ended first (its pipe stays open: we hold its write end), or
 * nothing came for FILL_TIMEOUT seconds. */
#define FILL_TIMEOUT 120
static int wait_filled(struct domain *d, int fd, struct filled *f)
{
	char buf[4096];
	size_t len = 0;
	double until = now_s() + FILL_TIMEOUT;

	while (now_s() < until) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 500) <= 0) {
			if (ended(d))
				return -1;
			continue;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = 0;
		for (char *nl; (nl = strchr(buf, '\n'));) {
			*nl = 0;
			if (filled_line(buf, f))
				return 0;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0;   /* an overlong line: dropped */
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

/* For a guest that went quiet: its state, hypercall total, vCPUs and last line. */
static void quiet_facts(struct domain *d, char *out, size_t n)
{
	struct hv_dom_stats st = { .state = -1 };
	char where[160] = "";
	uint64_t calls = 0;

	if (hv_stats(d, &st) == 0)
		for (int i = 0; i < 64; i++)
			calls += st.hypercalls[i];
	hv_vcpu_where(d, where, sizeof(where));
	snprintf(out, n, " (state %d, %llu hypercalls, %s; last line '%s')", st.state,
		 (unsigned long long)calls, where, last_line);
}

/* One cycle: create, wait until every quota is used, destroy. 0, or -1 with
 * why, or 1 with why for a vCPU triple fault (the testbed's known fault,
 * docs/testbed-failures.md: the caller may run the cycle again). */
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
	last_line[0] = 0;
	int rc = wait_filled(d, p[0], &f);
	char crash[200], where[300] = "";
	snprintf(crash, sizeof(crash), "%s", hv_crash_reason(d) ? hv_crash_reason(d) : "");
	if (rc < 0 && !*crash)
		quiet_facts(d, where, sizeof(where));
	int id = hv_dom_id(d);
	if (getenv("TEARDOWN_VERBOSE"))
		fprintf(stderr, "teardown: domain %d filled (%d), destroying\n", id, rc);
	double t0 = now_s();
	hv_destroy(d);
	*destroy_s = now_s() - t0;
	if (getenv("TEARDOWN_VERBOSE"))
		fprintf(stderr, "teardown: destroyed in %.3f s\n", *destroy_s);
	close(p[0]);
	close(p[1]);
	if (rc < 0 && strstr(crash, "triple-faulted"))
		return snprintf(why, n, "the guest crashed before it filled its quotas: %s", crash), 1;
	if (rc < 0)
		return snprintf(why, n, "the guest ended or went quiet before it filled its quotas%s%s%s",
				*crash ? ": " : "", crash, where), -1;
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
	int fd0 = 0, fds = 0, i, retries = 0;
	double worst = 0, t, start = now_s();

	if (argc != 2 || cycles <= WARMUP)
		return fprintf(stderr, "usage: teardown GUEST.elf (TEARDOWN_CYCLES > %d)\n", WARMUP), 2;
	struct hv *hv = hv_open(err, sizeof(err));
	if (!hv)
		return result(0, err), 1;
	for (i = 0; i < cycles; i++) {
		int rc = cycle(hv, argv[1], &t, why, sizeof(why));
		if (rc > 0 && retries++ < MAX_RETRIES) {
			printf("teardown: cycle %d: %s: a testbed fault (docs/testbed-failures.md); "
			       "cycle run again\n", i + 1, why), fflush(stdout);
			i--;
			continue;
		}
		if (rc)
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
