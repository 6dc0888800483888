// SPDX-License-Identifier: MIT
// net_guest: the network conformance front-end: frames out and in through lamina-netback and net_peer, then bad input; one "netcase" line per case.
//
// cmdline: peer=MAC (net_peer's MAC on the same lamina-netswitch),
// hostile=0 (only the good cases). Frames go to the peer, which echoes
// NF_OP_ECHO frames with the MACs swapped and answers NF_OP_GEN with a
// fresh frame (frame.h). Prints "netcase PASS name", "netcase FAIL name:
// why" or "netcase SKIP name: why", then "net_guest: done";
// tests/e2e/net.sh turns them into RESULT lines.
#include "fe.h"

const char test_title[] = "net: network front-end conformance";

#define OK LAMINA_NETIF_RSP_OKAY

char why[200];
static uint8_t fbuf[70000], rbuf[70000];

int fail(const char *fmt, long a, long b)
{
	rt_snprintf(why, sizeof(why), fmt, a, b);
	return 0;
}

void verdict(const char *name, int ok)
{
	rt_check(ok, "case %s", name);
	if (ok)
		rt_printf("netcase PASS %s\n", name);
	else
		rt_printf("netcase FAIL %s: %s\n", name, why);
}

void skip(const char *name, const char *reason)
{
	rt_printf("netcase SKIP %s: %s\n", name, reason);
}

// The next frame from the peer that is a test frame with this op and seq:
// its length (with the offload header, if any) in rbuf, or 0 (why set).
static int await(unsigned op, unsigned seq)
{
	uint64_t until = rt_now() + FE_FRAME_NS;
	unsigned h = fe_hdr_len();

	while (rt_now() < until) {
		int n = fe_rx_frame(rbuf, sizeof(rbuf), until - rt_now());
		if (n == 0)
			break;
		if (n == -2)
			return fail("the rx response index is corrupt%ld%ld", 0, 0);
		if (n < 0)
			return fail("an rx response with status %ld (id %ld)", fe_rx_last.status[fe_rx_last.n - 1],
				    fe_rx_last.id[fe_rx_last.n - 1]);
		const uint8_t *e = rbuf + h;
		if ((unsigned)n >= h + NF_HDR_END && nf_is_test(e, (unsigned)n - h) && e[18] == op &&
		    nf_get16(e + 20) == (seq & 0xffff))
			return n;
		rt_printf("net_guest: skipped a frame of %d bytes (op %u seq %u)\n", n,
			  (unsigned)n >= h + NF_HDR_END ? e[18] : 0, (unsigned)n >= h + NF_HDR_END ? nf_get16(e + 20) : 0);
	}
	return fail("frame %ld (op %ld) never came back from the peer", (long)(seq & 0xffff), op);
}

// The offload header of a received frame must describe a plain frame.
static int rx_hdr_ok(void)
{
	const struct lamina_netif_hdr *hd = (const struct lamina_netif_hdr *)rbuf;

	if (!fe_be.hdr)
		return 1;
	if (hd->gso_type != LAMINA_NETIF_GSO_NONE || hd->gso_size)
		return fail("a received plain frame's header says gso_type %ld gso_size %ld", hd->gso_type,
			    hd->gso_size);
	return 1;
}

// An echo: eth_len bytes in nparts requests (the first at offset off),
// OKAY, and back from the peer byte for byte with the MACs swapped.
int echo_round(unsigned cas, unsigned eth_len, unsigned nparts, unsigned off, uint8_t hflags)
{
	struct lamina_netif_hdr hd = { .flags = hflags };
	unsigned len = fe_test_frame(fbuf, eth_len, NF_OP_ECHO, cas, 0, 1000 + fe_seq, &hd), seq = fe_seq;
	unsigned h = fe_hdr_len();
	uint16_t ids[LAMINA_NETIF_MAX_FRAGS + 2];
	int st, n;

	fe_tx_frame(fbuf, len, nparts, off, ids);
	if ((st = fe_tx_status(ids, nparts)) != OK) {
		rt_snprintf(why, sizeof(why), "a %u-byte frame in %u requests: status %d%s", eth_len, nparts,
			    st, st == 99 ? " (no response)" : "");
		return 0;
	}
	if (!(n = await(NF_OP_ECHO, seq)))
		return 0;
	if ((unsigned)n != len)
		return fail("the echo of a %ld-byte frame came back with %ld bytes", eth_len, n - (long)h);
	for (unsigned i = 0; i < 6; i++)
		if (rbuf[h + i] != fbuf[h + 6 + i] || rbuf[h + 6 + i] != fbuf[h + i])
			return fail("the echo of a %ld-byte frame has the wrong MACs (byte %ld)", eth_len, i);
	for (unsigned i = 12; i < eth_len; i++)
		if (rbuf[h + i] != fbuf[h + i])
			return fail("the echo of a %ld-byte frame differs at byte %ld", eth_len, i);
	return rx_hdr_ok();
}

int gen_ask(unsigned cas, unsigned eth_len, uint32_t seed)
{
	unsigned len = fe_test_frame(fbuf, NF_MIN, NF_OP_GEN, cas, eth_len, seed, NULL);
	uint16_t id;
	int st;

	fe_tx_frame(fbuf, len, 1, 0, &id);
	if ((st = fe_tx_status(&id, 1)) != OK)
		return fail("a request to the peer: status %ld%ld", st, 0);
	return (int)(fe_seq & 0xffff) ? (int)(fe_seq & 0xffff) : 0x10000;
}

