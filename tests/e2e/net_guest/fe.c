// SPDX-License-Identifier: MIT
// fe: the network test guest's minimal front-end: grants, store handshake with lamina-netback, raw tx/rx slots, whole frames in and out.
#include "fe.h"

#define FRAME0 (RT_HOLE_GFN + 8)
#define RX_FILL_ID 0x1000u   // ids of fe_rx_fill's posts: RX_FILL_ID + page
#define RX_FILL_PAGES FE_RX_RAW // pages 0..23 rotate through fe_rx_fill; the rest are for raw posts

struct fe_be fe_be;
struct lamina_netif_tx_front fe_tx;
struct lamina_netif_rx_front fe_rx;
uint32_t fe_port_tx, fe_port_rx;
uint8_t fe_peer[6];
unsigned fe_tx_dups, fe_tx_corrupt;
struct fe_rx_last fe_rx_last;
uint16_t fe_rx_raw_id[64];
int16_t fe_rx_raw_status[64];
unsigned fe_rx_raw_n;
unsigned fe_seq;

static volatile struct lamina_grant_entry *gt;
static uint8_t tx_have[65536];
static int16_t tx_st[65536];
static uint16_t next_id = 1;
static uint8_t rx_posted[RX_FILL_PAGES];
static unsigned rx_next_page;

static uint32_t alloc_port(void)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = LAMINA_DOMID_SELF, .remote_dom = 0 };
	long r = HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op);

	if (r)
		rt_fail("alloc_unbound for domain 0: %ld", r);
	return op.port;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// "aa:bb:cc:dd:ee:ff" (followed by the end, a space or a NUL): 1 if parsed.
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (unsigned i = 0; i < 6; i++) {
		int h = s ? hexval(s[3 * i]) : -1, l = s ? hexval(s[3 * i + 1]) : -1;
		if (h < 0 || l < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return 0;
		mac[i] = (uint8_t)(h << 4 | l);
	}
	return 1;
}

void fe_init(void)
{
	struct lamina_gnttab_setup_table s = { .dom = LAMINA_DOMID_SELF, .nr_frames = 2 };

	if (!parse_mac(rt_arg("peer"), fe_peer))
		rt_fail("no peer=MAC on the command line");
	if (GOP(SETUP_TABLE, &s, 1) || gnt_frame(0, FRAME0) || gnt_frame(1, FRAME0 + 1))
		rt_fail("cannot set up two grant frames");
	gt = (volatile struct lamina_grant_entry *)PAGE_AT(FRAME0);
	for (unsigned i = 0; i < 4; i++)
		gnt_publish(&gt[FE_REF_TX_RING + i], 0, FE_RING_GFN + i, LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[FE_REF_OTHER], 7, FE_OTHER_GFN, LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[FE_REF_SPARE], 0, FE_SPARE_GFN, LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned i = 0; i < FE_TX_PAGES; i++)
		gnt_publish(&gt[FE_REF_TX + i], 0, FE_TX_GFN + i, LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned i = 0; i < FE_RX_PAGES; i++)
		gnt_publish(&gt[FE_REF_RX + i], 0, FE_RX_GFN + i, LAMINA_GTF_PERMIT_ACCESS);
	fe_port_tx = alloc_port();
	fe_port_rx = alloc_port();
}

static const char *be_dir(void)
{
	static char be[128];

	if (xs_read(0, FE_DIR "/backend", be, sizeof(be)) < 0)
		return NULL;
	return be;
}

long fe_be_state(void)
{
	static char v[16];
	const char *be = be_dir();

	if (!be || xs_read(0, xs_fmt("%s/state", be), v, sizeof(v)) < 0)
		return 0;
	return v[0] - '0';
}

int fe_wait_be(long want, uint64_t ns)
{
	uint64_t until = rt_now() + ns;

	while (fe_be_state() != want)
		if (rt_now() > until)
			return 0;
		else
			rt_spin_ns(20 * MS);
	return 1;
}

