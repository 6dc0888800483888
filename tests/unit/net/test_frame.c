// SPDX-License-Identifier: MIT
// Unit tests for lamina-netback's pure frame logic (pvdrivers/net/net_frame.c) and receive queue (net_queue.c): every refusal, every drop, and good frames byte for byte.
#include <stdlib.h>
#include <string.h>

#include "net_frame.h"
#include "net_queue.h"
#include "tests.h"

#define OK LAMINA_NETIF_RSP_OKAY
#define ERR LAMINA_NETIF_RSP_ERROR
#define DROP LAMINA_NETIF_RSP_DROPPED
#define MORE LAMINA_NETTXF_MORE_DATA

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static struct nb_cfg cfg;
static uint8_t *pool[NB_GREFS];
static uint8_t pages[4][NB_PAGE]; // grefs 100..103
static uint8_t buf[NB_BUF_MAX];
static size_t len;
static const char *why;

static void setup(void)
{
	cfg = (struct nb_cfg){ .mtu = 1500 };
	memcpy(cfg.mac, MAC, 6);
	memset(pool, 0, sizeof(pool));
	for (int i = 0; i < 4; i++) {
		pool[100 + i] = pages[i];
		for (int j = 0; j < (int)NB_PAGE; j++)
			pages[i][j] = (uint8_t)(i * 7 + j);
	}
	len = 0;
	why = NULL;
}

// An Ethernet header at p: broadcast destination, source src.
static void eth_at(uint8_t *p, const uint8_t *src)
{
	memset(p, 0xff, 6);
	memcpy(p + 6, src, 6);
	p[12] = 0x08;
	p[13] = 0x00;
}

static struct lamina_netif_tx_request rq(uint32_t gref, unsigned off, unsigned size, unsigned flags)
{
	return (struct lamina_netif_tx_request){ .gref = gref, .offset = (uint16_t)off, .size = (uint16_t)size,
						 .flags = (uint16_t)flags, .id = 1 };
}

static int tx(const struct lamina_netif_tx_request *r, unsigned n)
{
	return nb_tx_frame(&cfg, pool, r, n, buf, &len, &why);
}

START_TEST(tx_single_no_offload)
{
	struct lamina_netif_tx_request r = rq(100, 64, 60, 0);
	struct lamina_netif_hdr h;

	eth_at(pages[0] + 64, MAC);
	ck_assert_int_eq(tx(&r, 1), OK);
	ck_assert_uint_eq(len, NB_HDR + 60);
	memcpy(&h, buf, NB_HDR);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_uint_eq(h.gso_type, 0);
	ck_assert_mem_eq(buf + NB_HDR, pages[0] + 64, 60);
	r.flags = LAMINA_NETTXF_DATA_VALIDATED;
	ck_assert_int_eq(tx(&r, 1), OK);
	memcpy(&h, buf, NB_HDR);
	ck_assert_uint_eq(h.flags, LAMINA_NETIF_HDR_F_DATA_VALID);
}
END_TEST

START_TEST(tx_fragments_gathered)
{
	// first request: size = 1000 in all, its own part 1000 - 300 - 200 = 500
	struct lamina_netif_tx_request r[3] = { rq(101, 3000, 1000, MORE), rq(102, 0, 300, MORE), rq(100, 3896, 200, 0) };

	eth_at(pages[1] + 3000, MAC);
	ck_assert_int_eq(tx(r, 3), OK);
	ck_assert_uint_eq(len, NB_HDR + 1000);
	ck_assert_mem_eq(buf + NB_HDR, pages[1] + 3000, 500);
	ck_assert_mem_eq(buf + NB_HDR + 500, pages[2], 300);
	ck_assert_mem_eq(buf + NB_HDR + 800, pages[0] + 3896, 200);
}
END_TEST

START_TEST(tx_gref_not_in_pool)
{
	struct lamina_netif_tx_request r[2] = { rq(100, 0, 100, MORE), rq(104, 0, 50, 0) };

	eth_at(pages[0], MAC);
	ck_assert_int_eq(tx(r, 2), ERR);
	ck_assert_str_eq(why, "buffer not in the transmit pool");
	r[1].gref = 70000; // past any pool table
	ck_assert_int_eq(tx(r, 2), ERR);
	r[0].gref = 7;
	ck_assert_int_eq(tx(r, 1), ERR);
}
END_TEST

