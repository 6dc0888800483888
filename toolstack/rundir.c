// SPDX-License-Identifier: MIT
// Where laminad lives: its socket directory and log directory, and their safety checks.
#include "rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void rundir_locate(struct rundir *r, const char *override)
{
	const char *env = override ? override : getenv("LAMINA_RUN_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		snprintf(r->dir, sizeof(r->dir), "%s", env);
	else if (xdg && *xdg)
		snprintf(r->dir, sizeof(r->dir), "%s/lamina", xdg);
	else
		snprintf(r->dir, sizeof(r->dir), "/run/lamina");
	snprintf(r->sock, sizeof(r->sock), "%s/%s", r->dir, LAMINA_SOCKET_NAME);
}

int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -1 : 0;
}

static int owned_dir(const char *dir, int mode_strict, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st)) {
		snprintf(err, errlen, "socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "socket directory %s is not a directory", dir);
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "socket directory %s is owned by uid %u, not by you "
			 "(uid %u); refusing to use it", dir, st.st_uid, geteuid());
		errno = EPERM;
		return -1;
	}
	if (mode_strict && (st.st_mode & 077)) {
		snprintf(err, errlen, "socket directory %s is open to other users (mode %04o); "
			 "refusing to use it (chmod 700 it)", dir, st.st_mode & 07777);
		errno = EPERM;
		return -1;
	}
	return 0;
}

int rundir_prepare(const char *dir, char *err, size_t errlen)
{
	if (mkdir_p(dir)) {
		snprintf(err, errlen, "cannot create socket directory %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	return owned_dir(dir, 1, err, errlen);
}

int rundir_check(const struct rundir *r, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(r->dir, &st) && errno == ENOENT) {
		snprintf(err, errlen, "laminad is not running (no %s)", r->dir);
		errno = ENOENT;
		return -1;
	}
	if (owned_dir(r->dir, 0, err, errlen))
		return -1;
	if (lstat(r->sock, &st)) {
		snprintf(err, errlen, "laminad is not running (no socket %s)", r->sock);
		errno = ENOENT;
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "socket %s is owned by uid %u, not by you (uid %u); "
			 "refusing to talk to it", r->sock, st.st_uid, geteuid());
		errno = EPERM;
		return -1;
	}
	return 0;
}

void logdir_default(char *out, size_t len)
{
	const char *env = getenv("LAMINA_LOG_DIR");
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		snprintf(out, len, "%s", env);
	else if (geteuid() == 0)
		snprintf(out, len, "/var/log/lamina");
	else if (state && *state)
		snprintf(out, len, "%s/lamina/log", state);
	else
		snprintf(out, len, "%s/.local/state/lamina/log", home ? home : "/tmp");
}
