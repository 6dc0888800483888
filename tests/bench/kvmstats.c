// SPDX-License-Identifier: MIT
// kvmstats.c: one line of a process's KVM counters (VM exits by reason and more) from KVM's debugfs files.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "kvmstats.h"

/*
 * KVM keeps one debugfs directory per VM, "PID-FD" under /sys/kernel/debug/kvm,
 * PID being the task that created the VM. Each file there holding one
 * number is a counter: the VM's own, or a vCPU one summed over the VM's
 * vCPUs (exits, io_exits, halt_exits, hypercalls, ...). The same files
 * exist for any VMM's VMs, QEMU's and Lamina's alike.
 */
#define KVM_DIR "/sys/kernel/debug/kvm"
#define MAX_STATS 160

struct stat_sum {
	char name[48];
	unsigned long long v;
};

/* The thread group of task tid (tid itself if /proc says nothing). */
static long tgid_of(long tid)
{
	char path[64], line[128];
	long tg = tid;

	snprintf(path, sizeof(path), "/proc/%ld/status", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return tid;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tg) == 1)
			break;
	fclose(f);
	return tg;
}

/* Add the one-number file dir/name to sums (files that are not one
 * number, histograms for example, are left out). */
static void add_file(const char *dir, const char *name, struct stat_sum *s, int *n)
{
	char path[600], buf[64], *end;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "r")))
		return;
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || strchr(end + (*end != 0), '\n'))
		return;
	int i = 0;
	while (i < *n && strcmp(s[i].name, name))
		i++;
	if (i == *n) {
		if (*n == MAX_STATS || strlen(name) >= sizeof(s[i].name))
			return;
		snprintf(s[i].name, sizeof(s[i].name), "%s", name);
		s[i].v = 0;
		(*n)++;
	}
	s[i].v += v;
}

static void add_vm(const char *vmdir, struct stat_sum *s, int *n)
{
	DIR *d = opendir(vmdir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_REG)
			add_file(vmdir, e->d_name, s, n);
	closedir(d);
}

/* Mount debugfs if it is not there (as root, in the testbed). */
static int open_kvm_dir(DIR **d)
{
	if ((*d = opendir(KVM_DIR)))
		return 0;
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	*d = opendir(KVM_DIR);
	return *d ? 0 : -errno;
}

int kvm_stats_line(long pid, char *buf, size_t len)
{
	static struct stat_sum s[MAX_STATS];
	int n = 0, vms = 0, o;
	DIR *d;
	struct dirent *e;

	if ((o = open_kvm_dir(&d)) < 0)
		return snprintf(buf, len, "@KVMSTATS unavailable: %s: %s\n", KVM_DIR, strerror(-o));
	while ((e = readdir(d))) {
		long tid = strtol(e->d_name, NULL, 10);
		char vmdir[300];
		if (tid <= 0 || !strchr(e->d_name, '-') || tgid_of(tid) != pid)
			continue;
		snprintf(vmdir, sizeof(vmdir), "%s/%s", KVM_DIR, e->d_name);
		add_vm(vmdir, s, &n);
		vms++;
	}
	closedir(d);
	o = snprintf(buf, len, "@KVMSTATS vms=%d", vms);
	for (int i = 0; i < n && o > 0 && (size_t)o < len; i++)
		o += snprintf(buf + o, len - (size_t)o, " %s=%llu", s[i].name, s[i].v);
	if (o > 0 && (size_t)o < len - 1)
		o += snprintf(buf + o, len - (size_t)o, "\n");
	return o;
}
