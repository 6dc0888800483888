// SPDX-License-Identifier: MIT
// The lamina-hvd back-end's connections: find or start lamina-hvd, call it, read its events.
//
// If no lamina-hvd answers on its socket and laminad may start one, it is
// started detached (its own session, reparented to init) with --ready-fd,
// so it outlives laminad; its messages go to LOGDIR/lamina-hvd.log.  The
// binary is $LAMINA_HVD, else lamina-hvd beside laminad, else
// ../hypervisor/hvd/lamina-hvd from laminad's directory (the build tree),
// else lamina-hvd on PATH.
#include "hvif_hvd_int.h"
#include "ready.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	return -e;
}

static void hvd_binary(char *out, size_t len)
{
	const char *env = getenv("LAMINA_HVD");
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	if (n > 0) {
		self[n] = 0;
		snprintf(out, len, "%s/lamina-hvd", dirname(self));
		if (access(out, X_OK) == 0)
			return;
		snprintf(out, len, "%s/../hypervisor/hvd/lamina-hvd", self);
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "lamina-hvd");
}

// In the grandchild: a session of its own, nothing inherited but the ready pipe.
static void exec_hvd(const char *bin, const char *sock, const char *log_dir, int ready)
{
	char a_sock[PATH_MAX + 16], a_ready[32], a_log[PATH_MAX + 32];
	int null = open("/dev/null", O_RDWR);
	int fd = dup(ready); // without O_CLOEXEC

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	snprintf(a_sock, sizeof(a_sock), "--socket=%s", sock);
	snprintf(a_ready, sizeof(a_ready), "--ready-fd=%d", fd);
	snprintf(a_log, sizeof(a_log), "--log-file=%s/lamina-hvd.log", log_dir ? log_dir : "/tmp");
	execlp(bin, "lamina-hvd", a_sock, a_ready, a_log, (char *)NULL);
	dprintf(fd, "ERR cannot run %s: %s\n", bin, strerror(errno));
	_exit(127);
}

static int await_ready(int fd, const char *bin, char *err, size_t len)
{
	char why[600];
	enum ready_status st = ready_await(fd, HH_READY_MS, why, sizeof(why));

	if (st == READY_OK)
		return 0;
	if (st == READY_ERR)
		snprintf(err, len, "cannot start lamina-hvd: %s", why);
	else
		snprintf(err, len, "cannot start lamina-hvd (%s): it %s", bin, ready_failure(st));
	return -1;
}

static int spawn(const char *sock, const char *log_dir, char *err, size_t len)
{
	char bin[PATH_MAX];
	int p[2], status;
	pid_t pid;

	hvd_binary(bin, sizeof(bin));
	if (pipe2(p, O_CLOEXEC) || (pid = fork()) < 0) {
		snprintf(err, len, "cannot start lamina-hvd: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setsid();
		if (fork() == 0)
			exec_hvd(bin, sock, log_dir, p[1]);
		_exit(0);
	}
	close(p[1]);
	waitpid(pid, &status, 0);
	return await_ready(p[0], bin, err, len);
}

json_object *hh_req(const char *op, unsigned id)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	if (id)
		json_object_object_add(o, "id", json_object_new_int((int)id));
	return o;
}

static int send_json(int fd, json_object *rq)
{
	size_t len;
	const char *s = json_object_to_json_string_length(rq, JSON_C_TO_STRING_PLAIN, &len);
	int rc = hvd_send(fd, s, len, NULL, 0, 0);

	json_object_put(rq);
	return rc;
}

static json_object *recv_json(int fd, int timeout_ms, int *rc)
{
	static char buf[HVD_MSG_MAX + 1];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	bool trunc;
	ssize_t n;

	if (timeout_ms >= 0 && poll(&p, 1, timeout_ms) != 1) {
		*rc = -ETIMEDOUT;
		return NULL;
	}
	n = hvd_recv(fd, buf, HVD_MSG_MAX, NULL, NULL, &trunc, timeout_ms < 0 ? MSG_DONTWAIT : 0);
	if (n <= 0 || trunc) {
		*rc = n < 0 ? (int)n : n == 0 ? -ECONNRESET : -EMSGSIZE;
		return NULL;
	}
	*rc = 0;
	return json_tokener_parse(buf);
}

