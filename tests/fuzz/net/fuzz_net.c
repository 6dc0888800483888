// SPDX-License-Identifier: MIT
// fuzz_net.c: libFuzzer harness for lamina-netback's ring consumers (net_io.c, net_frame.c, net_rate.c, net_queue.c) over rings and buffer pools the guest changes between reads.
#include <stdlib.h>
#include "net/fuzz_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input (tests/fuzz/net/make-seeds writes well-formed ones):
 *   12 config bytes: flags (1 offload, 2 allow spoofing, 4 split event
 *     channels, 8 quiet: the guest changes nothing during back-end calls,
 *     so no control bytes are read there; seeds use it); MTU (2 bytes: below 0xc000 one of 1500, 9000, 576, 68,
 *     65535, else 68 + v % 65468); the transmit and receive pools (16-bit
 *     masks over grefs 0..15; 0: gref 0, gref 8); the receive queue's cap
 *     (1 + b % 16 frames, 64 KiB if b & 0x80); rate limits (tx bytes/s,
 *     tx frames/s, rx bytes/s, rx frames/s: b * 20000, b * 20; 0 none);
 *   then ops, each a byte (% 11) and its operands (see the op_* functions):
 *     TXF writes a transmit frame (its requests and bytes) and publishes
 *     it; TXRAW one raw transmit request; RXPOST posts receive buffers;
 *     PUBLISH, EVENT set a ring's req_prod, rsp_event; SCRIBBLE writes a
 *     buffer page; HOST has the host hand the back-end a frame (as
 *     lamina-netback's host_in does); TURN is one turn of its loop (nb_rx,
 *     nb_tx, nb_flush); CLOCK moves the clock; TIMEOUT asks nb_io_timeout;
 *     REFUSE makes the host take or refuse frames.
 * During a back-end call the guest may rewrite any ring or buffer bytes
 * just before they are read (common/shim.c).
 *
 * Checked besides ASan/UBSan: no ring slot read twice before its response
 * is written (double fetch); per call at most NB_TX_BUDGET frames' worth
 * of transmit requests (19 each: a frame, or 18 and the one that makes it
 * too long) and one ring's worth (256) of receive requests taken; every
 * response answers a request taken and not yet answered (by id), with a
 * status io/netif.h allows, every transmit request of a frame the same;
 * a frame handed to the host follows io/netif.h (its requests taken, in
 * the pool, within their pages, adding up; a valid offload header with
 * pad 0, or none implied; within the MTU unless GSO; the interface's
 * source MAC unless spoofing is allowed) and is the bytes its requests
 * name; a host frame is dropped exactly when io/netif.h says (runt, bad
 * header, GSO or too big without offload) or the queue is full, and
 * otherwise reaches the front whole, in order, in posted buffers, as
 * the header rules say (pad 0; without offload the header removed and a
 * NEEDS_CSUM checksum completed), each response's length within its page;
 * responses are published by the end of a turn; at the end every request
 * is answered but those of an unfinished frame and the stashed buffers,
 * and the counters agree with the host; once a ring is declared corrupt
 * it is never read or written again and no response is written to either
 * (the rest of that turn may still read the other ring; then, as
 * lamina-netback's serve() returns, only the teardown's nb_flush runs).
 */
#define MAX_OPS 1024
#define TX_TAKE_BUDGET (NB_TX_BUDGET * (LAMINA_NETIF_MAX_FRAGS + 1))
enum { OP_TXF, OP_TXRAW, OP_RXPOST, OP_PUBLISH, OP_EVENT, OP_SCRIBBLE, OP_HOST, OP_TURN, OP_CLOCK, OP_TIMEOUT,
       OP_REFUSE, NOPS };
static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct nb_dev dev;
uint8_t *pool;
uint16_t txmask, rxmask;
struct fz_region *txr, *rxr, *poolr;
static uint8_t *rings; /* tx ring page, then rx ring page */
static uint8_t *ptab[2][NB_GREFS]; /* the pools' tables (dev.txp, dev.rxp) */

static uint16_t fz16(void) { uint16_t v; fz_take(&v, 2); return v; }
static uint32_t fz32(void) { uint32_t v; fz_take(&v, 4); return v; }

