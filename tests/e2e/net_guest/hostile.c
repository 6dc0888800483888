// SPDX-License-Identifier: MIT
// hostile: the network guest's bad-input cases against lamina-netback; each expects the statuses netif.h names (or a clean close), then working frames both ways.
#include "fe.h"

#define OK LAMINA_NETIF_RSP_OKAY
#define ERR LAMINA_NETIF_RSP_ERROR
#define DROP LAMINA_NETIF_RSP_DROPPED

typedef struct lamina_netif_tx_request txrq;
static uint16_t hid = 0xf000; // ids of hand-made requests: 0xf000..0xffff
static uint8_t pbuf[4096];

static uint16_t nid(void)
{
	if (hid < 0xf000)
		hid = 0xf000;
	return hid++;
}

static const char *stname(int st)
{
	switch (st) {
	case OK: return "OKAY";
	case ERR: return "ERROR";
	case DROP: return "DROPPED";
	case 99: return "no response";
	case 98: return "a corrupt response index";
	default: return "a status netif.h does not define";
	}
}

// A poison frame (hdr first, if the connection has one) at gfn + off,
// cut at the page's end: a frame net_peer must never receive.
static void poison(uint64_t gfn, unsigned off, unsigned cas, const struct lamina_netif_hdr *hd)
{
	unsigned h = fe_hdr_len();
	struct lamina_netif_hdr z = { 0 };

	if (h)
		rt_memcpy(pbuf, hd ? hd : &z, h);
	nf_build(pbuf + h, 4096 - h, fe_peer, fe_be.mac, NF_OP_POISON, cas, 0, 0, 0xbad0 + cas);
	rt_memcpy((void *)(PAGE_AT(gfn) + off), pbuf, 4096 - off);
}

static txrq rq(uint32_t gref, unsigned off, unsigned size, int more)
{
	return (txrq){ .gref = gref, .offset = (uint16_t)off, .size = (uint16_t)size, .id = nid(),
		       .flags = (uint16_t)(more ? LAMINA_NETTXF_MORE_DATA : 0) };
}

// Requests r[0..n) (one frame, as the front sees it), pushed: every one
// must be answered, the first with want, none of the first `strict` OKAY
// (the rest may be anything: what a back-end makes of a frame's tail
// after the error is not specified).
static int refused_n(const char *what, const txrq *r, unsigned n, unsigned strict, int want)
{
	int st[24] = { 0 };

	for (unsigned k = 0; k < n; k++)
		fe_tx_put(&r[k]);
	fe_tx_push();
	for (unsigned k = 0; k < n; k++)
		st[k] = fe_tx_wait(r[k].id, FE_WAIT_NS);
	for (unsigned k = 0; k < n; k++)
		if (st[k] == 99 || st[k] == 98 || (k == 0 && st[k] != want) || (k < strict && st[k] == OK)) {
			rt_snprintf(why, sizeof(why), "%s: request %u of %u: %s (%d), want %s%s", what, k + 1, n,
				    stname(st[k]), st[k], k ? "anything but OKAY" : stname(want),
				    k == 0 && want == ERR && st[k] == DROP ?
					    " (malformed: netif.h says ERROR, not DROPPED)" : "");
			return 0;
		}
	rt_printf("net_guest: %s: %s", what, stname(st[0]));
	for (unsigned k = 1; k < n && k < 24; k++)
		rt_printf(" %d", st[k]);
	rt_printf("\n");
	return 1;
}

static int refused(const char *what, txrq r, int want)
{
	return refused_n(what, &r, 1, 1, want);
}

// A frame of total bytes (first request's size) in parts of up to 4000
// bytes, on tx pages 0.., the first part at offset off: poisoned, refused.
static int big_refused(const char *what, unsigned total, unsigned cas, const struct lamina_netif_hdr *hd)
{
	txrq r[LAMINA_NETIF_MAX_FRAGS];
	unsigned n = (total + 3999) / 4000, first = total - 4000 * (n - 1);

	if (n > LAMINA_NETIF_MAX_FRAGS)
		return fail("big_refused: %ld bytes is more than %ld requests", total, LAMINA_NETIF_MAX_FRAGS);
	for (unsigned k = 0; k < n; k++) {
		poison(FE_TX_GFN + k, 0, cas, k ? NULL : hd);
		r[k] = rq(FE_REF_TX + k, 0, k ? 4000 : total, k + 1 < n);
	}
	(void)first;
	return refused_n(what, r, n, n, ERR);
}

