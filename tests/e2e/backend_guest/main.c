// SPDX-License-Identifier: MIT
// backend_guest: the front-end of the "echo" test device: grants a ring and data pages to domain 0, shakes hands with its back-end process, sends echo requests, rounds=N times (sandbox=1: two devices).
#include "rt.h"
#include "xs.h"
#include "gnt.h"
#include "../backend_echo.h"
#include <lamina/io/bus.h>

const char test_title[] = "backend: echo front-end";

#define FRAME0 (RT_HOLE_GFN + 8)
#define DEV_PAGES 0x10ul // guest pages per device, from P_BASE + dev * DEV_PAGES
#define DEV_REFS 16u // grant refs per device: the ECHO_REF_* numbers + dev * DEV_REFS
#define P_BASE 0x800ul
#define P_RING 0x0ul // offsets in a device's pages
#define P_DATA 0x1ul // .. + ECHO_PAGES - 1
#define P_OTHER 0x6ul
#define P_RO 0x7ul
#define P_SECRET 0x8ul // never granted
#define P_RING2 0x9ul
#define WAIT_NS (600000 * MS) // the testbed is slow
#define NDEV 2

struct dev { // one echo device: device/echo/<n>
	unsigned n;
	char fe[32]; // its front-end directory
	struct echo_front f;
	struct echo_back gb; // the back-to-front ring: we answer
	unsigned served; // back-to-front requests answered this connection
	uint32_t port;
};

static volatile struct lamina_grant_entry *gt;
static struct dev devs[NDEV];
static volatile unsigned upcalls;

static void on_port(uint32_t p) { (void)p; upcalls++; }

static unsigned long pg(const struct dev *d, unsigned long off) { return P_BASE + d->n * DEV_PAGES + off; }
static unsigned ref(const struct dev *d, unsigned r) { return r + d->n * DEV_REFS; }

static void grant_all(struct dev *d)
{
	gnt_publish(&gt[ref(d, ECHO_REF_RING)], 0, pg(d, P_RING), LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned i = 0; i < ECHO_PAGES; i++)
		gnt_publish(&gt[ref(d, ECHO_REF_DATA + i)], 0, pg(d, P_DATA + i), LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[ref(d, ECHO_REF_OTHER)], 7, pg(d, P_OTHER), LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[ref(d, ECHO_REF_RO)], 0, pg(d, P_RO), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	gnt_publish(&gt[ref(d, ECHO_REF_RING2)], 0, pg(d, P_RING2), LAMINA_GTF_PERMIT_ACCESS);
	rt_memset((void *)PAGE_AT(pg(d, P_SECRET)), 0x5a, 4096);
}

static uint32_t alloc_port(void)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = LAMINA_DOMID_SELF, .remote_dom = 0 };
	long r = HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op);

	if (r)
		rt_fail("alloc_unbound for domain 0: %ld", r);
	return op.port;
}

static void dev_init(struct dev *d, unsigned n)
{
	d->n = n;
	rt_snprintf(d->fe, sizeof(d->fe), "device/echo/%u", n);
	grant_all(d);
	d->port = alloc_port();
	rt_on_port(d->port, on_port);
	rt_unmask(d->port);
}

// The back-end's state (0 while it has none), read through the front's "backend" key.
static long be_state(const struct dev *d)
{
	static char be[128], v[16];

	if (xs_read(0, xs_fmt("%s/backend", d->fe), be, sizeof(be)) < 0 ||
	    xs_read(0, xs_fmt("%s/state", be), v, sizeof(v)) < 0)
		return 0;
	return v[0] - '0';
}

static void wait_be(const struct dev *d, long want)
{
	uint64_t until = rt_now() + WAIT_NS;

	while (be_state(d) != want)
		if (rt_now() > until)
			rt_fail("%s: the back-end never reached state %ld (it is %ld)", d->fe, want, be_state(d));
		else
			rt_spin_ns(20 * MS);
}

static void fe_put(const struct dev *d, const char *key, unsigned long v)
{
	xs_write(0, xs_fmt("%s/%s", d->fe, key), xs_fmt("%lu", v));
}

static void connect(struct dev *d)
{
	fe_put(d, "state", 1);
	wait_be(d, LAMINA_BUS_INITWAIT);
	echo_sring_init((struct echo_sring *)PAGE_AT(pg(d, P_RING)));
	echo_front_init(&d->f, (struct echo_sring *)PAGE_AT(pg(d, P_RING)), 4096);
	echo_sring_init((struct echo_sring *)PAGE_AT(pg(d, P_RING2)));
	echo_back_init(&d->gb, (struct echo_sring *)PAGE_AT(pg(d, P_RING2)), 4096);
	d->served = 0;
	fe_put(d, "back-ring-ref", ref(d, ECHO_REF_RING2));
	fe_put(d, "ring-ref", ref(d, ECHO_REF_RING));
	for (unsigned i = 0; i < ECHO_PAGES; i++)
		fe_put(d, xs_fmt("data-ref-%u", i), ref(d, ECHO_REF_DATA + i));
	fe_put(d, "other-ref", ref(d, ECHO_REF_OTHER));
	fe_put(d, "ro-ref", ref(d, ECHO_REF_RO));
	fe_put(d, "event-channel", d->port);
	fe_put(d, "state", 3);
	wait_be(d, LAMINA_BUS_CONNECTED);
	fe_put(d, "state", 4);
}

