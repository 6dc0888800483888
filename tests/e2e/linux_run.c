// SPDX-License-Identifier: MIT
// linux_run.c: e2e harness: run the Linux guest on libhv, timestamp its console lines, and answer "@host" requests.
//
// usage: linux_run [options] BZIMAGE
//   -m MIB, -M MAXMIB, -c VCPUS, -a CMDLINE, -i INITRD, -t TIMEOUT_S
//   -s SCRIPT      run SCRIPT in the guest instead of its shell (/lamina/run.sh)
//   -T SCRIPT      put SCRIPT in the guest as /lamina/test.sh (for -e)
//   -x FILE        put FILE in the guest as /lamina/<its name>, executable
//                  (up to 4 of them; e.g. a static test program)
// The scripts reach the guest in a small cpio archive appended to INITRD.
//   -r SCRIPT      on a reboot, start the domain again once, running SCRIPT
//   -e TEXT        type TEXT and a newline once the shell is up (its banner
//                  line, or a prompt ending in "# ": the console passes on
//                  whole lines only, so a prompt may arrive late)
// Every console line is printed as "H <host seconds> | <line>". A guest line
// "@host rss" is answered "HOST rss <VmRSS kB> <RssShmem kB> <pages>", and
// "@host target <KiB>" sets the balloon target (memory/target in the
// store), "@host suspend" asks the guest to save itself (control/shutdown
// = "suspend" in the store). At the end: "HOST stats device_io=N hypercalls=N", the
// hypervisor's log lines about port I/O, and the last line, "END
// <poweroff|reboot|suspend|crash>[: why]".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hv.h"
#include <lamina/sched.h>

static double host_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Append a newc cpio entry (a directory if data is NULL) to f. */
static void cpio_entry(FILE *f, const char *name, const char *data, size_t len, unsigned mode)
{
	static unsigned ino = 1;
	size_t nlen = strlen(name) + 1;

	fprintf(f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino++, mode, 0,
		0, 1, 0, len, 0, 0, 0, 0, nlen, 0);
	fwrite(name, 1, nlen, f);
	for (size_t pad = (110 + nlen) % 4; pad && pad < 4; pad++)
		fputc(0, f);
	if (len)
		fwrite(data, 1, len, f);
	for (size_t pad = len % 4; pad && pad < 4; pad++)
		fputc(0, f);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 20];

	if (!f) {
		perror(path);
		exit(2);
	}
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	char *copy = malloc(*len + 1);
	memcpy(copy, buf, *len);
	return copy;
}

/* INITRD plus an archive with /lamina/{run,test}.sh, in a temporary file. */
#define MAX_EXTRA 4
static const char *extra[MAX_EXTRA];   /* -x files */
static int nextra;

/* Each -x file as /lamina/<its base name>. */
static void add_extras(FILE *out)
{
	for (int i = 0; i < nextra; i++) {
		const char *base = strrchr(extra[i], '/') ? strrchr(extra[i], '/') + 1 : extra[i];
		char name[256];
		size_t len;
		char *d = slurp(extra[i], &len);
		snprintf(name, sizeof(name), "lamina/%s", base);
		cpio_entry(out, name, d, len, 0100755);
		free(d);
	}
}

static const char *initrd_with_scripts(const char *initrd, const char *run, const char *test)
{
	static char path[64];
	char buf[1 << 16];
	size_t n, len, total = 0;

	snprintf(path, sizeof(path), "/tmp/linux_run.%d.cpio", (int)getpid());
	FILE *out = fopen(path, "wb"), *in = initrd ? fopen(initrd, "rb") : NULL;
	if (!out || (initrd && !in)) {
		perror(initrd ? initrd : path);
		exit(2);
	}
	while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, out);
		total += n;
	}
	if (in)
		fclose(in);
	for (; total % 4; total++)
		fputc(0, out);
	cpio_entry(out, "lamina", NULL, 0, 040755);
	if (run) {
		char *d = slurp(run, &len);
		cpio_entry(out, "lamina/run.sh", d, len, 0100755);
	}
	if (test) {
		char *d = slurp(test, &len);
		cpio_entry(out, "lamina/test.sh", d, len, 0100755);
	}
	add_extras(out);
	cpio_entry(out, "TRAILER!!!", NULL, 0, 0);
	fclose(out);
	return path;
}