/* ---- rx: raw posts ---- */

// Let every buffer fe_rx_fill posted be used up (by frames the peer
// generates), and post no more: the next rx requests on the ring are the
// case's own.
static int quiesce(unsigned cas)
{
	static uint8_t sink[70000];
	unsigned n = fe_rx_posted();
	uint64_t until = rt_now() + FE_FRAME_NS;

	fe_rx_hold = 1;
	for (unsigned k = 0; k < n; k++)
		if (!gen_ask(cas, NF_MIN, k))
			return 0;
	while (fe_rx_posted() && rt_now() < until)
		if (fe_rx_frame(sink, sizeof(sink), until - rt_now()) == -2)
			return fail("the rx response index is corrupt%ld%ld", 0, 0);
	return fe_rx_posted() == 0 || fail("%ld posted rx buffers were never used (of %ld)", fe_rx_posted(), n);
}

static void resume(void)
{
	fe_rx_hold = 0;
	fe_rx_fill();
}

// Up to n raw rx responses within ns: how many.
static unsigned rx_raw(struct lamina_netif_rx_response *out, unsigned n, uint64_t ns)
{
	uint64_t until = rt_now() + ns;
	unsigned got = 0;

	while (got < n && rt_now() < until) {
		int r = lamina_netif_rx_take_response(&fe_rx, &out[got]);
		if (r < 0)
			break;
		if (r == 1)
			got++;
		else
			rt_spin_ns(MS / 10);
	}
	return got;
}

// Rx page p holds, at off, a frame net_peer generated of len bytes (with the header).
static int holds_genned(unsigned p, unsigned off, int len)
{
	const uint8_t *e = (const uint8_t *)(PAGE_AT(FE_RX_GFN + p) + off + fe_hdr_len());
	unsigned el = (unsigned)len - fe_hdr_len();

	return len > (int)fe_hdr_len() && off + (unsigned)len <= 4096 && nf_is_test(e, el) &&
	       e[18] == NF_OP_GENNED && nf_pat_bad(e, el) == el;
}

/* ---- the cases ---- */

static int rx_bad_gref(void)
{
	struct lamina_netif_rx_response r[4];
	static const uint32_t gref[4] = { FE_REF_SPARE, FE_REF_TX + 5, FE_REF_OTHER, FE_REF_RX + FE_RX_RAW };
	uint16_t id[4];
	int st[4] = { 99, 99, 99, 99 };
	unsigned got;

	if (!quiesce(NF_CASE_BAD_GREF))
		return 0;
	for (unsigned k = 0; k < 4; k++)
		fe_rx_post(id[k] = nid(), gref[k]);
	fe_rx_push();
	for (unsigned k = 0; k < 4; k++)
		if (!gen_ask(NF_CASE_BAD_GREF, 100 + k, 77 + k))
			return 0;
	got = rx_raw(r, 4, FE_FRAME_NS);
	for (unsigned i = 0; i < got; i++)
		for (unsigned k = 0; k < 4; k++)
			if (r[i].id == id[k]) {
				st[k] = r[i].status;
				if (k == 3 && !holds_genned(FE_RX_RAW, r[i].offset, r[i].status))
					return fail("the good rx buffer after the bad ones got status %ld but no frame%ld",
						    r[i].status, 0);
			}
	resume();
	rt_printf("net_guest: rx requests with bad refs: %d %d %d, then a good one: %d\n", st[0], st[1], st[2], st[3]);
	for (unsigned k = 0; k < 3; k++)
		if (st[k] != ERR)
			return fail(k == 0 ? "an rx request naming a ref in no pool: status %ld, want ERROR (-1)%ld" :
				    k == 1 ? "an rx request naming a tx pool ref: status %ld, want ERROR (-1)%ld" :
					     "an rx request naming a ref granted to domain 7: status %ld, want ERROR (-1)%ld",
				    st[k], 0);
	if (st[3] <= 0)
		return fail("the good rx buffer after the bad ones: status %ld (%ld responses)", st[3], got);
	return 1;
}

