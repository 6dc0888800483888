// SPDX-License-Identifier: MIT
// laminad's network definitions: STATEDIR/networks/NAME.xml and autostart marks, and the run directory's paths.
#include "net.h"
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	char def[PATH_MAX - 64]; // STATEDIR/networks
	char run[PATH_MAX - 64]; // RUNDIR/networks
	char log[PATH_MAX - 64]; // LOGDIR
} dirs;

int net_init(const char *statedir, const char *rundir, const char *logdir, char *err,
	     size_t errlen)
{
	char auto_dir[PATH_MAX];

	snprintf(dirs.def, sizeof(dirs.def), "%s/networks", statedir);
	snprintf(dirs.run, sizeof(dirs.run), "%s/networks", rundir);
	snprintf(dirs.log, sizeof(dirs.log), "%s", logdir);
	snprintf(auto_dir, sizeof(auto_dir), "%s/autostart", dirs.def);
	if (mkdir_p(auto_dir) == 0 && mkdir_p(dirs.run) == 0)
		return 0;
	snprintf(err, errlen, "cannot create %s or %s: %s", auto_dir, dirs.run, strerror(errno));
	return -1;
}

const char *net_run_dir(void)
{
	return dirs.run;
}

const char *net_log_dir(void)
{
	return dirs.log;
}

void net_path(const char *name, const char *ext, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.%s", dirs.run, name, ext);
}

static void def_path(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.xml", dirs.def, name);
}

static void mark_path(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/autostart/%s", dirs.def, name);
}

bool net_defined(const char *name)
{
	char path[PATH_MAX];

	def_path(name, path, sizeof(path));
	return net_name_ok(name) && access(path, F_OK) == 0;
}

bool net_autostart_marked(const char *name)
{
	char path[PATH_MAX];

	mark_path(name, path, sizeof(path));
	return net_name_ok(name) && access(path, F_OK) == 0;
}

int net_def_load(const char *name, struct net_config *nc, char *err, size_t errlen)
{
	struct config_err cerr;
	char path[PATH_MAX];

	def_path(name, path, sizeof(path));
	if (net_config_load_file(path, nc, &cerr)) {
		snprintf(err, errlen, "%s", cerr.msg);
		return -1;
	}
	if (strcmp(nc->name, name)) {
		snprintf(err, errlen, "%s names network '%s', not '%s'", path, nc->name, name);
		return -1;
	}
	return 0;
}

int net_def_save(const struct net_config *nc, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], *xml = net_config_to_xml(nc);
	size_t len = xml ? strlen(xml) : 0;
	int fd = -1, rc = -1;

	def_path(nc->name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (xml && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0 &&
	    write(fd, xml, len) == (ssize_t)len && fsync(fd) == 0)
		rc = 0;
	if (fd >= 0 && close(fd))
		rc = -1;
	if (rc == 0 && rename(tmp, path))
		rc = -1;
	if (rc) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(xml);
	return rc;
}

int net_def_remove(const char *name)
{
	char path[PATH_MAX];

	if (net_set_autostart(name, false))
		return -1;
	def_path(name, path, sizeof(path));
	return unlink(path);
}

int net_set_autostart(const char *name, bool on)
{
	char path[PATH_MAX];
	int fd;

	mark_path(name, path, sizeof(path));
	if (!on)
		return unlink(path) && errno != ENOENT ? -1 : 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? -1 : close(fd);
}

void net_each_defined(bool autostart, void (*fn)(const char *name, void *arg), void *arg)
{
	char path[PATH_MAX], name[NET_NAME_MAX + 8];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s", dirs.def, autostart ? "/autostart" : "");
	d = opendir(path);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (!autostart && (len < 5 || strcmp(de->d_name + len - 4, ".xml")))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(autostart ? len : len - 4), de->d_name);
		if (net_name_ok(name))
			fn(name, arg);
	}
	if (d)
		closedir(d);
}
