// SPDX-License-Identifier: MIT
// main.c: lamina-hv: run one or more domains from the command line until they all end.
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lamina/sched.h>
#include "hv.h"

#define MAX_DOMS 8

static const char *usage =
	"usage: lamina-hv [DOMAIN-OPTIONS] KERNEL [[DOMAIN-OPTIONS] KERNEL ...]\n"
	"Runs each KERNEL (an ELF64 Lamina guest or a Linux bzImage) as a domain; options apply to the\n"
	"next KERNEL. Exits when every domain has ended: 0 if all powered off.\n"
	"  -m, --mem MIB        initial memory (default 16)\n"
	"  -M, --maxmem MIB     maximum memory for ballooning (default: --mem)\n"
	"  -c, --vcpus N        vCPUs (default 1)\n"
	"  -a, --cmdline TEXT   guest command line\n"
	"  -i, --initrd FILE    initial ramdisk (Linux bzImage kernels)\n"
	"  -n, --name NAME      domain name (default: kernel file name)\n"
	"  -P, --halt-poll-us N idle vCPUs spin up to N us for an event first, in sched_op block\n"
	"                       and in hlt (KVM's halt polling); default 0: never in block, KVM's\n"
	"                       default in hlt\n"
	"      --tsc-skew-us N  testing: vCPU i's TSC runs i*N us ahead of vCPU 0's (0 to 1000000)\n"
	"  -t, --timeout SECS   destroy all domains after SECS (default 0 = never)\n"
	"  -s, --stats          print hypercalls, and exits to user space by kind with rates, at the end\n"
	"      --stats-marker LINE  testing: after each console line that is exactly LINE, print\n"
	"                       a line \"@HVSTATS dom=ID t_ns=T total=N hypercall=N ...\"\n"
	"  -h, --help           this text\n";

static const char *reason_name(int r)
{
	switch (r) {
	case LAMINA_SHUTDOWN_POWEROFF: return "poweroff";
	case LAMINA_SHUTDOWN_REBOOT:   return "reboot";
	case LAMINA_SHUTDOWN_SUSPEND:  return "suspend";
	case LAMINA_SHUTDOWN_CRASH:    return "crash";
	default:                       return "unknown";
	}
}

static int parse_mib(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > (1ull << 20))
		return -1;
	*out = v << 20;
	return 0;
}