/* ---- io/netif.h's rules, independently of net_frame.c ---- */

bool hdr_ok(const struct lamina_netif_hdr *h, size_t eth_len)
{
	unsigned t = h->gso_type & ~LAMINA_NETIF_GSO_ECN;
	bool gso = t != LAMINA_NETIF_GSO_NONE;

	return !(h->flags & ~(LAMINA_NETIF_HDR_F_NEEDS_CSUM | LAMINA_NETIF_HDR_F_DATA_VALID)) &&
	       (t == LAMINA_NETIF_GSO_NONE || t == LAMINA_NETIF_GSO_TCPV4 || t == LAMINA_NETIF_GSO_TCPV6) &&
	       (gso || h->gso_type == LAMINA_NETIF_GSO_NONE) && gso == (h->gso_size > 0) &&
	       (!(h->flags & LAMINA_NETIF_HDR_F_NEEDS_CSUM) || h->csum_start + h->csum_offset + 2u <= eth_len) &&
	       h->hdr_len <= eth_len;
}

// The Internet checksum (RFC 1071) over e[start..len), stored at start + off; 0 sent as 0xffff.
static void csum(uint8_t *e, size_t len, size_t start, size_t off)
{
	uint64_t sum = 0;

	for (size_t i = start; i < len; i++)
		sum += (i - start) % 2 ? e[i] : (unsigned)e[i] << 8;
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	sum = ~sum & 0xffff;
	e[start + off] = (uint8_t)((sum ? sum : 0xffff) >> 8);
	e[start + off + 1] = (uint8_t)(sum ? sum : 0xffff);
}

/* ---- the front's records: taken requests, answers, frames expected on the receive ring ---- */

struct txrec { struct lamina_netif_tx_request rq; unsigned frame; };
struct rxrec { struct lamina_netif_rx_request rq; uint8_t *page; bool dup; };
struct want { uint8_t *data; size_t len; uint16_t flags; }; /* a host frame the front should receive */
#define MAXWANT 64u
static struct txrec txo[NB_RING_SLOTS];
static struct rxrec rxo[NB_RING_SLOTS];
static unsigned ntxo, nrxo, tx_frames_taken, takes[2]; /* (frames by MORE_DATA, as taken) */
static bool frame_open;
static uint32_t next_take[2], rsp_seen[2];
static int frame_status[2 * NB_RING_SLOTS]; /* by frame number: its first answer, or 1 */
static struct want want[MAXWANT];
static unsigned want_head, nwant;
static uint8_t got[LAMINA_NETIF_MAX_RX_FRAME]; /* the frame arriving on the receive ring */
static size_t got_len;
static bool got_unsure; /* a buffer of it was posted twice at once: its bytes may be the other's */

bool tx_in_flight(const struct lamina_netif_tx_request *rq)
{
	for (unsigned i = 0; i < ntxo; i++)
		if (!__builtin_memcmp(&txo[i].rq, rq, sizeof(*rq)))
			return true;
	return false;
}

static void tx_taken(const struct lamina_netif_tx_request *rq)
{
	if (++takes[0] > TX_TAKE_BUDGET)
		fz_fail("more than %u transmit requests taken in one call", TX_TAKE_BUDGET);
	if (ntxo == NB_RING_SLOTS)
		fz_fail("more transmit requests unanswered than the ring has slots");
	if (!frame_open)
		frame_status[tx_frames_taken % (2 * NB_RING_SLOTS)] = 1; // no answer yet
	txo[ntxo++] = (struct txrec){ .rq = *rq, .frame = tx_frames_taken };
	frame_open = rq->flags & LAMINA_NETTXF_MORE_DATA;
	if (!frame_open)
		tx_frames_taken++;
}

