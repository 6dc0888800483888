// SPDX-License-Identifier: MIT
// test_link.c: unit tests of lamina-console's link (con_link.c, con_setup.c): malformed messages, descriptors, setup from the hypervisor, log lines.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "test.h"

/* Send raw bytes with fds descriptors attached. */
static void send_raw(const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(8 * sizeof(int))]; } ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	ck_assert_int_eq(sendmsg(hv, &mh, 0), (ssize_t)len);
}

START_TEST(malformed_messages)
{
	struct conlink_msg m;
	int fds[3];
	unsigned nfds;
	struct conlink_hdr h = { CL_AVAIL, 5 };

	ck_assert_int_eq(con_recv(c.link, &m, fds, &nfds), -EAGAIN);
	send_raw("abc", 3, NULL, 0);                       /* shorter than a header */
	ck_assert_int_eq(con_recv(c.link, &m, fds, &nfds), -EPROTO);
	send_raw(&h, sizeof(h), NULL, 0);                  /* says 5 bytes, has none */
	ck_assert_int_eq(con_recv(c.link, &m, fds, &nfds), -EPROTO);
	h.len = 0;
	send_raw(&h, sizeof(h), NULL, 0);
	ck_assert_int_eq(con_recv(c.link, &m, fds, &nfds), 1);   /* no data: 0 + 1 */
	int e[4];
	for (int i = 0; i < 4; i++)
		e[i] = eventfd(0, EFD_CLOEXEC);
	send_raw(&h, sizeof(h), e, 1);
	ck_assert_int_eq(con_recv(c.link, &m, fds, &nfds), 1);
	ck_assert_uint_eq(nfds, 1);
	close(fds[0]);
	send_raw(&h, sizeof(h), e, 4);                     /* too many descriptors */
	ck_assert_int_eq(con_recv(c.link, &m, fds, &nfds), -EMSGSIZE);
	ck_assert_uint_eq(nfds, 0);
	for (int i = 0; i < 4; i++)
		close(e[i]);
	close(hv);
	hv = -1;
	ck_assert_int_eq(con_recv(c.link, &m, fds, &nfds), 0);   /* the hypervisor went away */
}
END_TEST

/* A one-page memfd like the hypervisor's, with indices already in it. */
static int ring_fd(size_t size, uint32_t out_cons, uint32_t in_prod)
{
	int fd = memfd_create("ring", MFD_CLOEXEC);
	struct lamina_console_ring r = { .out_cons = out_cons, .out_prod = out_cons,
					 .in_prod = in_prod, .in_cons = in_prod };

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	ck_assert_int_eq(pwrite(fd, &r, sizeof(r), 0), (ssize_t)sizeof(r));
	return fd;
}

static int setup_with(size_t size, unsigned nfds, uint32_t len)
{
	struct { struct conlink_hdr h; struct conlink_setup s; } m = {
		{ CL_SETUP, len }, { 9, 2 } };
	int fds[3] = { ring_fd(size, 100, 7), eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
	struct con_dev dev;

	send_raw(&m, sizeof(m.h) + len, fds, nfds);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	int rc = con_init(&dev, c.link);
	if (!rc) {
		ck_assert_uint_eq(dev.domid, 9);
		ck_assert_uint_eq(dev.port, 2);
		ck_assert_uint_eq(dev.out_cons, 100);      /* where the last back-end stopped */
		ck_assert_uint_eq(dev.in_prod, 7);
		ck_assert_uint_eq(dev.ring->out_prod, 100);
	}
	con_exit(&dev);
	return rc;
}

START_TEST(setup_from_the_hypervisor)
{
	ck_assert_int_eq(setup_with(4096, 3, sizeof(struct conlink_setup)), 0);
	ck_assert_int_eq(setup_with(4096, 2, sizeof(struct conlink_setup)), -EPROTO);
	ck_assert_int_eq(setup_with(4096, 3, 4), -EPROTO);
	ck_assert_int_eq(setup_with(8192, 3, sizeof(struct conlink_setup)), -EINVAL);
}
END_TEST

START_TEST(log_lines)
{
	char buf[512];
	uint32_t n;

	con_log(&c, "domain %u: %s", 3u, "something");
	ck_assert_int_eq(hv_take(buf, &n), CL_LOG);
	ck_assert_uint_eq(n, strlen("domain 3: something"));
	ck_assert_int_eq(memcmp(buf, "domain 3: something", n), 0);
	ck_assert_int_eq(con_send(&c, CL_OUTPUT, buf, CONLINK_DATA_MAX + 1), -EMSGSIZE);
}
END_TEST

Suite *link_suite(void)
{
	Suite *s = suite_create("link" SUFFIX);
	TCase *tc = tcase_create("link" SUFFIX);

	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_add_test(tc, malformed_messages);
	tcase_add_test(tc, setup_from_the_hypervisor);
	tcase_add_test(tc, log_lines);
	suite_add_tcase(s, tc);
	return s;
}