START_TEST(tx_crosses_page)
{
	struct lamina_netif_tx_request r[2] = { rq(100, 4000, 150, MORE), rq(101, 4000, 97, 0) };

	eth_at(pages[0] + 4000, MAC);
	ck_assert_int_eq(tx(r, 2), ERR); // the second: 4000 + 97 > 4096
	ck_assert_str_eq(why, "request crosses its page");
	r[1].offset = 3999; // exactly to the end: fine; the first's part is 53
	ck_assert_int_eq(tx(r, 2), OK);
	r[0].size = 200; // the first's part 103 from 4000: past the end
	ck_assert_int_eq(tx(r, 2), ERR);
	ck_assert_str_eq(why, "request crosses its page");
}
END_TEST

START_TEST(tx_sizes_do_not_add_up)
{
	struct lamina_netif_tx_request r[3] = { rq(100, 0, 100, MORE), rq(101, 0, 60, MORE), rq(102, 0, 50, 0) };

	eth_at(pages[0], MAC);
	ck_assert_int_eq(tx(r, 3), ERR);
	ck_assert_str_eq(why, "request sizes do not add up to the frame");
	r[2].size = 40; // 100 = 0 + 60 + 40: the first's own part empty, the header in the second
	eth_at(pages[1], MAC);
	ck_assert_int_eq(tx(r, 3), OK);
}
END_TEST

START_TEST(tx_too_many_fragments)
{
	struct lamina_netif_tx_request r[LAMINA_NETIF_MAX_FRAGS + 1];

	eth_at(pages[0], MAC);
	for (unsigned i = 0; i <= LAMINA_NETIF_MAX_FRAGS; i++)
		r[i] = rq(100 + i % 4, 0, 10, MORE);
	r[0].size = 10 * (LAMINA_NETIF_MAX_FRAGS + 1);
	r[LAMINA_NETIF_MAX_FRAGS].flags = 0;
	ck_assert_int_eq(tx(r, LAMINA_NETIF_MAX_FRAGS + 1), ERR);
	ck_assert_str_eq(why, "too many requests in one frame");
	cfg.allow_spoof = true; // the source MAC is cut across two buffers here
	r[0].size = 10 * LAMINA_NETIF_MAX_FRAGS; // exactly 18: fine
	r[LAMINA_NETIF_MAX_FRAGS - 1].flags = 0;
	ck_assert_int_eq(tx(r, LAMINA_NETIF_MAX_FRAGS), OK);
	ck_assert_int_eq(tx(r, 0), ERR);
}
END_TEST

START_TEST(tx_more_data_chain)
{
	struct lamina_netif_tx_request r[2] = { rq(100, 0, 100, 0), rq(101, 0, 50, 0) };

	ck_assert_int_eq(tx(r, 2), ERR); // the first does not say MORE_DATA
	r[0].flags = r[1].flags = MORE;
	ck_assert_int_eq(tx(r, 2), ERR); // the last does
	ck_assert_str_eq(why, "MORE_DATA does not end the frame");
}
END_TEST

START_TEST(tx_runt_and_giant)
{
	struct lamina_netif_tx_request r = rq(100, 0, 13, 0);

	eth_at(pages[0], MAC);
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "frame shorter than its headers");
	r.size = 14;
	ck_assert_int_eq(tx(&r, 1), OK);
	cfg.offload = true; // now the 12-byte header comes first: 14 is too short
	ck_assert_int_eq(tx(&r, 1), ERR);
	r.size = 25;
	ck_assert_int_eq(tx(&r, 1), ERR);
	cfg.offload = false;
	r.size = 1500 + 18;
	ck_assert_int_eq(tx(&r, 1), OK);
	r.size = 1500 + 19; // longer than the MTU allows without GSO
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "frame longer than the MTU allows");
	cfg.mtu = 9000;
	ck_assert_int_eq(tx(&r, 1), OK);
}
END_TEST

START_TEST(tx_largest_super_frame)
{
	enum { N = 16 }; // 4095 + 15 * 4096 = 65535: the most a request's u16 size can say
	struct lamina_netif_hdr g = { .gso_type = LAMINA_NETIF_GSO_TCPV4, .gso_size = 1448, .hdr_len = 54 };
	struct lamina_netif_tx_request r[N];
	uint8_t *big[N];

	cfg.offload = true;
	for (unsigned i = 0; i < N; i++) {
		big[i] = malloc(NB_PAGE);
		memset(big[i], (int)i, NB_PAGE);
		pool[200 + i] = big[i];
		r[i] = rq(200 + i, 0, NB_PAGE, i + 1 < N ? MORE : 0);
	}
	r[0] = rq(200, 1, 65535, MORE);
	memcpy(big[0] + 1, &g, NB_HDR);
	eth_at(big[0] + 1 + NB_HDR, MAC);
	ck_assert_int_eq(tx(r, N), OK);
	ck_assert_uint_eq(len, 65535);
	ck_assert_uint_eq(buf[65534], N - 1);
	ck_assert_uint_eq(buf[4095], 1);
	ck_assert_uint_eq(buf[4094], 0);
	g.gso_type = 0; // the same without GSO: longer than the MTU allows
	g.gso_size = 0;
	memcpy(big[0] + 1, &g, NB_HDR);
	ck_assert_int_eq(tx(r, N), ERR);
	for (unsigned i = 0; i < N; i++)
		free(big[i]);
}
END_TEST