static void rx_taken(const struct lamina_netif_rx_request *rq)
{
	uint8_t *page = rq->gref < NPAGES && (rxmask >> rq->gref & 1) ? pool + (size_t)rq->gref * NB_PAGE : NULL;
	bool dup = false;

	if (++takes[1] > NB_RING_SLOTS)
		fz_fail("more than %u receive requests taken in one call", NB_RING_SLOTS);
	if (nrxo == NB_RING_SLOTS)
		fz_fail("more receive requests unanswered than the ring has slots");
	for (unsigned i = 0; i < nrxo && page; i++)
		if (rxo[i].page == page)
			rxo[i].dup = dup = true;
	rxo[nrxo++] = (struct rxrec){ .rq = *rq, .page = page, .dup = dup };
}

// A ring's take (common/shim.h FZ_RING_TAKE) copied request `index` into rq.
void fz_taken(const void *ring, uint32_t index, const void *rq, size_t n)
{
	bool rx = ring == &dev.rx;

	if (!rx && ring != &dev.tx)
		fz_fail("a take from an unknown ring");
	harvest(); // a response in a slot is collected before a later one can overwrite it
	if (index != next_take[rx]++)
		fz_fail("%s request %u taken, expected %u", rx ? "receive" : "transmit", index, next_take[rx] - 1);
	if (rx)
		rx_taken(rq);
	else
		tx_taken(rq);
}

static void tx_match(const struct lamina_netif_tx_response *r)
{
	unsigned i = 0, same = 0;
	int *fs;

	if (r->status != LAMINA_NETIF_RSP_OKAY && r->status != LAMINA_NETIF_RSP_ERROR &&
	    r->status != LAMINA_NETIF_RSP_DROPPED)
		fz_fail("transmit response status %d", r->status);
	while (i < ntxo && txo[i].rq.id != r->id)
		i++;
	if (i == ntxo)
		fz_fail("transmit response id %u answers no request taken and unanswered", r->id);
	for (unsigned j = 0; j < ntxo; j++)
		same += txo[j].rq.id == r->id;
	fs = &frame_status[txo[i].frame % (2 * NB_RING_SLOTS)];
	if (same == 1 && *fs != 1 && *fs != r->status) // (ids in flight unique: the match is sure)
		fz_fail("requests of one transmit frame answered %d and %d", *fs, r->status);
	if (same == 1)
		*fs = r->status;
	__builtin_memmove(&txo[i], &txo[i + 1], (ntxo - i - 1) * sizeof(txo[0]));
	ntxo--;
}

// The frame arriving on the receive ring is complete: it must be the next one wanted.
static void got_frame(void)
{
	struct want *w = &want[want_head];

	if (got_len != w->len || (!got_unsure && __builtin_memcmp(got, w->data, got_len)))
		fz_fail("a frame of %zu bytes received, not the %zu-byte host frame due", got_len, w->len);
	free(w->data);
	want_head = (want_head + 1) % MAXWANT;
	nwant--;
	got_len = 0;
	got_unsure = false;
}

static unsigned rx_find(uint16_t id, bool buffer)
{
	unsigned i = 0;

	while (i < nrxo && (rxo[i].rq.id != id || (rxo[i].page != NULL) != buffer))
		i++;
	if (i == nrxo)
		fz_fail("receive response id %u (%s) answers no request taken and unanswered", id,
			buffer ? "data" : "error");
	return i;
}

// Data: the oldest posted buffer with the id; its bytes go to the frame arriving.
static void rx_data(const struct lamina_netif_rx_response *r, const struct rxrec *b)
{
	size_t n = (size_t)r->status;

	if (!nwant)
		fz_fail("a frame received that the host never gave or that was dropped");
	if (r->offset + n > NB_PAGE || got_len + n > sizeof(got))
		fz_fail("receive response of %zu bytes at %u (frame %zu so far)", n, r->offset, got_len);
	if ((r->flags & ~LAMINA_NETRXF_MORE_DATA) != want[want_head].flags)
		fz_fail("receive flags %#x, the frame's are %#x", r->flags, want[want_head].flags);
	__builtin_memcpy(got + got_len, b->page + r->offset, n);
	got_len += n;
	got_unsure |= b->dup;
	if (!(r->flags & LAMINA_NETRXF_MORE_DATA))
		got_frame();
}