static void case_bad_gref(void)
{
	unsigned c = NF_CASE_BAD_GREF;
	txrq two[2] = { rq(FE_REF_TX, 0, 300, 1), rq(FE_REF_OTHER, 0, 100, 0) };

	poison(FE_TX_GFN, 0, c, NULL);
	poison(FE_OTHER_GFN, 0, c, NULL);
	poison(FE_SPARE_GFN, 0, c, NULL);
	poison(FE_RX_GFN + FE_RX_RAW + 6, 0, c, NULL);
	int ok = refused("tx: a ref granted to domain 7", rq(FE_REF_OTHER, 0, 100, 0), ERR) &&
		 refused("tx: a ref granted to domain 0 in no pool", rq(FE_REF_SPARE, 0, 100, 0), ERR) &&
		 refused("tx: a ref of the rx pool", rq(FE_REF_RX + FE_RX_RAW + 6, 0, 100, 0), ERR) &&
		 refused("tx: the tx ring's own ref", rq(FE_REF_TX_RING, 0, 100, 0), ERR) &&
		 refused("tx: the rx buffer list's ref", rq(FE_REF_RX_LIST, 0, 100, 0), ERR) &&
		 refused("tx: ref 400, never granted", rq(400, 0, 100, 0), ERR) &&
		 refused("tx: ref 0xfffffff0", rq(0xfffffff0u, 0, 100, 0), ERR) &&
		 refused_n("tx: a good first part, then a ref granted to domain 7", two, 2, 2, ERR) &&
		 rx_bad_gref() && sane();
	verdict("hostile-bad-gref", ok);
}

static void case_too_many_slots(void)
{
	unsigned c = NF_CASE_TOO_MANY_SLOTS, n = LAMINA_NETIF_MAX_FRAGS + 2;
	txrq r[LAMINA_NETIF_MAX_FRAGS + 2];
	// 19 requests with MORE_DATA and a 20th to end them; the parts add up
	// (60 each, the 19th 30): any tail a back-end may take for a frame of
	// its own does not add up (30 < 60) or is poison
	unsigned total = 60 * (n - 1) + 30;

	for (unsigned k = 0; k < n; k++) {
		poison(FE_TX_GFN + k, 0, c, NULL);
		r[k] = rq(FE_REF_TX + k, 0, k == 0 ? total : k == n - 2 ? 30 : 60, k + 1 < n);
	}
	int ok = refused_n("19 requests with MORE_DATA, then a last one", r, n, LAMINA_NETIF_MAX_FRAGS, ERR) &&
		 sane();
	verdict("hostile-too-many-slots", ok);
}

static void case_oversize(void)
{
	unsigned c = NF_CASE_OVERSIZE, lim = (unsigned)fe_be.mtu + 18 + fe_hdr_len();

	// LAMINA_NETIF_MAX_FRAME (65562) + 1 does not fit the u16 size: the
	// largest size there is, 65535, in parts that add up, without GSO, and
	// one byte over mtu + 18 (+ the header) are the frames too big
	int ok = big_refused("a frame of mtu + 19 bytes without GSO", lim + 1, c, NULL) &&
		 big_refused("a 65535-byte frame without GSO in 17 requests", 65535, c, NULL) && sane();
	verdict("hostile-oversize", ok);
}

static void case_truncated(void)
{
	unsigned c = NF_CASE_TRUNCATED;
	txrq a[2] = { rq(FE_REF_TX, 0, 100, 1), rq(FE_REF_TX + 1, 0, 200, 0) };
	txrq b[2] = { rq(FE_REF_TX, 3000, 3200, 1), rq(FE_REF_TX + 1, 0, 100, 0) };
	txrq d[2] = { rq(FE_REF_TX, 0, 300, 1), rq(FE_REF_TX + 1, 4050, 100, 0) };
	txrq e[3] = { rq(FE_REF_TX, 0, 300, 1), rq(FE_REF_TX + 1, 0, 100, 1), rq(FE_REF_TX + 2, 0, 250, 0) };

	for (unsigned k = 0; k < 3; k++) {
		poison(FE_TX_GFN + k, 0, c, NULL);
		poison(FE_TX_GFN + k, 3000, c, NULL);
		poison(FE_TX_GFN + k, 4000, c, NULL);
	}
	int ok = refused_n("parts larger than the frame (100 + 200 in a 100-byte frame)", a, 2, 2, ERR) &&
		 refused("offset 4000 + size 200 in one request", rq(FE_REF_TX, 4000, 200, 0), ERR) &&
		 refused("offset 0 + size 4097 in one request", rq(FE_REF_TX, 0, 4097, 0), ERR) &&
		 refused_n("a first part of 3100 bytes at offset 3000", b, 2, 2, ERR) &&
		 refused_n("a second part of 100 bytes at offset 4050", d, 2, 2, ERR) &&
		 refused_n("parts of 300 + 100 + 250 in a 300-byte frame", e, 3, 3, ERR) &&
		 refused("a frame of 0 bytes", rq(FE_REF_TX, 0, 0, 0), ERR) && sane();
	verdict("hostile-truncated", ok);
}

