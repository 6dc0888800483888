// SPDX-License-Identifier: MIT
// net_host: lamina-netback's host side: a TAP interface (with a virtio-net header) or a connection to lamina-netswitch, and what its loop may still call once sandboxed.
//
// Either way a host frame is a struct lamina_netif_hdr followed by the
// Ethernet frame: the TAP is opened with IFF_VNET_HDR and a 12-byte
// header, and each switch datagram is one such frame.
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
#define SOCK_BUF (4 << 20) // socket buffer to the switch: a few super-frames in flight

int64_t nb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

// Bring the TAP up; a warning only (the toolstack may do it instead).
static void tap_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) || ((ifr.ifr_flags |= IFF_UP), ioctl(s, SIOCSIFFLAGS, &ifr)))
		fprintf(stderr, "lamina-netback: warning: %s: cannot bring it up: %s\n", name, strerror(errno));
	if (s >= 0)
		close(s);
}

static int tap_open(struct nb_dev *d)
{
	struct ifreq ifr = { 0 };
	int sz = NB_HDR, fd;

	if (strlen(d->host.name) >= IFNAMSIZ) {
		fprintf(stderr, "lamina-netback: %s: interface name too long\n", d->host.name);
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", d->host.name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0 || ioctl(fd, TUNSETIFF, &ifr) ||
	    ioctl(fd, TUNSETVNETHDRSZ, &sz) || ioctl(fd, TUNSETOFFLOAD, 0u)) {
		fprintf(stderr, "lamina-netback: TAP %s: %s\n", d->host.name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	d->host.fd = fd;
	d->host.offload_set = 0;
	tap_up(d->host.name);
	return 0;
}

// The switch hello: "lamina-netswitch 1 mac=aa:bb:cc:dd:ee:ff vlan=N".
static int switch_hello(struct nb_dev *d, int fd)
{
	char mac[18], msg[80];
	int n;

	nb_format_mac(d->cfg.mac, mac);
	n = snprintf(msg, sizeof(msg), "lamina-netswitch 1 mac=%s vlan=%u", mac, d->host.vlan);
	return send(fd, msg, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

// One attempt to connect to the switch. 0, or -errno.
static int switch_connect(struct nb_dev *d)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int buf = SOCK_BUF, fd, rc;

	if (strlen(d->host.name) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, d->host.name, strlen(d->host.name));
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) || switch_hello(d, fd)) {
		rc = -errno;
		close(fd);
		return rc ? rc : -EIO;
	}
	d->host.fd = fd;
	d->host.backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

int nb_host_open(struct nb_dev *d)
{
	int rc;

	d->host.fd = -1;
	d->host.backoff_ms = BACKOFF_MIN_MS;
	if (d->host.kind == NB_TAP)
		return tap_open(d);
	if ((rc = switch_connect(d))) {
		fprintf(stderr, "lamina-netback: switch %s: %s\n", d->host.name, strerror(-rc));
		return -1;
	}
	return 0;
}

// The switch went away: close, and try again after the backoff.
static void switch_lost(struct nb_dev *d, const char *why)
{
	if (d->host.fd < 0)
		return;
	fprintf(stderr, "lamina-netback: switch %s: %s; reconnecting\n", d->host.name, why);
	close(d->host.fd);
	d->host.fd = -1;
	d->host.retry_ns = nb_now_ns() + (int64_t)d->host.backoff_ms * 1000000;
}

void nb_host_tick(struct nb_dev *d)
{
	int rc;

	if (d->host.kind != NB_SWITCH || d->host.fd >= 0 || nb_now_ns() < d->host.retry_ns)
		return;
	if (!(rc = switch_connect(d))) {
		fprintf(stderr, "lamina-netback: switch %s: connected again\n", d->host.name);
		return;
	}
	if (d->verbose)
		fprintf(stderr, "lamina-netback: switch %s: %s\n", d->host.name, strerror(-rc));
	d->host.backoff_ms = d->host.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->host.backoff_ms * 2;
	d->host.retry_ns = nb_now_ns() + (int64_t)d->host.backoff_ms * 1000000;
}

int nb_host_timeout(const struct nb_dev *d, int ms)
{
	int64_t left;

	if (d->host.kind != NB_SWITCH || d->host.fd >= 0)
		return ms;
	left = (d->host.retry_ns - nb_now_ns()) / 1000000 + 1;
	return left < 0 ? 0 : left < ms ? (int)left : ms;
}

int nb_host_offload(struct nb_dev *d)
{
	unsigned want = d->cfg.offload ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0;

	if (d->host.kind != NB_TAP || want == d->host.offload_set)
		return 0;
	if (ioctl(d->host.fd, TUNSETOFFLOAD, want))
		return -errno;
	d->host.offload_set = want;
	return 0;
}

int nb_host_send(struct nb_dev *d, const uint8_t *f, size_t len)
{
	ssize_t n;

	if (d->host.fd < 0)
		return -ENOTCONN;
	if (d->host.kind == NB_TAP)
		n = write(d->host.fd, f, len);
	else
		n = send(d->host.fd, f, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		return -EIO;
	n = -errno;
	if (d->host.kind == NB_SWITCH && n != -EAGAIN && n != -ENOBUFS)
		switch_lost(d, strerror((int)-n));
	return (int)n;
}

// One datagram from the switch: length, 0 (none now, or skipped), -1 gone.
static int switch_recv(struct nb_dev *d, uint8_t *buf, size_t cap)
{
	struct iovec iov = { buf, cap };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(d->host.fd, &m, MSG_DONTWAIT);

	if (n > 0 && (m.msg_flags & MSG_TRUNC))
		return d->st.rx_big++, 0;
	if (n > 0)
		return (int)n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	switch_lost(d, n ? strerror(errno) : "it closed the connection");
	return -1;
}

int nb_host_recv(struct nb_dev *d, uint8_t *buf, size_t cap)
{
	ssize_t n;

	if (d->host.fd < 0)
		return -1;
	if (d->host.kind == NB_SWITCH)
		return switch_recv(d, buf, cap);
	n = read(d->host.fd, buf, cap);
	if (n >= 0)
		return (int)n;
	if (errno != EAGAIN && errno != EINTR && d->verbose)
		fprintf(stderr, "lamina-netback: TAP %s: read: %s\n", d->host.name, strerror(errno));
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

// The sandbox action LAMINA_SANDBOX asks for (sandbox.c's rule), or 0: none.
static uint32_t narrow_action(void)
{
	const char *m = getenv("LAMINA_SANDBOX");

	if (!m || !*m || !strcmp(m, "kill"))
		return SCMP_ACT_KILL_PROCESS;
	if (!strcmp(m, "log"))
		return SCMP_ACT_LOG;
	return strcmp(m, "trap") ? 0 : SCMP_ACT_TRAP;
}

// A filter stacked under libbackend's: the extra calls only as this
// back-end uses them (ioctl: TUNSETOFFLOAD on the TAP; socket: AF_UNIX).
static int narrow(struct nb_dev *d)
{
	uint32_t act = narrow_action();
	scmp_filter_ctx ctx;
	int rc;

	if (!act)
		return 0; // lbk_sandbox refuses the value itself
	if (!(ctx = seccomp_init(SCMP_ACT_ALLOW)))
		return -ENOMEM;
	if (d->host.kind == NB_TAP) {
		rc = seccomp_rule_add(ctx, act, SCMP_SYS(ioctl), 1, SCMP_A0(SCMP_CMP_NE, (uint64_t)d->host.fd));
		if (!rc)
			rc = seccomp_rule_add(ctx, act, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_NE, TUNSETOFFLOAD));
	} else {
		rc = seccomp_rule_add(ctx, act, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	}
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int nb_host_sandbox(struct nb_dev *d, int *extra, size_t *n)
{
	int rc = narrow(d);

	if (rc) {
		snprintf(d->b.err, sizeof(d->b.err), "seccomp (host side): %s", strerror(-rc));
		return rc;
	}
	*n = 0;
	if (d->host.kind == NB_TAP) {
		extra[(*n)++] = SCMP_SYS(ioctl);
	} else { // reconnecting to the switch, and send()/recv() on it
		extra[(*n)++] = SCMP_SYS(socket);
		extra[(*n)++] = SCMP_SYS(connect);
		extra[(*n)++] = SCMP_SYS(setsockopt);
		extra[(*n)++] = SCMP_SYS(sendto);
	}
	return 0;
}
