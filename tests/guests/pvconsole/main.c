// SPDX-License-Identifier: MIT
// pvconsole/main.c: the PV console ring: port and mapping, output consumed, full-ring notification, wrapping, a corrupt index.
#include "rt.h"

const char test_title[] = "PV console: the console ring and console_port";

#define MS 1000000ull
#define CON_GFN (RT_HOLE_GFN + 2)
#define OB LAMINA_CONSOLE_OUT_BYTES
#define LINE 128                         /* bytes per output line, '\n' included */

static volatile struct lamina_console_ring *ring;
static uint32_t port;

static void clear_pending(void)
{
	__atomic_fetch_and(&rt_shinfo->evtchn_pending[port / 64], ~(1ull << (port % 64)),
			   __ATOMIC_SEQ_CST);
}

/* Sleep until the console port is pending or ms pass: 0 if it became pending. */
static long poll_port(uint64_t ms)
{
	lamina_port_t p = port;
	struct lamina_sched_poll sp = { .ports = (uint64_t)&p, .nr_ports = 1,
					.timeout = rt_now() + ms * MS };

	return HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &sp);
}

/* Put n bytes into the out ring (there must be room), publish, notify. */
static void put(const char *s, uint32_t n)
{
	uint32_t prod = ring->out_prod;

	for (uint32_t i = 0; i < n; i++)
		ring->out[(prod + i) % OB] = (uint8_t)s[i];
	lamina_wmb();
	ring->out_prod = prod + n;
	HC1(LAMINA_HC_event_send, port);
}

/* n bytes of whole lines "pvconsole: <tag> <i> ....\n". */
static void lines(const char *tag, uint32_t n)
{
	static char buf[OB];

	for (uint32_t i = 0; i < n; i += LINE) {
		int k = rt_snprintf(buf + i, LINE, "pvconsole: %s %u ", tag, i / LINE);
		rt_memset(buf + i + k, '.', LINE - 1 - (uint32_t)k);
		buf[i + LINE - 1] = '\n';
	}
	put(buf, n);
}

static int drained(void) { return ring->out_cons == ring->out_prod; }

static void setup(void)
{
	struct lamina_add_to_physmap x = { .domid = LAMINA_DOMID_SELF,
		.space = LAMINA_SPACE_CONSOLE_RING, .idx = 0, .gfn = CON_GFN };
	struct lamina_evtchn_status st = { .dom = LAMINA_DOMID_SELF };

	rt_map_shared_info();
	port = rt_shinfo->console_port;
	rt_check(port != 0 && port != rt_shinfo->store_port,
		 "shared_info console_port %u is set, not the store port", port);
	st.port = port;
	rt_expect(HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_STATUS, &st), 0, "status of console_port");
	rt_expect(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN, "console_port is bound at creation");
	rt_expect(st.u.interdomain.dom, 0, "to domain 0");
	x.idx = 1;
	rt_expect(HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x), -LAMINA_EINVAL,
		  "console ring frame 1: EINVAL (idx must be 0)");
	x.idx = 0;
	long r = HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x);
	if (r)
		rt_fail("mapping the console ring: %ld", r);
	ring = (volatile struct lamina_console_ring *)(CON_GFN << 12);
	rt_check(ring->out_prod == 0 && ring->out_cons == 0 && ring->in_prod == 0,
		 "a fresh ring: indices 0");
}

static void output(void)
{
	static const char hello[] = "pvconsole: hello through the ring\n";

	put(hello, sizeof(hello) - 1);
	rt_check(rt_wait_for(drained(), 2000 * MS), "the back-end consumed a line (out_cons %u, out_prod %u)",
		 ring->out_cons, ring->out_prod);
	/* a full ring: the back-end notifies when it makes room */
	clear_pending();
	lines("full", OB);
	rt_expect(poll_port(2000), 0, "an event on console_port after a full ring was emptied");
	rt_check(drained(), "the full ring was consumed");
	/* past the end of the ring several times, in pieces */
	for (int round = 0; round < 6; round++) {
		lines("wrap", OB / 2 - LINE * (uint32_t)round);
		rt_check(rt_wait_for(drained(), 2000 * MS), "round %d consumed (out_cons %u)", round,
			 ring->out_cons);
	}
	rt_check(ring->out_cons > 3 * OB, "the indices went round the ring (out_cons %u)", ring->out_cons);
	rt_expect(ring->in_prod, 0, "no input arrived that nobody typed");
}

/* Last: a producer index past the ring makes the back-end drop the ring. */
static void corrupt(void)
{
	uint32_t cons = ring->out_cons;
	static const char more[] = "pvconsole: not shown\n";

	ring->out_prod = cons + OB + 1;
	HC1(LAMINA_HC_event_send, port);
	rt_spin_ns(300 * MS);
	rt_expect(ring->out_cons, cons, "nothing consumed with out_prod past the ring");
	ring->out_prod = cons;
	put(more, sizeof(more) - 1);
	rt_spin_ns(300 * MS);
	rt_expect(ring->out_cons, cons, "the ring stays dropped afterwards");
	rt_expect(HC0(LAMINA_HC_null), 0, "the domain itself carries on");
}

void test_main(void)
{
	setup();
	output();
	corrupt();
}
