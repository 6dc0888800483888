// SPDX-License-Identifier: MIT
// libbackend: connection, requests and events of a back-end process on lamina-hvd's socket.
#include "libbackend.h"

#include <errno.h>
#include <hvd_proto.h>
#include <json-c/json.h>
#include <lamina/io/bus.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_BUDGET 4096 // events taken while waiting for one reply before giving up

int lbk_connect(struct lbk *b, const char *socket_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[PATH_MAX], dir[PATH_MAX];

	memset(b, 0, sizeof(*b));
	hvd_socket_path(socket_path, NULL, path, sizeof(path), dir, sizeof(dir));
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	b->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (b->fd < 0 || connect(b->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		snprintf(b->err, sizeof(b->err), "cannot connect to %s: %s", path, strerror(e));
		if (b->fd >= 0)
			close(b->fd);
		b->fd = -1;
		return -e;
	}
	return 0;
}

void lbk_close(struct lbk *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	for (unsigned i = 0; i < b->nev; i++)
		free(b->ev[i]);
	b->nev = 0;
}

// An event message: a watch is queued, a detach noted.
static void take_event(struct lbk *b, json_object *o, const char *kind)
{
	json_object *v;

	if (!strcmp(kind, "detach")) {
		b->detach = true;
	} else if (!strcmp(kind, "watch") && json_object_object_get_ex(o, "path", &v)) {
		if (b->nev == LBK_EVENTS)
			b->dropped++;
		else if ((b->ev[b->nev] = strdup(json_object_get_string(v))))
			b->nev++;
	}
}

// Receive one message: the parsed object, or NULL (with *rc) at an error.
static json_object *recv_one(struct lbk *b, int *fds, unsigned *nfds, int *rc)
{
	static char buf[HVD_MSG_MAX + 1];
	bool trunc;
	unsigned n = 0;
	int tmp[HVD_MAX_FDS];
	ssize_t len = hvd_recv(b->fd, buf, HVD_MSG_MAX, fds ? fds : tmp, &n, &trunc, 0);
	json_object *o;

	if (!fds)
		for (unsigned i = 0; i < n; i++)
			close(tmp[i]);
	if (nfds)
		*nfds = n;
	*rc = len == 0 ? -EPIPE : len < 0 ? (int)len : trunc ? -EMSGSIZE : 0;
	if (*rc)
		return NULL;
	o = json_tokener_parse(buf);
	if (!o)
		*rc = -EPROTO;
	return o;
}

// Send a request; wait for its reply, queueing events meanwhile. 0 or -errno.
static int request(struct lbk *b, json_object *rq, json_object **rep, int *fds, unsigned *nfds)
{
	const char *s = json_object_to_json_string_ext(rq, JSON_C_TO_STRING_PLAIN);
	int rc = hvd_send(b->fd, s, strlen(s), NULL, 0, 0);
	json_object *o = NULL, *v;

	json_object_put(rq);
	for (int i = 0; !rc && i < REPLY_BUDGET; i++) {
		if (!(o = recv_one(b, fds, nfds, &rc)))
			break;
		if (!json_object_object_get_ex(o, "event", &v))
			break;
		take_event(b, o, json_object_get_string(v));
		json_object_put(o);
		o = NULL;
	}
	if (!o)
		return rc ? rc : -EPROTO;
	if (json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v)) {
		*rep = o;
		return 0;
	}
	json_object_object_get_ex(o, "message", &v);
	snprintf(b->err, sizeof(b->err), "%s", v ? json_object_get_string(v) : "error");
	json_object_object_get_ex(o, "error", &v);
	rc = -hvd_errno(v ? json_object_get_string(v) : NULL);
	json_object_put(o);
	return rc;
}

static json_object *rq_new(const char *op)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	return o;
}

static void put_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void put_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static int simple(struct lbk *b, json_object *rq)
{
	json_object *rep;
	int rc = request(b, rq, &rep, NULL, NULL);

	if (!rc)
		json_object_put(rep);
	return rc;
}

int lbk_attach(struct lbk *b, unsigned id, const char *type, unsigned devid)
{
	json_object *rq = rq_new("backend-attach"), *rep, *v;
	int rc;

	put_int(rq, "id", id);
	put_str(rq, "type", type);
	put_int(rq, "devid", devid);
	if ((rc = request(b, rq, &rep, NULL, NULL)))
		return rc;
	json_object_object_get_ex(rep, "domid", &v);
	b->domid = (unsigned)json_object_get_int(v);
	json_object_object_get_ex(rep, "frontend", &v);
	snprintf(b->fe, sizeof(b->fe), "%s", json_object_get_string(v));
	json_object_object_get_ex(rep, "backend", &v);
	snprintf(b->be, sizeof(b->be), "%s", json_object_get_string(v));
	json_object_put(rep);
	return 0;
}

