// SPDX-License-Identifier: MIT
// conhost_spawn.c: starting, setting up, reaping and restarting one domain's lamina-console process.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "conhost_int.h"
#include "console.h"
#include "hv_int.h"

extern char **environ;

static char bin[PATH_MAX];
static pthread_once_t bin_once = PTHREAD_ONCE_INIT;

/* Beside this program (installed), or where the build tree puts it
 * (build/hypervisor/lamina-hv, build/hypervisor/hvd/lamina-hvd, build/e2e/...). */
static void find_binary(void)
{
	static const char *const rel[] = { "", "/../pvdrivers/console", "/../../pvdrivers/console" };
	const char *env = getenv("LAMINA_CONSOLE");
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	snprintf(bin, sizeof(bin), "%s", env && *env ? env : "lamina-console");
	if ((env && *env) || n <= 0)
		return;
	self[n] = 0;
	const char *dir = dirname(self);
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char p[PATH_MAX];
		if (snprintf(p, sizeof(p), "%s%s/lamina-console", dir, rel[i]) < (int)sizeof(p) &&
		    access(p, X_OK) == 0) {
			snprintf(bin, sizeof(bin), "%s", p);
			return;
		}
	}
}

const char *conhost_binary(void)
{
	pthread_once(&bin_once, find_binary);
	return bin;
}

int conhost_send(struct conhost *h, uint32_t type, const void *data, uint32_t len)
{
	struct conlink_hdr hd = { .type = type, .len = len };
	struct iovec iov[2] = { { &hd, sizeof(hd) }, { (void *)data, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (h->sock < 0)
		return -ENOTCONN;
	ssize_t n = sendmsg(h->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == (ssize_t)(sizeof(hd) + len) ? 0 : -EIO;
}

/* CL_SETUP with the ring's memfd, the doorbell and the kick eventfd. */
static int send_setup(struct conhost *h)
{
	struct { struct conlink_hdr h; struct conlink_setup s; } m = {
		{ CL_SETUP, sizeof(struct conlink_setup) }, { (uint32_t)h->d->id, h->port } };
	int fds[3] = { h->d->console_page_fd, h->efd, h->kick };
	union { struct cmsghdr c; char buf[CMSG_SPACE(sizeof(fds))]; } ctl;
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	memset(ctl.buf, 0, sizeof(ctl.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	return sendmsg(h->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : -errno;
}

/* posix_spawn: the link as CONLINK_FD, /dev/null as stdin and stdout (the
 * console's own output goes through us), stderr shared. */
static int spawn(struct conhost *h, int link, pid_t *pid)
{
	char id[16], *argv[] = { "lamina-console", "--domain", id, NULL };
	posix_spawn_file_actions_t fa;
	int rc;

	snprintf(id, sizeof(id), "%d", h->d->id);
	if ((rc = posix_spawn_file_actions_init(&fa)))
		return rc;
	rc = posix_spawn_file_actions_adddup2(&fa, link, CONLINK_FD);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!rc)
		rc = posix_spawnp(pid, conhost_binary(), &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static void plan_restart(struct conhost *h, int ms)
{
	h->respawn_ns = hv_now_ns() + ms * 1000000ll;
}

int conhost_start(struct conhost *h)
{
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = errno;
	} else {
		rc = spawn(h, sv[1], &h->pid);
		close(sv[1]);
		if (rc)
			close(sv[0]);
	}
	if (rc) {
		if (!h->said_spawn_failed)
			dom_log(h->d, "lamina: console: cannot start %s: %s; the console ring is not "
				"served until it can (trying every %d ms)", conhost_binary(), strerror(rc),
				CONHOST_BACKOFF_MAX_MS);
		h->said_spawn_failed = true;
		h->pid = 0;
		plan_restart(h, CONHOST_BACKOFF_MAX_MS);
		return -1;
	}
	h->sock = sv[0];
	h->done = false;
	h->log_lines = 0;
	if (h->started_ns)
		h->restarts++;
	h->started_ns = hv_now_ns();
	if (send_setup(h) < 0) {
		conhost_lost(h, "could not be given its ring");
		return -1;
	}
	if (console_input_len(h->d))
		conhost_send(h, CL_AVAIL, NULL, 0);
	return 0;
}

/* Why pid ended, for the log. */
static void describe(int status, char *buf, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "exited %d", WEXITSTATUS(status));
}

void conhost_lost(struct conhost *h, const char *why)
{
	char how[48] = "";
	int status = 0;

	if (h->sock >= 0)
		close(h->sock);
	h->sock = -1;
	if (h->pid > 0) {
		pid_t r = waitpid(h->pid, &status, WNOHANG);
		if (r == 0) {
			kill(h->pid, SIGKILL);   /* ours and unreaped: the pid cannot be reused */
			r = waitpid(h->pid, &status, 0);
		}
		if (r == h->pid)   /* else reaped by someone else (SIGCHLD ignored): no status */
			describe(status, how, sizeof(how));
	}
	int64_t lived = hv_now_ns() - h->started_ns;
	h->backoff_ms = lived >= CONHOST_STABLE_NS || !h->backoff_ms ? CONHOST_BACKOFF_MIN_MS
		: (h->backoff_ms * 2 > CONHOST_BACKOFF_MAX_MS ? CONHOST_BACKOFF_MAX_MS : h->backoff_ms * 2);
	if (!atomic_load(&h->stop))
		dom_log(h->d, "lamina: console: back-end (pid %d) %s%s%s; starting another in %d ms",
			(int)h->pid, why, *how ? ", " : "", how, h->backoff_ms);
	h->pid = 0;
	plan_restart(h, h->backoff_ms);
}
