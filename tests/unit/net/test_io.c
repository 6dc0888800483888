// SPDX-License-Identifier: MIT
// Unit tests for lamina-netback's ring handling (pvdrivers/net/net_io.c): a front-end played by the test on rings and pools in private memory, a host side that records frames.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net.h"
#include "tests.h"

// ---- doubles for what net_io.c calls outside itself ----

static int host_rc; // what the host side answers
static unsigned host_frames, fails;
static uint8_t host_last[NB_BUF_MAX];
static size_t host_len;

int nb_host_send(struct nb_dev *d, const uint8_t *f, size_t len)
{
	(void)d;
	if (host_rc)
		return host_rc;
	memcpy(host_last, f, len);
	host_len = len;
	host_frames++;
	return 0;
}

static int64_t clock_ns; // the fake CLOCK_MONOTONIC

int64_t nb_now_ns(void)
{
	return clock_ns;
}

// nb_fail (net.h) is libbackend's lbk_fail.
void lbk_fail(struct lbk *b, const char *prog, const char *error_key, const char *fmt, ...)
{
	(void)b;
	(void)prog;
	(void)error_key;
	(void)fmt;
	fails++;
}

// ---- the test's front-end ----

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static struct nb_dev d;
static struct lamina_netif_tx_front ftx;
static struct lamina_netif_rx_front frx;
static void *txring, *rxring;
static uint8_t pages[8][NB_PAGE]; // grefs 10..13: transmit pool; 14..17: receive pool

static void setup(void)
{
	memset(&d, 0, sizeof(d));
	d.cfg = (struct nb_cfg){ .mtu = 1500 };
	memcpy(d.cfg.mac, MAC, 6);
	d.txp = calloc(NB_GREFS, sizeof(*d.txp));
	d.rxp = calloc(NB_GREFS, sizeof(*d.rxp));
	for (int i = 0; i < 4; i++) {
		d.txp[10 + i] = pages[i];
		d.rxp[14 + i] = pages[4 + i];
	}
	txring = aligned_alloc(NB_PAGE, NB_PAGE);
	rxring = aligned_alloc(NB_PAGE, NB_PAGE);
	lamina_netif_tx_sring_init(txring);
	lamina_netif_rx_sring_init(rxring);
	lamina_netif_tx_front_init(&ftx, txring, NB_PAGE);
	lamina_netif_rx_front_init(&frx, rxring, NB_PAGE);
	lamina_netif_tx_back_init(&d.tx, txring, NB_PAGE);
	lamina_netif_rx_back_init(&d.rx, rxring, NB_PAGE);
	nb_rxq_init(&d.q, 4, 1 << 20);
	d.kick_tx = eventfd(0, EFD_NONBLOCK);
	d.bell_tx = d.bell_rx = d.kick_rx = -1;
	d.connected = true;
	host_rc = 0;
	host_frames = fails = 0;
	host_len = 0;
	clock_ns = 1000000000;
}

static void teardown(void)
{
	nb_rxq_clear(&d.q);
	close(d.kick_tx);
	if (d.kick_rx >= 0)
		close(d.kick_rx);
	free(d.txp);
	free(d.rxp);
	free(txring);
	free(rxring);
}

// A frame of len bytes from MAC (or src) at the start of transmit page i.
static void frame_in(int i, unsigned len, const uint8_t *src)
{
	for (unsigned j = 0; j < len; j++)
		pages[i][j] = (uint8_t)(j + i);
	memset(pages[i], 0xff, 6);
	memcpy(pages[i] + 6, src ? src : MAC, 6);
}

static void tx_req(uint32_t gref, unsigned off, unsigned size, unsigned flags, unsigned id)
{
	struct lamina_netif_tx_request *r = lamina_netif_tx_next_request(&ftx);

	ck_assert_ptr_nonnull(r);
	*r = (struct lamina_netif_tx_request){ .gref = gref, .offset = (uint16_t)off, .size = (uint16_t)size,
					       .flags = (uint16_t)flags, .id = (uint16_t)id };
}

static void tx_push(void)
{
	lamina_netif_tx_push_requests(&ftx);
}

