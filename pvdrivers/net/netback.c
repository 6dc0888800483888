// SPDX-License-Identifier: MIT
// lamina-netback: the network back-end process: one vif device of one domain, joined to a TAP interface or a lamina-netswitch, on lamina-hvd's back-end interface.
//
// usage: lamina-netback [options] (--tap IFNAME | --switch PATH) --mac MAC ID DEVID
// (see docs/man/lamina-netback.8)
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 1000 // longest sleep before looking at the front's state again

enum { GO_ON, STOP }; // after a connection: serve the next one, or exit

// --ready-fd: the toolstack's pipe; "OK" once attached, or "ERR why".
static int ready_fd = -1;

static void ready(const char *a, const char *b)
{
	char msg[256];
	int n;

	if (ready_fd < 0)
		return;
	// snprintf + write, not dprintf (which calls lseek: not in the sandbox)
	n = a ? snprintf(msg, sizeof(msg), "ERR %s: %s\n", a, b) : snprintf(msg, sizeof(msg), "OK\n");
	if (n > 0 && write(ready_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0)
		n = -1; // the toolstack went away: nothing to tell
	close(ready_fd);
	ready_fd = -1;
}

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "lamina-netback: %s: %s\n", what, detail);
	ready(what, detail);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: lamina-netback [--socket PATH] [--ready-fd FD] [--verbose] [--mtu N] "
		"[--allow-spoof] [--tx-rate BYTES_PER_S[:BURST]] [--rx-rate BYTES_PER_S[:BURST]] "
		"[--tx-pps N[:BURST]] [--rx-pps N[:BURST]] (--tap IFNAME | --switch SOCKETPATH) [--vlan N] "
		"--mac MAC ID DEVID\n");
	ready("bad arguments", "lamina-netback --help");
	return 2;
}

// A decimal number in [min, max], or -1.
static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return !*s || *end || errno || v < min || v > max ? -1 : v;
}

// --tx-rate, --rx-rate (bytes), --tx-pps, --rx-pps (frames): "RATE[:BURST]" into the direction's config.
static int rate_opt(int c, const char *arg, struct nb_rate_cfg *tx, struct nb_rate_cfg *rx)
{
	struct nb_rate_cfg *r = c == 'T' || c == 'P' ? tx : rx;

	if (c == 'T' || c == 'r')
		return nb_parse_rate(arg, &r->bps, &r->bps_burst);
	return nb_parse_rate(arg, &r->pps, &r->pps_burst);
}

static int parse(int argc, char **argv, struct nb_dev *d, const char **sock, unsigned *id, unsigned *devid)
{
	static const struct option opts[] = {
		{ "socket", required_argument, 0, 'S' }, { "ready-fd", required_argument, 0, 'R' },
		{ "verbose", no_argument, 0, 'v' }, { "mtu", required_argument, 0, 'm' },
		{ "allow-spoof", no_argument, 0, 'a' }, { "tap", required_argument, 0, 't' },
		{ "switch", required_argument, 0, 's' }, { "vlan", required_argument, 0, 'l' },
		{ "mac", required_argument, 0, 'M' }, { "tx-rate", required_argument, 0, 'T' },
		{ "rx-rate", required_argument, 0, 'r' }, { "tx-pps", required_argument, 0, 'P' },
		{ "rx-pps", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	struct nb_rate_cfg tx = { 0 }, rx = { 0 };
	long v, dv, vlan = 0, mtu = LAMINA_NETIF_MTU_DEFAULT;
	bool mac = false, bad = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'S')
			*sock = optarg;
		else if (c == 'R')
			ready_fd = atoi(optarg), fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
		else if (c == 'v')
			d->verbose = true;
		else if (c == 'm')
			bad |= (mtu = number(optarg, 68, 65535)) < 0;
		else if (c == 'a')
			d->cfg.allow_spoof = true;
		else if (c == 't' || c == 's')
			bad |= d->host.name != NULL, d->host.name = optarg, d->host.kind = c == 't' ? NB_TAP : NB_SWITCH;
		else if (c == 'l')
			bad |= (vlan = number(optarg, 0, 4094)) < 0;
		else if (c == 'M')
			bad |= nb_parse_mac(optarg, d->cfg.mac) || (d->cfg.mac[0] & 1), mac = true;
		else if (c == 'T' || c == 'r' || c == 'P' || c == 'p')
			bad |= rate_opt(c, optarg, &tx, &rx) != 0;
		else
			return usage();
	}
	if (bad || !mac || !d->host.name || argc - optind != 2 || (vlan && d->host.kind != NB_SWITCH))
		return usage();
	d->cfg.mtu = (unsigned)mtu;
	nb_limit_init(&d->ltx, &tx, nb_now_ns());
	nb_limit_init(&d->lrx, &rx, nb_now_ns());
	d->host.vlan = (unsigned)vlan;
	v = number(argv[optind], 1, 65535);
	dv = number(argv[optind + 1], 0, 65535);
	if (v < 0 || dv < 0)
		return usage();
	*id = (unsigned)v;
	*devid = (unsigned)dv;
	return 0;
}

