// SPDX-License-Identifier: MIT
// con_link.c: lamina-console's end of the link to the hypervisor process: sending, receiving with descriptors, log lines.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "con.h"

int con_send(struct con_dev *c, uint32_t type, const void *data, uint32_t len)
{
	struct conlink_hdr h = { .type = type, .len = len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (len > CONLINK_DATA_MAX)
		return -EMSGSIZE;
	do
		n = sendmsg(c->link, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)(sizeof(h) + len) ? 0 : -EIO;
}

void con_log(struct con_dev *c, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (n > 0 && con_send(c, CL_LOG, line, (uint32_t)n) < 0)
		fprintf(stderr, "lamina-console: %s\n", line);   /* the link is gone: say it somewhere */
}

/* The descriptors in mh's control data into fds (at most max; more are
 * closed and make it an error). The count, or -EBADF. */
static int take_fds(struct msghdr *mh, int *fds, unsigned max, unsigned *nfds)
{
	int rc = 0;

	*nfds = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *in = (int *)CMSG_DATA(cm);
		for (unsigned i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, &in[i], sizeof(fd));
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				rc = -EBADF;
			}
		}
	}
	return rc;
}

int con_recv(int link, struct conlink_msg *m, int *fds, unsigned *nfds)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(3 * sizeof(int))]; } ctl;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(link, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	int rc = take_fds(&mh, fds, 3, nfds);
	if (n == 0 && !*nfds)
		return 0;   /* EOF: the hypervisor process went away */
	if (rc < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		rc = -EMSGSIZE;
	else if ((size_t)n < sizeof(m->h) || m->h.len != (size_t)n - sizeof(m->h))
		rc = -EPROTO;
	if (rc < 0) {
		for (unsigned i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return rc;
	}
	return (int)m->h.len + 1;   /* data length + 1, so that an empty message is not EOF */
}
