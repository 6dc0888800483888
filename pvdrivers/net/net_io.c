// SPDX-License-Identifier: MIT
// net_io: lamina-netback's rings: transmit frames copied off the ring, checked and sent to the host; host frames copied into the front's posted receive buffers.
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void corrupt(struct nb_dev *d, const char *ring)
{
	if (!d->corrupt)
		nb_fail(d, "%s ring: request indices out of range; disconnecting", ring);
	d->corrupt = true;
}

// ---- transmit (guest -> host) ----

static void tx_answer(struct nb_dev *d, uint16_t id, int status)
{
	struct lamina_netif_tx_response *r;

	if (d->corrupt || !(r = lamina_netif_tx_next_response(&d->tx)))
		return; // never write into a ring we stopped trusting
	*r = (struct lamina_netif_tx_response){ .id = id, .status = (int16_t)status };
	d->push_tx = true;
}

static void tx_refuse(struct nb_dev *d, int st, const char *why)
{
	if (st == LAMINA_NETIF_RSP_DROPPED)
		d->st.tx_spoof++;
	else
		d->st.tx_error++;
	if (d->verbose)
		fprintf(stderr, "lamina-netback: domain %u: transmit frame %s: %s\n", d->b.domid,
			st == LAMINA_NETIF_RSP_DROPPED ? "dropped" : "refused", why);
}

// The collected frame's Ethernet bytes as its first request claims them
// (a guest's word: checked only when the frame is gathered).
static uint64_t tx_claimed(const struct nb_dev *d)
{
	unsigned size = d->frag[0].size, hdr = d->cfg.offload ? NB_HDR : 0;

	return size > hdr ? size - hdr : 0;
}

// May the collected frame go now? If not, it is held: nothing more is
// taken off the ring (the front's frames wait there) until it goes.
static bool tx_admit(struct nb_dev *d)
{
	d->tx_held = nb_limit_on(&d->ltx) && !nb_limit_ready(&d->ltx, tx_claimed(d), nb_now_ns());
	return !d->tx_held;
}

// Charge the limit for a frame sent: buf[0..len) is its host frame.
static void tx_charge(struct nb_dev *d, size_t len)
{
	struct lamina_netif_hdr h;
	uint64_t bytes, frames;

	if (!nb_limit_on(&d->ltx))
		return;
	memcpy(&h, d->buf, NB_HDR);
	nb_wire_cost(&h, len - NB_HDR, &bytes, &frames);
	nb_limit_charge(&d->ltx, bytes, frames);
}

// The collected frame d->frag[0..nfrag): check, copy, send, answer each request.
static void tx_send(struct nb_dev *d)
{
	const char *why = "";
	size_t len = 0;
	int st = nb_tx_frame(&d->cfg, d->txp, d->frag, d->nfrag, d->buf, &len, &why);

	if (st == LAMINA_NETIF_RSP_OKAY && nb_host_send(d, d->buf, len)) {
		st = LAMINA_NETIF_RSP_DROPPED;
		d->st.tx_host++;
	} else if (st == LAMINA_NETIF_RSP_OKAY) {
		d->st.tx_frames++;
		d->st.tx_bytes += len - NB_HDR;
		tx_charge(d, len);
	} else {
		tx_refuse(d, st, why);
	}
	for (unsigned i = 0; i < d->nfrag; i++)
		tx_answer(d, d->frag[i].id, st);
	d->nfrag = 0;
}

// One request (a private copy); 1 when it ended a frame.
static int tx_one(struct nb_dev *d, const struct lamina_netif_tx_request *rq)
{
	bool more = rq->flags & LAMINA_NETTXF_MORE_DATA;

	if (d->skipping) { // the tail of a frame with too many requests
		tx_answer(d, rq->id, LAMINA_NETIF_RSP_ERROR);
		d->skipping = more;
		return !more;
	}
	if (d->nfrag == LAMINA_NETIF_MAX_FRAGS) { // a 19th request: the frame is malformed
		for (unsigned i = 0; i < d->nfrag; i++)
			tx_answer(d, d->frag[i].id, LAMINA_NETIF_RSP_ERROR);
		tx_answer(d, rq->id, LAMINA_NETIF_RSP_ERROR);
		tx_refuse(d, LAMINA_NETIF_RSP_ERROR, "more than 18 requests in one frame");
		d->nfrag = 0;
		d->skipping = more;
		return !more;
	}
	d->frag[d->nfrag++] = *rq;
	if (more)
		return 0; // the rest of the frame may come on a later turn
	if (tx_admit(d))
		tx_send(d);
	return 1;
}