const char *lbk_fe(struct lbk *b, const char *key)
{
	static char p[LBK_PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", b->fe, key);
	return p;
}

const char *lbk_be(struct lbk *b, const char *key)
{
	static char p[LBK_PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", b->be, key);
	return p;
}

int lbk_read(struct lbk *b, const char *path, char *buf, size_t size)
{
	json_object *rq = rq_new("store-read"), *rep, *v;
	int rc;

	put_str(rq, "path", path);
	if ((rc = request(b, rq, &rep, NULL, NULL)))
		return rc;
	json_object_object_get_ex(rep, "value", &v);
	rc = snprintf(buf, size, "%s", json_object_get_string(v));
	json_object_put(rep);
	return rc >= (int)size ? -E2BIG : rc;
}

int lbk_read_uint(struct lbk *b, const char *path, unsigned long *out)
{
	char buf[32], *end;
	int rc = lbk_read(b, path, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	errno = 0;
	*out = strtoul(buf, &end, 10);
	if (!buf[0] || *end || errno || buf[0] == '-') {
		snprintf(b->err, sizeof(b->err), "%s is '%s', not a number", path, buf);
		return -EINVAL;
	}
	return 0;
}

int lbk_write(struct lbk *b, const char *path, const char *val)
{
	json_object *rq = rq_new("store-write");

	put_str(rq, "path", path);
	put_str(rq, "value", val);
	return simple(b, rq);
}

int lbk_watch(struct lbk *b, const char *path)
{
	json_object *rq = rq_new("store-watch");

	put_str(rq, "path", path);
	return simple(b, rq);
}

int lbk_front_state(struct lbk *b)
{
	unsigned long s;

	return lbk_read_uint(b, lbk_fe(b, LAMINA_BUS_KEY_STATE), &s) || s > INT_MAX ? 0 : (int)s;
}

int lbk_write_uint(struct lbk *b, const char *key, unsigned long v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lu", v);
	return lbk_write(b, lbk_be(b, key), s);
}

int lbk_set_state(struct lbk *b, int state)
{
	return lbk_write_uint(b, LAMINA_BUS_KEY_STATE, (unsigned long)state);
}

void lbk_fail(struct lbk *b, const char *prog, const char *error_key, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: domain %u: %s\n", prog, b->domid, msg);
	lbk_write(b, lbk_be(b, error_key), msg);
}

int lbk_map(struct lbk *b, const uint32_t *refs, unsigned n, uint32_t *handle, int *fd)
{
	json_object *rq = rq_new("map"), *arr = json_object_new_array(), *rep, *v;
	int fds[HVD_MAX_FDS], rc;
	unsigned nfds = 0;

	for (unsigned i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_int64(refs[i]));
	json_object_object_add(rq, "refs", arr);
	if ((rc = request(b, rq, &rep, fds, &nfds)))
		return rc;
	json_object_object_get_ex(rep, "handle", &v);
	*handle = (uint32_t)json_object_get_int64(v);
	json_object_put(rep);
	if (nfds != 1) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		snprintf(b->err, sizeof(b->err), "map: %u descriptors came, not 1", nfds);
		return -EPROTO;
	}
	*fd = fds[0];
	return 0;
}

int lbk_unmap(struct lbk *b, uint32_t handle)
{
	json_object *rq = rq_new("unmap");

	put_int(rq, "handle", handle);
	return simple(b, rq);
}

int lbk_bind(struct lbk *b, uint32_t port, int *doorbell, int *kick)
{
	json_object *rq = rq_new("bind"), *rep;
	int fds[HVD_MAX_FDS], rc;
	unsigned nfds = 0;

	put_int(rq, "port", port);
	if ((rc = request(b, rq, &rep, fds, &nfds)))
		return rc;
	json_object_put(rep);
	if (nfds != 2) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		snprintf(b->err, sizeof(b->err), "bind: %u descriptors came, not 2", nfds);
		return -EPROTO;
	}
	*doorbell = fds[0];
	*kick = fds[1];
	return 0;
}

static int pop_event(struct lbk *b, char *path, size_t len)
{
	if (!b->nev)
		return 0;
	snprintf(path, len, "%s", b->ev[0]);
	free(b->ev[0]);
	memmove(b->ev, b->ev + 1, --b->nev * sizeof(b->ev[0]));
	return 1;
}

int lbk_wait(struct lbk *b, int timeout_ms, char *path, size_t len)
{
	struct pollfd p = { .fd = b->fd, .events = POLLIN };
	json_object *o, *v;
	int rc;

	for (;;) {
		if (b->detach)
			return -ECANCELED;
		if (pop_event(b, path, len))
			return 1;
		rc = poll(&p, 1, timeout_ms);
		if (rc <= 0)
			return rc < 0 && errno != EINTR ? -errno : 0;
		if (!(o = recv_one(b, NULL, NULL, &rc)))
			return rc;
		if (json_object_object_get_ex(o, "event", &v))
			take_event(b, o, json_object_get_string(v));
		json_object_put(o); // a reply nobody waits for: dropped
	}
}

int lbk_raw(struct lbk *b, const char *text, char *rep, size_t len, int *fds, unsigned *nfds)
{
	json_object *o, *v;
	int rc = hvd_send(b->fd, text, strlen(text), NULL, 0, 0);

	for (int i = 0; !rc && i < REPLY_BUDGET; i++) {
		if (!(o = recv_one(b, fds, nfds, &rc)))
			return rc;
		if (!json_object_object_get_ex(o, "event", &v)) {
			snprintf(rep, len, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
			return 0;
		}
		take_event(b, o, json_object_get_string(v));
		json_object_put(o);
	}
	return rc ? rc : -EPROTO;
}