static void rx_match(const struct lamina_netif_rx_response *r)
{
	unsigned i;

	if (r->status != LAMINA_NETIF_RSP_ERROR && r->status <= 0)
		fz_fail("receive response status %d", r->status);
	i = rx_find(r->id, r->status > 0);
	if (r->status > 0)
		rx_data(r, &rxo[i]);
	else if (r->flags)
		fz_fail("receive error response with flags %#x", r->flags);
	__builtin_memmove(&rxo[i], &rxo[i + 1], (nrxo - i - 1) * sizeof(rxo[0]));
	nrxo--;
}

void harvest(void)
{
	const struct lamina_netif_tx_back *t = &dev.tx;
	const struct lamina_netif_rx_back *x = &dev.rx;

	if (t->rsp_prod_pvt - rsp_seen[0] > NB_RING_SLOTS || x->rsp_prod_pvt - rsp_seen[1] > NB_RING_SLOTS)
		fz_fail("more responses written at once than a ring has slots");
	for (; rsp_seen[0] != t->rsp_prod_pvt; rsp_seen[0]++) {
		struct lamina_netif_tx_response r;
		__builtin_memcpy(&r, &t->sring->slot[rsp_seen[0] % NB_RING_SLOTS].rsp, sizeof(r));
		tx_match(&r);
	}
	for (; rsp_seen[1] != x->rsp_prod_pvt; rsp_seen[1]++) {
		struct lamina_netif_rx_response r;
		__builtin_memcpy(&r, &x->sring->slot[rsp_seen[1] % NB_RING_SLOTS].rsp, sizeof(r));
		rx_match(&r);
	}
}

/* ---- back-end calls ---- */

#define BACKEND(call) do { \
	fake_ring_guard(); \
	takes[0] = takes[1] = 0; \
	fz.in_backend = true; call; fz.in_backend = false; \
	harvest(); \
	fake_ring_check(); \
} while (0)

static void check_published(void)
{
	if (!dev.corrupt && (txr->idx != dev.tx.rsp_prod_pvt || rxr->idx != dev.rx.rsp_prod_pvt))
		fz_fail("responses written but not published (tx %u of %u, rx %u of %u)", txr->idx,
			dev.tx.rsp_prod_pvt, rxr->idx, dev.rx.rsp_prod_pvt);
}

// One turn of lamina-netback's serve() (host_in is OP_HOST). serve() returns
// once a ring is corrupt: then only the teardown's nb_flush runs.
static void op_turn(void)
{
	if (dev.corrupt)
		return;
	BACKEND(nb_rx(&dev); nb_tx(&dev); nb_flush(&dev));
	check_published();
}

/* ---- frames ---- */

// An offload header from 3 bytes: mostly valid, sometimes not (flags, GSO type, size, pad).
static void gen_hdr(struct lamina_netif_hdr *h)
{
	static const uint8_t gso[] = { LAMINA_NETIF_GSO_NONE, LAMINA_NETIF_GSO_TCPV4, LAMINA_NETIF_GSO_TCPV6,
				       LAMINA_NETIF_GSO_TCPV4 | LAMINA_NETIF_GSO_ECN };
	uint8_t a = fz_byte(), b = fz_byte(), c = fz_byte();
	bool g;

	h->flags = a < 0xf0 ? a & 3 : a;
	h->gso_type = b < 0xf0 ? gso[b % 4] : b & 0x8f; // (ECN with any type, or alone)
	g = (h->gso_type & ~LAMINA_NETIF_GSO_ECN) != LAMINA_NETIF_GSO_NONE;
	h->gso_size = (uint16_t)(g ? 536 + c : c >= 0xf0 ? c : 0);
	h->hdr_len = g ? 54 : 0;
	h->csum_start = (uint16_t)(34 + ((a >> 2) & 3) * 4);
	h->csum_offset = b & 0x80 ? 6 : 16;
	h->pad = a >= 0xf0 ? 0x5a5a : 0;
}

// A length from 2 bytes: up to an MTU-sized frame, up to 64 KiB, or a runt.
static size_t gen_len(uint16_t v, size_t hdr, size_t max)
{
	size_t n, body = v & 0x3fff;

	n = v >> 15 == 0 ? hdr + NB_ETH + body % 1536 : v >> 14 == 2 ? hdr + NB_ETH + body * 4 : body % 40;
	return n < max ? n : max;
}