/* A microseconds option (--halt-poll-us, --tsc-skew-us): 0..max. */
static int parse_us(const char *opt, const char *s, long max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s < '0' || *s > '9' || *end || v > max) {
		fprintf(stderr, "lamina-hv: --%s wants 0 to %ld microseconds, not '%s'\n", opt, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* --stats-marker: 1 to MARKER_MAX printable ASCII characters. */
#define MARKER_MAX 64
static int check_marker(const char *s)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n <= MARKER_MAX;

	for (size_t i = 0; ok && i < n; i++)
		ok = s[i] >= 0x20 && s[i] < 0x7f;
	if (!ok)
		fprintf(stderr, "lamina-hv: --stats-marker wants a line of 1 to %d printable "
			"characters, not '%s'\n", MARKER_MAX, s);
	return ok ? 0 : -1;
}

struct opts {
	struct hv_dom_params p[MAX_DOMS];
	int n, timeout, stats;
	const char *marker;     /* --stats-marker, or NULL */
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "mem", 1, 0, 'm' }, { "maxmem", 1, 0, 'M' }, { "vcpus", 1, 0, 'c' },
		{ "cmdline", 1, 0, 'a' }, { "initrd", 1, 0, 'i' }, { "name", 1, 0, 'n' }, { "timeout", 1, 0, 't' },
		{ "halt-poll-us", 1, 0, 'P' }, { "tsc-skew-us", 1, 0, 'K' },
		{ "stats-marker", 1, 0, 'S' },
		{ "stats", 0, 0, 's' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
	struct hv_dom_params cur = { .mem_bytes = 16 << 20, .vcpus = 1, .console_fd = 1 };
	int c;

	while (optind < argc) {
		if ((c = getopt_long(argc, argv, "+m:M:c:a:i:n:t:P:sh", lo, NULL)) == -1) {
			if (o->n == MAX_DOMS) {
				fprintf(stderr, "lamina-hv: at most %d domains\n", MAX_DOMS);
				return -1;
			}
			cur.kernel = argv[optind++];
			if (!cur.name)
				cur.name = basename(strdup(cur.kernel));
			o->p[o->n++] = cur;
			cur = (struct hv_dom_params){ .mem_bytes = 16 << 20, .vcpus = 1, .console_fd = 1 };
			continue;
		}
		switch (c) {
		case 'm': if (parse_mib(optarg, &cur.mem_bytes)) goto bad; break;
		case 'M': if (parse_mib(optarg, &cur.max_bytes)) goto bad; break;
		case 'c': cur.vcpus = atoi(optarg); break;
		case 'a': cur.cmdline = optarg; break;
		case 'i': cur.initrd = optarg; break;
		case 'n': cur.name = optarg; break;
		case 't': o->timeout = atoi(optarg); break;
		case 'P':
			if (parse_us("halt-poll-us", optarg, 100000, &cur.halt_poll_us))
				return -1;
			break;
		case 'K':
			if (parse_us("tsc-skew-us", optarg, 1000000, &cur.tsc_skew_us))
				return -1;
			break;
		case 'S':
			if (check_marker(optarg))
				return -1;
			o->marker = optarg;
			break;
		case 's': o->stats = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -1;
		}
	}
	if (o->n == 0) {
		fprintf(stderr, "lamina-hv: no KERNEL given\n%s", usage);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "lamina-hv: '%s' is not a size in MiB (1..1048576)\n", optarg);
	return -1;
}

static struct domain *doms[MAX_DOMS];
static int ndoms;

static void *watchdog(void *arg)
{
	int secs = *(int *)arg;

	sleep((unsigned)secs);
	for (int i = 0; i < ndoms; i++) {
		char where[512], why[640];
		hv_vcpu_where(doms[i], where, sizeof(where));
		snprintf(why, sizeof(why), "timed out: still running after the --timeout limit (%s)", where);
		hv_kill(doms[i], why);
	}
	return NULL;
}

/* " name=N" for each hypercall made, and " other=N" for the numbers that
 * name none (each answered -ENOSYS). */
static void print_hypercalls(const struct hv_dom_stats *s)
{
	uint64_t unnamed = 0;

	for (unsigned i = 0; i < sizeof(s->hypercalls) / sizeof(s->hypercalls[0]); i++) {
		const char *name = hv_hypercall_name(i);
		if (!name)
			unnamed += s->hypercalls[i];
		else if (s->hypercalls[i])
			printf(" %s=%llu", name, (unsigned long long)s->hypercalls[i]);
	}
	if (unnamed)
		printf(" other=%llu", (unsigned long long)unnamed);
}

/* Two lines: pages and hypercalls by name; then exits to user space by
 * kind, each with its rate since the domain started (docs/man/lamina-hv.1). */
static void print_stats(struct domain *d)
{
	struct hv_dom_stats s;
	char ex[1024];

	hv_stats(d, &s);
	printf("lamina-hv: stats %s: pages %llu/%llu", hv_dom_name(d),
	       (unsigned long long)s.cur_pages, (unsigned long long)s.max_pages);
	print_hypercalls(&s);
	hv_exits_format(ex, sizeof(ex), s.user_exits, s.run_ns);
	printf("\nlamina-hv: exits %s: %.3f s %s\n", hv_dom_name(d), (double)s.run_ns / 1e9, ex);
}

int main(int argc, char **argv)
{
	static struct opts o;
	char err[256];
	int rc = 0;

	if (parse(argc, argv, &o) < 0)
		return 2;
	struct hv *hv = hv_open(err, sizeof(err));
	if (!hv) {
		fprintf(stderr, "lamina-hv: %s\n", err);
		return 1;
	}
	for (int i = 0; i < o.n; i++) {
		if (o.n > 1)
			o.p[i].console_prefix = o.p[i].name;
		if (o.marker) {
			o.p[i].console_line = hv_exits_on_marker;
			o.p[i].console_line_ctx = (void *)o.marker;
		}
		if (!(doms[i] = hv_create(hv, &o.p[i], err, sizeof(err)))) {
			fprintf(stderr, "lamina-hv: %s: %s\n", o.p[i].kernel, err);
			hv_close(hv);
			return 1;
		}
		ndoms++;
	}
	for (int i = 0; i < ndoms; i++)
		if (hv_start(doms[i]) < 0) {
			fprintf(stderr, "lamina-hv: cannot start %s\n", hv_dom_name(doms[i]));
			hv_kill(doms[i], "could not start its vCPUs");
		}
	pthread_t wd;
	if (o.timeout > 0)
		pthread_create(&wd, NULL, watchdog, &o.timeout);
	for (int i = 0; i < ndoms; i++) {
		int r = hv_wait(doms[i]);
		const char *why = hv_crash_reason(doms[i]);
		fflush(stdout);
		fprintf(stderr, "lamina-hv: domain %d (%s) ended: %s%s%s\n", hv_dom_id(doms[i]),
			hv_dom_name(doms[i]), reason_name(r), *why ? ": " : "", why);
		if (r != LAMINA_SHUTDOWN_POWEROFF || *why)
			rc = 3;
	}
	if (o.stats)
		for (int i = 0; i < ndoms; i++)
			print_stats(doms[i]);
	fflush(stdout);
	hv_close(hv);
	return rc;
}
