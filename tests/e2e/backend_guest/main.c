// SPDX-License-Identifier: MIT
// backend_guest: the front-end of the "echo" test device: grants a ring and data pages to domain 0, shakes hands with its back-end process, sends echo requests, rounds=N times.
#include "rt.h"
#include "xs.h"
#include "gnt.h"
#include "../backend_echo.h"
#include <lamina/io/bus.h>

const char test_title[] = "backend: echo front-end";

#define FRAME0 (RT_HOLE_GFN + 8)
#define P_RING 0x800ul
#define P_DATA 0x801ul // .. + ECHO_PAGES - 1
#define P_OTHER 0x806ul
#define P_RO 0x807ul
#define P_SECRET 0x808ul // never granted
#define P_RING2 0x809ul
#define FE "device/echo/0"
#define WAIT_NS (600000 * MS) // the testbed is slow

static volatile struct lamina_grant_entry *gt;
static struct echo_front f;
static struct echo_back gb; // the back-to-front ring: we answer
static unsigned served; // back-to-front requests answered this connection
static uint32_t port;
static volatile unsigned upcalls;

static void on_port(uint32_t p) { (void)p; upcalls++; }

static void grant_all(void)
{
	if (gnt_frame(0, FRAME0))
		rt_fail("cannot map grant frame 0");
	gt = (volatile struct lamina_grant_entry *)PAGE_AT(FRAME0);
	gnt_publish(&gt[ECHO_REF_RING], 0, P_RING, LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned i = 0; i < ECHO_PAGES; i++)
		gnt_publish(&gt[ECHO_REF_DATA + i], 0, P_DATA + i, LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[ECHO_REF_OTHER], 7, P_OTHER, LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[ECHO_REF_RO], 0, P_RO, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	gnt_publish(&gt[ECHO_REF_RING2], 0, P_RING2, LAMINA_GTF_PERMIT_ACCESS);
	rt_memset((void *)PAGE_AT(P_SECRET), 0x5a, 4096);
}

static uint32_t alloc_port(void)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = LAMINA_DOMID_SELF, .remote_dom = 0 };
	long r = HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op);

	if (r)
		rt_fail("alloc_unbound for domain 0: %ld", r);
	return op.port;
}

// The back-end's state (0 while it has none), read through the front's "backend" key.
static long be_state(void)
{
	static char be[128], v[16];

	if (xs_read(0, FE "/backend", be, sizeof(be)) < 0 ||
	    xs_read(0, xs_fmt("%s/state", be), v, sizeof(v)) < 0)
		return 0;
	return v[0] - '0';
}

static void wait_be(long want)
{
	uint64_t until = rt_now() + WAIT_NS;

	while (be_state() != want)
		if (rt_now() > until)
			rt_fail("the back-end never reached state %ld (it is %ld)", want, be_state());
		else
			rt_spin_ns(20 * MS);
}

static void connect(void)
{
	xs_write(0, FE "/state", "1");
	wait_be(LAMINA_BUS_INITWAIT);
	echo_sring_init((struct echo_sring *)PAGE_AT(P_RING));
	echo_front_init(&f, (struct echo_sring *)PAGE_AT(P_RING), 4096);
	echo_sring_init((struct echo_sring *)PAGE_AT(P_RING2));
	echo_back_init(&gb, (struct echo_sring *)PAGE_AT(P_RING2), 4096);
	served = 0;
	xs_write(0, FE "/back-ring-ref", xs_fmt("%d", ECHO_REF_RING2));
	xs_write(0, FE "/ring-ref", xs_fmt("%d", ECHO_REF_RING));
	for (unsigned i = 0; i < ECHO_PAGES; i++)
		xs_write(0, xs_fmt(FE "/data-ref-%u", i), xs_fmt("%u", ECHO_REF_DATA + i));
	xs_write(0, FE "/other-ref", xs_fmt("%d", ECHO_REF_OTHER));
	xs_write(0, FE "/ro-ref", xs_fmt("%d", ECHO_REF_RO));
	xs_write(0, FE "/event-channel", xs_fmt("%u", port));
	xs_write(0, FE "/state", "3");
	wait_be(LAMINA_BUS_CONNECTED);
	xs_write(0, FE "/state", "4");
}