// Header (if hdr), Ethernet header from MAC (or another if the source byte says), patterned bytes.
static void gen_frame(uint8_t *f, size_t len, size_t hdr, uint8_t src, uint8_t seed)
{
	uint8_t eth[NB_ETH] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x08, 0x00 };
	struct lamina_netif_hdr h = { 0 };

	__builtin_memcpy(eth + 6, MAC, 6);
	if (src >= 0xe0)
		eth[11] ^= src;
	if (hdr)
		gen_hdr(&h);
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
	__builtin_memcpy(f, &h, hdr < len ? hdr : len);
	if (len > hdr)
		__builtin_memcpy(f + hdr, eth, len - hdr < NB_ETH ? len - hdr : NB_ETH);
}

/* ---- the front: transmit ---- */

static uint32_t tx_prod, rx_prod;
static uint16_t tx_id, rx_id;

static void publish(bool rx)
{
	if (rx)
		dev.rx.sring->hdr.req_prod = rx_prod;
	else
		dev.tx.sring->hdr.req_prod = tx_prod;
}

// Part i (after the first): a placement byte (buffer, offset) and its bytes in that page.
static void place(struct lamina_netif_tx_request *rq, const uint8_t *data, size_t size)
{
	uint8_t p = fz_byte();

	rq->gref = p == 0xff ? 70000 : p % NPAGES;
	rq->offset = (uint16_t)(size >= NB_PAGE ? 0 : ((p >> 4) * 256u) % (NB_PAGE - size + 1));
	if (rq->gref < NPAGES)
		__builtin_memcpy(pool + (size_t)rq->gref * NB_PAGE + rq->offset, data,
				 size < NB_PAGE - rq->offset ? size : NB_PAGE - rq->offset);
}

// TXF: parts (1 + b % 18; >= 0xf0: 19..22), length (2), flags (1 DATA_VALIDATED, 2 ids
// reused, 4 publish all but the last part), source, seed, [header (3)], part sizes
// (1 each: 16 * b, 0: a page), placements (1 each).
static void op_txf(void)
{
	static uint8_t f[LAMINA_NETIF_MAX_FRAME];
	struct lamina_netif_tx_request rq[22] = { 0 };
	uint8_t nb = fz_byte(), fl;
	unsigned n = nb < 0xf0 ? 1 + nb % LAMINA_NETIF_MAX_FRAGS : 19 + nb % 4;
	size_t hdr = dev.cfg.offload ? NB_HDR : 0, len = gen_len(fz16(), hdr, LAMINA_NETIF_MAX_FRAME), rest = 0;

	fl = fz_byte();
	uint8_t src = fz_byte(), seed = fz_byte();
	gen_frame(f, len, hdr, src, seed);
	for (unsigned i = 1; i < n; i++) {
		uint8_t b = fz_byte();
		size_t s = b ? 16u * b : NB_PAGE;
		rq[i].size = (uint16_t)(s < len - rest ? s : len - rest);
		rest += rq[i].size;
	}
	rq[0].size = (uint16_t)len;
	place(&rq[0], f, len - rest);
	for (unsigned i = 1, o = (unsigned)(len - rest); i < n; o += rq[i++].size)
		place(&rq[i], f + o, rq[i].size);
	for (unsigned i = 0; i < n; i++) {
		rq[i].flags = (uint16_t)((i + 1 < n ? LAMINA_NETTXF_MORE_DATA : 0) |
					 (i == 0 && (fl & 1) ? LAMINA_NETTXF_DATA_VALIDATED : 0));
		rq[i].id = fl & 2 ? (uint16_t)(fl >> 4) : tx_id++;
		dev.tx.sring->slot[tx_prod++ % NB_RING_SLOTS].req = rq[i];
		if (!(fl & 4) || i + 2 == n)
			publish(false);
	}
}

// TXRAW: one request's 12 bytes, published.
static void op_txraw(void)
{
	fz_take(&dev.tx.sring->slot[tx_prod++ % NB_RING_SLOTS].req, sizeof(struct lamina_netif_tx_request));
	publish(false);
}