// One-request frames of 200 bytes (header included) with this header.
static int hdr_refused(const char *what, struct lamina_netif_hdr hd, unsigned cas)
{
	poison(FE_TX_GFN, 0, cas, &hd);
	return refused(what, rq(FE_REF_TX, 0, 200, 0), ERR);
}

static void case_gso(void)
{
	unsigned c = NF_CASE_GSO;

	if (!fe_be.hdr) {
		skip("hostile-gso", "the back-end offers no feature-offload");
		return;
	}
	poison(FE_TX_GFN, 0, c, NULL);
	int ok = hdr_refused("GSO TCPv4 with gso_size 0",
			     (struct lamina_netif_hdr){ .gso_type = LAMINA_NETIF_GSO_TCPV4, .hdr_len = 54 }, c) &&
		 hdr_refused("GSO TCPv6|ECN with gso_size 0",
			     (struct lamina_netif_hdr){ .gso_type = LAMINA_NETIF_GSO_TCPV6 | LAMINA_NETIF_GSO_ECN,
							.hdr_len = 74 }, c) &&
		 hdr_refused("gso_type 0x33 (unknown)",
			     (struct lamina_netif_hdr){ .gso_type = 0x33, .hdr_len = 54, .gso_size = 1000 }, c) &&
		 hdr_refused("gso_type 3 (UDP in virtio-net, not in netif.h)",
			     (struct lamina_netif_hdr){ .gso_type = 3, .hdr_len = 42, .gso_size = 1000 }, c) &&
		 hdr_refused("no GSO but gso_size 1000",
			     (struct lamina_netif_hdr){ .gso_size = 1000 }, c) &&
		 refused("a frame of 8 bytes, shorter than the offload header", rq(FE_REF_TX, 0, 8, 0), ERR) &&
		 sane();
	verdict("hostile-gso", ok);
}

static void case_csum(void)
{
	unsigned c = NF_CASE_CSUM;
	const uint8_t nc = LAMINA_NETIF_HDR_F_NEEDS_CSUM;

	if (!fe_be.hdr) {
		skip("hostile-csum", "the back-end offers no feature-offload");
		return;
	}
	// 200 bytes with the header: start + offset + 2 > 200 however the header is counted
	int ok = hdr_refused("csum_start 250", (struct lamina_netif_hdr){ .flags = nc, .csum_start = 250 }, c) &&
		 hdr_refused("csum_start 190 + csum_offset 16",
			     (struct lamina_netif_hdr){ .flags = nc, .csum_start = 190, .csum_offset = 16 }, c) &&
		 hdr_refused("csum_start 0xffff + csum_offset 0xffff (wraps in 16 bits)",
			     (struct lamina_netif_hdr){ .flags = nc, .csum_start = 0xffff, .csum_offset = 0xffff }, c) &&
		 hdr_refused("csum_start 0xfffe + csum_offset 0 (+ 2 wraps in 16 bits)",
			     (struct lamina_netif_hdr){ .flags = nc, .csum_start = 0xfffe }, c) &&
		 hdr_refused("csum_start 20 + csum_offset 0xfff0",
			     (struct lamina_netif_hdr){ .flags = nc, .csum_start = 20, .csum_offset = 0xfff0 }, c) &&
		 sane();
	verdict("hostile-csum", ok);
}