int nb_tx(struct nb_dev *d)
{
	struct lamina_netif_tx_request rq = { 0 };
	unsigned frames = 0, reqs = 0;
	int rc = 0;

	if (d->tx_held) {
		if (!tx_admit(d))
			return 0; // still over the limit: nb_io_timeout wakes the loop
		tx_send(d);
		frames++;
	}
	// Requests are budgeted too: the tail of an over-long frame is answered
	// as it comes and ends no frame, so a front posting MORE_DATA without
	// end would keep us here for ever.
	while (!d->tx_held && frames < NB_TX_BUDGET && reqs++ < NB_TX_REQ_BUDGET &&
	       (rc = lamina_netif_tx_take_request(&d->tx, &rq)) == 1)
		frames += (unsigned)tx_one(d, &rq);
	if (d->tx_held)
		return 0; // the ring is not armed: nothing is taken until the frame goes
	if (frames < NB_TX_BUDGET && rc == 0)
		rc = lamina_netif_tx_final_check_requests(&d->tx);
	if (rc < 0)
		corrupt(d, "transmit");
	return rc > 0 && !d->corrupt;
}

// ---- receive (host -> guest) ----

static void rx_answer(struct nb_dev *d, uint16_t id, uint16_t flags, int status)
{
	struct lamina_netif_rx_response *r;

	if (d->corrupt || !(r = lamina_netif_rx_next_response(&d->rx)))
		return;
	*r = (struct lamina_netif_rx_response){ .id = id, .offset = 0, .flags = flags, .status = (int16_t)status };
	d->push_rx = true;
}

// Take posted buffers off the ring into the stash (a bad ref is answered
// ERROR), at most a ring's worth per call: a bad ref, answered at once,
// frees its slot, so a front posting them without end would keep us here.
static void rx_take(struct nb_dev *d)
{
	struct lamina_netif_rx_request rq = { 0 };
	int rc = 0;

	for (unsigned n = 0; n < NB_RING_SLOTS && d->nstash < NB_RING_SLOTS &&
	     (rc = lamina_netif_rx_take_request(&d->rx, &rq)) == 1; n++) {
		uint8_t *page = rq.gref < NB_GREFS ? d->rxp[rq.gref] : NULL;
		if (!page) {
			d->st.rx_bufs_bad++;
			rx_answer(d, rq.id, 0, LAMINA_NETIF_RSP_ERROR);
			continue;
		}
		d->stash[(d->stash_head + d->nstash++) % NB_RING_SLOTS] = (struct nb_rxbuf){ rq.id, page };
	}
	if (rc < 0)
		corrupt(d, "receive");
}

// What f[0..len) (as the guest gets it) costs on the wire.
static void rx_cost(const struct nb_dev *d, const uint8_t *f, size_t len, uint64_t *bytes, uint64_t *frames)
{
	struct lamina_netif_hdr h;

	if (!d->cfg.offload)
		return nb_wire_cost(NULL, len, bytes, frames);
	memcpy(&h, f, NB_HDR); // nb_rx_prepare left at least the header and an Ethernet header
	nb_wire_cost(&h, len - NB_HDR, bytes, frames);
}

