// SPDX-License-Identifier: MIT
// Unit tests for lamina-netswitch's server (pvdrivers/net/sw_serve.c) over real sockets: fake ports say hello and exchange frames; forwarding, learning, VLANs, a port that never reads, bad hellos, SIGTERM.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_frame.h"
#include "sw_serve.h"
#include "tests.h"

static char dir[40], path[80];
static pid_t sw;

static pid_t start_switch(void)
{
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0) {
		sigset_t b;
		sigemptyset(&b);
		sigaddset(&b, SIGTERM);
		sigaddset(&b, SIGINT);
		sigprocmask(SIG_BLOCK, &b, NULL);
		_exit(sw_run(path, false));
	}
	return p;
}

static int stop_switch(pid_t p)
{
	int st;

	kill(p, SIGTERM);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void setup(void)
{
	struct stat s;

	snprintf(dir, sizeof(dir), "/tmp/lamina-netsw-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/switch.sock", dir);
	sw = start_switch();
	for (int i = 0; i < 200 && stat(path, &s); i++)
		usleep(10000);
}

static void teardown(void)
{
	if (sw > 0)
		stop_switch(sw);
	unlink(path);
	rmdir(dir);
}

// A port: connected, hello sent.
static int port(const char *mac, unsigned vlan)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char hello[80];
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), n;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	n = snprintf(hello, sizeof(hello), "lamina-netswitch 1 mac=%s vlan=%u", mac, vlan);
	ck_assert_int_eq(send(fd, hello, (size_t)n, 0), n);
	return fd;
}

// Send a frame dst <- src (MAC strings) of eth_len bytes, tagged with tag.
static void send_frame(int fd, const char *dst, const char *src, size_t eth_len, uint8_t tag)
{
	static uint8_t f[NB_HDR + 65535];
	struct lamina_netif_hdr h = { .flags = LAMINA_NETIF_HDR_F_DATA_VALID };

	memcpy(f, &h, NB_HDR);
	memset(f + NB_HDR, tag, eth_len);
	ck_assert_int_eq(nb_parse_mac(dst, f + NB_HDR), 0);
	ck_assert_int_eq(nb_parse_mac(src, f + NB_HDR + 6), 0);
	ck_assert_int_eq(send(fd, f, NB_HDR + eth_len, 0), (ssize_t)(NB_HDR + eth_len));
}

// The next frame on fd within ms: its tag (last byte), or -1 if none came.
static int recv_tag(int fd, int ms, size_t expect_len)
{
	static uint8_t f[NB_HDR + 65536];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recv(fd, f, sizeof(f), MSG_DONTWAIT);
	if (n <= 0)
		return -1;
	ck_assert_uint_eq((size_t)n, NB_HDR + expect_len); // one datagram, one whole frame
	ck_assert_uint_eq(f[0], LAMINA_NETIF_HDR_F_DATA_VALID); // the header crosses the switch
	return f[n - 1];
}

#define MA "02:00:00:00:00:0a"
#define MB "02:00:00:00:00:0b"
#define MC "02:00:00:00:00:0c"
#define MD "02:00:00:00:00:0d"
#define BC "ff:ff:ff:ff:ff:ff"

START_TEST(forwarding_learning_vlans)
{
	struct stat s;
	int a = port(MA, 0), b = port(MB, 0), c = port(MC, 5), d = port(MD, 5);

	ck_assert_int_eq(stat(path, &s), 0);
	ck_assert_uint_eq(s.st_mode & 0777, 0600);
	usleep(200000); // the switch has read every hello
	send_frame(a, BC, MA, 60, 1); // broadcast: VLAN 0 only, never back
	ck_assert_int_eq(recv_tag(b, 2000, 60), 1);
	ck_assert_int_eq(recv_tag(a, 100, 60), -1);
	ck_assert_int_eq(recv_tag(c, 100, 60), -1);
	ck_assert_int_eq(recv_tag(d, 100, 60), -1);
	send_frame(b, MA, MB, 100, 2); // A is known (from its hello): only A
	ck_assert_int_eq(recv_tag(a, 2000, 100), 2);
	send_frame(a, "02:00:00:00:00:99", MA, 70, 3); // unknown: flooded in VLAN 0
	ck_assert_int_eq(recv_tag(b, 2000, 70), 3);
	send_frame(c, BC, MC, 60, 4); // VLAN 5: D only
	ck_assert_int_eq(recv_tag(d, 2000, 60), 4);
	send_frame(c, MA, MC, 60, 5); // A's MAC is not known in VLAN 5: flooded there, never to A
	ck_assert_int_eq(recv_tag(d, 2000, 60), 5);
	ck_assert_int_eq(recv_tag(a, 200, 60), -1);
	ck_assert_int_eq(recv_tag(b, 100, 60), -1);
	send_frame(a, MB, MA, 9000, 6); // a big frame, whole
	ck_assert_int_eq(recv_tag(b, 2000, 9000), 6);
	close(a), close(b), close(c), close(d);
}
END_TEST

START_TEST(slow_port_does_not_stall_others)
{
	int a = port(MA, 0), b = port(MB, 0), e = port("02:00:00:00:00:0e", 0);

	usleep(200000);
	for (int i = 0; i < 200; i++) // about 12 MB for E, which never reads
		send_frame(a, "02:00:00:00:00:0e", MA, 60000, 7);
	send_frame(a, MB, MA, 60, 8);
	ck_assert_int_eq(recv_tag(b, 3000, 60), 8);
	close(a), close(b), close(e);
}
END_TEST

START_TEST(bad_hello_closes_the_port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct pollfd p;
	char x;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(send(fd, "hello", 5, 0), 5);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ck_assert_int_eq(recv(fd, &x, 1, 0), 0); // closed by the switch
	close(fd);
	int b = port(MB, 0), c = port(MC, 0); // the switch goes on
	usleep(200000);
	send_frame(b, BC, MB, 60, 9);
	ck_assert_int_eq(recv_tag(c, 2000, 60), 9);
	close(b), close(c);
}
END_TEST

START_TEST(sigterm_removes_the_socket)
{
	struct stat s;
	int a = port(MA, 0);

	ck_assert_int_eq(stop_switch(sw), 0);
	sw = 0;
	ck_assert_int_ne(stat(path, &s), 0); // gone
	close(a);
}
END_TEST

START_TEST(one_switch_per_path)
{
	int st;
	pid_t second = start_switch(); // the first one is alive: the second refuses

	ck_assert_int_eq(waitpid(second, &st, 0), second);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_assert_int_eq(stop_switch(sw), 0);
	// a stale socket (nobody listening) is replaced
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	sw = start_switch();
	usleep(200000);
	int b = port(MB, 0), c = port(MC, 0);
	usleep(200000);
	send_frame(b, BC, MB, 60, 10);
	ck_assert_int_eq(recv_tag(c, 2000, 60), 10);
	close(b), close(c);
}
END_TEST

TCase *swproc_tcase(void)
{
	TCase *t = tcase_create("swproc");

	tcase_set_timeout(t, 30);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, forwarding_learning_vlans);
	tcase_add_test(t, slow_port_does_not_stall_others);
	tcase_add_test(t, bad_hello_closes_the_port);
	tcase_add_test(t, sigterm_removes_the_socket);
	tcase_add_test(t, one_switch_per_path);
	return t;
}
