// SPDX-License-Identifier: MIT
// bench/guest/main.c: micro-benchmarks measured from inside a guest; prints "BENCH name ns_per_op".
// role=main (domain 1): PIO exit floor, null hypercall, multicall of 32 nulls, doorbell to a
// back-end, the ping side of an event ping-pong, and a grant for the peer.
// role=pong (domain 2): the pong side, then grant copies of 4 KiB from domain 1's page.
#include <stdbool.h>
#include "rt.h"

const char test_title[] = "lamina micro-benchmarks";

static long iters;
static uint8_t shared_page[4096] __attribute__((aligned(4096)));
static uint8_t copy_page[4096] __attribute__((aligned(4096)));

static void report(const char *name, uint64_t t0, uint64_t t1, long n)
{
	uint64_t ns = (t1 - t0) * 10 / (uint64_t)n;   /* tenths of ns */

	rt_printf("BENCH %s %lu.%lu\n", name, ns / 10, ns % 10);
}

#define ROUNDS 9

static uint64_t time_pio_in(long n)
{
	uint64_t t0 = rt_now();
	uint32_t v;

	for (long i = 0; i < n; i++)
		__asm__ __volatile__("inl $0x80, %0" : "=a"(v));
	return rt_now() - t0;
}

static uint64_t time_pio_out(long n)
{
	uint64_t t0 = rt_now();

	for (long i = 0; i < n; i++)
		__asm__ __volatile__("outb %%al, $0x80" : : "a"(0));
	return rt_now() - t0;
}

static uint64_t time_null(long n)
{
	uint64_t t0 = rt_now();

	for (long i = 0; i < n; i++)
		HC0(LAMINA_HC_null);
	return rt_now() - t0;
}

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* The floor (a PIO exit lamina-hv answers doing nothing, with the same `in`
 * instruction as the hypercall transport), its `out` variant and the null
 * hypercall, measured in interleaved rounds: each reports its median round,
 * so load that comes and goes hits all three alike. */
static void bench_exits(void)
{
	uint64_t in[ROUNDS], out[ROUNDS], nul[ROUNDS];
	long n = iters / ROUNDS > 0 ? iters / ROUNDS : 1;

	for (int r = 0; r < ROUNDS; r++) {
		in[r] = time_pio_in(n);
		nul[r] = time_null(n);
		out[r] = time_pio_out(n);
	}
	report("pio_exit", 0, median(in, ROUNDS), n);
	report("null_hypercall", 0, median(nul, ROUNDS), n);
	report("pio_exit_out", 0, median(out, ROUNDS), n);
}

static void bench_multicall(void)
{
	static struct lamina_multicall_entry e[32];
	long n = iters / 4 > 0 ? iters / 4 : 1;

	for (int i = 0; i < 32; i++)
		e[i] = (struct lamina_multicall_entry){ .op = LAMINA_HC_null };
	uint64_t t0 = rt_now();
	for (long i = 0; i < n; i++)
		if (HC2(LAMINA_HC_multicall, e, 32))
			rt_fail("multicall failed");
	uint64_t t1 = rt_now();
	report("multicall_32_nulls", t0, t1, n);
	report("multicall_per_null", t0, t1, n * 32);
}

static long evtchn(unsigned cmd, void *arg) { return HC2(LAMINA_HC_event_channel_op, cmd, arg); }

static void clear_pending(uint32_t port)
{
	__atomic_fetch_and(&rt_shinfo->evtchn_pending[port / 64], ~(1ull << (port % 64)),
			   __ATOMIC_SEQ_CST);
}

/* Wait for port to become pending (the peer may be busy benchmarking for a
 * while), then clear it. */
static void wait_port(uint32_t port)
{
	const uint64_t timeout_ns = 300000000000ull;
	lamina_port_t p = port;
	struct lamina_sched_poll sp = { .ports = (uint64_t)&p, .nr_ports = 1,
					.timeout = rt_now() + timeout_ns };

	long r = HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &sp);
	if (r)
		rt_fail("no event on port %u within %lu s (poll returned %ld)", port,
			timeout_ns / 1000000000, r);
	clear_pending(port);
}

/* The port the host connected to this domain for the doorbell benchmark
 * (not the store's or the console's, which are connected to domain 0 too). */
static uint32_t backend_port(void)
{
	for (uint32_t p = 1; p < 64; p++) {
		if (p == rt_shinfo->store_port || p == rt_shinfo->console_port)
			continue;
		struct lamina_evtchn_status st = { .dom = LAMINA_DOMID_SELF, .port = p };
		if (evtchn(LAMINA_EVTCHNOP_STATUS, &st) == 0 &&
		    st.status == LAMINA_EVTCHNSTAT_INTERDOMAIN && st.u.interdomain.dom == 0)
			return p;
	}
	return 0;
}