// Answer the back-end's requests (each copied out before it is checked).
static void serve_back(void)
{
	struct echo_req rq;
	int n = 0;

	while (n < 16 && echo_take_request(&gb, &rq) == 1) {
		struct echo_rsp *rsp = echo_next_response(&gb);
		*rsp = (struct echo_rsp){ .id = rq.id, .status = rq.len > 4096 ? -LAMINA_EINVAL : 0,
					  .sum = rq.len > 4096 ? 0 : echo_seed_sum(rq.seed, rq.len) };
		n++;
	}
	served += (unsigned)n;
	if (n && echo_push_responses(&gb))
		HC1(LAMINA_HC_event_send, port);
}

// One request on data page i % ECHO_PAGES; checks the sum and the inverted bytes.
static int echo_one(unsigned i)
{
	unsigned page = i % ECHO_PAGES, len = 100 + 37 * i, sum = 0;
	volatile uint8_t *d = PAGE_AT(P_DATA + page);
	struct echo_rsp rsp;
	struct echo_req *rq = echo_next_request(&f);
	uint64_t until = rt_now() + WAIT_NS;
	int ok = 1;

	for (unsigned j = 0; j < len; j++)
		sum += d[j] = (uint8_t)(i * 7 + j);
	*rq = (struct echo_req){ .id = 1000 + i, .page = page, .len = len };
	if (echo_push_requests(&f))
		HC1(LAMINA_HC_event_send, port); // the doorbell: an ioeventfd in the kernel
	while (echo_take_response(&f, &rsp) != 1)
		if (rt_now() > until)
			rt_fail("no answer to request %u", i);
		else
			serve_back();
	ok &= rsp.id == 1000 + i && rsp.status == 0 && rsp.sum == sum;
	for (unsigned j = 0; j < len; j++)
		ok &= d[j] == (uint8_t)~(uint8_t)(i * 7 + j);
	return ok;
}

static int secret_intact(void)
{
	for (unsigned j = 0; j < 4096; j++)
		if (PAGE_AT(P_SECRET)[j] != 0x5a)
			return 0;
	return 1;
}

void test_main(void)
{
	long rounds = rt_arg_num("rounds", 1);

	rt_events_init();
	xs_init();
	grant_all();
	port = alloc_port();
	rt_on_port(port, on_port);
	rt_unmask(port);
	for (long r = 0; r < rounds; r++) {
		unsigned good = 0;
		connect();
		for (unsigned i = 0; i < ECHO_REQUESTS; i++)
			good += echo_one(i);
		rt_expect(good, ECHO_REQUESTS, "every echo came back with its sum and inverted bytes");
		uint64_t until = rt_now() + WAIT_NS;
		while (served < ECHO_BACK_REQUESTS && rt_now() < until)
			serve_back();
		rt_expect(served, ECHO_BACK_REQUESTS, "the back-end's own requests came and were answered");
		rt_printf("backend_guest: round %ld: %u echoes ok, %u back-end requests answered, "
			  "%u upcalls\n", r, good, served, upcalls);
		if (r + 1 < rounds) {
			wait_be(LAMINA_BUS_CLOSED);
			rt_printf("backend_guest: saw the back-end Closed; the domain runs on\n");
		}
	}
	rt_check(upcalls > 0, "the back-end's kicks reached us as upcalls (%u)", upcalls);
	rt_check(secret_intact(), "the page never granted is untouched");
	xs_write(0, FE "/state", "6");
	rt_spin_ns(500 * MS); // let the back-end see it before we power off
}