// Watch events and the front's state: GO_ON while it stays connected.
static int check_front(struct nb_dev *d)
{
	char path[256];
	int w, seen = 0;

	while ((w = lbk_wait(&d->b, 0, path, sizeof(path))) == 1)
		seen++;
	if (w < 0 || !seen)
		return w < 0 ? STOP : GO_ON;
	w = lbk_front_state(&d->b); // anything but Initialised/Connected ends this connection
	return w == LAMINA_BUS_INITIALISED || w == LAMINA_BUS_CONNECTED ? GO_ON : STOP;
}

static void drain_fd(int fd)
{
	uint64_t v;

	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fprintf(stderr, "lamina-netback: eventfd read: %s\n", strerror(errno));
}

// Host frames, up to the budget: to the guest if connected, else dropped.
// 1 if the budget ran out.
static int host_in(struct nb_dev *d)
{
	for (unsigned i = 0; i < NB_HOST_BUDGET; i++) {
		int n = nb_host_recv(d, d->buf, sizeof(d->buf));
		if (n <= 0)
			return 0;
		if (d->connected && !d->corrupt)
			nb_rx_frame(d, d->buf, (size_t)n);
	}
	return 1;
}

// Sleep until something may have changed: the store, the doorbells, the host.
static void sleep_loop(struct nb_dev *d, int ms)
{
	struct pollfd p[4];
	unsigned n = 0;

	p[n++] = (struct pollfd){ .fd = d->b.fd, .events = POLLIN };
	if (d->connected) {
		p[n++] = (struct pollfd){ .fd = d->bell_tx, .events = POLLIN };
		if (d->split)
			p[n++] = (struct pollfd){ .fd = d->bell_rx, .events = POLLIN };
	}
	if (d->host.fd >= 0)
		p[n++] = (struct pollfd){ .fd = d->host.fd, .events = POLLIN };
	if (d->b.nev)
		ms = 0; // watch events already read off the socket
	if (poll(p, n, nb_host_timeout(d, nb_io_timeout(d, ms))) < 0)
		return;
	if (d->connected) {
		drain_fd(d->bell_tx);
		if (d->split)
			drain_fd(d->bell_rx);
	}
}

// Wait until the front's state satisfies ok(), dropping host frames meanwhile;
// a detach comes first (no second handshake with a leaving back-end).
static int wait_front(struct nb_dev *d, bool (*ok)(int))
{
	char path[256];
	bool look = true; // the state may have changed: read it
	int w;

	for (;;) {
		if (d->b.detach)
			return STOP;
		if (look && ok(lbk_front_state(&d->b)))
			return GO_ON;
		look = false;
		while ((w = lbk_wait(&d->b, 0, path, sizeof(path))) == 1)
			look = true;
		if (w < 0)
			return STOP;
		if (look)
			continue;
		nb_host_tick(d);
		sleep_loop(d, host_in(d) ? 0 : WAIT_MS);
	}
}

static bool initialised(int s) { return s == LAMINA_BUS_INITIALISED; }
static bool reinit(int s) { return s == LAMINA_BUS_INITIALISING || s == LAMINA_BUS_UNKNOWN; }

// --verbose: one line when nothing moved for STALL_NS while work waits (a frame
// held by the limit, frames queued for the guest, requests on a ring), so a
// hang says where it is. Ring producer indices are read for the line only.
#define STALL_NS 10000000000LL
static void stall_report(struct nb_dev *d, int64_t *last_ns, unsigned long *last_moved)
{
	unsigned long moved = d->st.tx_frames + d->st.rx_frames + d->st.tx_error + d->st.rx_full;
	uint32_t txp = LAMINA_READ_ONCE(d->tx.sring->hdr.req_prod), rxp = LAMINA_READ_ONCE(d->rx.sring->hdr.req_prod);
	int64_t now = nb_now_ns();
	bool work = d->tx_held || nb_rxq_head(&d->q) || txp != d->tx.req_cons;

	if (moved != *last_moved || !work) {
		*last_moved = moved;
		*last_ns = now;
		return;
	}
	if (now - *last_ns < STALL_NS)
		return;
	*last_ns = now;
	fprintf(stderr, "lamina-netback: domain %u: stalled 10 s: tx req_prod %u cons %u held %d (needs %llu, "
		"has %lld tokens); rx req_prod %u cons %u, %u buffers stashed, %u frames queued%s\n",
		d->b.domid, txp, d->tx.req_cons, d->tx_held, (unsigned long long)d->ltx.need,
		(long long)d->ltx.bytes.tokens, rxp, d->rx.req_cons, d->nstash, d->q.n,
		d->lrx.waiting ? ", rx waits for tokens" : "");
}

// Serve the connected rings until the front closes or a ring goes bad.
static void serve(struct nb_dev *d)
{
	int64_t stall_ns = nb_now_ns();
	unsigned long moved = 0;

	for (;;) {
		nb_host_tick(d);
		int more = host_in(d);
		more |= nb_rx(d);
		more |= nb_tx(d);
		nb_flush(d);
		if (d->verbose)
			stall_report(d, &stall_ns, &moved);
		if (d->corrupt || check_front(d) == STOP)
			return;
		sleep_loop(d, more ? 0 : WAIT_MS);
	}
}

