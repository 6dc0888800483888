// SPDX-License-Identifier: MIT
// laminad's defined domains: configurations and autostart marks kept under the state directory.
//
// STATEDIR/domains/NAME.xml holds a defined domain's configuration (as
// config_to_xml writes it: absolute paths, every default spelled out), and
// STATEDIR/autostart/NAME marks it for starting when laminad starts.  The
// files are the only record: nothing about defined domains is kept in
// memory, so what is on disk is what `lamina list` shows.  Files are
// written to a temporary name and renamed, so a crash leaves the old or the
// new configuration, never half of one.
#include "laminad.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void statedir_default(char *out, size_t len)
{
	const char *env = getenv("LAMINA_STATE_DIR");
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		snprintf(out, len, "%s", env);
	else if (geteuid() == 0)
		snprintf(out, len, "/var/lib/lamina");
	else if (state && *state)
		snprintf(out, len, "%s/lamina/lib", state);
	else
		snprintf(out, len, "%s/.local/state/lamina/lib", home ? home : "/tmp");
}

int persist_init(struct daemon *dm, char *err, size_t errlen)
{
	char path[PATH_MAX];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dm->statedir, i ? "autostart" : "domains");
		if (mkdir_p(path)) {
			snprintf(err, errlen, "cannot create state directory %s: %s", path,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

// Names become file names: only what <name> allows (no '/', no leading '.').
bool persist_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= DOM_NAME_MAX || !((name[0] >= 'a' && name[0] <= 'z') ||
					  (name[0] >= 'A' && name[0] <= 'Z') ||
					  (name[0] >= '0' && name[0] <= '9')))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static void path_of(const struct daemon *dm, const char *kind, const char *name, char *out,
		    size_t len)
{
	snprintf(out, len, "%s/%s/%s%s", dm->statedir, kind, name,
		 strcmp(kind, "domains") ? "" : ".xml");
}

bool persist_defined(const struct daemon *dm, const char *name)
{
	char path[PATH_MAX];

	path_of(dm, "domains", name, path, sizeof(path));
	return persist_name_ok(name) && access(path, F_OK) == 0;
}

bool persist_autostart(const struct daemon *dm, const char *name)
{
	char path[PATH_MAX];

	path_of(dm, "autostart", name, path, sizeof(path));
	return persist_name_ok(name) && access(path, F_OK) == 0;
}

static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text);
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
		rc = 0;
	if (close(fd) || rc || rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int persist_save(struct daemon *dm, const struct dom_config *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX], *xml = config_to_xml(cfg);
	int rc;

	path_of(dm, "domains", cfg->name, path, sizeof(path));
	rc = xml ? write_atomic(path, xml) : -1;
	if (rc)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	free(xml);
	return rc;
}

int persist_load(struct daemon *dm, const char *name, bool check_files, struct dom_config *cfg,
		 char *err, size_t errlen)
{
	struct config_env env = dm->env;
	struct config_err cerr;
	char path[PATH_MAX];

	env.check_files = check_files;
	env.skip_host_memory = !check_files;
	path_of(dm, "domains", name, path, sizeof(path));
	if (config_load_file(path, &env, cfg, &cerr)) {
		snprintf(err, errlen, "%s", cerr.msg);
		return -1;
	}
	if (strcmp(cfg->name, name)) {
		snprintf(err, errlen, "%s names domain '%s', not '%s'", path, cfg->name, name);
		config_free(cfg);
		return -1;
	}
	return 0;
}

int persist_remove(struct daemon *dm, const char *name)
{
	char path[PATH_MAX];

	path_of(dm, "autostart", name, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		return -1;
	path_of(dm, "domains", name, path, sizeof(path));
	return unlink(path);
}

int persist_set_autostart(struct daemon *dm, const char *name, bool on)
{
	char path[PATH_MAX];
	int fd;

	path_of(dm, "autostart", name, path, sizeof(path));
	if (!on)
		return unlink(path) && errno != ENOENT ? -1 : 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? -1 : close(fd);
}

// Call fn for every defined domain's name, in directory order; the count.
int persist_each(struct daemon *dm, const char *kind,
		 void (*fn)(struct daemon *dm, const char *name, void *arg), void *arg)
{
	char path[PATH_MAX], name[DOM_NAME_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dm->statedir, kind);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		bool xml = !strcmp(kind, "domains");
		if (xml && (len < 5 || strcmp(de->d_name + len - 4, ".xml")))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(xml ? len - 4 : len), de->d_name);
		if (!persist_name_ok(name))
			continue;
		fn(dm, name, arg);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}
