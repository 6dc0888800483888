// SPDX-License-Identifier: MIT
// laminad's control socket: listening, one poll loop, buffered client connections.
#include "laminad.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define IN_MAX (sizeof(struct lp_hdr) + LP_MAX_PAYLOAD)

static int lock_dir(struct daemon *dm, char *err, size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/laminad.lock", dm->rd.dir);
	dm->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (dm->lock_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(dm->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "laminad is already running (socket %s)", dm->rd.sock);
		return -1;
	}
	if (ftruncate(dm->lock_fd, 0) == 0)
		dprintf(dm->lock_fd, "%ld\n", (long)getpid()); // who holds it, for tools
	return 0;
}

int server_listen(struct daemon *dm, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (rundir_prepare(dm->rd.dir, err, errlen) || lock_dir(dm, err, errlen))
		return -1;
	if (strlen(dm->rd.sock) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", dm->rd.sock);
		return -1;
	}
	strcpy(sa.sun_path, dm->rd.sock);
	unlink(dm->rd.sock); // stale: we hold the lock
	dm->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0177);
	int rc = dm->lfd < 0 || bind(dm->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
		 listen(dm->lfd, 16);
	umask(old);
	if (rc) {
		snprintf(err, errlen, "cannot listen on %s: %s", dm->rd.sock, strerror(errno));
		return -1;
	}
	return 0;
}

static void conn_free(struct daemon *dm, size_t i)
{
	struct conn *c = dm->conns[i];

	streams_detach(dm, c);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	dm->conns[i] = dm->conns[--dm->nconns];
}

static bool peer_ok(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	return cr.uid == geteuid() || cr.uid == 0;
}

static void accept_one(struct daemon *dm)
{
	int fd = accept4(dm->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0)
		return;
	if (dm->nconns == MAX_CONNS || !peer_ok(fd) || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->in = malloc(IN_MAX);
	if (!c->in) {
		free(c);
		close(fd);
		return;
	}
	dm->conns[dm->nconns++] = c;
}

static void flush(struct conn *c)
{
	while (c->out_len && !c->dead) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->dead = errno != EAGAIN;
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

static int out_reserve(struct conn *c, size_t more)
{
	size_t cap = c->out_cap ? c->out_cap : 4096;
	uint8_t *p;

	if (c->out_len + more > CONN_OUT_MAX)
		return -1;
	while (cap < c->out_len + more)
		cap *= 2;
	if (cap == c->out_cap)
		return 0;
	p = realloc(c->out, cap);
	if (!p)
		return -1;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

void conn_write_raw(struct conn *c, const void *p, size_t len)
{
	if (c->dead || out_reserve(c, len)) {
		c->dead = true;
		return;
	}
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
	flush(c);
}

void conn_send(struct conn *c, uint16_t type, const void *a, size_t alen, const void *b,
	       size_t blen)
{
	struct lp_hdr h;

	if (c->json) {
		json_reply(c, type, a, alen, b, blen);
		return;
	}
	if (c->dead || alen + blen > LP_MAX_PAYLOAD ||
	    out_reserve(c, sizeof(h) + alen + blen)) {
		c->dead = true;
		return;
	}
	lp_header(&h, type, (uint32_t)(alen + blen));
	memcpy(c->out + c->out_len, &h, sizeof(h));
	if (alen)
		memcpy(c->out + c->out_len + sizeof(h), a, alen);
	if (blen)
		memcpy(c->out + c->out_len + sizeof(h) + alen, b, blen);
	c->out_len += sizeof(h) + alen + blen;
	flush(c);
}

void conn_error(struct conn *c, int code, const char *fmt, ...)
{
	struct lp_error le = { .code = code };
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conn_send(c, LP_REPLY_ERROR, &le, sizeof(le), msg, strlen(msg) + 1);
}

void conn_ok(struct conn *c, unsigned id)
{
	struct lp_ok ok = { .id = id };

	conn_send(c, LP_REPLY_OK, &ok, sizeof(ok), NULL, 0);
}

static void handle_input(struct daemon *dm, struct conn *c)
{
	struct lp_err e;
	long n;

	if (!c->sniffed && c->in_len) {
		c->sniffed = true;
		c->json = c->in[0] == '{';
	}
	if (c->json) {
		json_input(dm, c, IN_MAX);
		return;
	}
	while (!c->closing && !c->dead && (n = lp_parse(c->in, c->in_len, &e)) != 0) {
		const struct lp_hdr *h = (const struct lp_hdr *)c->in;
		if (n < 0 || lp_check_payload(h->type, c->in + sizeof(*h), h->len, &e)) {
			conn_error(c, e.code, "laminad: %s", e.msg);
			c->closing = true;
			return;
		}
		ops_dispatch(dm, c, h, c->in + sizeof(*h));
		memmove(c->in, c->in + n, c->in_len - (size_t)n);
		c->in_len -= (size_t)n;
	}
}

static void read_conn(struct daemon *dm, struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, IN_MAX - c->in_len, MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->dead = true;
		return;
	}
	if (n > 0) {
		c->in_len += (size_t)n;
		handle_input(dm, c);
	}
}

// Serve every ready client. True if any sent input: a request may have
// read a domain's end (and drained the event connection while at it).
static bool serve_conns(struct daemon *dm, const struct pollfd *pfd)
{
	bool input = false;

	for (size_t i = dm->nconns; i-- > 0;) {
		struct conn *c = dm->conns[i];
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			read_conn(dm, c);
			input = true;
		}
		if (pfd[i].revents & POLLOUT)
			flush(c);
	}
	return input;
}

static void reap(struct daemon *dm)
{
	for (size_t i = dm->nconns; i-- > 0;) {
		struct conn *c = dm->conns[i];
		if (c->dead || (c->closing && !c->out_len))
			conn_free(dm, i);
	}
}

int server_run(struct daemon *dm)
{
	struct pollfd pfd[MAX_CONNS + 3];

	while (!laminad_stop) {
		size_t n = dm->nconns;
		for (size_t i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = dm->conns[i]->fd,
						  .events = POLLIN | (dm->conns[i]->out_len ? POLLOUT : 0) };
		pfd[n] = (struct pollfd){ .fd = dm->lfd, .events = POLLIN };
		pfd[n + 1] = (struct pollfd){ .fd = dm->ops->event_fd(dm->hv), .events = POLLIN };
		pfd[n + 2] = (struct pollfd){ .fd = dm->dev_epfd, .events = POLLIN }; // back-ends' ends
		if (poll(pfd, n + 3, dev_timeout_ms(dm)) < 0 && errno != EINTR)
			return -1;
		bool requests = serve_conns(dm, pfd);
		if (pfd[n + 1].revents & POLLIN)
			dm->ops->process(dm->hv);
		// After requests too: a request's stats() may have taken the
		// "ended" event off the connection, so poll would not see it.
		if (requests || (pfd[n + 1].revents & POLLIN))
			dom_after_process(dm);
		dev_tick(dm); // back-ends that died; restarts whose backoff is over
		if (pfd[n].revents & POLLIN)
			accept_one(dm);
		reap(dm);
	}
	return 0;
}

void server_close(struct daemon *dm)
{
	while (dm->nconns)
		conn_free(dm, dm->nconns - 1);
	if (dm->lfd >= 0) {
		close(dm->lfd);
		unlink(dm->rd.sock);
	}
	if (dm->lock_fd >= 0)
		close(dm->lock_fd);
}