// The next transmit response: its status, and its id must be id.
static int tx_rsp(unsigned id)
{
	struct lamina_netif_tx_response r = { 0 };

	ck_assert_int_eq(lamina_netif_tx_take_response(&ftx, &r), 1);
	ck_assert_uint_eq(r.id, id);
	return r.status;
}

static unsigned tx_rsps(void)
{
	return (unsigned)lamina_netif_tx_pending_responses(&ftx);
}

static uint64_t kicks(int fd)
{
	uint64_t v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

START_TEST(tx_frame_sent_and_answered)
{
	frame_in(0, 100, NULL);
	memset(pages[1], 0xab, 40);
	tx_req(10, 0, 140, LAMINA_NETTXF_MORE_DATA, 7);
	tx_req(11, 0, 40, 0, 8);
	tx_push();
	ck_assert_int_eq(nb_tx(&d), 0);
	nb_flush(&d);
	ck_assert_uint_eq(host_frames, 1);
	ck_assert_uint_eq(host_len, NB_HDR + 140);
	ck_assert_mem_eq(host_last + NB_HDR, pages[0], 100);
	ck_assert_uint_eq(host_last[NB_HDR + 139], 0xab);
	lamina_netif_tx_pending_responses(&ftx);
	ck_assert_int_eq(tx_rsp(7), LAMINA_NETIF_RSP_OKAY);
	ck_assert_int_eq(tx_rsp(8), LAMINA_NETIF_RSP_OKAY);
	ck_assert_uint_eq(kicks(d.kick_tx), 1);
	ck_assert_uint_eq(d.st.tx_frames, 1);
	ck_assert_uint_eq(d.st.tx_bytes, 140);
}
END_TEST

START_TEST(tx_frame_across_turns)
{
	frame_in(0, 100, NULL);
	tx_req(10, 0, 140, LAMINA_NETTXF_MORE_DATA, 1);
	tx_push(); // the front published half a frame
	ck_assert_int_eq(nb_tx(&d), 0);
	nb_flush(&d);
	ck_assert_uint_eq(host_frames, 0);
	ck_assert_uint_eq(tx_rsps(), 0);
	ck_assert_uint_eq(txring ? ((struct lamina_ring_header *)txring)->req_event : 0, 2); // armed for the rest
	tx_req(11, 0, 40, 0, 2);
	tx_push();
	ck_assert_int_eq(nb_tx(&d), 0);
	nb_flush(&d);
	ck_assert_uint_eq(host_frames, 1);
	ck_assert_int_eq(tx_rsp(1), LAMINA_NETIF_RSP_OKAY);
	ck_assert_int_eq(tx_rsp(2), LAMINA_NETIF_RSP_OKAY);
}
END_TEST

START_TEST(tx_overlong_frame_then_resync)
{
	unsigned n = LAMINA_NETIF_MAX_FRAGS + 2;

	frame_in(0, 100, NULL);
	for (unsigned i = 0; i < n; i++)
		tx_req(10, 0, i ? 1 : n, i + 1 < n ? LAMINA_NETTXF_MORE_DATA : 0, i);
	tx_req(10, 0, 60, 0, 99); // a good frame after it
	tx_push();
	ck_assert_int_eq(nb_tx(&d), 0);
	nb_flush(&d);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(tx_rsp(i), LAMINA_NETIF_RSP_ERROR);
	ck_assert_int_eq(tx_rsp(99), LAMINA_NETIF_RSP_OKAY);
	ck_assert_uint_eq(host_frames, 1);
	ck_assert_uint_eq(d.st.tx_error, 1);
	ck_assert(!d.corrupt);
}
END_TEST

START_TEST(tx_statuses)
{
	static const uint8_t other[6] = { 2, 0, 0, 0, 0, 1 };

	frame_in(0, 100, other);
	frame_in(1, 100, NULL);
	tx_req(10, 0, 60, 0, 1); // spoofed
	tx_req(11, 0, 10, 0, 2); // a runt
	tx_req(12, 4090, 60, 0, 3); // crosses its page
	tx_req(11, 0, 60, 0, 4); // good
	tx_push();
	nb_tx(&d);
	nb_flush(&d);
	ck_assert_int_eq(tx_rsp(1), LAMINA_NETIF_RSP_DROPPED);
	ck_assert_int_eq(tx_rsp(2), LAMINA_NETIF_RSP_ERROR);
	ck_assert_int_eq(tx_rsp(3), LAMINA_NETIF_RSP_ERROR);
	ck_assert_int_eq(tx_rsp(4), LAMINA_NETIF_RSP_OKAY);
	host_rc = -EAGAIN; // the host side has no room
	tx_req(11, 0, 60, 0, 5);
	tx_push();
	nb_tx(&d);
	nb_flush(&d);
	ck_assert_int_eq(tx_rsp(5), LAMINA_NETIF_RSP_DROPPED);
	ck_assert_uint_eq(d.st.tx_spoof, 1);
	ck_assert_uint_eq(d.st.tx_error, 2);
	ck_assert_uint_eq(d.st.tx_host, 1);
	ck_assert_uint_eq(d.st.tx_frames, 1);
}
END_TEST

START_TEST(tx_budget)
{
	frame_in(0, 100, NULL);
	for (unsigned i = 0; i < NB_TX_BUDGET + 6; i++)
		tx_req(10, 0, 60, 0, i);
	tx_push();
	ck_assert_int_eq(nb_tx(&d), 1); // more to do: the loop comes back at once
	ck_assert_uint_eq(host_frames, NB_TX_BUDGET);
	ck_assert_int_eq(nb_tx(&d), 0);
	ck_assert_uint_eq(host_frames, NB_TX_BUDGET + 6);
}
END_TEST

START_TEST(tx_corrupt_ring)
{
	((struct lamina_ring_header *)txring)->req_prod = 1000; // more than the ring holds
	nb_tx(&d);
	nb_flush(&d);
	ck_assert(d.corrupt);
	ck_assert_uint_eq(fails, 1);
	ck_assert_uint_eq(((struct lamina_ring_header *)txring)->rsp_prod, 0); // nothing written
	ck_assert_uint_eq(host_frames, 0);
}
END_TEST

static void rx_post(unsigned id, uint32_t gref)
{
	struct lamina_netif_rx_request *r = lamina_netif_rx_next_request(&frx);

	ck_assert_ptr_nonnull(r);
	*r = (struct lamina_netif_rx_request){ .id = (uint16_t)id, .gref = gref };
	lamina_netif_rx_push_requests(&frx);
}

static struct lamina_netif_rx_response rx_rsp(void)
{
	struct lamina_netif_rx_response r = { 0 };

	ck_assert_int_eq(lamina_netif_rx_take_response(&frx, &r), 1);
	return r;
}

// A host frame (zero header, Ethernet frame of eth_len bytes filled with seed).
static size_t host_frame(uint8_t *f, size_t eth_len, uint8_t seed)
{
	memset(f, 0, NB_HDR);
	for (size_t i = 0; i < eth_len; i++)
		f[NB_HDR + i] = (uint8_t)(seed + i);
	return NB_HDR + eth_len;
}

START_TEST(rx_frame_over_two_buffers)
{
	static uint8_t f[NB_BUF_MAX];
	struct lamina_netif_rx_response r;
	size_t l = host_frame(f, 5000, 3);

	d.cfg.mtu = 9000;
	rx_post(1, 14);
	rx_post(2, 15);
	rx_post(3, 16);
	nb_rx_frame(&d, f, l);
	nb_flush(&d);
	r = rx_rsp();
	ck_assert_uint_eq(r.id, 1);
	ck_assert_int_eq(r.status, 4096);
	ck_assert_uint_eq(r.offset, 0);
	ck_assert_uint_eq(r.flags, LAMINA_NETRXF_MORE_DATA);
	r = rx_rsp();
	ck_assert_uint_eq(r.id, 2);
	ck_assert_int_eq(r.status, 5000 - 4096);
	ck_assert_uint_eq(r.flags, 0);
	ck_assert_mem_eq(pages[4], f + NB_HDR, 4096); // no header: the front did not ask for offload
	ck_assert_mem_eq(pages[5], f + NB_HDR + 4096, 904);
	ck_assert_uint_eq(d.nstash, 1); // buffer 3 waits for the next frame
	ck_assert_uint_eq(kicks(d.kick_tx), 1);
	ck_assert_uint_eq(d.st.rx_frames, 1);
	ck_assert_uint_eq(d.st.rx_bytes, 5000);
}
END_TEST

START_TEST(rx_waits_for_buffers_in_order)
{
	static uint8_t f[NB_BUF_MAX];

	nb_rx_frame(&d, f, host_frame(f, 100, 1));
	nb_rx_frame(&d, f, host_frame(f, 200, 2));
	ck_assert_uint_eq(d.q.n, 2);
	ck_assert_int_eq(nb_rx(&d), 0);
	ck_assert_uint_eq(((struct lamina_ring_header *)rxring)->req_event, 1); // armed: tell me of a buffer
	rx_post(5, 17);
	ck_assert_int_eq(nb_rx(&d), 0);
	nb_flush(&d);
	struct lamina_netif_rx_response r = rx_rsp();
	ck_assert_uint_eq(r.id, 5);
	ck_assert_int_eq(r.status, 100); // the first frame first
	ck_assert_uint_eq(pages[7][0], 1);
	ck_assert_uint_eq(d.q.n, 1);
	rx_post(6, 14);
	nb_rx(&d);
	nb_flush(&d);
	r = rx_rsp();
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(pages[4][0], 2);
	ck_assert_uint_eq(d.q.n, 0);
}
END_TEST

START_TEST(rx_bad_buffer_and_drops)
{
	static uint8_t f[NB_BUF_MAX];
	struct lamina_netif_rx_response r;

	rx_post(9, 10); // a transmit buffer, not a receive one
	rx_post(10, 70000);
	nb_rx(&d);
	nb_flush(&d);
	r = rx_rsp();
	ck_assert_uint_eq(r.id, 9);
	ck_assert_int_eq(r.status, LAMINA_NETIF_RSP_ERROR);
	ck_assert_int_eq(rx_rsp().status, LAMINA_NETIF_RSP_ERROR);
	ck_assert_uint_eq(d.st.rx_bufs_bad, 2);
	for (int i = 0; i < 6; i++) // the queue holds 4
		nb_rx_frame(&d, f, host_frame(f, 100, 0));
	ck_assert_uint_eq(d.st.rx_full, 2);
	struct lamina_netif_hdr h = { .gso_type = LAMINA_NETIF_GSO_TCPV4, .gso_size = 1000 };
	size_t l = host_frame(f, 3000, 0);
	memcpy(f, &h, NB_HDR);
	nb_rx_frame(&d, f, l); // a super-frame for a front without offload
	ck_assert_uint_eq(d.st.rx_gso, 1);
	nb_rx_frame(&d, f, 20); // shorter than the headers
	ck_assert_uint_eq(d.st.rx_bad, 1);
}
END_TEST

START_TEST(rx_offload_keeps_header)
{
	static uint8_t f[NB_BUF_MAX];
	struct lamina_netif_hdr h = { .flags = LAMINA_NETIF_HDR_F_DATA_VALID };
	size_t l = host_frame(f, 60, 0);

	d.cfg.offload = true;
	memcpy(f, &h, NB_HDR);
	rx_post(1, 14);
	nb_rx_frame(&d, f, l);
	nb_flush(&d);
	struct lamina_netif_rx_response r = rx_rsp();
	ck_assert_int_eq(r.status, (int)l);
	ck_assert_uint_eq(r.flags, LAMINA_NETRXF_DATA_VALIDATED);
	ck_assert_mem_eq(pages[4], f, l);
}
END_TEST

START_TEST(split_ports_kick_separately)
{
	static uint8_t f[NB_BUF_MAX];

	d.split = true;
	d.kick_rx = eventfd(0, EFD_NONBLOCK);
	rx_post(1, 14);
	nb_rx_frame(&d, f, host_frame(f, 60, 0));
	nb_flush(&d);
	ck_assert_uint_eq(kicks(d.kick_rx), 1);
	ck_assert_uint_eq(kicks(d.kick_tx), 0);
	frame_in(0, 60, NULL);
	tx_req(10, 0, 60, 0, 1);
	tx_push();
	nb_tx(&d);
	nb_flush(&d);
	ck_assert_uint_eq(kicks(d.kick_tx), 1);
	ck_assert_uint_eq(kicks(d.kick_rx), 0);
}
END_TEST

START_TEST(no_kick_unless_asked)
{
	frame_in(0, 60, NULL);
	((struct lamina_ring_header *)txring)->rsp_event = 5; // the front wants to hear at the 5th response
	for (unsigned i = 0; i < 3; i++)
		tx_req(10, 0, 60, 0, i);
	tx_push();
	nb_tx(&d);
	nb_flush(&d);
	ck_assert_uint_eq(kicks(d.kick_tx), 0);
	for (unsigned i = 0; i < 3; i++)
		tx_req(10, 0, 60, 0, i);
	tx_push();
	nb_tx(&d);
	nb_flush(&d);
	ck_assert_uint_eq(kicks(d.kick_tx), 1); // one kick for the turn, not one per response
}
END_TEST

// A limit of 1 MB/s with a 1000-byte burst; 600-byte frames.
static void limit(struct nb_limit *l)
{
	struct nb_rate_cfg c = { .bps = 1000000, .bps_burst = 1000 };

	nb_limit_init(l, &c, clock_ns);
}

START_TEST(tx_over_the_limit_waits_in_the_ring)
{
	limit(&d.ltx);
	frame_in(0, 600, NULL);
	for (unsigned i = 0; i < 4; i++)
		tx_req(10, 0, 600, 0, i);
	tx_push();
	ck_assert_int_eq(nb_tx(&d), 0); // the second frame is held
	nb_flush(&d);
	ck_assert_uint_eq(host_frames, 1);
	ck_assert_int_eq(tx_rsp(0), LAMINA_NETIF_RSP_OKAY);
	ck_assert_uint_eq(tx_rsps(), 0); // no answer, no loss: the front waits
	ck_assert(d.tx_held);
	ck_assert_uint_eq(lamina_netif_tx_pending_requests(&d.tx), 2); // the rest stay on the ring
	ck_assert_int_eq(nb_io_timeout(&d, 1000), 1); // 200 bytes short: 200 us, a 1 ms poll
	clock_ns += 199999;
	ck_assert_int_eq(nb_tx(&d), 0);
	ck_assert_uint_eq(host_frames, 1);
	clock_ns += 1;
	ck_assert_int_eq(nb_tx(&d), 0); // the second goes, the third is held
	ck_assert_uint_eq(host_frames, 2);
	ck_assert_int_eq(nb_io_timeout(&d, 1000), 1);
	clock_ns += 600000; // the third goes, the fourth is held
	ck_assert_int_eq(nb_tx(&d), 0);
	ck_assert_uint_eq(host_frames, 3);
	clock_ns += 600000;
	ck_assert_int_eq(nb_tx(&d), 0);
	nb_flush(&d);
	ck_assert_uint_eq(host_frames, 4);
	for (unsigned i = 1; i < 4; i++)
		ck_assert_int_eq(tx_rsp(i), LAMINA_NETIF_RSP_OKAY);
	ck_assert(!d.tx_held);
	ck_assert_int_eq(nb_io_timeout(&d, 1000), 1000);
	ck_assert_uint_eq(d.ltx.waits, 3);
	ck_assert_int_eq(d.ltx.waited_ns, 200000 + 600000 + 600000);
	ck_assert_uint_eq(d.st.tx_frames, 4);
}
END_TEST

START_TEST(tx_held_frame_forgotten_at_disconnect)
{
	limit(&d.ltx);
	frame_in(0, 600, NULL);
	tx_req(10, 0, 600, 0, 1);
	tx_req(10, 0, 600, 0, 2);
	tx_push();
	nb_tx(&d);
	ck_assert(d.tx_held);
	clock_ns += 5000000;
	nb_io_drop_held(&d);
	ck_assert(!d.tx_held);
	ck_assert(!d.ltx.waiting);
	ck_assert_int_eq(d.ltx.waited_ns, 5000000);
	ck_assert_int_eq(nb_io_timeout(&d, 1000), 1000);
}
END_TEST

START_TEST(rx_over_the_limit_waits_in_the_queue)
{
	static uint8_t f[NB_BUF_MAX];

	limit(&d.lrx);
	for (unsigned i = 0; i < 4; i++)
		rx_post(i, 14 + i);
	for (int i = 0; i < 7; i++) // one goes, four wait (the queue holds 4), two are dropped
		nb_rx_frame(&d, f, host_frame(f, 600, (uint8_t)i));
	nb_flush(&d);
	ck_assert_int_eq(rx_rsp().status, 600);
	ck_assert_uint_eq(d.q.n, 4);
	ck_assert_uint_eq(d.st.rx_full, 2);
	ck_assert_uint_eq(d.nstash, 3); // buffers are there: the limit holds the frames
	ck_assert_int_eq(nb_rx(&d), 0);
	ck_assert_int_eq(nb_io_timeout(&d, 1000), 1);
	clock_ns += 200000;
	nb_rx(&d);
	nb_flush(&d);
	struct lamina_netif_rx_response r = rx_rsp();
	ck_assert_int_eq(r.status, 600);
	ck_assert_uint_eq(pages[5][0], 1); // in order
	ck_assert_uint_eq(d.q.n, 3);
	clock_ns += 10000000; // a full bucket (1000 bytes, not 10 ms' worth): one more
	nb_rx(&d);
	ck_assert_uint_eq(d.q.n, 2);
	clock_ns += 200000;
	nb_rx(&d);
	nb_flush(&d);
	rx_rsp();
	rx_rsp();
	ck_assert_uint_eq(d.q.n, 1);
	ck_assert_uint_eq(d.nstash, 0);
	clock_ns += 10000000; // time enough: now it waits for a buffer
	ck_assert_int_eq(nb_rx(&d), 0);
	ck_assert(!d.lrx.waiting);
	ck_assert_int_eq(nb_io_timeout(&d, 1000), 1000); // a buffer posted wakes the loop, not a timer
	ck_assert_uint_eq(((struct lamina_ring_header *)rxring)->req_event, 5); // armed for one
	ck_assert_uint_eq(d.st.rx_frames, 4);
	ck_assert_uint_eq(d.lrx.waits, 4);
	ck_assert_int_eq(d.lrx.waited_ns, 200000 + 10000000 + 200000 + 10000000);
}
END_TEST

START_TEST(gso_frames_charged_as_segments)
{
	static uint8_t f[NB_BUF_MAX];
	struct lamina_netif_hdr h = { .gso_type = LAMINA_NETIF_GSO_TCPV4, .hdr_len = 54, .gso_size = 1000 };
	struct nb_rate_cfg c = { .bps = 1000000000, .bps_burst = 1000000 };
	size_t l = host_frame(f, 54 + 3 * 1000, 0);

	nb_limit_init(&d.lrx, &c, clock_ns);
	d.cfg.offload = true;
	memcpy(f, &h, NB_HDR);
	rx_post(1, 14);
	nb_rx_frame(&d, f, l);
	ck_assert_int_eq(d.lrx.bytes.tokens, 1000000 - (54 + 3000 + 2 * 54)); // three segments on the wire
	ck_assert_uint_eq(d.st.rx_bytes, l); // the guest got one frame, header and all
}
END_TEST

TCase *io_tcase(void)
{
	TCase *t = tcase_create("io");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, tx_frame_sent_and_answered);
	tcase_add_test(t, tx_frame_across_turns);
	tcase_add_test(t, tx_overlong_frame_then_resync);
	tcase_add_test(t, tx_statuses);
	tcase_add_test(t, tx_budget);
	tcase_add_test(t, tx_corrupt_ring);
	tcase_add_test(t, rx_frame_over_two_buffers);
	tcase_add_test(t, rx_waits_for_buffers_in_order);
	tcase_add_test(t, rx_bad_buffer_and_drops);
	tcase_add_test(t, rx_offload_keeps_header);
	tcase_add_test(t, split_ports_kick_separately);
	tcase_add_test(t, no_kick_unless_asked);
	tcase_add_test(t, tx_over_the_limit_waits_in_the_ring);
	tcase_add_test(t, tx_held_frame_forgotten_at_disconnect);
	tcase_add_test(t, rx_over_the_limit_waits_in_the_queue);
	tcase_add_test(t, gso_frames_charged_as_segments);
	return t;
}