static void bench_doorbell(void)
{
	uint32_t port = backend_port();

	if (!port) {
		rt_printf("BENCH doorbell_to_backend n/a (no back-end port)\n");
		return;
	}
	uint64_t t0 = rt_now();
	for (long i = 0; i < iters; i++)
		HC1(LAMINA_HC_event_send, port);
	report("doorbell_to_backend", t0, rt_now(), iters);
	rt_printf("BENCH-COUNT doorbells_sent %ld\n", iters);
}

static void grant_page_to(uint16_t peer)
{
	struct lamina_gnttab_setup_table st = { .dom = LAMINA_DOMID_SELF, .nr_frames = 1 };
	struct lamina_add_to_physmap x = { .domid = LAMINA_DOMID_SELF,
		.space = LAMINA_SPACE_GRANT_TABLE, .idx = 0, .gfn = RT_HOLE_GFN + 1 };

	if (HC3(LAMINA_HC_grant_table_op, LAMINA_GNTTABOP_SETUP_TABLE, &st, 1) ||
	    HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x))
		return;
	volatile struct lamina_grant_entry *g = (void *)((RT_HOLE_GFN + 1) << 12);
	rt_memset(shared_page, 0x5a, sizeof(shared_page));
	g[1].domid = peer;
	g[1].gfn = (uint64_t)shared_page >> 12;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	g[1].flags = LAMINA_GTF_PERMIT_ACCESS;
}

static void main_role(void)
{
	struct lamina_evtchn_alloc_unbound au = { .dom = LAMINA_DOMID_SELF, .remote_dom = 2 };

	bool pong = rt_arg_num("pong", 0) != 0;

	if (pong) {   /* connect first: the peer then sleeps in poll, not spinning */
		grant_page_to(2);
		if (evtchn(LAMINA_EVTCHNOP_ALLOC_UNBOUND, &au))
			rt_fail("alloc_unbound for the pong domain");
		wait_port(au.port);
	}
	bench_exits();
	bench_multicall();
	bench_doorbell();
	if (!pong)
		return;
	uint64_t t0 = rt_now();
	for (long i = 0; i < iters / 4; i++) {
		HC1(LAMINA_HC_event_send, au.port);
		wait_port(au.port);
	}
	report("evtchn_pingpong_roundtrip", t0, rt_now(), iters / 4);
	wait_port(au.port);                 /* the peer finished with our grant */
}

static void bench_grant_copy(void)
{
	struct lamina_gnttab_copy c = {
		.src = { .u.ref = 1, .dom = 1 },
		.dest = { .u.gfn = (uint64_t)copy_page >> 12, .dom = LAMINA_DOMID_SELF },
		.len = 4096, .flags = LAMINA_GNTCOPY_SRC_GREF };
	long r = HC3(LAMINA_HC_grant_table_op, LAMINA_GNTTABOP_COPY, &c, 1);

	if (r || c.status) {
		rt_printf("BENCH grant_copy_4k n/a (copy returned %ld, status %d)\n", r, c.status);
		return;
	}
	rt_check(copy_page[100] == 0x5a, "grant copy brought the peer's bytes");
	uint64_t t0 = rt_now();
	for (long i = 0; i < iters / 4; i++)
		HC3(LAMINA_HC_grant_table_op, LAMINA_GNTTABOP_COPY, &c, 1);
	report("grant_copy_4k", t0, rt_now(), iters / 4);
}

static void pong_role(void)
{
	uint32_t port = 0;

	uint64_t deadline = rt_now() + 30000000000ull;

	while (!port && rt_now() < deadline) {   /* wait for domain 1's unbound port */
		for (uint32_t p = 1; p < 64 && !port; p++) {
			struct lamina_evtchn_bind_interdomain b = { .remote_dom = 1, .remote_port = p };
			if (evtchn(LAMINA_EVTCHNOP_BIND_INTERDOMAIN, &b) == 0)
				port = b.local_port;
		}
		HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_YIELD, 0);
	}
	if (!port)
		rt_fail("could not connect to domain 1");
	for (long i = 0; i < iters / 4; i++) {
		wait_port(port);
		HC1(LAMINA_HC_event_send, port);
	}
	bench_grant_copy();
	HC1(LAMINA_HC_event_send, port);
}

void test_main(void)
{
	iters = rt_arg_num("iters", 2000);
	rt_map_shared_info();
	const char *role = rt_arg("role");
	if (role && !rt_strncmp(role, "pong", 4))
		pong_role();
	else
		main_role();
}