// Two good frames pushed together with one id (a front-end bug netif.h
// does not allow): both answered, with that id; ids 0 and 0xffff work.
static int tx_ids(void)
{
	static uint8_t f[2][300];
	unsigned dups = fe_tx_dups, len[2];
	uint16_t id = nid();
	int st[2] = { 99, 99 };

	for (unsigned k = 0; k < 2; k++) {
		len[k] = fe_test_frame(f[k], 200, NF_OP_ECHO, NF_CASE_IDS, 0, 300 + k, NULL);
		rt_memcpy((void *)PAGE_AT(FE_TX_GFN + k), f[k], len[k]);
		txrq r = { .gref = FE_REF_TX + k, .size = (uint16_t)len[k], .id = id };
		fe_tx_put(&r);
	}
	fe_tx_push();
	st[0] = fe_tx_wait(id, FE_WAIT_NS);
	if (fe_tx_dups == dups)
		st[1] = fe_tx_wait(id, FE_WAIT_NS);
	else
		st[1] = st[0]; // both came in one look; the second overwrote the first
	rt_printf("net_guest: two frames with id %u in flight: statuses %d %d\n", id, st[0], st[1]);
	if (st[0] == 99 || st[1] == 99 || st[0] == 98 || st[1] == 98)
		return fail("two frames with one id in flight: only %ld of 2 answered with it%ld",
			    (st[0] < 98) + (st[1] < 98), 0);
	for (unsigned k = 0; k < 2; k++) {
		uint16_t edge = k ? 0xffff : 0;
		int s;
		len[0] = fe_test_frame(f[0], 100, NF_OP_ECHO, NF_CASE_IDS, 0, 400 + k, NULL);
		rt_memcpy((void *)PAGE_AT(FE_TX_GFN), f[0], len[0]);
		txrq r = { .gref = FE_REF_TX, .size = (uint16_t)len[0], .id = edge };
		fe_tx_put(&r);
		fe_tx_push();
		if ((s = fe_tx_wait(edge, FE_WAIT_NS)) != OK)
			return fail("a good frame with id %ld: status %ld", edge, s);
	}
	return 1;
}

// Rx requests with one id twice (and ids 0 and 0xffff): each answered
// with the id it was posted with, the frames in the buffers.
static int rx_ids(void)
{
	struct lamina_netif_rx_response r[4];
	static const uint16_t id[4] = { 0x7777, 0x7777, 0xffff, 0 };
	unsigned got, seen[4] = { 0 }, found = 0;

	if (!quiesce(NF_CASE_IDS))
		return 0;
	for (unsigned k = 0; k < 4; k++)
		fe_rx_post(id[k], FE_REF_RX + FE_RX_RAW + k);
	fe_rx_push();
	for (unsigned k = 0; k < 4; k++)
		if (!gen_ask(NF_CASE_IDS, 100 + 100 * k, 600 + k))
			return 0;
	got = rx_raw(r, 4, FE_FRAME_NS);
	resume();
	for (unsigned i = 0; i < got; i++) {
		unsigned k = 0;
		while (k < 4 && (seen[k] || id[k] != r[i].id))
			k++;
		if (k == 4)
			return fail("an rx response with id %ld, which no posted request had (%ld)", r[i].id, i);
		seen[k] = 1;
		if (r[i].status <= 0)
			return fail("an rx request with id %ld: status %ld", r[i].id, r[i].status);
	}
	if (got < 4)
		return fail("%ld of 4 rx requests (ids 0x7777 twice, 0xffff, 0) answered%ld", got, 0);
	for (unsigned p = 0; p < 4; p++)
		for (unsigned i = 0; i < got; i++)
			if (holds_genned(FE_RX_RAW + p, r[i].offset, r[i].status)) {
				found++;
				break;
			}
	return found == 4 || fail("only %ld of the 4 rx buffers hold the frame their response describes%ld", found, 0);
}

static void case_ids(void)
{
	int ok = tx_ids() && rx_ids() && sane();

	verdict("hostile-ids", ok);
}

static int spoofed(const char *what, const uint8_t src[6])
{
	unsigned len = fe_test_frame(pbuf, 100, NF_OP_POISON, NF_CASE_SPOOF, 0, 0x5f00, NULL);

	rt_memcpy(pbuf + fe_hdr_len() + 6, src, 6);
	rt_memcpy((void *)PAGE_AT(FE_TX_GFN), pbuf, len);
	return refused(what, rq(FE_REF_TX, 0, len, 0), DROP);
}

static void case_spoof(void)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x66, 0x66, 0x66 },
		bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6] = { 0 };
	uint8_t peer[6];

	rt_memcpy(peer, fe_peer, 6);
	int ok = spoofed("source 52:54:00:66:66:66", other) && spoofed("source ff:ff:ff:ff:ff:ff", bcast) &&
		 spoofed("source 00:00:00:00:00:00", zero) && spoofed("the peer's own MAC as source", peer) &&
		 sane();
	verdict("hostile-spoof", ok);
}

