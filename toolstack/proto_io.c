// SPDX-License-Identifier: MIT
// Control protocol between lamina and laminad: blocking send and receive.
#include "proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int lp_send(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	struct lp_hdr h;
	struct iovec iov[3] = {
		{ &h, sizeof(h) }, { (void *)a, alen }, { (void *)b, blen },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };

	if (alen + blen > LP_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	lp_header(&h, type, (uint32_t)(alen + blen));
	while (mh.msg_iovlen) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int lp_send_error(int fd, int code, const char *fmt, ...)
{
	struct lp_error le = { .code = code };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lp_send(fd, LP_REPLY_ERROR, &le, sizeof(le), msg, strlen(msg) + 1);
}

// 0 when all `len` bytes arrived, else the number that did (EOF), or -1.
static long read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got ? (long)got : -2;
		got += (size_t)n;
	}
	return 0;
}

// Why a read of `want` bytes of `what` stopped (read_full result `got`).
static int closed(struct lp_err *e, long got, size_t want, const char *what)
{
	if (got == -2 && want == sizeof(struct lp_hdr)) {
		e->code = ECONNRESET;
		snprintf(e->msg, sizeof(e->msg), "connection closed");
	} else if (got == -1) {
		e->code = errno;
		snprintf(e->msg, sizeof(e->msg), "read failed: %s", strerror(errno));
	} else {
		e->code = EPROTO;
		snprintf(e->msg, sizeof(e->msg), "truncated message: connection closed "
			 "after %ld of %zu %s bytes", got < 0 ? 0 : got, want, what);
	}
	return -1;
}

int lp_recv(int fd, struct lp_msg *m, struct lp_err *e)
{
	long got;

	m->payload = NULL;
	got = read_full(fd, &m->hdr, sizeof(m->hdr));
	if (got)
		return closed(e, got, sizeof(m->hdr), "header");
	if (lp_check_header(&m->hdr, e))
		return -1;
	m->payload = malloc(m->hdr.len + 1);
	if (!m->payload) {
		e->code = ENOMEM;
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return -1;
	}
	m->payload[m->hdr.len] = 0;
	got = read_full(fd, m->payload, m->hdr.len);
	if (got)
		closed(e, got, m->hdr.len, "payload");
	if (got || lp_check_payload(m->hdr.type, m->payload, m->hdr.len, e)) {
		lp_msg_free(m);
		return -1;
	}
	return 0;
}

void lp_msg_free(struct lp_msg *m)
{
	free(m->payload);
	m->payload = NULL;
}
