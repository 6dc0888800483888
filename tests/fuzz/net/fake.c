// SPDX-License-Identifier: MIT
// fake.c: lamina-netback's outside world for the net harness: the host (TAP or switch) that takes frames and checks them, the clock, lbk_fail, doorbells.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "net/fuzz_net.h"

int64_t fake_now;
bool fake_refuse;
unsigned long fake_sent, fake_refused;
static int kickfd[2];
static unsigned long pool_mark; /* pool changes when the current gather may have begun */

int64_t nb_now_ns(void) { return fake_now; }

void fake_init(void)
{
	for (unsigned i = 0; i < 2; i++)
		if ((kickfd[i] = eventfd(0, EFD_NONBLOCK)) < 0)
			fz_fail("eventfd: %m");
}

int fake_kick_fd(bool rx) { return kickfd[rx]; }

/*
 * Corrupt rings (io/netif.h: the back "stops using it and closes"): once
 * lbk_fail names a ring, that ring is never read or written again, and no
 * response is written to either (net_io.c answers nothing once corrupt);
 * the other ring may still be read until the turn ends.
 */
static bool failed;
static struct fz_region *bad; /* the ring declared corrupt */
static unsigned long bad_acc;
static uint32_t rsp_pvt[2], rsp_pub[2];
static uint8_t bad_copy[NB_PAGE];

static void ring_snapshot(void)
{
	bad_acc = bad->accesses;
	__builtin_memcpy(bad_copy, bad->base, NB_PAGE);
	rsp_pvt[0] = dev.tx.rsp_prod_pvt;
	rsp_pvt[1] = dev.rx.rsp_prod_pvt;
	rsp_pub[0] = dev.tx.sring->hdr.rsp_prod; // (plain reads: the harness's, not through the shim)
	rsp_pub[1] = dev.rx.sring->hdr.rsp_prod;
}

// libbackend's report of a connection-ending failure (nb_fail): net_io.c
// calls it only as it declares a ring corrupt ("transmit ring: ..." or "receive ring: ...").
void lbk_fail(struct lbk *b, const char *prog, const char *error_key, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (failed)
		fz_fail("nb_fail called twice: %s", msg);
	if (strncmp(msg, "transmit ring", 13) && strncmp(msg, "receive ring", 12))
		fz_fail("nb_fail, but not for a corrupt ring: %s", msg);
	failed = true;
	bad = msg[0] == 't' ? txr : rxr;
	ring_snapshot();
}

void fake_setup(void)
{
	uint64_t v;

	failed = fake_refuse = false;
	fake_sent = fake_refused = 0;
	for (unsigned i = 0; i < 2; i++)
		if (read(kickfd[i], &v, sizeof(v)) < 0 && errno != EAGAIN)
			fz_fail("eventfd: %m");
}

void fake_ring_guard(void)
{
	pool_mark = poolr->changes;
	if (failed)
		ring_snapshot(); // the guest may have written its rings since
}

void fake_ring_check(void)
{
	if (failed != dev.corrupt)
		fz_fail("nb_fail %s, the interface %s corrupt", failed ? "called" : "not called",
			dev.corrupt ? "marked" : "not marked");
	if (!failed)
		return;
	if (bad->accesses != bad_acc || __builtin_memcmp(bad_copy, bad->base, NB_PAGE))
		fz_fail("the back-end used the %s ring after declaring it corrupt", bad == txr ? "transmit" : "receive");
	if (dev.tx.rsp_prod_pvt != rsp_pvt[0] || dev.rx.rsp_prod_pvt != rsp_pvt[1] ||
	    dev.tx.sring->hdr.rsp_prod != rsp_pub[0] || dev.rx.sring->hdr.rsp_prod != rsp_pub[1])
		fz_fail("a response written or published after a ring was declared corrupt");
}

/* ---- the host: what lamina-netback hands it must follow io/netif.h ---- */

static bool in_pool(uint32_t gref, uint16_t mask) { return gref < NPAGES && (mask >> gref & 1); }