// A back-end key as a number; dflt if absent.
static unsigned long be_num(const char *key, unsigned long dflt)
{
	static char v[32];
	const char *be = be_dir();
	unsigned long n = 0;

	if (!be || xs_read(0, xs_fmt("%s/%s", be, key), v, sizeof(v)) < 0 || !v[0])
		return dflt;
	for (const char *p = v; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	return n;
}

static void be_error(void)
{
	static char v[200];
	const char *be = be_dir();

	if (be && xs_read(0, xs_fmt("%s/error", be), v, sizeof(v)) >= 0)
		rt_printf("net_guest: the back-end's error key: %s\n", v);
}

static void rings_init(void)
{
	struct lamina_netif_tx_sring *t = (struct lamina_netif_tx_sring *)PAGE_AT(FE_RING_GFN);
	struct lamina_netif_rx_sring *r = (struct lamina_netif_rx_sring *)PAGE_AT(FE_RING_GFN + 1);
	volatile uint32_t *tl = (volatile uint32_t *)PAGE_AT(FE_RING_GFN + 2);
	volatile uint32_t *rl = (volatile uint32_t *)PAGE_AT(FE_RING_GFN + 3);

	rt_memset((void *)t, 0, 4096);
	rt_memset((void *)r, 0, 4096);
	lamina_netif_tx_sring_init(t);
	lamina_netif_rx_sring_init(r);
	lamina_netif_tx_front_init(&fe_tx, t, 4096);
	lamina_netif_rx_front_init(&fe_rx, r, 4096);
	for (unsigned i = 0; i < FE_TX_PAGES; i++)
		tl[i] = FE_REF_TX + i;
	for (unsigned i = 0; i < FE_RX_PAGES; i++)
		rl[i] = FE_REF_RX + i;
	rt_memset(tx_have, 0, sizeof(tx_have));
	rt_memset(rx_posted, 0, sizeof(rx_posted));
	fe_tx_corrupt = 0;
}

// The front keys and Initialised in one transaction.
static int write_keys(void)
{
	for (int tries = 0; tries < 20; tries++) {
		uint32_t tx;
		int r = xs_tx_start(&tx);

		if (r < 0)
			return r;
		xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_TX_RING, xs_fmt("%u", FE_REF_TX_RING));
		xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_RX_RING, xs_fmt("%u", FE_REF_RX_RING));
		xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_TX_BUFFERS, xs_fmt("%u", FE_TX_PAGES));
		xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_RX_BUFFERS, xs_fmt("%u", FE_RX_PAGES));
		xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_TX_LIST, xs_fmt("%u", FE_REF_TX_LIST));
		xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_RX_LIST, xs_fmt("%u", FE_REF_RX_LIST));
		if (fe_be.split) {
			xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_EVTCHN_TX, xs_fmt("%u", fe_port_tx));
			xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_EVTCHN_RX, xs_fmt("%u", fe_port_rx));
		} else {
			xs_write(tx, FE_DIR "/" LAMINA_BUS_KEY_EVENT_CHANNEL, xs_fmt("%u", fe_port_tx));
		}
		xs_write(tx, FE_DIR "/" LAMINA_NETIF_KEY_REQ_OFFLOAD, fe_be.hdr ? "1" : "0");
		xs_write(tx, FE_DIR "/state", "3");
		r = xs_tx_end(tx, 1);
		if (r != -LAMINA_EAGAIN)
			return r;
	}
	return -LAMINA_EAGAIN;
}

