// SPDX-License-Identifier: MIT
// balloon_rss.c: e2e test: ballooning half of a domain out must return >= 90% of it to the host (RSS).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hv.h"

#define MEM_MIB 64

/* Resident memory of this process in KiB: anonymous + shared (guest RAM is a memfd). */
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

static void result(int ok, const char *name, const char *why)
{
	printf("RESULT %s e2e/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : why);
}

int main(int argc, char **argv)
{
	char err[200], line[256], why[256];
	long rss[3] = { 0 }, pages[3] = { 0 };
	int p[2], n = 0;

	if (argc != 2 || pipe(p) < 0)
		return 2;
	struct hv *hv = hv_open(err, sizeof(err));
	struct hv_dom_params prm = { .name = "balloon", .kernel = argv[1], .vcpus = 1,
		.mem_bytes = MEM_MIB << 20, .console_fd = p[1] };
	struct domain *d = hv ? hv_create(hv, &prm, err, sizeof(err)) : NULL;
	if (!d || hv_start(d) < 0) {
		snprintf(why, sizeof(why), "cannot start the guest: %s", err);
		result(0, "balloon-rss", why);
		return 1;
	}
	FILE *con = fdopen(p[0], "r");
	while (n < 3 && fgets(line, sizeof(line), con)) {
		char name[32];
		if (sscanf(line, "PHASE %31s %ld", name, &pages[n]) != 2) {
			fputs(line, stdout);
			continue;
		}
		rss[n] = rss_kib();
		printf("balloon-rss: %s: %ld guest pages, hypervisor RSS %ld KiB\n", name, pages[n], rss[n]);
		fflush(stdout);
		hv_console_input(d, "g", 1);
		n++;
	}
	int reason = hv_wait(d);
	hv_close(hv);
	long want = (pages[0] - pages[1]) * 4 * 9 / 10, fell = rss[0] - rss[1];
	snprintf(why, sizeof(why), "ballooned %ld KiB out, RSS fell by %ld KiB (want >= %ld)",
		 (pages[0] - pages[1]) * 4, fell, want);
	result(n == 3 && pages[1] < pages[0] && fell >= want, "balloon-rss-down", why);
	snprintf(why, sizeof(why), "after repopulating: %ld pages (want %ld), RSS %ld KiB (was %ld)",
		 pages[2], pages[0], rss[2], rss[1]);
	result(n == 3 && pages[2] == pages[0] && rss[2] - rss[1] >= want, "balloon-rss-up", why);
	result(reason == 0, "balloon-guest-verdict", "the balloon guest did not power off cleanly");
	return 0;
}