// An offload frame: header h, then an Ethernet frame of eth_len bytes, in page 0.
static struct lamina_netif_tx_request offload_frame(struct lamina_netif_hdr h, unsigned eth_len)
{
	cfg.offload = true;
	memcpy(pages[0], &h, NB_HDR);
	eth_at(pages[0] + NB_HDR, MAC);
	return rq(100, 0, NB_HDR + eth_len, 0);
}

START_TEST(tx_offload_header_checks)
{
	struct lamina_netif_hdr g = { .gso_type = LAMINA_NETIF_GSO_TCPV4, .gso_size = 1448, .hdr_len = 54,
				      .flags = LAMINA_NETIF_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16,
				      .pad = 0xbeef };
	struct lamina_netif_tx_request r = offload_frame(g, 3000);
	struct lamina_netif_hdr h;

	ck_assert_int_eq(tx(&r, 1), OK); // a GSO frame may be longer than the MTU
	memcpy(&h, buf, NB_HDR);
	ck_assert_uint_eq(h.pad, 0); // zeroed on the way out
	ck_assert_uint_eq(h.gso_size, 1448);
	ck_assert_uint_eq(len, NB_HDR + 3000);
	g.gso_type = LAMINA_NETIF_GSO_TCPV6 | LAMINA_NETIF_GSO_ECN;
	r = offload_frame(g, 3000);
	ck_assert_int_eq(tx(&r, 1), OK);
	g.gso_type = 3; // UDP: not offered
	r = offload_frame(g, 3000);
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "unknown GSO type");
	g.gso_type = LAMINA_NETIF_GSO_TCPV4;
	g.gso_size = 0;
	r = offload_frame(g, 3000);
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "gso_size does not match gso_type");
	g = (struct lamina_netif_hdr){ .gso_size = 100 };
	r = offload_frame(g, 100);
	ck_assert_int_eq(tx(&r, 1), ERR);
	g = (struct lamina_netif_hdr){ .gso_type = LAMINA_NETIF_GSO_ECN };
	r = offload_frame(g, 100);
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "ECN without GSO");
	g = (struct lamina_netif_hdr){ .flags = 4 };
	r = offload_frame(g, 100);
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "unknown offload flags");
}
END_TEST

START_TEST(tx_offload_csum_and_hdr_len)
{
	struct lamina_netif_hdr g = { .flags = LAMINA_NETIF_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6 };
	struct lamina_netif_tx_request r = offload_frame(g, 42); // 34 + 6 + 2 = 42: the last two bytes

	ck_assert_int_eq(tx(&r, 1), OK);
	g.csum_offset = 7;
	r = offload_frame(g, 42);
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "checksum position past the frame");
	g.csum_start = 0xffff; // no wrap-around
	g.csum_offset = 0xffff;
	r = offload_frame(g, 42);
	ck_assert_int_eq(tx(&r, 1), ERR);
	g = (struct lamina_netif_hdr){ .hdr_len = 43 };
	r = offload_frame(g, 42);
	ck_assert_int_eq(tx(&r, 1), ERR);
	ck_assert_str_eq(why, "hdr_len past the frame");
	g.hdr_len = 42;
	r = offload_frame(g, 42);
	ck_assert_int_eq(tx(&r, 1), OK);
	g = (struct lamina_netif_hdr){ 0 };
	r = offload_frame(g, 1519); // no GSO: the MTU rule holds with offload too
	ck_assert_int_eq(tx(&r, 1), ERR);
}
END_TEST

START_TEST(tx_spoofed_mac)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
	struct lamina_netif_tx_request r = rq(100, 0, 60, 0);

	eth_at(pages[0], other);
	ck_assert_int_eq(tx(&r, 1), DROP);
	ck_assert_str_eq(why, "source MAC is not the interface's");
	cfg.allow_spoof = true;
	ck_assert_int_eq(tx(&r, 1), OK);
	cfg.allow_spoof = false;
	r.size = 10; // malformed beats spoofed: ERROR, not DROPPED
	ck_assert_int_eq(tx(&r, 1), ERR);
}
END_TEST