// The frame's requests (the back-end's private copies): taken, in the pool, within pages, adding up.
static void check_requests(const struct nb_dev *d)
{
	const struct lamina_netif_tx_request *rq = d->frag;
	unsigned n = d->nfrag;
	unsigned long rest = 0;

	if (n < 1 || n > LAMINA_NETIF_MAX_FRAGS)
		fz_fail("a frame of %u requests sent", n);
	for (unsigned i = 0; i < n; i++) {
		if (!(rq[i].flags & LAMINA_NETTXF_MORE_DATA) != (i + 1 == n))
			fz_fail("request %u of %u of a sent frame: MORE_DATA %s", i, n, i + 1 == n ? "set" : "clear");
		if (!in_pool(rq[i].gref, txmask))
			fz_fail("a frame sent from grant %u, not in the transmit pool", rq[i].gref);
		if (!tx_in_flight(&rq[i]))
			fz_fail("a frame sent with a request (id %u) not taken or already answered", rq[i].id);
		if (i == 0)
			continue;
		rest += rq[i].size;
		if (rq[i].offset + rq[i].size > NB_PAGE)
			fz_fail("request %u of a sent frame crosses its page", i);
	}
	if (rest > rq[0].size || rq[0].offset + (rq[0].size - rest) > NB_PAGE)
		fz_fail("a sent frame's parts do not add up (%lu of %u) or cross a page", rest, rq[0].size);
}

// The host frame: an offload header io/netif.h allows, then a frame within the limits.
static void check_frame(const struct nb_dev *d, const uint8_t *f, size_t len)
{
	const struct nb_cfg *c = &d->cfg;
	size_t eth = len - NB_HDR, total = d->frag[0].size;
	struct lamina_netif_hdr h;

	if (len < NB_HDR + NB_ETH || eth > LAMINA_NETIF_MAX_FRAME || total != (c->offload ? len : eth))
		fz_fail("a host frame of %zu bytes for a frame of %zu", len, total);
	__builtin_memcpy(&h, f, NB_HDR);
	if (h.pad || !hdr_ok(&h, eth))
		fz_fail("a host frame with an offload header io/netif.h forbids (flags %#x gso %#x/%u pad %u)",
			h.flags, h.gso_type, h.gso_size, h.pad);
	if (!c->offload && (h.gso_type || h.gso_size || h.hdr_len || h.csum_start || h.csum_offset ||
			    h.flags != (d->frag[0].flags & LAMINA_NETTXF_DATA_VALIDATED ? LAMINA_NETIF_HDR_F_DATA_VALID : 0)))
		fz_fail("without offload, a host frame's header is not the one the request implies");
	if ((h.gso_type & ~LAMINA_NETIF_GSO_ECN) == LAMINA_NETIF_GSO_NONE && eth > c->mtu + NB_ETH_MAX_EXTRA)
		fz_fail("a %zu-byte frame sent on an MTU of %u", eth, c->mtu);
	if (!c->allow_spoof && __builtin_memcmp(f + NB_HDR + 6, c->mac, 6))
		fz_fail("a frame from another source MAC sent");
}

// The bytes: what the requests name in the pool (when the guest did not change them meanwhile).
static void check_content(const struct nb_dev *d, const uint8_t *f, size_t len)
{
	static uint8_t g[NB_BUF_MAX];
	const struct lamina_netif_tx_request *rq = d->frag;
	size_t total = rq[0].size, first = total, o;
	unsigned hdr = d->cfg.offload ? NB_HDR : 0;

	for (unsigned i = 1; i < d->nfrag; i++)
		first -= rq[i].size;
	__builtin_memcpy(g, pool + (size_t)rq[0].gref * NB_PAGE + rq[0].offset, first);
	o = first;
	for (unsigned i = 1; i < d->nfrag; o += rq[i++].size)
		__builtin_memcpy(g + o, pool + (size_t)rq[i].gref * NB_PAGE + rq[i].offset, rq[i].size);
	if (__builtin_memcmp(f + NB_HDR, g + hdr, total - hdr) ||
	    (hdr && __builtin_memcmp(f, g, offsetof(struct lamina_netif_hdr, pad))))
		fz_fail("a host frame is not the bytes its requests name");
}

int nb_host_send(struct nb_dev *d, const uint8_t *f, size_t len)
{
	harvest();
	check_requests(d);
	check_frame(d, f, len);
	if (poolr->changes == pool_mark)
		check_content(d, f, len);
	pool_mark = poolr->changes;
	if (fake_refuse) {
		fake_refused++;
		return -EAGAIN;
	}
	fake_sent++;
	return 0;
}