static long status_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

static const char *reason_name(int r)
{
	switch (r) {
	case LAMINA_SHUTDOWN_POWEROFF: return "poweroff";
	case LAMINA_SHUTDOWN_REBOOT: return "reboot";
	case LAMINA_SHUTDOWN_SUSPEND: return "suspend";
	default: return "crash";
	}
}

static struct hv *hv_of_run;
static const char *type_at_prompt;
static bool shell_up;
static char log_path[64];

static void on_line(struct domain *d, const char *line)
{
	printf("H %.6f | %s\n", host_now(), line);
	if (strstr(line, "Enter 'help' for a list of built-in commands"))
		shell_up = true;
	const char *at = strstr(line, "@host ");
	if (!at)
		return;
	at += 6;
	if (!strncmp(at, "rss", 3)) {
		struct hv_dom_stats s;
		hv_stats(d, &s);
		printf("HOST rss %ld %ld %llu\n", status_kb("VmRSS:"), status_kb("RssShmem:"),
		       (unsigned long long)s.cur_pages);
	} else if (!strncmp(at, "suspend", 7)) {
		char path[64];
		snprintf(path, sizeof(path), "/local/domain/%d/control/shutdown", hv_dom_id(d));
		printf("HOST suspend request -> %d\n", hv_store_write(hv_of_run, path, "suspend"));
	} else if (!strncmp(at, "target ", 7)) {
		int rc = hv_set_mem_target(d, strtoull(at + 7, NULL, 10));
		printf("HOST target %s -> %d\n", at + 7, rc);
	}
	fflush(stdout);
}

/* Run one boot; returns the shutdown reason. */
static int run(struct hv *hv, struct hv_dom_params *p, int timeout)
{
	char err[256], buf[4096], line[8192];
	size_t ll = 0;
	int fds[2], esc = 0;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	p->console_fd = fds[1];
	struct domain *d = hv_create(hv, p, err, sizeof(err));
	if (!d) {
		printf("END crash: cannot create the domain: %s\n", err);
		return -1;
	}
	if (hv_start(d) < 0) {
		printf("END crash: cannot start the domain\n");
		return -1;
	}
	double deadline = host_now() + timeout;
	bool done = false;
	int reason = -1;
	while (!done) {
		struct pollfd pf = { .fd = fds[0], .events = POLLIN };
		int n = poll(&pf, 1, 200);
		if (n > 0) {
			ssize_t r = read(fds[0], buf, sizeof(buf));
			for (ssize_t i = 0; i < r; i++) {
				/* drop terminal escape sequences (the shell asks where the cursor is) */
				if (esc == 1) {
					esc = buf[i] == '[' ? 2 : 0;
					continue;
				}
				if (esc == 2) {
					esc = (buf[i] >= 0x40 && buf[i] <= 0x7e) ? 0 : 2;
					continue;
				}
				if (buf[i] == 0x1b) {
					esc = 1;
					continue;
				}
				if (buf[i] == '\n' || ll == sizeof(line) - 1) {
					line[ll] = 0;
					on_line(d, line);
					ll = 0;
				} else if (buf[i] != '\r') {
					line[ll++] = buf[i];
				}
			}
			if (type_at_prompt && (shell_up || (ll >= 2 && !memcmp(line + ll - 2, "# ", 2)))) {
				line[ll] = 0;
				printf("H %.6f | %s\nHOST typing: %s\n", host_now(), line, type_at_prompt);
				hv_console_input(d, type_at_prompt, strlen(type_at_prompt));
				hv_console_input(d, "\n", 1);
				type_at_prompt = NULL;
				ll = 0;
			}
			continue;
		}
		struct hv_dom_stats s;
		hv_stats(d, &s);
		if (s.state == HV_DOM_SHUTDOWN || s.state == HV_DOM_CRASHED) {
			reason = s.reason;
			done = true;
		} else if (host_now() > deadline) {
			char where[512], why[640];
			hv_vcpu_where(d, where, sizeof(where));
			snprintf(why, sizeof(why), "timed out (%s)", where);
			hv_kill(d, why);
		}
	}
	if (ll) {
		line[ll] = 0;
		on_line(d, line);
	}
	struct hv_dom_stats st;
	uint64_t hc = 0;
	hv_stats(d, &st);
	for (int i = 0; i < 64; i++)
		hc += st.hypercalls[i];
	printf("HOST stats device_io=%llu hypercalls=%llu pages=%llu\n",
	       (unsigned long long)st.device_io_exits, (unsigned long long)hc,
	       (unsigned long long)st.cur_pages);
	FILE *lf = fopen(log_path, "r");
	char lbuf[512];
	while (lf && fgets(lbuf, sizeof(lbuf), lf))
		if (strstr(lbuf, "I/O port"))
			printf("HOST log: %s", lbuf);
	if (lf)
		fclose(lf);
	const char *why = hv_crash_reason(d);
	printf("END %s%s%s\n", reason_name(reason), *why ? ": " : "", why);
	fflush(stdout);
	hv_destroy(d);
	close(fds[0]);
	close(fds[1]);
	return reason;
}

