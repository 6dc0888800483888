// SPDX-License-Identifier: MIT
// bench/guest/main.c: micro-benchmarks measured from inside a guest; prints "BENCH name ns_per_op".
// role=main (domain 1, 2 vCPUs): PIO exit floor, null hypercall, multicall of 32 nulls, doorbell
// to a back-end, IPI round trips between its two vCPUs (the PV path and a hardware path), the
// ping side of an event ping-pong, and a grant for the peer.
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

/* ---- IPI round trips between this domain's two vCPUs ----
 *
 * The fast-paths issue asks which in-kernel route wakeups should take.
 * This compares, on one event-channel IPI port per direction:
 * - ipi_pv_roundtrip: today's PV path: event_send hypercall, and the
 *   receiver idles in sched_op BLOCK; both are served in the hypervisor's
 *   user space (what the Linux guest does by default);
 * - ipi_hw_roundtrip: the sender sets the event's bits in shared_info and
 *   vcpu_info itself (as the hypervisor would) and sends a local-APIC IPI
 *   with the upcall vector; the receiver idles in sti; hlt. KVM handles
 *   both without leaving the kernel (route 2 in the issue).
 * A round trip is one IPI each way; the handler for each port sets a flag.
 */
static lamina_port_t ipi_to[2];          /* ipi_to[i]: the port that signals vCPU i */
static volatile int ipi_flag[2];         /* set by vCPU i's handler for ipi_to[i] */
static volatile int ipi_mode;            /* what vCPU 1 does: 0 wait, 1 pv, 2 hw, 3 stop */

static void on_ipi0(uint32_t port) { (void)port; ipi_flag[0] = 1; }
static void on_ipi1(uint32_t port) { (void)port; ipi_flag[1] = 1; }

#define LAPIC_REG(off) (((volatile uint32_t *)0xfee00000ull)[(off) / 4])

/* Raise port on vCPU `to` without the hypervisor: the pending bit, the
 * selector bit, the upcall flag, then an IPI with the upcall vector. */
static void ipi_hw_send(unsigned to)
{
	uint32_t port = ipi_to[to];
	volatile struct lamina_vcpu_info *vi = &rt_shinfo->vcpu_info[to];

	__atomic_fetch_or(&rt_shinfo->evtchn_pending[port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << (port / 64), __ATOMIC_SEQ_CST);
	__atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	LAPIC_REG(0x310) = to << 24;             /* ICR high: destination APIC id */
	LAPIC_REG(0x300) = RT_UPCALL_VECTOR;     /* ICR low: fixed delivery: sends */
}

/* Wait for vCPU me's flag: in sched_op BLOCK (pv) or hlt (hw). */
static void ipi_wait(unsigned me, bool hw)
{
	for (;;) {
		__asm__ __volatile__("cli");
		if (ipi_flag[me])
			break;
		if (hw)
			__asm__ __volatile__("sti; hlt" ::: "memory");   /* wakes on the interrupt */
		else {
			HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_BLOCK, 0);
			__asm__ __volatile__("sti; nop" ::: "memory");    /* take the upcall */
		}
	}
	ipi_flag[me] = 0;
	__asm__ __volatile__("sti");
}

static void ipi_send(unsigned to, bool hw)
{
	if (hw)
		ipi_hw_send(to);
	else
		HC1(LAMINA_HC_event_send, ipi_to[to]);
}

/* vCPU 1: answer each IPI the way the current mode says. A mode change
 * reaches it through the old mode's IPI (a vCPU blocked in sched_op BLOCK
 * does not see a hardware IPI, nor one in hlt a hypercall it is not in),
 * and it acknowledges the new mode in ipi_ready. */
static volatile int ipi_ready;

static void ipi_ap(void)
{
	rt_events_init();
	for (;;) {
		int mode = ipi_mode;
		ipi_ready = mode;
		if (mode == 3)
			break;
		if (mode == 0)
			continue;
		ipi_wait(1, mode == 2);
		if (ipi_mode == mode)
			ipi_send(0, mode == 2);
	}
	__asm__ __volatile__("cli");
	for (;;)
		__asm__ __volatile__("hlt");
}

/* Switch vCPU 1 to mode `to` and wait until it says it switched. */
static void ipi_switch(int to)
{
	int from = ipi_mode;

	ipi_mode = to;
	if (from == 1 || from == 2)
		ipi_send(1, from == 2);
	if (!rt_wait_for(ipi_ready == to, 5000000000ull))
		rt_fail("vCPU 1 did not take IPI mode %d", to);
}

static uint64_t ipi_rounds(long n, bool hw)
{
	ipi_switch(hw ? 2 : 1);
	uint64_t t0 = rt_now();
	for (long i = 0; i < n; i++) {
		ipi_send(1, hw);
		ipi_wait(0, hw);
	}
	return rt_now() - t0;
}

static void bench_ipi(void)
{
	long n = iters / 4 > 0 ? iters / 4 : 1;

	if (rt_shinfo->nr_vcpus < 2) {
		rt_printf("BENCH ipi_pv_roundtrip n/a (one vCPU)\n");
		return;
	}
	for (unsigned v = 0; v < 2; v++) {
		struct lamina_evtchn_bind_ipi b = { .vcpu = v };
		if (evtchn(LAMINA_EVTCHNOP_BIND_IPI, &b))
			rt_fail("binding an IPI port to vCPU %u", v);
		ipi_to[v] = b.port;
	}
	rt_on_port(ipi_to[0], on_ipi0);
	rt_on_port(ipi_to[1], on_ipi1);
	rt_events_init();
	if (rt_unmask(ipi_to[0]) || rt_unmask(ipi_to[1]))
		rt_fail("unmasking the IPI ports");
	if (rt_vcpu_up(1, ipi_ap) != 0)
		rt_fail("vCPU 1 did not start");
	uint64_t pv[ROUNDS / 3], hw[ROUNDS / 3];   /* interleaved rounds, as bench_exits */
	long m = n / (ROUNDS / 3) > 0 ? n / (ROUNDS / 3) : 1;
	for (int r = 0; r < ROUNDS / 3; r++) {
		pv[r] = ipi_rounds(m, false);
		hw[r] = ipi_rounds(m, true);
	}
	report("ipi_pv_roundtrip", 0, median(pv, ROUNDS / 3), m);
	report("ipi_hw_roundtrip", 0, median(hw, ROUNDS / 3), m);
	ipi_switch(3);
	__asm__ __volatile__("cli");
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
	bench_ipi();
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