// ", tx limit N B/s burst B, tx limit M frames/s burst F" for what a direction limits ("" for none).
static void limit_text(const char *dir, const struct nb_limit *l, char *out, size_t len)
{
	int n = 0;

	*out = 0;
	if (l->bytes.rate)
		n = snprintf(out, len, ", %s limit %llu B/s burst %lld", dir, (unsigned long long)l->bytes.rate,
			     (long long)l->bytes.burst);
	if (l->frames.rate && n >= 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, ", %s limit %llu frames/s burst %lld", dir,
			 (unsigned long long)l->frames.rate, (long long)l->frames.burst);
}

// The close line's rate-limit part: frames that waited for tokens, and how long in all.
static void limit_report(const struct nb_dev *d, char *out, size_t len)
{
	*out = 0;
	if (nb_limit_on(&d->ltx) || nb_limit_on(&d->lrx))
		snprintf(out, len, "; rate limit: tx %lu waits %lld ms, rx %lu waits %lld ms", d->ltx.waits,
			 (long long)(d->ltx.waited_ns / 1000000), d->lrx.waits, (long long)(d->lrx.waited_ns / 1000000));
}

static void report(struct nb_dev *d)
{
	const struct nb_stats *s = &d->st;
	char lim[160];

	limit_report(d, lim, sizeof(lim));

	fprintf(stderr, "lamina-netback: domain %u: closed; tx %lu frames %lu bytes, rx %lu frames %lu bytes; "
		"tx drops: %lu malformed, %lu spoofed, %lu host refused; rx drops: %lu queue full, %lu GSO "
		"without offload, %lu bad header, %lu too big; %lu bad rx buffers%s\n",
		d->b.domid, s->tx_frames, s->tx_bytes, s->rx_frames, s->rx_bytes, s->tx_error, s->tx_spoof,
		s->tx_host, s->rx_full, s->rx_gso, s->rx_bad, s->rx_big, s->rx_bufs_bad, lim);
}

// One connection, from InitWait to Closed.
static int one_connection(struct nb_dev *d)
{
	lbk_write(&d->b, lbk_be(&d->b, LAMINA_NETIF_KEY_ERROR), "");
	if (nb_publish(d))
		return die("cannot publish the interface", d->b.err), STOP;
	if (wait_front(d, initialised) == STOP)
		return STOP;
	if (nb_connect(d) == 0 && lbk_set_state(&d->b, LAMINA_BUS_CONNECTED) == 0) {
		fprintf(stderr, "lamina-netback: domain %u: connected, offload %s, %s event channel%s, host %s\n",
			d->b.domid, d->cfg.offload ? "on" : "off", d->split ? "split" : "one",
			d->split ? "s" : "", d->host.name);
		serve(d);
	}
	lbk_set_state(&d->b, LAMINA_BUS_CLOSING);
	nb_flush(d);
	nb_disconnect(d);
	lbk_set_state(&d->b, LAMINA_BUS_CLOSED);
	report(d);
	return wait_front(d, reinit);
}

int main(int argc, char **argv)
{
	static struct nb_dev d = { .bell_tx = -1, .kick_tx = -1, .bell_rx = -1, .kick_rx = -1 };
	const char *sock = NULL;
	unsigned id = 0, devid = 0;
	int extra[8];
	size_t nextra = 0;
	char ltx[160], lrx[160];

	if (parse(argc, argv, &d, &sock, &id, &devid))
		return 2;
	nb_rxq_init(&d.q, NB_RXQ_FRAMES, NB_RXQ_BYTES);
	if (!(d.txp = calloc(NB_GREFS, sizeof(*d.txp))) || !(d.rxp = calloc(NB_GREFS, sizeof(*d.rxp))))
		return die("memory", strerror(ENOMEM));
	if (nb_host_open(&d))
		return die(d.host.kind == NB_TAP ? "TAP" : "switch", d.host.name);
	if (lbk_connect(&d.b, sock) || lbk_attach(&d.b, id, "vif", devid))
		return die("attach", d.b.err);
	if (lbk_watch(&d.b, lbk_fe(&d.b, LAMINA_BUS_KEY_STATE)))
		return die("watch", d.b.err);
	if (nb_host_sandbox(&d, extra, &nextra) || lbk_sandbox(&d.b, extra, nextra))
		return die("sandbox", d.b.err);
	limit_text("tx", &d.ltx, ltx, sizeof(ltx));
	limit_text("rx", &d.lrx, lrx, sizeof(lrx));
	fprintf(stderr, "lamina-netback: domain %u vif %u: %s %s, mtu %u%s%s\n", d.b.domid, devid,
		d.host.kind == NB_TAP ? "TAP" : "switch", d.host.name, d.cfg.mtu, ltx, lrx);
	ready(NULL, NULL);
	while (one_connection(&d) == GO_ON)
		;
	lbk_close(&d.b);
	return 0;
}