/* ---- the front: receive ---- */

// RXPOST: count (1 + b % 32), then per buffer: gref byte (b % 16; 0xf0..: refs no pool has).
static void op_rxpost(void)
{
	for (unsigned n = 1 + fz_byte() % 32; n > 0; n--) {
		uint8_t g = fz_byte();
		struct lamina_netif_rx_request rq = { .id = rx_id++, .gref = g < 0xf0 ? g % NPAGES : g == 0xff ? 0xffff0000u : 16u + g };
		dev.rx.sring->slot[rx_prod++ % NB_RING_SLOTS].req = rq;
	}
	publish(true);
}

// The front should receive f (len bytes, a host frame): io/netif.h's verdict, and what arrives.
enum verdict { V_OK, V_BAD, V_GSO, V_BIG };
static enum verdict expect_rx(const uint8_t *f, size_t len, struct want *w)
{
	struct lamina_netif_hdr h;
	size_t eth = len - NB_HDR;

	if (len < NB_HDR + NB_ETH)
		return V_BAD;
	__builtin_memcpy(&h, f, NB_HDR);
	if (!hdr_ok(&h, eth))
		return V_BAD;
	if (!dev.cfg.offload && (h.gso_type & ~LAMINA_NETIF_GSO_ECN) != LAMINA_NETIF_GSO_NONE)
		return V_GSO;
	if (!dev.cfg.offload && eth > dev.cfg.mtu + NB_ETH_MAX_EXTRA)
		return V_BIG;
	w->flags = h.flags & LAMINA_NETIF_HDR_F_DATA_VALID ? LAMINA_NETRXF_DATA_VALIDATED : 0;
	w->len = dev.cfg.offload ? len : eth;
	if (!(w->data = malloc(w->len)))
		fz_fail("out of memory");
	__builtin_memcpy(w->data, f + len - w->len, w->len);
	if (dev.cfg.offload)
		w->data[10] = w->data[11] = 0; // pad
	else if (h.flags & LAMINA_NETIF_HDR_F_NEEDS_CSUM)
		csum(w->data, eth, h.csum_start, h.csum_offset);
	return V_OK;
}

// HOST: length (2), source, seed, header (3): a host frame in dev.buf, as nb_host_recv leaves it.
static void op_host(void)
{
	struct nb_stats s0 = dev.st;
	size_t len = gen_len(fz16(), NB_HDR, NB_HOST_MAX);
	uint8_t src = fz_byte(), seed = fz_byte();
	struct want w = { 0 };
	enum verdict v;

	gen_frame(dev.buf, len, NB_HDR, src, seed);
	if (!dev.connected || dev.corrupt)
		return; // host_in drops it
	if ((v = expect_rx(dev.buf, len, &w)) == V_OK) {
		if (nwant == MAXWANT)
			fz_fail("more frames waiting for the front than the queue holds");
		want[(want_head + nwant++) % MAXWANT] = w;
	}
	BACKEND(nb_rx_frame(&dev, dev.buf, len));
	if (dev.st.rx_bad - s0.rx_bad != (v == V_BAD) || dev.st.rx_gso - s0.rx_gso != (v == V_GSO) ||
	    dev.st.rx_big - s0.rx_big != (v == V_BIG) || dev.st.rx_full - s0.rx_full > (v == V_OK))
		fz_fail("host frame of %zu bytes: verdict %d, but counted bad %lu gso %lu big %lu full %lu", len, v,
			dev.st.rx_bad - s0.rx_bad, dev.st.rx_gso - s0.rx_gso, dev.st.rx_big - s0.rx_big,
			dev.st.rx_full - s0.rx_full);
	if (dev.st.rx_full == s0.rx_full)
		return;
	if (!nwant || want[(want_head + nwant - 1) % MAXWANT].data != w.data)
		fz_fail("a host frame counted as dropped (queue full) reached the front");
	free(w.data);
	nwant--;
}

/* ---- the front: the rest ---- */

