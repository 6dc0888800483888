// SPDX-License-Identifier: MIT
// timer/main.c: set_timer_op and the vcpu_op timers, observed through VIRQ_TIMER on two vCPUs.
#include "rt.h"

const char test_title[] = "timers: set_timer_op, singleshot, periodic, VIRQ_TIMER";

#define MS 1000000ull
#define SLACK (500 * 1000ull)   /* a timer may fire this much before its deadline by our clock */
#define VCPUOP(cmd, id, arg) HC3(LAMINA_HC_vcpu_op, cmd, id, arg)
#define SET_TIMER(t) HC1(LAMINA_HC_set_timer_op, t)

static uint32_t port0, port1;
static volatile uint64_t fired, last_fire;

static void on_timer(uint32_t port)
{
	(void)port;
	last_fire = rt_now();
	fired++;
}

static uint32_t bind_timer(unsigned vcpu)
{
	struct lamina_evtchn_bind_virq b = { .virq = LAMINA_VIRQ_TIMER, .vcpu = vcpu };
	long r = HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_BIND_VIRQ, &b);

	if (r)
		rt_fail("BIND_VIRQ TIMER on vCPU %u: %ld", vcpu, r);
	return b.port;
}

/* The idle loop of sched.h: interrupts off, check, BLOCK, take the upcall. */
static int wait_fired(uint64_t n, uint64_t limit_ns)
{
	uint64_t end = rt_now() + limit_ns;

	for (;;) {
		__asm__ __volatile__("cli");
		if (fired >= n || rt_now() >= end) {
			__asm__ __volatile__("sti");
			return fired >= n;
		}
		HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_BLOCK, 0);
		__asm__ __volatile__("sti; nop");
	}
}

static void quiet(uint64_t ns)   /* interrupts on, no blocking */
{
	rt_spin_ns(ns);
}

static void one_shot(void)
{
	uint64_t f, t0, d;

	f = fired;
	t0 = rt_now();
	d = t0 + 30 * MS;
	rt_expect(SET_TIMER(d), 0, "set_timer_op(now + 30 ms) -> 0");
	rt_check(wait_fired(f + 1, 2000 * MS), "VIRQ_TIMER fired after set_timer_op");
	rt_check(last_fire + SLACK >= d, "fired at or after the deadline (%ld us after it)",
		 (long)((int64_t)(last_fire - d) / 1000));
	rt_check(last_fire < d + 500 * MS, "fired within 500 ms of the deadline (%ld us after it)",
		 (long)((int64_t)(last_fire - d) / 1000));
	quiet(60 * MS);
	rt_expect(fired, f + 1, "a one-shot timer fires once");

	f = fired;
	rt_expect(SET_TIMER(1), 0, "set_timer_op(1 ns: long past) -> 0");
	rt_check(wait_fired(f + 1, 500 * MS), "a deadline in the past fires at once");

	f = fired;
	t0 = rt_now();
	rt_expect(SET_TIMER(t0 + 500 * MS), 0, "set_timer_op(now + 500 ms)");
	rt_expect(SET_TIMER(t0 + 30 * MS), 0, "set_timer_op(now + 30 ms) replaces it");
	rt_check(wait_fired(f + 1, 2000 * MS), "the replacing deadline fired");
	rt_check(last_fire < t0 + 400 * MS, "fired at the new deadline, not the old (%lu us)",
		 (unsigned long)((last_fire - t0) / 1000));
	quiet(600 * MS);
	rt_expect(fired, f + 1, "the replaced deadline never fired");

	f = fired;
	rt_expect(SET_TIMER(rt_now() + 30 * MS), 0, "set_timer_op(now + 30 ms) to cancel");
	rt_expect(SET_TIMER(0), 0, "set_timer_op(0) cancels");
	quiet(100 * MS);
	rt_expect(fired, f, "a cancelled timer does not fire");

	rt_expect(SET_TIMER(~0ull), 0, "set_timer_op(2^64-1) -> 0 (never fails)");
	rt_expect(SET_TIMER(0x8000000000000000ull), 0, "set_timer_op(2^63) -> 0");
	rt_expect(SET_TIMER(0), 0, "set_timer_op(0)");
}

static void same_timer(void)
{
	struct lamina_vcpu_singleshot_timer st = { .deadline_ns = rt_now() + 30 * MS };
	uint64_t f = fired;

	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), 0, "SET_SINGLESHOT_TIMER(now + 30 ms)");
	rt_expect(SET_TIMER(0), 0, "set_timer_op(0) cancels the vcpu_op one-shot (same timer)");
	quiet(80 * MS);
	rt_expect(fired, f, "vcpu_op one-shot cancelled by set_timer_op(0) did not fire");

	rt_expect(SET_TIMER(rt_now() + 30 * MS), 0, "set_timer_op(now + 30 ms)");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_SINGLESHOT_TIMER, 0, 0), 0, "STOP_SINGLESHOT_TIMER stops it (same timer)");
	quiet(80 * MS);
	rt_expect(fired, f, "set_timer_op deadline stopped by STOP_SINGLESHOT_TIMER did not fire");

	st.deadline_ns = rt_now() + 30 * MS;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), 0, "SET_SINGLESHOT_TIMER(now + 30 ms) again");
	rt_check(wait_fired(f + 1, 2000 * MS), "SET_SINGLESHOT_TIMER raised VIRQ_TIMER");
	rt_check(last_fire + SLACK >= st.deadline_ns, "singleshot fired at or after its deadline");

	f = fired;
	st.deadline_ns = 1;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), 0,
		  "SET_SINGLESHOT_TIMER without FUTURE, deadline long past -> 0");
	rt_check(wait_fired(f + 1, 500 * MS), "... and it fires at once");

	f = fired;
	st.flags = LAMINA_VCPU_SSHOT_FUTURE;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), -LAMINA_ETIME,
		  "SET_SINGLESHOT_TIMER FUTURE with a past deadline -> ETIME");
	quiet(50 * MS);
	rt_expect(fired, f, "ETIME armed nothing");
}