START_TEST(pool_lists)
{
	uint32_t refs[LAMINA_NETIF_MAX_BUFFERS + 1];

	for (unsigned i = 0; i <= LAMINA_NETIF_MAX_BUFFERS; i++)
		refs[i] = 1000 + i;
	ck_assert_int_eq(nb_check_list(refs, 1, &why), 0);
	ck_assert_int_eq(nb_check_list(refs, LAMINA_NETIF_MAX_BUFFERS, &why), 0);
	ck_assert_int_eq(nb_check_list(refs, 0, &why), -1);
	ck_assert_int_eq(nb_check_list(refs, LAMINA_NETIF_MAX_BUFFERS + 1, &why), -1);
	refs[77] = refs[3];
	ck_assert_int_eq(nb_check_list(refs, 100, &why), -1);
	ck_assert_str_eq(why, "a buffer ref appears twice in one pool");
	ck_assert_int_eq(nb_check_list(refs, 50, &why), 0);
	refs[5] = NB_GREFS;
	ck_assert_int_eq(nb_check_list(refs, 50, &why), -1);
}
END_TEST

START_TEST(mac_parse)
{
	uint8_t m[6];
	char s[18];

	ck_assert_int_eq(nb_parse_mac("52:54:00:AB:cd:ef", m), 0);
	nb_format_mac(m, s);
	ck_assert_str_eq(s, "52:54:00:ab:cd:ef");
	ck_assert_int_eq(nb_parse_mac("52:54:00:ab:cd", m), -1);
	ck_assert_int_eq(nb_parse_mac("52:54:00:ab:cd:e", m), -1);
	ck_assert_int_eq(nb_parse_mac("52-54-00-ab-cd-ef", m), -1);
	ck_assert_int_eq(nb_parse_mac("52:54:00:ab:cd:eg", m), -1);
	ck_assert_int_eq(nb_parse_mac(" 2:54:00:ab:cd:ef", m), -1);
	ck_assert_int_eq(nb_parse_mac("52:54:00:ab:cd:ef0", m), -1);
}
END_TEST

// The ones' complement sum of p[0..n), folded.
static uint16_t sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

// After completion, the range plus the seed (the pseudo-header sum) checks out.
static bool csum_ok(const uint8_t *p, size_t n, uint16_t seed)
{
	uint32_t s = (uint32_t)sum16(p, n) + seed;

	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

START_TEST(checksum_completion)
{
	uint8_t f[101];

	for (unsigned i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(i * 31 + 5);
	for (unsigned n = 100; n <= 101; n++) { // even and odd lengths
		f[40] = 0x12, f[41] = 0x34; // a pseudo-header sum as seed
		nb_csum_complete(f, n, 20, 20);
		ck_assert(csum_ok(f + 20, n - 20, 0x1234));
	}
	// RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2: checksum 220d
	uint8_t w[10] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0, 0 };
	nb_csum_complete(w, 10, 0, 8);
	ck_assert_uint_eq(w[8], 0x22);
	ck_assert_uint_eq(w[9], 0x0d);
	// a sum of ffff would store 0: it is sent as ffff
	uint8_t z[4] = { 0xff, 0xff, 0, 0 };
	nb_csum_complete(z, 4, 0, 2);
	ck_assert_uint_eq(z[2], 0xff);
	ck_assert_uint_eq(z[3], 0xff);
}
END_TEST

// A host frame: header h, then an Ethernet frame of eth_len bytes.
static size_t host_frame(uint8_t *f, struct lamina_netif_hdr h, size_t eth_len)
{
	memcpy(f, &h, NB_HDR);
	for (size_t i = 0; i < eth_len; i++)
		f[NB_HDR + i] = (uint8_t)(i * 3);
	eth_at(f + NB_HDR, MAC);
	return NB_HDR + eth_len;
}

START_TEST(rx_prepare)
{
	static uint8_t f[NB_BUF_MAX];
	struct lamina_netif_hdr h = { .flags = LAMINA_NETIF_HDR_F_DATA_VALID };
	size_t off = 99, n = 0, l;
	uint16_t fl = 0;

	l = host_frame(f, h, 100);
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_OK);
	ck_assert_uint_eq(off, NB_HDR); // without offload: the header is stripped
	ck_assert_uint_eq(n, 100);
	ck_assert_uint_eq(fl, LAMINA_NETRXF_DATA_VALIDATED);
	cfg.offload = true;
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_OK);
	ck_assert_uint_eq(off, 0); // with it: kept
	ck_assert_uint_eq(n, l);
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, NB_HDR + 13, &off, &n, &fl), NB_RX_RUNT);
	h = (struct lamina_netif_hdr){ .gso_type = LAMINA_NETIF_GSO_TCPV4, .gso_size = 1448, .hdr_len = 66 };
	l = host_frame(f, h, 20000);
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_OK);
	ck_assert_uint_eq(n, l);
	cfg.offload = false; // a super-frame for a front that cannot take one: dropped
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_GSO);
	h = (struct lamina_netif_hdr){ 0 };
	l = host_frame(f, h, 1519);
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_BIG);
	h = (struct lamina_netif_hdr){ .gso_type = 9 };
	l = host_frame(f, h, 100);
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_BADHDR);
}
END_TEST

