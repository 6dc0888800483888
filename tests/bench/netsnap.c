// SPDX-License-Identifier: MIT
// netsnap.c: one line of host-side counters for the net and blk benchmarks: CPU time of the VM processes and back-ends, the whole host's, and KVM's exit counters of their VMs.
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kvmstats.h"

/*
 * usage: netsnap [-C PARENT]... PID...
 * Prints one line:
 *   t_ns=T hz=H cpu_ticks=C procs=N sys_busy=B sys_total=A kvm_vms=V kvm_<counter>=X ...
 * cpu_ticks: user + system time (clock ticks of H per second) of each PID's
 * whole thread group (its vCPU threads, I/O threads and, for vhost-net,
 * the vhost workers, which are threads of QEMU's group since Linux 6.4),
 * plus each direct child of every PARENT (-C: lamina-hvd's console
 * back-ends); guest time is part of user time. sys_busy and sys_total:
 * the whole host's non-idle and total ticks from /proc/stat. kvm_*: KVM's
 * debugfs counters (kvmstats.c) of every VM the PIDs created, summed.
 */
#define MAX_PIDS 64
#define MAX_KV 160

struct kv {
	char name[48];
	unsigned long long v;
};

static struct kv sums[MAX_KV];
static int nsums;

static void add_kv(const char *name, unsigned long long v)
{
	int i = 0;

	while (i < nsums && strcmp(sums[i].name, name))
		i++;
	if (i == nsums) {
		if (nsums == MAX_KV || strlen(name) >= sizeof(sums[i].name))
			return;
		snprintf(sums[i].name, sizeof(sums[i].name), "%s", name);
		sums[i].v = 0;
		nsums++;
	}
	sums[i].v += v;
}

// utime + stime of a thread group from /proc/PID/stat; -1 if it is gone.
static long long proc_ticks(long pid, long *ppid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long pp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	// the command name may hold spaces and brackets: fields start after the last ')'
	if (!(p = strrchr(buf, ')')))
		return -1;
	// fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	if (sscanf(p + 1, " %*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &pp, &ut, &st) != 3)
		return -1;
	if (ppid)
		*ppid = pp;
	return (long long)(ut + st);
}

static long long children_ticks(long parent, int *procs)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long long sum = 0, t;
	long pp;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		long pid = strtol(e->d_name, NULL, 10);
		if (pid <= 0)
			continue;
		if ((t = proc_ticks(pid, &pp)) >= 0 && pp == parent) {
			sum += t;
			(*procs)++;
		}
	}
	closedir(d);
	return sum;
}

static void sys_ticks(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	*busy = *total = 0;
	if (!f)
		return;
	// cpu user nice system idle iowait irq softirq steal guest guest_nice;
	// guest time is already inside user, so the first eight make the total
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) >= 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*busy = *total - v[3] - v[4];
	}
	fclose(f);
}

// Add the "name=value" words of one @KVMSTATS line to the sums.
static void add_kvm(long pid)
{
	static char line[8192];
	char *save = NULL, *w;

	if (kvm_stats_line(pid, line, sizeof(line)) <= 0 || strstr(line, "unavailable"))
		return;
	for (w = strtok_r(line, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(w, '=');
		if (!eq)
			continue;
		*eq = 0;
		add_kv(w, strtoull(eq + 1, NULL, 10));
	}
}

int main(int argc, char **argv)
{
	long parents[MAX_PIDS];
	int np = 0, procs = 0, o;
	long long cpu = 0, t;
	unsigned long long busy, total;
	struct timespec ts;

	while ((o = getopt(argc, argv, "C:")) != -1) {
		if (o != 'C' || np == MAX_PIDS) {
			fprintf(stderr, "usage: netsnap [-C PARENT]... PID...\n");
			return 2;
		}
		parents[np++] = strtol(optarg, NULL, 10);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int i = optind; i < argc; i++) {
		long pid = strtol(argv[i], NULL, 10);
		if (pid <= 0 || (t = proc_ticks(pid, NULL)) < 0)
			continue;
		cpu += t;
		procs++;
		add_kvm(pid);
	}
	for (int i = 0; i < np; i++)
		cpu += children_ticks(parents[i], &procs);
	sys_ticks(&busy, &total);
	printf("t_ns=%lld hz=%ld cpu_ticks=%lld procs=%d sys_busy=%llu sys_total=%llu",
	       (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec, sysconf(_SC_CLK_TCK), cpu, procs,
	       busy, total);
	for (int i = 0; i < nsums; i++)
		printf(" kvm_%s=%llu", sums[i].name, sums[i].v);
	printf("\n");
	return 0;
}