// PUBLISH: ring (b & 1: receive), mode (< 128 what was written; < 240 off by a signed byte; else raw).
static void op_publish(void)
{
	bool rx = fz_byte() & 1;
	uint8_t m = fz_byte();
	uint32_t p = rx ? rx_prod : tx_prod;
	struct lamina_ring_header *h = rx ? &dev.rx.sring->hdr : &dev.tx.sring->hdr;

	h->req_prod = m < 128 ? p : m < 240 ? p + (uint32_t)(int8_t)fz_byte() : fz32();
}

// EVENT: ring, mode (< 128 the next response; else raw).
static void op_event(void)
{
	bool rx = fz_byte() & 1;
	struct lamina_ring_header *h = rx ? &dev.rx.sring->hdr : &dev.tx.sring->hdr;

	h->rsp_event = fz_byte() < 128 ? rsp_seen[rx] + 1 : fz32();
}

// SCRIBBLE: page, offset (2), count, then the bytes.
static void op_scribble(void)
{
	uint8_t *pg = pool + (size_t)(fz_byte() % NPAGES) * NB_PAGE;
	unsigned off = fz16() % NB_PAGE, n = fz_byte();

	fz_take(pg + off, n < NB_PAGE - off ? n : NB_PAGE - off);
}

static void op_timeout(void)
{
	int ms = nb_io_timeout(&dev, 1000);

	if (ms < 0 || ms > 1000)
		fz_fail("nb_io_timeout(1000) = %d", ms);
}

static void run_op(uint8_t op)
{
	switch (op % NOPS) {
	case OP_TXF: op_txf(); break;
	case OP_TXRAW: op_txraw(); break;
	case OP_RXPOST: op_rxpost(); break;
	case OP_PUBLISH: op_publish(); break;
	case OP_EVENT: op_event(); break;
	case OP_SCRIBBLE: op_scribble(); break;
	case OP_HOST: op_host(); break;
	case OP_TURN: op_turn(); break;
	case OP_CLOCK: fake_now += (1 + fz_byte()) * 2000000ll; break;
	case OP_TIMEOUT: op_timeout(); break;
	default: fake_refuse = fz_byte() & 1; break;
	}
}

/* ---- one connection ---- */

static void setup_pools(uint16_t tx, uint16_t rx)
{
	txmask = tx ? tx : 1;
	rxmask = rx ? rx : 1u << 8;
	__builtin_memset(pool, 0, (size_t)NPAGES * NB_PAGE);
	for (unsigned g = 0; g < NPAGES; g++) {
		ptab[0][g] = txmask >> g & 1 ? pool + (size_t)g * NB_PAGE : NULL;
		ptab[1][g] = rxmask >> g & 1 ? pool + (size_t)g * NB_PAGE : NULL;
	}
	dev.txp = ptab[0];
	dev.rxp = ptab[1];
}

static void setup_rings(void)
{
	__builtin_memset(rings, 0, 2 * NB_PAGE);
	lamina_netif_tx_sring_init((void *)rings);
	lamina_netif_rx_sring_init((void *)(rings + NB_PAGE));
	lamina_netif_tx_back_init(&dev.tx, (void *)rings, NB_PAGE);
	lamina_netif_rx_back_init(&dev.rx, (void *)(rings + NB_PAGE), NB_PAGE);
	fz_reset();
	txr = fz_add_slots(rings, NB_PAGE, sizeof(struct lamina_ring_header), sizeof(union lamina_netif_tx_slot),
			   NB_RING_SLOTS, offsetof(struct lamina_ring_header, rsp_prod), &dev.tx.rsp_prod_pvt);
	rxr = fz_add_slots(rings + NB_PAGE, NB_PAGE, sizeof(struct lamina_ring_header),
			   sizeof(union lamina_netif_rx_slot), NB_RING_SLOTS,
			   offsetof(struct lamina_ring_header, rsp_prod), &dev.rx.rsp_prod_pvt);
	poolr = fz_add(pool, (size_t)NPAGES * NB_PAGE, FZ_DATA, false);
}