void hh_lost(struct hv_backend *be, const char *why)
{
	if (be->gone)
		return;
	be->gone = true;
	snprintf(be->err, sizeof(be->err), "lamina-hvd went away (%s)", why);
	fprintf(stderr, "laminad: %s\n", be->err);
	if (be->ev >= 0)
		epoll_ctl(be->epfd, EPOLL_CTL_DEL, be->ev, NULL);
}

// The reply's verdict: 0, or -errno with its message in be->err.
static int verdict(struct hv_backend *be, json_object *rep)
{
	json_object *v;

	if (json_object_object_get_ex(rep, "ok", &v) && json_object_get_boolean(v))
		return 0;
	json_object_object_get_ex(rep, "message", &v);
	snprintf(be->err, sizeof(be->err), "%s", v ? json_object_get_string(v) : "lamina-hvd refused");
	json_object_object_get_ex(rep, "error", &v);
	return -hvd_errno(v ? json_object_get_string(v) : NULL);
}

int hh_call(struct hv_backend *be, json_object *rq, json_object **rep)
{
	return hh_call_wait(be, rq, rep, HH_TIMEOUT_MS);
}

int hh_call_wait(struct hv_backend *be, json_object *rq, json_object **rep, int timeout_ms)
{
	int rc;

	*rep = NULL;
	if (be->gone) {
		json_object_put(rq);
		return -EIO;
	}
	if ((rc = send_json(be->ctl, rq)) == 0)
		*rep = recv_json(be->ctl, timeout_ms, &rc);
	if (!*rep) {
		hh_lost(be, rc ? strerror(-rc) : "a reply that is not JSON");
		return -EIO;
	}
	if ((rc = verdict(be, *rep))) {
		json_object_put(*rep);
		*rep = NULL;
	}
	return rc;
}

int hh_send_ev(struct hv_backend *be, json_object *rq)
{
	int rc;

	if (be->gone) {
		json_object_put(rq);
		return -EIO;
	}
	if ((rc = send_json(be->ev, rq)))
		hh_lost(be, strerror(-rc));
	return rc ? -EIO : 0;
}

// Connect both sockets, starting lamina-hvd first if allowed and needed.
static int connect_both(struct hv_backend *be, const struct hvif_env *env, char *err, size_t len)
{
	be->ctl = dial(be->sock);
	if (be->ctl < 0 && env->spawn && (be->ctl == -ENOENT || be->ctl == -ECONNREFUSED)) {
		if (spawn(be->sock, env->log_dir, err, len))
			return -1;
		be->ctl = dial(be->sock);
	}
	if (be->ctl < 0) {
		snprintf(err, len, "cannot connect to lamina-hvd at %s: %s", be->sock,
			 strerror(-be->ctl));
		errno = -be->ctl;
		return -1;
	}
	be->ev = dial(be->sock);
	if (be->ev < 0) {
		snprintf(err, len, "cannot connect to lamina-hvd at %s: %s", be->sock,
			 strerror(-be->ev));
		return -1;
	}
	return 0;
}

static int subscribe(struct hv_backend *be)
{
	json_object *rep;
	int rc;

	if (send_json(be->ev, hh_req("subscribe", 0)) ||
	    !(rep = recv_json(be->ev, HH_TIMEOUT_MS, &rc)))
		return -1;
	rc = verdict(be, rep);
	json_object_put(rep);
	return rc;
}

