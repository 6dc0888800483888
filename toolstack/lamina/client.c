// SPDX-License-Identifier: MIT
// lamina CLI client side: find or start laminad, send requests, report errors.
#include "lamina.h"
#include "rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int start_timeout_ms(void)
{
	const char *s = getenv("LAMINA_START_TIMEOUT_MS");

	return s && atoi(s) > 0 ? atoi(s) : 5000;
}

static int daemon_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -1;
	self[n] = 0;
	snprintf(out, len, "%s/laminad", dirname(self));
	return access(out, X_OK);
}

static void exec_daemon(const char *path, int ready)
{
	char arg[32];
	int null = open("/dev/null", O_RDWR);

	setsid();
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	int fd = dup(ready); // without O_CLOEXEC
	snprintf(arg, sizeof(arg), "--ready-fd=%d", fd);
	execl(path, "laminad", arg, (char *)NULL);
	_exit(127);
}

// "OK", "ERR why", or nothing: whether laminad came up.
static int await_ready(int fd, const char *path)
{
	char buf[600] = { 0 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ms = start_timeout_ms();
	ssize_t n = 0;

	if (poll(&p, 1, ms) == 1)
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!strcmp(buf, "OK"))
		return 0;
	if (!strncmp(buf, "ERR ", 4) && strstr(buf, "/dev/kvm"))
		err_msg("cannot start laminad: %s\nlamina: this host cannot run KVM guests (no "
			"VT-x/SVM, or no access to /dev/kvm): 'make shell' gives a shell in the "
			"emulated testbed where lamina works, and LAMINA_BACKEND=fake simulates "
			"domains", buf + 4);
	else if (!strncmp(buf, "ERR ", 4))
		err_msg("cannot start laminad: %s", buf + 4);
	else if (p.revents)
		err_msg("cannot start laminad: %s exited before it was ready", path);
	else
		err_msg("cannot start laminad: not ready after %d ms", ms);
	return -1;
}

static int start_daemon(void)
{
	char path[PATH_MAX];
	int p[2];
	pid_t pid;

	if (daemon_path(path, sizeof(path))) {
		err_msg("cannot start laminad: %s: %s", path, strerror(errno));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) || (pid = fork()) < 0) {
		err_msg("cannot start laminad: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_daemon(path, p[1]);
	close(p[1]);
	return await_ready(p[0], path);
}

static int dial(const struct rundir *rd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", rd->sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	int e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

int cl_connect(bool autostart)
{
	struct rundir rd;
	char err[PATH_MAX + 128];
	int fd;

	rundir_locate(&rd, NULL);
	if (rundir_check(&rd, err, sizeof(err)) == 0 && (fd = dial(&rd)) >= 0)
		return fd;
	if (errno == EPERM || errno == ENOTDIR) {
		err_msg("%s", err);
		return -1;
	}
	if (!autostart && errno == ECONNREFUSED) {
		err_msg("laminad is not running: %s is a stale socket, left by a laminad that "
			"stopped without removing it (the next laminad replaces it); 'lamina "
			"create' or 'lamina start' starts one", rd.sock);
		return -1;
	}
	if (!autostart) {
		err_msg("laminad is not running (no socket at %s); 'lamina create' starts it",
			rd.sock);
		return -1;
	}
	if (start_daemon())
		return -1;
	fd = dial(&rd);
	if (fd < 0)
		err_msg("cannot connect to %s: %s", rd.sock, strerror(errno));
	return fd;
}

int cl_call(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen,
	    struct lp_msg *reply)
{
	struct lp_err e;

	if (lp_send(fd, type, a, alen, b, blen)) {
		err_msg("cannot send to laminad: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (lp_recv(fd, reply, &e)) {
		err_msg("laminad: %s", e.msg);
		return EXIT_FAIL;
	}
	if (reply->hdr.type == LP_REPLY_ERROR) {
		fprintf(stderr, "lamina: %s\n", (char *)reply->payload + sizeof(struct lp_error));
		lp_msg_free(reply);
		return EXIT_FAIL;
	}
	return 0;
}

int cl_named(int fd, uint16_t type, const char *name, struct lp_msg *reply)
{
	struct lp_name n;

	if (strlen(name) >= LP_NAME_MAX || !*name) {
		err_msg("no domain named '%s'", name);
		return EXIT_FAIL;
	}
	copy_name(n.name, name);
	return cl_call(fd, type, &n, sizeof(n), NULL, 0, reply);
}

int cl_simple(uint16_t type, const char *name, struct lp_ok *ok)
{
	struct lp_msg m;
	int fd = cl_connect(false), rc;

	if (fd < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, type, name, &m);
	close(fd);
	if (rc)
		return rc;
	if (ok && m.hdr.type == LP_REPLY_OK)
		*ok = *(struct lp_ok *)m.payload;
	lp_msg_free(&m);
	return EXIT_OK;
}