int fe_connect(int offload)
{
	static char mac[32];
	const char *be;
	int r;

	xs_write(0, FE_DIR "/state", "1");
	if (!fe_wait_be(LAMINA_BUS_INITWAIT, FE_WAIT_NS)) {
		rt_printf("net_guest: the back-end never reached InitWait (it is %ld)\n", fe_be_state());
		be_error();
		return 0;
	}
	be = be_dir();
	if (!be || xs_read(0, xs_fmt("%s/%s", be, LAMINA_NETIF_KEY_MAC), mac, sizeof(mac)) < 0 ||
	    !parse_mac(mac, fe_be.mac)) {
		rt_printf("net_guest: the back-end wrote no usable mac key\n");
		return 0;
	}
	fe_be.mtu = be_num(LAMINA_NETIF_KEY_MTU, LAMINA_NETIF_MTU_DEFAULT);
	fe_be.offload = be_num(LAMINA_NETIF_KEY_OFFLOAD, 0);
	fe_be.split = be_num(LAMINA_NETIF_KEY_SPLIT, 0);
	fe_be.hdr = offload && fe_be.offload == 1;
	if (!fe_be.split)
		fe_port_rx = fe_port_tx; // one port for both (the second stays allocated)
	rings_init();
	if ((r = write_keys()) < 0) {
		rt_printf("net_guest: the front keys' transaction failed: %d\n", r);
		return 0;
	}
	if (!fe_wait_be(LAMINA_BUS_CONNECTED, FE_WAIT_NS)) {
		rt_printf("net_guest: the back-end never connected (state %ld)\n", fe_be_state());
		be_error();
		return 0;
	}
	xs_write(0, FE_DIR "/state", "4");
	rt_printf("net_guest: connected: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %lu offload %lu/%s split %lu\n",
		  fe_be.mac[0], fe_be.mac[1], fe_be.mac[2], fe_be.mac[3], fe_be.mac[4], fe_be.mac[5],
		  fe_be.mtu, fe_be.offload, fe_be.hdr ? "used" : "not used", fe_be.split);
	fe_rx_fill();
	return 1;
}

void fe_close(void)
{
	xs_write(0, FE_DIR "/state", "5");
	fe_wait_be(LAMINA_BUS_CLOSED, FE_WAIT_NS);
	xs_write(0, FE_DIR "/state", "6");
}

/* ---- tx ---- */

uint16_t fe_id(void)
{
	if (next_id == 0 || next_id >= 0xf000) // 0xf000.. for the hostile cases' own ids
		next_id = 1;
	return next_id++;
}

void fe_tx_put(const struct lamina_netif_tx_request *rq)
{
	struct lamina_netif_tx_request *s = lamina_netif_tx_next_request(&fe_tx);

	if (!s)
		rt_fail("the tx ring is full");
	*s = *rq;
}

void fe_tx_push(void)
{
	if (lamina_netif_tx_push_requests(&fe_tx))
		HC1(LAMINA_HC_event_send, fe_port_tx);
}

// Take every response there is; 0, or -1 if the response index is corrupt.
static int tx_reap(void)
{
	struct lamina_netif_tx_response rsp;
	int n;

	while ((n = lamina_netif_tx_take_response(&fe_tx, &rsp)) == 1) {
		if (tx_have[rsp.id])
			fe_tx_dups++;
		tx_have[rsp.id] = 1;
		tx_st[rsp.id] = rsp.status;
	}
	if (n < 0)
		fe_tx_corrupt = 1;
	return n < 0 ? -1 : 0;
}

int fe_tx_wait(uint16_t id, uint64_t ns)
{
	uint64_t until = rt_now() + ns;

	for (;;) {
		if (tx_reap() < 0)
			return 98;
		if (tx_have[id]) {
			tx_have[id] = 0;
			return tx_st[id];
		}
		if (rt_now() > until)
			return 99;
		rt_spin_ns(MS / 10);
	}
}

void fe_tx_forget(void)
{
	tx_reap();
	rt_memset(tx_have, 0, sizeof(tx_have));
}

void fe_tx_frame(const uint8_t *f, unsigned len, unsigned nparts, unsigned off, uint16_t *ids)
{
	// parts 1.. get len / nparts bytes each, the first the rest
	unsigned each = nparts > 1 ? len / nparts : 0, first = len - each * (nparts - 1), at = 0;

	for (unsigned k = 0; k < nparts; k++) {
		unsigned n = k ? each : first, o = k ? 0 : off;
		struct lamina_netif_tx_request rq = { .gref = FE_REF_TX + k, .offset = (uint16_t)o,
			.flags = (uint16_t)(k + 1 < nparts ? LAMINA_NETTXF_MORE_DATA : 0),
			.id = fe_id(), .size = (uint16_t)(k ? n : len) };

		rt_memcpy((void *)(PAGE_AT(FE_TX_GFN + k) + o), f + at, n);
		at += n;
		ids[k] = rq.id;
		fe_tx_put(&rq);
	}
	fe_tx_push();
}

