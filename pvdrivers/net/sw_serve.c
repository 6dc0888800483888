// SPDX-License-Identifier: MIT
// sw_serve: lamina-netswitch's loop: accept ports, read each one's hello, then its frames, and forward them without ever waiting on a slow port.
//
// Each port is one SOCK_SEQPACKET connection; each datagram after the
// hello is one frame: a struct lamina_netif_hdr, then the Ethernet frame.
// Sends never block: a port whose socket buffer is full (its back-end does
// not read) loses the frame, and is counted; the other ports go on.
#include "sw_serve.h"
#include "net_frame.h"
#include "sw_core.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PORT_BUDGET 64 // datagrams read from one port per turn
#define SOCK_BUF (4 << 20) // each port's send buffer: its output queue
#define TICK_MS 1000

struct port {
	int fd; // -1: free
	uint8_t mac[6];
	unsigned long in, out, drops; // frames from it, to it, dropped for it (full)
	bool bye; // close after this turn
};

struct sw {
	const char *path;
	bool verbose;
	int lfd;
	struct port port[SW_MAX_PORTS];
	struct sw_port info[SW_MAX_PORTS];
	struct sw_table table;
	uint8_t buf[NB_HDR + LAMINA_NETIF_MAX_FRAME + 1];
	int out[SW_MAX_PORTS];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

// A stale socket (nobody accepts on it) is removed; a live one is an error.
static int claim_path(const char *path, struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), live;

	if (fd < 0)
		return -1;
	live = connect(fd, (struct sockaddr *)a, sizeof(*a)) == 0;
	close(fd);
	if (live) {
		fprintf(stderr, "lamina-netswitch: %s: another switch listens there\n", path);
		return -1;
	}
	if (unlink(path) && errno != ENOENT) {
		fprintf(stderr, "lamina-netswitch: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int listen_on(struct sw *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t old;
	int rc;

	if (strlen(s->path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "lamina-netswitch: %s: path too long\n", s->path);
		return -1;
	}
	memcpy(a.sun_path, s->path, strlen(s->path));
	if (claim_path(s->path, &a))
		return -1;
	if ((s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return perror("lamina-netswitch: socket"), -1;
	old = umask(077);
	rc = bind(s->lfd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc || chmod(s->path, 0600) || listen(s->lfd, 64)) {
		fprintf(stderr, "lamina-netswitch: %s: %s\n", s->path, strerror(errno));
		return -1;
	}
	return 0;
}

static void close_port(struct sw *s, int i)
{
	struct port *p = &s->port[i];

	if (s->verbose && s->info[i].up)
		fprintf(stderr, "lamina-netswitch: port %d left: %lu frames in, %lu out, %lu dropped (full)\n", i,
			p->in, p->out, p->drops);
	close(p->fd);
	*p = (struct port){ .fd = -1 };
	s->info[i] = (struct sw_port){ 0 };
	sw_forget_port(&s->table, i);
}

static void accept_ports(struct sw *s)
{
	int fd, buf = SOCK_BUF, i;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < SW_MAX_PORTS && s->port[i].fd >= 0; i++)
			;
		if (i == SW_MAX_PORTS) {
			fprintf(stderr, "lamina-netswitch: all %d ports in use; connection refused\n", SW_MAX_PORTS);
			close(fd);
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		s->port[i] = (struct port){ .fd = fd };
	}
}

static void hello(struct sw *s, int i, size_t n)
{
	unsigned vlan;
	const char *why;
	char mac[18];

	if (sw_parse_hello((const char *)s->buf, n, s->port[i].mac, &vlan, &why)) {
		fprintf(stderr, "lamina-netswitch: port %d: %s; closing it\n", i, why);
		s->port[i].bye = true;
		return;
	}
	s->info[i] = (struct sw_port){ .up = true, .vlan = (uint16_t)vlan };
	sw_learn(&s->table, s->port[i].mac, vlan, i, now_ns());
	nb_format_mac(s->port[i].mac, mac);
	if (s->verbose)
		fprintf(stderr, "lamina-netswitch: port %d: mac %s vlan %u\n", i, mac, vlan);
}

static void forward(struct sw *s, int src, size_t n)
{
	unsigned k = sw_forward(&s->table, s->info, SW_MAX_PORTS, src, s->buf + NB_HDR, n - NB_HDR, now_ns(),
				s->out);

	s->port[src].in++;
	for (unsigned j = 0; j < k; j++) {
		struct port *p = &s->port[s->out[j]];
		if (send(p->fd, s->buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)n)
			p->out++;
		else if (errno == EAGAIN || errno == ENOBUFS)
			p->drops++;
		else
			p->bye = true;
	}
}

// Up to PORT_BUDGET datagrams from port i; 1 if it has more.
static int read_port(struct sw *s, int i)
{
	struct port *p = &s->port[i];

	for (int k = 0; k < PORT_BUDGET && !p->bye; k++) {
		struct iovec iov = { s->buf, sizeof(s->buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(p->fd, &m, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			p->bye = true;
		else if (!s->info[i].up)
			hello(s, i, (size_t)n);
		else if (!(m.msg_flags & MSG_TRUNC) && (size_t)n >= NB_HDR + NB_ETH)
			forward(s, i, (size_t)n);
	}
	return !p->bye;
}

// One wait and what it found; 1 if a port has more to read at once.
static int turn(struct sw *s, const sigset_t *mask, int ms)
{
	struct pollfd pf[SW_MAX_PORTS + 1];
	int idx[SW_MAX_PORTS + 1], n = 0, more = 0;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000l };

	pf[n] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	idx[n++] = -1;
	for (int i = 0; i < SW_MAX_PORTS; i++)
		if (s->port[i].fd >= 0) {
			pf[n] = (struct pollfd){ .fd = s->port[i].fd, .events = POLLIN };
			idx[n++] = i;
		}
	if (ppoll(pf, (nfds_t)n, &ts, mask) < 0)
		return 0; // EINTR: the caller looks at stop
	if (pf[0].revents)
		accept_ports(s);
	for (int j = 1; j < n; j++)
		if (pf[j].revents & (POLLIN | POLLHUP | POLLERR))
			more |= read_port(s, idx[j]);
	for (int i = 0; i < SW_MAX_PORTS; i++)
		if (s->port[i].fd >= 0 && s->port[i].bye)
			close_port(s, i);
	return more;
}

int sw_run(const char *path, bool verbose)
{
	static struct sw s;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t mask;
	int64_t aged = now_ns();
	int more = 0;

	s = (struct sw){ .path = path, .verbose = verbose, .lfd = -1 };
	for (int i = 0; i < SW_MAX_PORTS; i++)
		s.port[i].fd = -1;
	sw_table_init(&s.table);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, SIGTERM);
	sigdelset(&mask, SIGINT);
	if (listen_on(&s))
		return 1;
	if (verbose)
		fprintf(stderr, "lamina-netswitch: listening on %s\n", path);
	while (!stop) {
		more = turn(&s, &mask, more ? 0 : TICK_MS);
		if (now_ns() - aged > 1000000000ll) {
			sw_age(&s.table, now_ns());
			aged = now_ns();
		}
	}
	for (int i = 0; i < SW_MAX_PORTS; i++)
		if (s.port[i].fd >= 0)
			close_port(&s, i);
	close(s.lfd);
	unlink(path);
	if (verbose)
		fprintf(stderr, "lamina-netswitch: stopped\n");
	return 0;
}