START_TEST(rx_prepare_completes_checksum)
{
	static uint8_t f[NB_BUF_MAX];
	struct lamina_netif_hdr h = { .flags = LAMINA_NETIF_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6 };
	size_t off, n, l = host_frame(f, h, 200);
	uint16_t fl;

	uint16_t seed = (uint16_t)(f[NB_HDR + 40] << 8 | f[NB_HDR + 41]);

	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_OK);
	ck_assert(csum_ok(f + NB_HDR + 34, 200 - 34, seed));
	h.csum_offset = 200; // past the end: a bad header, nothing written
	l = host_frame(f, h, 200);
	ck_assert_int_eq(nb_rx_prepare(&cfg, f, l, &off, &n, &fl), NB_RX_BADHDR);
}
END_TEST

TCase *frame_tcase(void)
{
	TCase *t = tcase_create("frame");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, tx_single_no_offload);
	tcase_add_test(t, tx_fragments_gathered);
	tcase_add_test(t, tx_gref_not_in_pool);
	tcase_add_test(t, tx_crosses_page);
	tcase_add_test(t, tx_sizes_do_not_add_up);
	tcase_add_test(t, tx_too_many_fragments);
	tcase_add_test(t, tx_more_data_chain);
	tcase_add_test(t, tx_runt_and_giant);
	tcase_add_test(t, tx_largest_super_frame);
	tcase_add_test(t, tx_offload_header_checks);
	tcase_add_test(t, tx_offload_csum_and_hdr_len);
	tcase_add_test(t, tx_spoofed_mac);
	tcase_add_test(t, pool_lists);
	tcase_add_test(t, mac_parse);
	tcase_add_test(t, checksum_completion);
	tcase_add_test(t, rx_prepare);
	tcase_add_test(t, rx_prepare_completes_checksum);
	return t;
}

START_TEST(queue_caps)
{
	struct nb_rxq q;
	uint8_t d[100] = { 1, 2, 3 };

	nb_rxq_init(&q, 3, 250);
	ck_assert_int_eq(nb_rxq_push(&q, d, 100, 0), 0);
	ck_assert_int_eq(nb_rxq_push(&q, d, 100, 7), 0);
	ck_assert_int_eq(nb_rxq_push(&q, d, 51, 0), -1); // 251 bytes: over the byte cap
	ck_assert_int_eq(nb_rxq_push(&q, d, 50, 0), 0);
	ck_assert_int_eq(nb_rxq_push(&q, d, 1, 0), -1); // a 4th frame: over the frame cap
	ck_assert_uint_eq(q.n, 3);
	ck_assert_uint_eq(q.bytes, 250);
	ck_assert_uint_eq(nb_rxq_head(&q)->len, 100); // first in, first out
	ck_assert_uint_eq(nb_rxq_head(&q)->data[2], 3);
	nb_rxq_pop(&q);
	ck_assert_uint_eq(nb_rxq_head(&q)->rxflags, 7);
	ck_assert_int_eq(nb_rxq_push(&q, d, 100, 0), 0);
	nb_rxq_clear(&q);
	ck_assert_ptr_null(nb_rxq_head(&q));
	ck_assert_uint_eq(q.n, 0);
	ck_assert_uint_eq(q.bytes, 0);
	ck_assert_int_eq(nb_rxq_push(&q, d, 100, 0), 0);
	nb_rxq_clear(&q);
}
END_TEST

TCase *queue_tcase(void)
{
	TCase *t = tcase_create("queue");

	tcase_add_test(t, queue_caps);
	return t;
}
