// SPDX-License-Identifier: MIT
// Where laminad lives: its socket directory and log directory, and their safety checks.
#ifndef LAMINA_RUNDIR_H
#define LAMINA_RUNDIR_H

#include <limits.h>
#include <stddef.h>

#define LAMINA_SOCKET_NAME "laminad.sock"

struct rundir {
	char dir[PATH_MAX - 32]; // $LAMINA_RUN_DIR, $XDG_RUNTIME_DIR/lamina or /run/lamina
	char sock[PATH_MAX]; // dir/laminad.sock
};

// Fill `r` from the environment (LAMINA_RUN_DIR overrides everything).
void rundir_locate(struct rundir *r, const char *override);
// Daemon side: create dir (0700) if needed; refuse it if it is not a real
// directory of ours closed to others.  0, or -1 with a message in err.
int rundir_prepare(const char *dir, char *err, size_t errlen);
// Client side: may we talk to the socket in `r`?  0; -1 with err and
// errno ENOENT when there is no daemon, EPERM when the directory or the
// socket belongs to someone else.
int rundir_check(const struct rundir *r, char *err, size_t errlen);
// Default per-domain log directory: $LAMINA_LOG_DIR, /var/log/lamina for
// root, else $XDG_STATE_HOME/lamina/log or ~/.local/state/lamina/log.
void logdir_default(char *out, size_t len);
// mkdir -p with mode 0700 for the parts it creates; 0 or -1 (errno).
int mkdir_p(const char *path);

#endif
