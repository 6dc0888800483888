// SPDX-License-Identifier: MIT
// The lamina-hvd socket protocol's transport: socket path, one message with descriptors, base64.
#include "hvd_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void hvd_socket_path(const char *override, const char *run_dir, char *path, size_t plen,
		     char *dir, size_t dlen)
{
	const char *env = getenv("LAMINA_HVD_SOCKET");
	const char *rd = run_dir && *run_dir ? run_dir : getenv("LAMINA_RUN_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *sock = override && *override ? override : env && *env ? env : NULL;
	char *slash;

	if (sock) {
		snprintf(path, plen, "%s", sock);
		snprintf(dir, dlen, "%s", sock);
		slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = 0;
		else
			snprintf(dir, dlen, slash ? "/" : ".");
		return;
	}
	if (rd && *rd)
		snprintf(dir, dlen, "%s", rd);
	else if (xdg && *xdg)
		snprintf(dir, dlen, "%s/lamina", xdg);
	else
		snprintf(dir, dlen, "/run/lamina");
	snprintf(path, plen, "%s/%s", dir, HVD_SOCKET_NAME);
}

int hvd_send(int fd, const void *buf, size_t len, const int *fds, unsigned nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HVD_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (len > HVD_MSG_MAX || nfds > HVD_MAX_FDS)
		return -EMSGSIZE;
	if (nfds) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

// Keep up to HVD_MAX_FDS descriptors of c; close the rest.  False if any was closed.
static bool take_fds(struct cmsghdr *c, int *fds, unsigned *nfds)
{
	size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	bool all = true;
	int fd;

	for (size_t i = 0; i < n; i++) {
		memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		if (fds && *nfds < HVD_MAX_FDS) {
			fds[(*nfds)++] = fd;
		} else {
			close(fd);
			all = false;
		}
	}
	return all;
}

ssize_t hvd_recv(int fd, char *buf, size_t cap, int *fds, unsigned *nfds, bool *truncated,
		 int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (HVD_MAX_FDS + 8))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	unsigned dummy = 0;
	ssize_t n;

	if (!nfds)
		nfds = &dummy;
	*nfds = 0;
	*truncated = false;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    !take_fds(c, fds, nfds))
			*truncated = true;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n > cap)
		*truncated = true;
	buf[(size_t)n < cap ? (size_t)n : cap] = 0;
	return n;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t hvd_b64_encode(const void *in, size_t len, char *out)
{
	const uint8_t *p = in;
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = 0;
	return o;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

ssize_t hvd_b64_decode(const char *in, size_t len, void *out)
{
	uint8_t *o = out;
	size_t n = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			bool last = i + 4 == len;
			if (last && k >= 2 && in[i + k] == '=' && (k == 3 || in[i + 3] == '=')) {
				v[k] = 0;
				pad++;
			} else if ((v[k] = b64_val(in[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		o[n++] = (uint8_t)(x >> 16);
		if (pad < 2)
			o[n++] = (uint8_t)(x >> 8);
		if (pad < 1)
			o[n++] = (uint8_t)x;
	}
	return (ssize_t)n;
}

static const struct {
	int code;
	const char *name;
} errnames[] = {
	{ EINVAL, "EINVAL" }, { ENOENT, "ENOENT" }, { EEXIST, "EEXIST" }, { EMSGSIZE, "EMSGSIZE" },
	{ ENOTSUP, "ENOTSUP" }, { EBUSY, "EBUSY" }, { ENOSPC, "ENOSPC" }, { ENOMEM, "ENOMEM" },
	{ EIO, "EIO" }, { ENODEV, "ENODEV" }, { EALREADY, "EALREADY" }, { EBADF, "EBADF" },
	{ EPROTO, "EPROTO" }, { EACCES, "EACCES" }, { EROFS, "EROFS" }, { EPERM, "EPERM" },
	{ ESRCH, "ESRCH" }, { E2BIG, "E2BIG" }, { ETIMEDOUT, "ETIMEDOUT" },
};

const char *hvd_errname(int code)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].code == code)
			return errnames[i].name;
	return "EIO";
}

int hvd_errno(const char *name)
{
	for (size_t i = 0; name && i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].code;
	return EIO;
}