// hello on ctl (the protocol version), subscribe on ev.
static int greet(struct hv_backend *be, char *err, size_t len)
{
	json_object *rep, *v;
	int rc = hh_call(be, hh_req("hello", 0), &rep);

	if (rc) {
		snprintf(err, len, "lamina-hvd at %s: %s", be->sock, be->err);
		return -1;
	}
	json_object_object_get_ex(rep, "version", &v);
	if (json_object_get_int(v) != HVD_PROTO_VERSION) {
		snprintf(err, len, "lamina-hvd at %s speaks protocol %d, laminad %d", be->sock,
			 json_object_get_int(v), HVD_PROTO_VERSION);
		json_object_put(rep);
		return -1;
	}
	json_object_put(rep);
	if (subscribe(be)) {
		snprintf(err, len, "lamina-hvd at %s: cannot subscribe to its events", be->sock);
		return -1;
	}
	return 0;
}

// Console output missed while the event connection was down: from the
// backlog, past what was already queued (offsets tell).
static void catch_up(struct hv_backend *be, struct hv_dom *hd)
{
	json_object *rep, *off, *data;
	char *buf;
	ssize_t n;

	if (hh_call(be, hh_req("console-backlog", hd->id), &rep))
		return;
	if (json_object_object_get_ex(rep, "offset", &off) &&
	    json_object_object_get_ex(rep, "data", &data) &&
	    (buf = malloc((size_t)json_object_get_string_len(data) / 4 * 3 + 3))) {
		n = hvd_b64_decode(json_object_get_string(data),
				   (size_t)json_object_get_string_len(data), buf);
		if (n > 0)
			hh_console_add(hd, (uint64_t)json_object_get_int64(off), buf, (size_t)n);
		free(buf);
	}
	json_object_put(rep);
}

int hh_reconnect_ev(struct hv_backend *be)
{
	struct epoll_event ev = { .events = EPOLLIN };
	json_object *rep;

	epoll_ctl(be->epfd, EPOLL_CTL_DEL, be->ev, NULL);
	close(be->ev);
	be->ev = -1;
	if (hh_call(be, hh_req("hello", 0), &rep))
		return -1; // lamina-hvd itself is gone
	json_object_put(rep);
	be->ev = dial(be->sock);
	ev.data.fd = be->ev;
	if (be->ev < 0 || subscribe(be) || epoll_ctl(be->epfd, EPOLL_CTL_ADD, be->ev, &ev))
		return -1;
	fprintf(stderr, "laminad: lamina-hvd dropped the event connection; connected again\n");
	for (struct hv_dom *hd = be->doms; hd; hd = hd->next) {
		catch_up(be, hd);
		if (hd->tracing) {
			json_object *rq = hh_req("trace", hd->id);
			json_object_object_add(rq, "on", json_object_new_boolean(1));
			hh_send_ev(be, rq);
		}
	}
	return 0;
}

int hh_open_conns(struct hv_backend *be, const struct hvif_env *env, char *err, size_t len)
{
	char dir[PATH_MAX];
	struct epoll_event ev = { .events = EPOLLIN };

	be->ctl = be->ev = -1;
	hvd_socket_path(env->hvd_socket, env->run_dir, be->sock, sizeof(be->sock), dir,
			sizeof(dir));
	if (connect_both(be, env, err, len) || greet(be, err, len))
		return -1;
	ev.data.fd = be->ev;
	if (epoll_ctl(be->epfd, EPOLL_CTL_ADD, be->ev, &ev)) {
		snprintf(err, len, "epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct hv_dom *hh_find(struct hv_backend *be, unsigned id)
{
	for (struct hv_dom *hd = be->doms; hd; hd = hd->next)
		if (hd->id == id)
			return hd;
	return NULL;
}

void hh_console_add(struct hv_dom *hd, uint64_t offset, const char *buf, size_t n)
{
	size_t skip = hd->con_seen > offset ? (size_t)(hd->con_seen - offset) : 0;
	char *p;

	if (skip >= n)
		return; // already had it (recovered backlog)
	buf += skip;
	n -= skip;
	hd->con_seen = offset + skip + n;
	if (hd->con_len + n > HH_CONSOLE_MAX) {
		hd->con_lost += n;
		return;
	}
	if (!(p = realloc(hd->con, hd->con_len + n))) {
		hd->con_lost += n;
		return;
	}
	memcpy(p + hd->con_len, buf, n);
	hd->con = p;
	hd->con_len += n;
}
