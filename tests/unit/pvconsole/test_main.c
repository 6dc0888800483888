// SPDX-License-Identifier: MIT
// test_main.c: runs lamina-console's unit test suites; the fake hypervisor end they share.
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "test.h"

int hv = -1;
struct con_dev c;
struct lamina_console_ring ring __attribute__((aligned(4096)));

void fake_setup(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	memset(&ring, 0, sizeof(ring));
	memset(&c, 0, sizeof(c));
	c.link = sv[0];
	hv = sv[1];
	c.ring = &ring;
	c.doorbell = -1;
	c.kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c.domid = 3;
	ck_assert_int_ge(c.kick, 0);
}

void fake_teardown(void)
{
	close(c.link);
	close(c.kick);
	if (hv >= 0)
		close(hv);
	hv = -1;
}

void gwrite(const void *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		ring.out[(ring.out_prod + i) % OB] = ((const uint8_t *)s)[i];
	ring.out_prod += n;
}

int hv_take(char *buf, uint32_t *n)
{
	struct conlink_msg m;
	ssize_t k = recv(hv, &m, sizeof(m), MSG_DONTWAIT);

	if (k < (ssize_t)sizeof(m.h))
		return -1;
	ck_assert_uint_eq(m.h.len, (size_t)k - sizeof(m.h));
	memcpy(buf, m.data, m.h.len);
	*n = m.h.len;
	return (int)m.h.type;
}

void hv_send(uint32_t type, const void *data, uint32_t len)
{
	struct conlink_msg m = { .h = { type, len } };

	if (len)
		memcpy(m.data, data, len);
	ck_assert_int_eq(send(hv, &m, sizeof(m.h) + len, 0), (ssize_t)(sizeof(m.h) + len));
}

uint64_t kicks(void)
{
	uint64_t n = 0;

	return read(c.kick, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());

	srunner_add_suite(sr, serve_suite());
	srunner_add_suite(sr, link_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