// Copy f[0..len) into stashed buffers, one response each; false if the
// limit holds it back (first: a frame over the limit waits for tokens, not
// buffers) or too few buffers are posted. The limit is charged if it goes.
static bool rx_put(struct nb_dev *d, const uint8_t *f, size_t len, uint16_t flags)
{
	unsigned need = nb_rx_pages(len);
	uint64_t bytes = 0, frames = 0;

	if (d->corrupt)
		return false;
	if (nb_limit_on(&d->lrx)) {
		rx_cost(d, f, len, &bytes, &frames);
		if (!nb_limit_ready(&d->lrx, bytes, nb_now_ns()))
			return false;
	}
	if (need > d->nstash)
		return false;
	nb_limit_charge(&d->lrx, bytes, frames);
	for (unsigned i = 0; i < need; i++) {
		struct nb_rxbuf *b = &d->stash[d->stash_head];
		size_t n = len - (size_t)i * NB_PAGE > NB_PAGE ? NB_PAGE : len - (size_t)i * NB_PAGE;
		memcpy(b->page, f + (size_t)i * NB_PAGE, n);
		rx_answer(d, b->id, (uint16_t)(flags | (i + 1 < need ? LAMINA_NETRXF_MORE_DATA : 0)), (int)n);
		d->stash_head = (d->stash_head + 1) % NB_RING_SLOTS;
		d->nstash--;
	}
	d->st.rx_frames++;
	d->st.rx_bytes += len;
	return true;
}

static void rx_drop(struct nb_dev *d, enum nb_rx_verdict v)
{
	unsigned long *c[] = { [NB_RX_RUNT] = &d->st.rx_bad, [NB_RX_BADHDR] = &d->st.rx_bad,
			       [NB_RX_GSO] = &d->st.rx_gso, [NB_RX_BIG] = &d->st.rx_big };

	(*c[v])++;
}

void nb_rx_frame(struct nb_dev *d, uint8_t *f, size_t len)
{
	size_t off = 0, n = 0;
	uint16_t flags = 0;
	enum nb_rx_verdict v = nb_rx_prepare(&d->cfg, f, len, &off, &n, &flags);

	if (v != NB_RX_OK)
		return rx_drop(d, v);
	if (!nb_rxq_head(&d->q)) { // nothing queued before it: straight in if it fits
		rx_take(d);
		if (rx_put(d, f + off, n, flags))
			return;
	}
	if (nb_rxq_push(&d->q, f + off, n, flags))
		d->st.rx_full++;
}

int nb_rx(struct nb_dev *d)
{
	struct nb_qframe *f;
	int rc;

	rx_take(d);
	while ((f = nb_rxq_head(&d->q)) && rx_put(d, f->data, f->len, f->rxflags))
		nb_rxq_pop(&d->q);
	if (!nb_rxq_head(&d->q) || d->corrupt || d->lrx.waiting)
		return 0; // (frames over the limit: nb_io_timeout wakes the loop)
	// frames wait for buffers: ask to hear of the next one posted
	rc = lamina_netif_rx_final_check_requests(&d->rx);
	if (rc < 0)
		corrupt(d, "receive");
	return rc > 0 && !d->corrupt;
}

int nb_io_timeout(const struct nb_dev *d, int ms)
{
	bool rx = d->lrx.waiting && nb_rxq_head(&d->q);
	int64_t now;

	if (!d->tx_held && !rx)
		return ms;
	now = nb_now_ns();
	if (d->tx_held)
		ms = nb_wait_ms(nb_limit_wait_ns(&d->ltx, now), ms);
	if (rx)
		ms = nb_wait_ms(nb_limit_wait_ns(&d->lrx, now), ms);
	return ms;
}

void nb_io_drop_held(struct nb_dev *d)
{
	int64_t now = nb_now_ns();

	d->tx_held = false;
	nb_limit_abandon(&d->ltx, now);
	nb_limit_abandon(&d->lrx, now);
}

static void kick(struct nb_dev *d, int fd, const char *which)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "lamina-netback: domain %u: cannot kick the %s port: %s\n", d->b.domid, which,
			strerror(errno));
}

void nb_flush(struct nb_dev *d)
{
	bool ktx = false, krx = false;

	if (d->corrupt)
		return;
	if (d->push_tx)
		ktx = lamina_netif_tx_push_responses(&d->tx);
	if (d->push_rx)
		krx = lamina_netif_rx_push_responses(&d->rx);
	d->push_tx = d->push_rx = false;
	if (d->split) {
		if (ktx)
			kick(d, d->kick_tx, "transmit");
		if (krx)
			kick(d, d->kick_rx, "receive");
	} else if (ktx || krx) {
		kick(d, d->kick_tx, "event");
	}
}