static void setup_front(void)
{
	ntxo = nrxo = tx_frames_taken = nwant = want_head = 0;
	frame_open = false;
	got_len = 0;
	got_unsure = false;
	tx_prod = rx_prod = next_take[0] = next_take[1] = rsp_seen[0] = rsp_seen[1] = 0;
	tx_id = rx_id = 0;
}

static void setup(const uint8_t c[12])
{
	static const unsigned mtus[] = { 1500, 9000, 576, 68, 65535 };
	unsigned v = (unsigned)c[1] << 8 | c[2];
	struct nb_rate_cfg tx = { .bps = c[8] * 20000ull, .pps = c[9] * 20ull };
	struct nb_rate_cfg rx = { .bps = c[10] * 20000ull, .pps = c[11] * 20ull };

	__builtin_memset(&dev, 0, sizeof(dev));
	dev.cfg = (struct nb_cfg){ .mtu = v < 0xc000 ? mtus[v % 5] : 68 + v % 65468, .offload = c[0] & 1,
				   .allow_spoof = c[0] & 2 };
	__builtin_memcpy(dev.cfg.mac, MAC, 6);
	dev.host = (struct nb_host){ .kind = NB_TAP, .name = "fuzz0", .fd = -1 };
	dev.split = c[0] & 4;
	fz.quiet = c[0] & 8;
	dev.bell_tx = dev.bell_rx = -1;
	dev.kick_tx = fake_kick_fd(false);
	dev.kick_rx = dev.split ? fake_kick_fd(true) : -1;
	setup_pools((uint16_t)(c[3] << 8 | c[4]), (uint16_t)(c[5] << 8 | c[6]));
	setup_rings();
	nb_rxq_init(&dev.q, 1 + c[7] % 16, c[7] & 0x80 ? 64u << 10 : NB_RXQ_BYTES);
	fake_now = 1000000000;
	nb_limit_init(&dev.ltx, &tx, fake_now);
	nb_limit_init(&dev.lrx, &rx, fake_now);
	dev.connected = true;
	fake_setup();
	setup_front();
	fz.before_change = harvest;
}

// What must hold at the end: only an unfinished frame and stashed buffers unanswered, counters right.
static void check_end(void)
{
	unsigned valid = 0;

	if (dev.corrupt)
		return;
	check_published();
	if (ntxo != dev.nfrag)
		fz_fail("%u transmit requests unanswered, %u in the frame being collected", ntxo, dev.nfrag);
	for (unsigned i = 0; i < dev.nfrag; i++)
		if (!tx_in_flight(&dev.frag[i]))
			fz_fail("the frame being collected holds a request not taken");
	for (unsigned i = 0; i < nrxo; i++)
		valid += rxo[i].page != NULL;
	if (valid != nrxo || nrxo != dev.nstash)
		fz_fail("%u receive buffers unanswered (%u valid), %u stashed", nrxo, valid, dev.nstash);
	if (nwant != dev.q.n || got_len)
		fz_fail("%u host frames due to the front, %u queued, %zu bytes of one received", nwant, dev.q.n, got_len);
	if (dev.st.tx_frames != fake_sent || dev.st.tx_host != fake_refused)
		fz_fail("counted %lu frames sent and %lu refused; the host saw %lu and %lu", dev.st.tx_frames,
			dev.st.tx_host, fake_sent, fake_refused);
}

static void teardown(void)
{
	BACKEND(nb_flush(&dev));
	check_end();
	nb_io_drop_held(&dev);
	nb_rxq_clear(&dev.q);
	for (; nwant; nwant--, want_head = (want_head + 1) % MAXWANT)
		free(want[want_head].data);
	fz_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	uint8_t c[12];

	if (!init) {
		pool = aligned_alloc(NB_PAGE, (size_t)NPAGES * NB_PAGE);
		rings = aligned_alloc(NB_PAGE, 2 * NB_PAGE);
		if (!pool || !rings)
			fz_fail("out of memory");
		fake_init();
		init = true;
	}
	fz.name = "net";
	fz.p = data;
	fz.left = size;
	if (!fz_take(c, sizeof(c)))
		return 0;
	setup(c);
	for (unsigned i = 0; i < MAX_OPS && fz.left; i++)
		run_op(fz_byte());
	teardown();
	return 0;
}