// OKAY if all are, else the first other status; 99 if one never came.
int fe_tx_status(const uint16_t *ids, unsigned n)
{
	int worst = LAMINA_NETIF_RSP_OKAY;

	for (unsigned k = 0; k < n; k++) {
		int st = fe_tx_wait(ids[k], FE_WAIT_NS);
		if (st != LAMINA_NETIF_RSP_OKAY && worst == LAMINA_NETIF_RSP_OKAY)
			worst = st;
	}
	return worst;
}

unsigned fe_hdr_len(void)
{
	return fe_be.hdr ? (unsigned)sizeof(struct lamina_netif_hdr) : 0;
}

unsigned fe_test_frame(uint8_t *f, unsigned eth_len, unsigned op, unsigned cas, unsigned want,
		       uint32_t seed, const struct lamina_netif_hdr *hdr)
{
	unsigned h = fe_hdr_len();

	if (h) {
		struct lamina_netif_hdr z = { 0 };
		rt_memcpy(f, hdr ? hdr : &z, h);
	}
	nf_build(f + h, eth_len, fe_peer, fe_be.mac, op, cas, ++fe_seq & 0xffff, want, seed);
	return h + eth_len;
}

/* ---- rx ---- */

void fe_rx_post(uint16_t id, uint32_t gref)
{
	struct lamina_netif_rx_request *s = lamina_netif_rx_next_request(&fe_rx);

	if (!s)
		rt_fail("the rx ring is full");
	*s = (struct lamina_netif_rx_request){ .id = id, .gref = gref };
}

void fe_rx_push(void)
{
	if (lamina_netif_rx_push_requests(&fe_rx))
		HC1(LAMINA_HC_event_send, fe_port_rx);
}

int fe_rx_hold;

unsigned fe_rx_posted(void)
{
	unsigned posted = 0;

	for (unsigned p = 0; p < RX_FILL_PAGES; p++)
		posted += rx_posted[p];
	return posted;
}

void fe_rx_fill(void)
{
	unsigned posted = fe_rx_posted(), any = 0;

	if (fe_rx_hold)
		return;
	for (unsigned tries = 0; posted < FE_RX_POSTED && tries < RX_FILL_PAGES; tries++) {
		unsigned p = rx_next_page++ % RX_FILL_PAGES;
		if (rx_posted[p])
			continue;
		fe_rx_post((uint16_t)(RX_FILL_ID + p), FE_REF_RX + p);
		rx_posted[p] = 1;
		posted++, any = 1;
	}
	if (any)
		fe_rx_push();
}

int fe_rx_frame(uint8_t *buf, unsigned cap, uint64_t ns)
{
	struct lamina_netif_rx_response rsp;
	uint64_t until = rt_now() + ns;
	unsigned len = 0;

	fe_rx_last.n = 0;
	for (;;) {
		int n = lamina_netif_rx_take_response(&fe_rx, &rsp);
		if (n < 0)
			return -2;
		if (n == 0) {
			if (rt_now() > until)
				return 0;
			rt_spin_ns(MS / 10);
			continue;
		}
		if (rsp.id < RX_FILL_ID || rsp.id >= RX_FILL_ID + RX_FILL_PAGES) {
			if (fe_rx_raw_n < 64) {
				fe_rx_raw_id[fe_rx_raw_n] = rsp.id;
				fe_rx_raw_status[fe_rx_raw_n++] = rsp.status;
			}
			continue;
		}
		unsigned p = rsp.id - RX_FILL_ID, k = fe_rx_last.n;
		if (k < 20) {
			fe_rx_last.id[k] = rsp.id;
			fe_rx_last.status[k] = rsp.status;
			fe_rx_last.flags[k] = rsp.flags;
			fe_rx_last.page[k] = p;
			fe_rx_last.n++;
		}
		rx_posted[p] = 0;
		if (rsp.status <= 0 || rsp.offset + (unsigned)rsp.status > 4096) {
			fe_rx_fill();
			return -1;
		}
		if (len + (unsigned)rsp.status <= cap)
			rt_memcpy(buf + len, (const void *)(PAGE_AT(FE_RX_GFN + p) + rsp.offset),
				  (size_t)rsp.status);
		len += (unsigned)rsp.status;
		fe_rx_fill();
		if (!(rsp.flags & LAMINA_NETRXF_MORE_DATA))
			return len <= cap ? (int)len : -1;
	}
}