// A frame of eth_len bytes from the peer, checked.
int gen_round(unsigned cas, unsigned eth_len)
{
	uint32_t seed = 5000 + fe_seq;
	int seq = gen_ask(cas, eth_len, seed), n;
	unsigned h = fe_hdr_len();
	const uint8_t *e = rbuf + h;

	if (!seq || !(n = await(NF_OP_GENNED, (unsigned)seq)))
		return 0;
	if ((unsigned)n != h + eth_len)
		return fail("a frame of %ld bytes from the peer arrived with %ld", eth_len, n - (long)h);
	for (unsigned i = 0; i < 6; i++)
		if (e[i] != fe_be.mac[i] || e[6 + i] != fe_peer[i])
			return fail("a frame from the peer arrived with the wrong MACs (byte %ld)%ld", i, 0);
	if (nf_get32(e + 24) != seed || nf_pat_bad(e, eth_len) != eth_len)
		return fail("a frame of %ld bytes from the peer differs at byte %ld", eth_len,
			    nf_pat_bad(e, eth_len));
	if (eth_len <= NF_PLAIN_MAX)
		return rx_hdr_ok();
	// a super-frame: its header as the peer sent it, in one buffer a page
	const struct lamina_netif_hdr *hd = (const struct lamina_netif_hdr *)rbuf;
	unsigned pages = (h + eth_len + 4095) / 4096;
	if (hd->gso_type != LAMINA_NETIF_GSO_TCPV4 || hd->gso_size != NF_GSO_SIZE || hd->hdr_len != 54)
		return fail("a super-frame arrived with gso_type %ld gso_size %ld (not TCPv4, 1448, hdr_len 54)",
			    hd->gso_type, hd->gso_size);
	if (fe_rx_last.n != pages)
		return fail("a super-frame came in %ld buffers, not %ld", fe_rx_last.n, pages);
	for (unsigned k = 0; k < pages; k++)
		if (!(fe_rx_last.flags[k] & LAMINA_NETRXF_MORE_DATA) != (k + 1 == pages))
			return fail("a super-frame's response %ld of %ld has MORE_DATA wrong", k + 1, pages);
	return 1;
}

int sane(void)
{
	if (echo_round(NF_CASE_SANE, 200, 2, 8, 0) && gen_round(NF_CASE_SANE, 600))
		return 1;
	char w[200];
	rt_memcpy(w, why, sizeof(w));
	rt_snprintf(why, sizeof(why), "the good round trip after it failed: %s", w);
	return 0;
}

static unsigned max_eth(void)
{
	unsigned m = (unsigned)fe_be.mtu + 14;

	return m > 4000 ? 4000 : m;
}

static void case_good_tx(const char *name, unsigned cas)
{
	unsigned big = max_eth();
	int ok = echo_round(cas, NF_MIN, 1, 0, 0) && echo_round(cas, 61, 1, 4096 - 61 - fe_hdr_len(), 0) &&
		 echo_round(cas, big, 1, 100, 0) && echo_round(cas, big, 3, 0, 0) &&
		 echo_round(cas, 1000, LAMINA_NETIF_MAX_FRAGS, 50, 0);
	if (ok && fe_be.hdr)
		ok = echo_round(cas, 300, 2, 0, LAMINA_NETIF_HDR_F_DATA_VALID);
	rt_printf("net_guest: %s: echoes of %u..%u bytes in 1..%u requests%s: %s\n", name, NF_MIN, big,
		  LAMINA_NETIF_MAX_FRAGS, fe_be.hdr ? " with offload headers" : "", ok ? "ok" : "failed");
	verdict(name, ok);
}

static void case_good_rx(const char *name, unsigned cas)
{
	int ok = gen_round(cas, NF_MIN) && gen_round(cas, 61) && gen_round(cas, 1000) &&
		 gen_round(cas, max_eth());
	// a few more sizes, one after the other
	for (unsigned k = 0; ok && k < 3; k++)
		ok = gen_round(cas, 100 + 200 * k);
	// with offload: TCP super-frames over several buffers (MORE_DATA)
	if (ok && fe_be.hdr)
		ok = gen_round(cas, 20000) && gen_round(cas, 65000) && gen_round(cas, 4096 - 12);
	verdict(name, ok);
}

void test_main(void)
{
	xs_init();
	fe_init();
	if (!fe_connect(1))
		rt_fail("no connection to the back-end");
	case_good_tx("good-tx", NF_CASE_GOOD_TX);
	case_good_rx("good-rx", NF_CASE_GOOD_RX);
	if (rt_arg_num("hostile", 1))
		hostile_cases();
	// without the offload header (as after hostile-indices, on a fresh connection)
	if (fe_be.hdr || !rt_arg_num("hostile", 1)) {
		fe_close();
		if (!fe_connect(0))
			rt_fail("no connection without offload");
	}
	case_good_tx("good-plain-tx", NF_CASE_GOOD_PLAIN);
	case_good_rx("good-plain-rx", NF_CASE_GOOD_PLAIN);
	fe_close();
	rt_printf("net_guest: done\n");
}