// Answer the back-end's requests (each copied out before it is checked).
static void serve_back(struct dev *d)
{
	struct echo_req rq;
	int n = 0;

	while (n < 16 && echo_take_request(&d->gb, &rq) == 1) {
		struct echo_rsp *rsp = echo_next_response(&d->gb);
		*rsp = (struct echo_rsp){ .id = rq.id, .status = rq.len > 4096 ? -LAMINA_EINVAL : 0,
					  .sum = rq.len > 4096 ? 0 : echo_seed_sum(rq.seed, rq.len) };
		n++;
	}
	d->served += (unsigned)n;
	if (n && echo_push_responses(&d->gb))
		HC1(LAMINA_HC_event_send, d->port);
}

// One request on data page i % ECHO_PAGES; checks the sum and the inverted bytes.
static int echo_one(struct dev *d, unsigned i)
{
	unsigned page = i % ECHO_PAGES, len = 100 + 37 * i, sum = 0;
	volatile uint8_t *p = PAGE_AT(pg(d, P_DATA + page));
	struct echo_rsp rsp;
	struct echo_req *rq = echo_next_request(&d->f);
	uint64_t until = rt_now() + WAIT_NS;
	int ok = 1;

	for (unsigned j = 0; j < len; j++)
		sum += p[j] = (uint8_t)(i * 7 + j);
	*rq = (struct echo_req){ .id = 1000 + i, .page = page, .len = len };
	if (echo_push_requests(&d->f))
		HC1(LAMINA_HC_event_send, d->port); // the doorbell: an ioeventfd in the kernel
	while (echo_take_response(&d->f, &rsp) != 1)
		if (rt_now() > until)
			rt_fail("%s: no answer to request %u", d->fe, i);
		else
			serve_back(d);
	ok &= rsp.id == 1000 + i && rsp.status == 0 && rsp.sum == sum;
	for (unsigned j = 0; j < len; j++)
		ok &= p[j] == (uint8_t)~(uint8_t)(i * 7 + j);
	return ok;
}

// ECHO_REQUESTS echoes, and the back-end's own requests answered.
static void round(struct dev *d, long r)
{
	unsigned good = 0;
	uint64_t until;

	for (unsigned i = 0; i < ECHO_REQUESTS; i++)
		good += echo_one(d, i);
	rt_expect(good, ECHO_REQUESTS, "every echo came back with its sum and inverted bytes");
	until = rt_now() + WAIT_NS;
	while (d->served < ECHO_BACK_REQUESTS && rt_now() < until)
		serve_back(d);
	rt_expect(d->served, ECHO_BACK_REQUESTS, "the back-end's own requests came and were answered");
	rt_printf("backend_guest: %s: round %ld: %u echoes ok, %u back-end requests answered, "
		  "%u upcalls\n", d->fe, r, good, d->served, upcalls);
}

static int secret_intact(const struct dev *d)
{
	for (unsigned j = 0; j < 4096; j++)
		if (PAGE_AT(pg(d, P_SECRET))[j] != 0x5a)
			return 0;
	return 1;
}

// Console input from the script ("g"), within WAIT_NS.
static void wait_go(void)
{
	uint64_t until = rt_now() + WAIT_NS;
	char c;

	while (HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_READ, 1, &c) != 1 || c != 'g')
		if (rt_now() > until)
			rt_fail("no go from the script");
		else
			rt_spin_ns(50 * MS);
}

// sandbox=1: echo/0 and echo/1, each with its own back-end process. The
// back-end of echo/0 is killed by its sandbox after its first round
// (tests/e2e/sandbox.sh); echo/0 must show Closed and, after the script's
// "g" on the console, echo/1 go on.
static void two_devices(void)
{
	for (unsigned n = 0; n < NDEV; n++)
		connect(&devs[n]);
	for (unsigned n = 0; n < NDEV; n++)
		round(&devs[n], 0);
	wait_be(&devs[0], LAMINA_BUS_CLOSED);
	rt_printf("backend_guest: %s: saw the back-end Closed; the domain runs on\n", devs[0].fe);
	wait_go(); // the script looks at the domain and the processes meanwhile
	round(&devs[1], 1);
	rt_printf("backend_guest: %s: still served after %s's back-end died\n", devs[1].fe, devs[0].fe);
}

// One device, rounds=N connections (the back-end is restarted between them).
static void one_device(long rounds)
{
	for (long r = 0; r < rounds; r++) {
		connect(&devs[0]);
		round(&devs[0], r);
		if (r + 1 < rounds) {
			wait_be(&devs[0], LAMINA_BUS_CLOSED);
			rt_printf("backend_guest: saw the back-end Closed; the domain runs on\n");
		}
	}
}

void test_main(void)
{
	unsigned ndev = rt_arg_num("sandbox", 0) ? NDEV : 1;

	rt_events_init();
	xs_init();
	if (gnt_frame(0, FRAME0))
		rt_fail("cannot map grant frame 0");
	gt = (volatile struct lamina_grant_entry *)PAGE_AT(FRAME0);
	for (unsigned n = 0; n < ndev; n++)
		dev_init(&devs[n], n);
	if (ndev == NDEV)
		two_devices();
	else
		one_device(rt_arg_num("rounds", 1));
	rt_check(upcalls > 0, "the back-ends' kicks reached us as upcalls (%u)", upcalls);
	for (unsigned n = 0; n < ndev; n++) {
		rt_check(secret_intact(&devs[n]), "%s: the page never granted is untouched", devs[n].fe);
		fe_put(&devs[n], "state", 6);
	}
	rt_spin_ns(500 * MS); // let the back-ends see it before we power off
}
