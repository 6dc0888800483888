// SPDX-License-Identifier: MIT
// evtchn_ping/main.c: two domains ping-pong over an interdomain channel; close makes the peer unbound; reconnect.
#include "rt.h"

/*
 * The same image runs twice (args): domain "a" (role=a) gives the verdict;
 * domain "b" (role=b, created second, so a's id + 1) answers, and powers
 * off cleanly only if all its own checks passed (a crash fails the test).
 * Channels: "data" for the ping-pong, "ctl" for a to tell b what to do
 * next. a allocates both for b (data first, so data < ctl); b finds them
 * by trying BIND_INTERDOMAIN on a's ports in order.
 */
const char test_title[] = "event channels between two domains";

#define EOP(cmd, arg) HC2(LAMINA_HC_event_channel_op, cmd, arg)
#define ROUNDS 100
#define MS 1000000ull

static volatile unsigned hits[LAMINA_EVTCHN_PORTS_MAX];
static volatile uint32_t b_data;    /* b: its end of the data channel */
static int b_bad;                   /* b: failed checks */

static void count(uint32_t port) { hits[port]++; }

/* Wait up to ms milliseconds for port to have had n events. */
static int wait_hits(uint32_t port, unsigned n, uint64_t ms)
{
	uint64_t until = rt_now() + ms * MS;

	while (hits[port] < n && rt_now() < until)
		rt_pause();
	return hits[port] >= n;
}

/* Odd rounds use the event_send fast path, even ones EVTCHNOP_SEND. */
static long send(uint32_t port, unsigned round)
{
	struct lamina_evtchn_port op = { .port = port };

	return round & 1 ? HC1(LAMINA_HC_event_send, port) : EOP(LAMINA_EVTCHNOP_SEND, &op);
}

static long bind_interdomain(uint16_t rdom, uint32_t rport)
{
	struct lamina_evtchn_bind_interdomain op = { .remote_dom = rdom, .remote_port = rport };
	long r = EOP(LAMINA_EVTCHNOP_BIND_INTERDOMAIN, &op);

	return r ? r : (long)op.local_port;
}

static long status(uint32_t port, struct lamina_evtchn_status *st)
{
	rt_memset(st, 0, sizeof(*st));
	st->dom = LAMINA_DOMID_SELF;
	st->port = port;
	return EOP(LAMINA_EVTCHNOP_STATUS, st);
}

static void listen(uint32_t port)
{
	rt_on_port(port, count);
	rt_unmask(port);
}

/* ---- a ---- */

static uint32_t a_alloc(uint16_t peer)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = LAMINA_DOMID_SELF, .remote_dom = peer };

	if (EOP(LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op))
		rt_fail("ALLOC_UNBOUND for domain %u failed", peer);
	listen(op.port);
	return op.port;
}

static void a_ping_pong(uint32_t data)
{
	unsigned ok = 0;

	for (unsigned i = 1; i <= ROUNDS; i++) {
		if (send(data, i) != 0)
			break;
		if (!wait_hits(data, 1 + i, 10000))   /* generous: the testbed can be slow under load */
			break;
		ok = i;
	}
	rt_expect(ok, ROUNDS, "ping-pong rounds answered (odd: event_send, even: EVTCHNOP_SEND)");
}

static void a_sees_unbound(uint32_t data, uint16_t peer)
{
	struct lamina_evtchn_status st = { .status = LAMINA_EVTCHNSTAT_CLOSED };

	rt_check(rt_wait_for(status(data, &st) == 0 && st.status == LAMINA_EVTCHNSTAT_UNBOUND,
			     20000 * MS), "b closed its end: ours became UNBOUND");
	rt_expect(st.u.unbound.dom, peer, "our orphaned port is allocated for b, the closer");
	rt_expect(send(data, 0), 0, "SEND on the orphaned port: 0, nothing happens");
	rt_expect(send(data, 1), 0, "event_send on the orphaned port: 0, nothing happens");
}

static void role_a(uint16_t me)
{
	struct lamina_evtchn_status st;
	uint16_t peer = (uint16_t)(me + 1);
	uint32_t data = a_alloc(peer), ctl = a_alloc(peer);

	rt_check(wait_hits(data, 1, 10000) && wait_hits(ctl, 1, 10000),
		 "b connected both channels: each end made pending once");
	rt_expect(status(data, &st), 0, "STATUS of our data port");
	rt_expect(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN, "data port is INTERDOMAIN");
	rt_expect(st.u.interdomain.dom, peer, "connected to domain b");
	a_ping_pong(data);
	a_sees_unbound(data, peer);
	send(ctl, 1);                                          /* b: reconnect */
	rt_check(wait_hits(data, ROUNDS + 2, 20000), "b reconnected: made pending once");
	status(data, &st);
	rt_expect(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN, "data port is INTERDOMAIN again");
	send(data, 1);
	rt_check(wait_hits(data, ROUNDS + 3, 10000), "ping over the new connection answered");
	send(ctl, 0);                                          /* b: done */
}

/* ---- b ---- */

#define B_CHECK(cond, ...) do { int ok_ = !!(cond); rt_check(ok_, __VA_ARGS__); b_bad += !ok_; } while (0)

static void b_reply(uint32_t port)
{
	hits[port]++;
	if (send(port, hits[port]) != 0)
		b_bad++;
}

/* Bind the first two of a's ports that are unbound for us: data, ctl. */
static void b_connect(uint16_t peer, uint32_t *ctl)
{
	uint32_t got[2], n = 0;
	uint64_t until = rt_now() + 10000 * MS;

	while (n < 2 && rt_now() < until)
		for (uint32_t p = 1; p <= LAMINA_EVTCHN_DEFAULT_LIMIT && n < 2; p++) {
			long r = bind_interdomain(peer, p);
			if (r > 0)
				got[n++] = (uint32_t)r;
			else if (p > 16 && n == 0)
				break;
		}
	if (n < 2)
		rt_fail("b: could not connect to a's ports");
	b_data = got[0];
	*ctl = got[1];
	rt_on_port(b_data, b_reply);
	rt_unmask(b_data);
	listen(*ctl);
}

static void role_b(uint16_t me)
{
	struct lamina_evtchn_status st;
	uint16_t peer = (uint16_t)(me - 1);
	uint32_t ctl;

	b_connect(peer, &ctl);
	B_CHECK(wait_hits(b_data, ROUNDS, 120000), "b: answered %u pings", hits[b_data]);
	status(b_data, &st);
	uint32_t a_data = st.u.interdomain.port;
	struct lamina_evtchn_port cl = { .port = b_data };
	B_CHECK(EOP(LAMINA_EVTCHNOP_CLOSE, &cl) == 0, "b: CLOSE our end of data");
	B_CHECK(wait_hits(ctl, 1, 60000), "b: told to reconnect");
	long r = bind_interdomain(peer, a_data);
	B_CHECK(r > 0, "b: reconnected to a's orphaned data port %u (%ld)", a_data, r);
	if (r > 0) {
		hits[r] = 0;
		b_data = (uint32_t)r;
		rt_on_port(b_data, b_reply);
		rt_unmask(b_data);
	}
	B_CHECK(wait_hits(b_data, 1, 30000), "b: ping over the new connection");
	B_CHECK(wait_hits(ctl, 2, 30000), "b: told we are done");
	rt_shutdown(b_bad ? LAMINA_SHUTDOWN_CRASH : LAMINA_SHUTDOWN_POWEROFF);
}

void test_main(void)
{
	const char *role = rt_arg("role");

	rt_events_init();
	if (role && *role == 'b')
		role_b(rt_shinfo->domid);
	role_a(rt_shinfo->domid);
}
