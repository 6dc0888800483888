// SPDX-License-Identifier: MIT
// laminad's back-end pidfiles, and adopting running back-ends after laminad restarts.
//
// RUNDIR/backends/DOMID.TYPE.DEVID.pid holds "PID START": the process and
// its start time (clock ticks after boot, /proc/PID/stat field 22), so a
// pid reused by another process is never taken for the back-end.
#include "devices.h"
#include "laminad.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void pidfile_path(const struct daemon *dm, unsigned domid, const struct dev_proc *p,
			 char *out, size_t len)
{
	snprintf(out, len, "%s/backends/%u.%s.%u.pid", dm->rd.dir, domid, p->kind->type, p->devid);
}

int dev_pidfile_write(const struct daemon *dm, const struct domain *d, const struct dev_proc *p)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/backends", dm->rd.dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -1;
	pidfile_path(dm, d->id, p, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	rc = dprintf(fd, "%d %llu\n", (int)p->pid, dev_pid_start(p->pid)) < 0;
	rc |= close(fd);
	return rc || rename(tmp, path) ? -1 : 0;
}

void dev_pidfile_remove(const struct daemon *dm, const struct domain *d, const struct dev_proc *p)
{
	char path[PATH_MAX];

	pidfile_path(dm, d->id, p, path, sizeof(path));
	unlink(path);
}

unsigned long long dev_pid_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')'); // the name may hold spaces and parentheses
	if (!p || p[1] != ' ' || p[2] == 'Z') // gone, or a zombie
		return 0;
	p += 2; // field 3, the state
	for (int f = 3; f < 22 && p; f++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

bool dev_pid_matches(pid_t pid, unsigned long long start, const char *exe)
{
	char path[64], cmd[PATH_MAX];
	ssize_t n;
	int fd;

	if (pid <= 0 || !start || dev_pid_start(pid) != start)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	cmd[n > 0 ? n : 0] = 0; // argv[0] ends at its NUL
	if (n <= 0)
		return false;
	if (!strcmp(basename(cmd), exe))
		return true;
	// A script: its interpreter is argv[0], the script argv[1].
	size_t a0 = strlen(cmd);
	return (ssize_t)a0 + 1 < n && !strcmp(basename(cmd + a0 + 1), exe);
}

// Take over p's process from its pidfile: true if it runs.
static bool adopt_one(struct daemon *dm, struct domain *d, struct dev_proc *p)
{
	char path[PATH_MAX];
	unsigned long long start = 0;
	int pid = 0;
	FILE *f;

	pidfile_path(dm, d->id, p, path, sizeof(path));
	if (!(f = fopen(path, "re")))
		return false;
	if (fscanf(f, "%d %llu", &pid, &start) != 2)
		pid = 0;
	fclose(f);
	if (!dev_pid_matches(pid, start, p->kind->exe) || (p->pidfd = dev_pidfd_open(pid)) < 0) {
		unlink(path);
		return false;
	}
	p->pid = pid;
	p->child = false;
	p->state = DEV_RUNNING;
	p->started_ms = dev_now_ms();
	dev_watch(dm, p);
	domlog(d, "%s %s: adopted its running back-end %s, pid %d", p->kind->what, p->key,
	       p->kind->exe, pid);
	return true;
}

void dev_adopt_all(struct daemon *dm, struct domain *d)
{
	char err[512];

	if (!dm->bk_socket[0])
		return;
	for (size_t k = 0; dev_kinds[k]; k++)
		for (size_t i = 0; i < dev_kinds[k]->count(&d->cfg); i++) {
			struct dev_proc *p = dev_new_proc(d, dev_kinds[k], i, err, sizeof(err));
			if (!p) {
				domlog(d, "%s", err);
				continue;
			}
			if (adopt_one(dm, d, p))
				continue;
			domlog(d, "%s %s: its back-end ended while laminad was away", p->kind->what,
			       p->key);
			if (dev_spawn(dm, d, p, i, err, sizeof(err)))
				dev_died(d, p, err);
		}
}

void dev_pidfiles_prune(struct daemon *dm)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *e;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/backends", dm->rd.dir);
	if (!(dp = opendir(dir)))
		return;
	while ((e = readdir(dp))) {
		char id[16];
		if (e->d_name[0] == '.' || sscanf(e->d_name, "%15[0-9].", id) != 1)
			continue;
		if (reg_find(&dm->reg, id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(dp);
}