static void case_flood(void)
{
	uint64_t t0 = rt_now(), base, t1, dt;
	int ok = sane();

	base = rt_now() - t0;
	for (unsigned i = 0; i < 100000; i++)
		HC1(LAMINA_HC_event_send, fe_port_tx);
	t1 = rt_now();
	ok = ok && sane();
	dt = rt_now() - t1;
	rt_printf("net_guest: a round trip took %lu ms before 100000 tx notifications (sent in %lu ms) and %lu ms after\n",
		  (unsigned long)(base / MS), (unsigned long)((t1 - t0 - base) / MS), (unsigned long)(dt / MS));
	if (ok && dt > 10000 * MS + 5 * base)
		ok = fail("the round trip after the flood took %ld ms (%ld ms before)", (long)(dt / MS),
			  (long)(base / MS));
	verdict("hostile-flood", ok);
}

// The back-end left the connection: Closed, or already waiting for the
// next one (it may pass through Closed between two looks).
static int be_gone(void)
{
	uint64_t until = rt_now() + FE_WAIT_NS;

	for (;;) {
		long s = fe_be_state();
		if (s == LAMINA_BUS_CLOSED || s == LAMINA_BUS_INITIALISING || s == LAMINA_BUS_INITWAIT)
			return 1;
		if (rt_now() > until)
			return fail("the back-end did not close the corrupt ring within 120 s (state %ld)%ld", s, 0);
		rt_spin_ns(20 * MS);
	}
}

int case_indices(void)
{
	volatile struct lamina_ring_header *t = &fe_tx.sring->hdr, *r;
	int ok;

	lamina_wmb();
	t->req_prod = fe_tx.req_prod_pvt + 5000;
	HC1(LAMINA_HC_event_send, fe_port_tx);
	ok = be_gone();
	rt_printf("net_guest: garbage tx req_prod: the back-end %s\n", ok ? "closed" : "did not close");
	xs_write(0, FE_DIR "/state", "6");
	ok = ok && (fe_connect(1) || fail("no reconnection after the corrupt tx ring%ld%ld", 0, 0)) && sane();
	if (ok) {
		r = &fe_rx.sring->hdr;
		lamina_wmb();
		r->req_prod = fe_rx.req_prod_pvt + 5000;
		HC1(LAMINA_HC_event_send, fe_port_rx);
		// a frame for the back-end to deliver (not waited for: the back may close first)
		unsigned len = fe_test_frame(pbuf, NF_MIN, NF_OP_GEN, NF_CASE_INDICES, NF_MIN, 1, NULL);
		uint16_t id;
		fe_tx_frame(pbuf, len, 1, 0, &id);
		ok = be_gone();
		rt_printf("net_guest: garbage rx req_prod: the back-end %s\n", ok ? "closed" : "did not close");
		xs_write(0, FE_DIR "/state", "6");
		ok = ok && (fe_connect(1) || fail("no reconnection after the corrupt rx ring%ld%ld", 0, 0)) && sane();
	}
	verdict("hostile-indices", ok);
	return ok;
}

int hostile_cases(void)
{
	static void (*const cases[])(void) = { case_bad_gref, case_too_many_slots, case_oversize,
		case_truncated, case_gso, case_csum, case_ids, case_spoof, case_flood };
	static const char *const names[] = { "hostile-bad-gref", "hostile-too-many-slots", "hostile-oversize",
		"hostile-truncated", "hostile-gso", "hostile-csum", "hostile-ids", "hostile-spoof",
		"hostile-flood" };

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fe_tx_dups = 0;
		cases[i]();
		fe_tx_forget();
		if (fe_be_state() == LAMINA_BUS_CONNECTED)
			continue;
		// not a case after which the back-end may leave: say so, and go on on a fresh connection
		rt_printf("net_guest: after %s the back-end is in state %ld; reconnecting\n", names[i], fe_be_state());
		fe_close();
		if (!fe_connect(1)) {
			for (unsigned j = i + 1; j < sizeof(cases) / sizeof(cases[0]); j++)
				rt_printf("netcase FAIL %s: the back-end left after %s and never came back\n", names[j],
					  names[i]);
			rt_printf("netcase FAIL hostile-indices: the back-end left after %s and never came back\n",
				  names[i]);
			rt_fail("no back-end");
		}
	}
	case_indices();
	return 0;
}