int main(int argc, char **argv)
{
	struct hv_dom_params p = { .name = "linux", .mem_bytes = 256ull << 20, .vcpus = 1,
				   .console_fd = -1 };
	const char *cmdline = "console=hvc0", *script = NULL, *again = NULL, *test = NULL;
	int timeout = 120, c;
	char err[256];

	while ((c = getopt(argc, argv, "m:M:c:a:i:t:s:r:e:T:x:")) != -1) {
		switch (c) {
		case 'm': p.mem_bytes = strtoull(optarg, NULL, 10) << 20; break;
		case 'M': p.max_bytes = strtoull(optarg, NULL, 10) << 20; break;
		case 'c': p.vcpus = atoi(optarg); break;
		case 'a': cmdline = optarg; break;
		case 'i': p.initrd = optarg; break;
		case 't': timeout = atoi(optarg); break;
		case 's': script = optarg; break;
		case 'r': again = optarg; break;
		case 'e': type_at_prompt = optarg; break;
		case 'T': test = optarg; break;
		case 'x':
			if (nextra == MAX_EXTRA) {
				fprintf(stderr, "linux_run: at most %d -x files\n", MAX_EXTRA);
				return 2;
			}
			extra[nextra++] = optarg;
			break;
		default: fprintf(stderr, "linux_run: see the usage at the top of linux_run.c\n"); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "linux_run: one BZIMAGE expected\n");
		return 2;
	}
	p.kernel = argv[optind];
	snprintf(log_path, sizeof(log_path), "/tmp/linux_run.%d.log", (int)getpid());
	unlink(log_path);
	p.log_path = log_path;
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct hv *hv = hv_of_run = hv_open(err, sizeof(err));
	if (!hv) {
		printf("END crash: %s\n", err);
		return 1;
	}
	const char *initrd = p.initrd;
	p.cmdline = cmdline;
	if (script || test || nextra)
		p.initrd = initrd_with_scripts(initrd, script, test);
	int r = run(hv, &p, timeout);
	if (r == LAMINA_SHUTDOWN_REBOOT && again) {
		printf("HOST restarting after reboot\n");
		p.initrd = initrd_with_scripts(initrd, again, NULL);
		r = run(hv, &p, timeout);
	}
	if (p.initrd != initrd)
		unlink(p.initrd);
	hv_close(hv);
	return r < 0 ? 1 : 0;
}