static void periodic(void)
{
	struct lamina_vcpu_periodic_timer pt = { .period_ns = 20 * MS };
	uint64_t f = fired, t0 = rt_now();

	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_PERIODIC_TIMER, 0, &pt), 0, "SET_PERIODIC_TIMER 20 ms");
	rt_check(wait_fired(f + 1, 2000 * MS), "periodic timer fired");
	rt_check(last_fire + SLACK >= t0 + 20 * MS, "first periodic tick one period after the call (%lu us)",
		 (unsigned long)((last_fire - t0) / 1000));
	rt_check(wait_fired(f + 10, 3000 * MS), "periodic timer fired 10 times");
	uint64_t took = last_fire - t0;
	rt_check(took + SLACK >= 200 * MS, "10 ticks of 20 ms took %lu us (not less than 200 ms)",
		 (unsigned long)(took / 1000));

	/* The periodic and one-shot timers are separate. */
	uint64_t f2 = fired;
	rt_expect(SET_TIMER(rt_now() + 5 * MS), 0, "one-shot while the periodic timer runs");
	rt_expect(SET_TIMER(0), 0, "set_timer_op(0) cancels only the one-shot");
	rt_check(wait_fired(f2 + 2, 1000 * MS), "periodic timer keeps firing after the one-shot was cancelled");

	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_PERIODIC_TIMER, 0, 0), 0, "STOP_PERIODIC_TIMER");
	quiet(5 * MS);
	f = fired;
	quiet(100 * MS);
	rt_expect(fired, f, "no ticks after STOP_PERIODIC_TIMER");
}

/* ---- vCPU 1 waits on its own VIRQ_TIMER port with POLL ---- */
static volatile int ap_go, ap_alive;
static volatile long ap_ret = 12345;
static volatile uint64_t ap_woke;

static void ap_main(void)
{
	ap_alive = 1;
	for (;;) {
		if (!ap_go) {
			rt_pause();
			continue;
		}
		ap_go = 0;
		struct lamina_sched_poll p = { .ports = (uint64_t)&port1, .nr_ports = 1, .timeout = 0 };
		ap_ret = HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &p);
		ap_woke = rt_now();
	}
}

static int pending(uint32_t port)
{
	return !!(rt_shinfo->evtchn_pending[port / 64] & (1ull << (port % 64)));
}

static void clear_pending(uint32_t port)
{
	__atomic_fetch_and(&rt_shinfo->evtchn_pending[port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
}

static void other_vcpu(void)
{
	struct lamina_vcpu_singleshot_timer st;
	uint64_t f = fired;

	port1 = bind_timer(1);
	rt_check(port1 != port0, "VIRQ_TIMER bound on vCPU 1 gets its own port (%u)", port1);
	if (rt_vcpu_up(1, ap_main) != 0 || !rt_wait_for(ap_alive, 5000 * MS)) {
		rt_check(0, "vCPU 1 started");
		return;
	}
	ap_go = 1;
	rt_spin_ns(10 * MS);
	st = (struct lamina_vcpu_singleshot_timer){ .deadline_ns = rt_now() + 30 * MS };
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 1, &st), 0, "SET_SINGLESHOT_TIMER on vCPU 1 from vCPU 0");
	rt_check(rt_wait_for(ap_ret != 12345, 2000 * MS), "vCPU 1's POLL on its VIRQ_TIMER port returned");
	rt_expect(ap_ret, 0, "vCPU 1's POLL -> 0 (its timer port pending)");
	rt_check(ap_woke + SLACK >= st.deadline_ns, "vCPU 1 woke at or after its deadline (%ld us after)",
		 (long)((int64_t)(ap_woke - st.deadline_ns) / 1000));
	rt_expect(fired, f, "vCPU 1's timer did not raise vCPU 0's VIRQ_TIMER");
	clear_pending(port1);

	/* Timers of a down vCPU keep running and its events stay pending. */
	rt_expect(VCPUOP(LAMINA_VCPUOP_DOWN, 1, 0), 0, "DOWN(1)");
	st.deadline_ns = rt_now() + 20 * MS;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 1, &st), 0, "SET_SINGLESHOT_TIMER on the down vCPU 1");
	rt_check(rt_wait_for(pending(port1), 2000 * MS), "the down vCPU's timer fired: its VIRQ_TIMER port is pending");
	struct lamina_vcpu_periodic_timer pt = { .period_ns = 10 * MS };
	clear_pending(port1);
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_PERIODIC_TIMER, 1, &pt), 0, "SET_PERIODIC_TIMER on the down vCPU 1");
	rt_check(rt_wait_for(pending(port1), 2000 * MS), "the down vCPU's periodic timer fired");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_PERIODIC_TIMER, 1, 0), 0, "STOP_PERIODIC_TIMER on vCPU 1");
	rt_expect(fired, f, "none of vCPU 1's timers raised vCPU 0's port");
}

void test_main(void)
{
	rt_events_init();
	port0 = bind_timer(0);
	rt_on_port(port0, on_timer);
	rt_expect(rt_unmask(port0), 0, "UNMASK the VIRQ_TIMER port");
	one_shot();
	same_timer();
	periodic();
	other_vcpu();
}
