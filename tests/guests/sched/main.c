// SPDX-License-Identifier: MIT
// sched/main.c: sched_op: yield, block, poll (timeouts, wake-ups, errors), shutdown errors and suspend.
#include "rt.h"

const char test_title[] = "sched_op: yield, block, poll, shutdown";

#define SCHED(cmd, arg) HC2(LAMINA_HC_sched_op, cmd, arg)
#define EVTCHN(cmd, arg) HC2(LAMINA_HC_event_channel_op, cmd, arg)
#define MS 1000000ull

static uint32_t ipi;        /* IPI port delivered to vCPU 0, masked */
static uint32_t wake_port;  /* IPI port delivered to vCPU 0, unmasked: the AP's rescue line */
static volatile struct lamina_vcpu_info *vi0;

/* ---- vCPU 1: sends events to vCPU 0 on request ---- */
enum { AP_IDLE, AP_SEND_IPI, AP_SEND_WAKE, AP_RUNSTATE };
static volatile int ap_cmd, ap_alive;
static volatile uint64_t ap_delay_ns;
static volatile long ap_ret;
static volatile uint32_t ap_seen_state = 99;

static void ap_main(void)
{
	ap_alive = 1;
	for (;;) {
		int cmd = ap_cmd;
		if (cmd == AP_IDLE) {
			rt_pause();
			continue;
		}
		rt_spin_ns(ap_delay_ns);
		if (cmd == AP_RUNSTATE) {
			struct lamina_vcpu_runstate_info ri;
			ap_ret = HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_GET_RUNSTATE_INFO, 0, &ri);
			ap_seen_state = ri.state;
			ap_cmd = AP_IDLE;
			continue;
		}
		struct lamina_evtchn_port p = { .port = cmd == AP_SEND_IPI ? ipi : wake_port };
		ap_ret = EVTCHN(LAMINA_EVTCHNOP_SEND, &p);
		ap_cmd = AP_IDLE;
	}
}

/* Ask vCPU 1 to send after delay_ns (vCPU 0 goes on at once). */
static void ap_send(int cmd, uint64_t delay_ns)
{
	ap_delay_ns = delay_ns;
	ap_ret = 12345;
	ap_cmd = cmd;
}

static int pending(uint32_t port)
{
	return !!(rt_shinfo->evtchn_pending[port / 64] & (1ull << (port % 64)));
}

static void clear_pending(uint32_t port)
{
	__atomic_fetch_and(&rt_shinfo->evtchn_pending[port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
}

static uint32_t bind_ipi(void)
{
	struct lamina_evtchn_bind_ipi b = { .vcpu = 0 };
	long r = EVTCHN(LAMINA_EVTCHNOP_BIND_IPI, &b);

	if (r)
		rt_fail("BIND_IPI: %ld", r);
	return b.port;
}

static uint64_t blocked_ns(void)
{
	struct lamina_vcpu_runstate_info ri;

	HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_GET_RUNSTATE_INFO, 0, &ri);
	return ri.time[LAMINA_RUNSTATE_BLOCKED];
}

static void yield(void)
{
	rt_expect(SCHED(LAMINA_SCHEDOP_YIELD, 0), 0, "YIELD -> 0");
	rt_expect(SCHED(LAMINA_SCHEDOP_YIELD, RT_UNMAPPED), 0, "YIELD ignores its arg (unmapped pointer) -> 0");
	rt_expect(SCHED(4, 0), -LAMINA_ENOSYS, "sched_op cmd 4 -> ENOSYS");
	rt_expect(SCHED(1ull << 32, 0), -LAMINA_ENOSYS, "sched_op cmd 2^32 -> ENOSYS (not truncated to YIELD)");
}

/* ---- POLL ---- */
static long poll(const uint32_t *ports, uint32_t n, uint64_t timeout)
{
	struct lamina_sched_poll p = { .ports = (uint64_t)ports, .nr_ports = n, .timeout = timeout };

	return SCHED(LAMINA_SCHEDOP_POLL, &p);
}

static void poll_errors(void)
{
	static uint32_t many[LAMINA_SCHED_POLL_MAX + 1];
	uint32_t p[2];

	for (unsigned i = 0; i <= LAMINA_SCHED_POLL_MAX; i++)
		many[i] = ipi;
	rt_expect(poll(many, 0, 1), -LAMINA_EINVAL, "POLL nr_ports 0 -> EINVAL");
	rt_expect(poll(many, LAMINA_SCHED_POLL_MAX + 1, 1), -LAMINA_EINVAL, "POLL nr_ports 129 -> EINVAL");
	rt_expect(poll((uint32_t *)RT_UNMAPPED, 0, 1), -LAMINA_EINVAL, "POLL nr_ports 0 with unmapped ports -> EINVAL");
	rt_expect(poll(many, 0xffffffffu, 1), -LAMINA_EINVAL, "POLL nr_ports 2^32-1 -> EINVAL");
	rt_expect(poll(many, LAMINA_SCHED_POLL_MAX, 1), -LAMINA_ETIMEDOUT,
		  "POLL 128 ports (the maximum), deadline passed -> ETIMEDOUT");
	p[0] = 999;
	rt_expect(poll(p, 1, 1), -LAMINA_EBADF, "POLL on port 999 (never opened) -> EBADF");
	p[0] = 0;
	rt_expect(poll(p, 1, 1), -LAMINA_EBADF, "POLL on port 0 (never valid) -> EBADF");
	p[0] = 100000;
	rt_expect(poll(p, 1, 1), -LAMINA_EBADF, "POLL on port 100000 (beyond the limit) -> EBADF");
	p[0] = ipi;
	p[1] = 998;
	rt_expect(poll(p, 2, 1), -LAMINA_EBADF, "POLL on [open, closed] -> EBADF");
	rt_expect(SCHED(LAMINA_SCHEDOP_POLL, RT_UNMAPPED), -LAMINA_EFAULT, "POLL arg unmapped -> EFAULT");
	rt_expect(poll((uint32_t *)RT_UNMAPPED, 1, 1), -LAMINA_EFAULT, "POLL ports array unmapped -> EFAULT");
	uint32_t *end = (uint32_t *)(HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_CURRENT_RESERVATION,
					 LAMINA_DOMID_SELF) * 4096 - 4);
	*end = ipi;
	rt_expect(poll(end, 2, 1), -LAMINA_EFAULT, "POLL ports array running off the end of RAM -> EFAULT");
	struct lamina_sched_poll bad = { .ports = (uint64_t)&ipi, .nr_ports = 1, .pad = 1, .timeout = 1 };
	rt_expect(SCHED(LAMINA_SCHEDOP_POLL, &bad), -LAMINA_EINVAL, "POLL with pad != 0 -> EINVAL");
}

static void poll_waits(void)
{
	uint32_t p[3] = { ipi, ipi, ipi };
	uint64_t t0, t1, b0;

	vi0->evtchn_upcall_mask = 1;
	t0 = rt_now();
	b0 = blocked_ns();
	rt_expect(poll(p, 1, t0 + 30 * MS), -LAMINA_ETIMEDOUT, "POLL an idle port, timeout in 30 ms -> ETIMEDOUT");
	t1 = rt_now();
	rt_check(t1 >= t0 + 30 * MS, "POLL timed out no earlier than its deadline (%lu us)",
		 (unsigned long)((t1 - t0) / 1000));
	rt_check(t1 < t0 + 2000 * MS, "POLL timed out within 2 s of its deadline (%lu us)",
		 (unsigned long)((t1 - t0) / 1000));
	rt_check(blocked_ns() >= b0 + 20 * MS, "runstate: time BLOCKED grew during POLL (%lu us)",
		 (unsigned long)((blocked_ns() - b0) / 1000));
	rt_expect(vi0->evtchn_upcall_mask, 1, "POLL left evtchn_upcall_mask set");
	ap_send(AP_RUNSTATE, 20 * MS);
	rt_expect(poll(p, 1, rt_now() + 100 * MS), -LAMINA_ETIMEDOUT, "POLL for 100 ms while vCPU 1 looks at vCPU 0");
	rt_check(rt_wait_for(ap_ret != 12345, 1000 * MS) && ap_ret == 0, "vCPU 1's GET_RUNSTATE_INFO(0) -> %ld", ap_ret);
	rt_expect(ap_seen_state, LAMINA_RUNSTATE_BLOCKED, "vCPU 0 seen from vCPU 1 during POLL: BLOCKED");
	rt_expect(poll(p, 1, 1), -LAMINA_ETIMEDOUT, "POLL with a deadline long past -> ETIMEDOUT at once");

	struct lamina_evtchn_port sp = { .port = ipi };
	rt_expect(EVTCHN(LAMINA_EVTCHNOP_SEND, &sp), 0, "SEND on the masked IPI port");
	rt_check(pending(ipi), "masked IPI port is pending after SEND");
	rt_expect(poll(p, 1, 0), 0, "POLL a pending (masked) port, no timeout -> 0 at once");
	rt_expect(poll(p, 3, 1), 0, "POLL a pending port with a past deadline -> 0 (pending wins)");
	clear_pending(ipi);

	ap_send(AP_SEND_IPI, 30 * MS);
	t0 = rt_now();
	rt_expect(poll(p, 1, 0), 0, "POLL without timeout, woken by a SEND from vCPU 1 -> 0");
	t1 = rt_now();
	rt_check(pending(ipi), "the polled port is pending after the wake-up");
	rt_check(t1 - t0 < 2000 * MS, "POLL woke %lu us after it started", (unsigned long)((t1 - t0) / 1000));
	rt_check(rt_wait_for(ap_ret != 12345, 1000 * MS) && ap_ret == 0, "vCPU 1's SEND returned %ld", ap_ret);
	clear_pending(ipi);

	ap_send(AP_SEND_IPI, 20 * MS);
	rt_expect(poll(p, 1, rt_now() + 5000 * MS), 0, "POLL with a 5 s timeout woken by a SEND -> 0");
	rt_check(rt_wait_for(ap_ret != 12345, 1000 * MS), "vCPU 1 sent");
	clear_pending(ipi);

	ap_send(AP_SEND_IPI, 20 * MS);
	rt_expect(poll(p, 1, ~0ull), 0, "POLL with timeout 2^64-1 (far future) waits and is woken by a SEND -> 0");
	rt_check(rt_wait_for(ap_ret != 12345, 1000 * MS), "vCPU 1 sent");
	clear_pending(ipi);
	vi0->evtchn_upcall_mask = 0;
}

/* ---- BLOCK ---- */
static void block(void)
{
	uint64_t t0, t1, b0;
	long r;

	/* An event already pending: BLOCK returns at once and clears the upcall mask. */
	vi0->evtchn_upcall_mask = 1;
	struct lamina_evtchn_port sp = { .port = wake_port };
	rt_expect(EVTCHN(LAMINA_EVTCHNOP_SEND, &sp), 0, "SEND on the unmasked wake port");
	rt_expect(vi0->evtchn_upcall_pending, 1, "evtchn_upcall_pending set by an unmasked port");
	rt_expect(SCHED(LAMINA_SCHEDOP_BLOCK, 0), 0, "BLOCK with an event already pending -> 0 at once");
	rt_expect(vi0->evtchn_upcall_mask, 0, "BLOCK cleared evtchn_upcall_mask");
	vi0->evtchn_upcall_pending = 0;
	vi0->evtchn_pending_sel = 0;
	clear_pending(wake_port);

	/* Woken by an event from the other vCPU. */
	vi0->evtchn_upcall_mask = 1;
	ap_send(AP_SEND_WAKE, 30 * MS);
	t0 = rt_now();
	b0 = blocked_ns();
	rt_expect(SCHED(LAMINA_SCHEDOP_BLOCK, 0), 0, "BLOCK woken by a SEND from vCPU 1 -> 0");
	t1 = rt_now();
	rt_check(vi0->evtchn_upcall_pending, "BLOCK returned with evtchn_upcall_pending set");
	rt_check(t1 - t0 >= 20 * MS && t1 - t0 < 2000 * MS, "BLOCK slept until the SEND (%lu us)",
		 (unsigned long)((t1 - t0) / 1000));
	rt_check(blocked_ns() >= b0 + 15 * MS, "runstate: time BLOCKED grew during BLOCK");
	rt_check(rt_wait_for(ap_ret != 12345, 1000 * MS), "vCPU 1 sent");
	vi0->evtchn_upcall_pending = 0;
	vi0->evtchn_pending_sel = 0;
	clear_pending(wake_port);

	/* The timer ends a BLOCK even with VIRQ_TIMER not bound (timer.h). vCPU 1
	 * sends the wake port after 1.5 s in case it does not. */
	ap_send(AP_SEND_WAKE, 1500 * MS);
	t0 = rt_now();
	rt_expect(HC1(LAMINA_HC_set_timer_op, t0 + 40 * MS), 0, "set_timer_op in 40 ms");
	r = SCHED(LAMINA_SCHEDOP_BLOCK, 0);
	t1 = rt_now();
	rt_expect(r, 0, "BLOCK with the one-shot timer armed -> 0");
	rt_check(t1 >= t0 + 40 * MS && t1 < t0 + 1000 * MS,
		 "BLOCK ended by the timer (VIRQ_TIMER unbound) at its deadline: woke after %lu us",
		 (unsigned long)((t1 - t0) / 1000));
	rt_check(rt_wait_for(ap_ret != 12345, 3000 * MS), "vCPU 1 sent its rescue event");
	vi0->evtchn_upcall_pending = 0;
	vi0->evtchn_pending_sel = 0;
	clear_pending(wake_port);
}

/* ---- SHUTDOWN ---- */
static void shutdown(void)
{
	struct lamina_sched_shutdown s;
	struct lamina_version_features f = { .index = 0 };

	s.reason = 4;
	rt_expect(SCHED(LAMINA_SCHEDOP_SHUTDOWN, &s), -LAMINA_EINVAL, "SHUTDOWN reason 4 -> EINVAL");
	s.reason = 0xffffffffu;
	rt_expect(SCHED(LAMINA_SCHEDOP_SHUTDOWN, &s), -LAMINA_EINVAL, "SHUTDOWN reason 2^32-1 -> EINVAL");
	rt_expect(SCHED(LAMINA_SCHEDOP_SHUTDOWN, RT_UNMAPPED), -LAMINA_EFAULT, "SHUTDOWN arg unmapped -> EFAULT");
	rt_expect(SCHED(LAMINA_SCHEDOP_SHUTDOWN, RT_BEYOND_RAM), -LAMINA_EFAULT, "SHUTDOWN arg beyond RAM -> EFAULT");

	HC2(LAMINA_HC_version, LAMINA_VERSION_FEATURES, &f);
	s.reason = LAMINA_SHUTDOWN_SUSPEND;
	rt_expect(HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_IS_UP, 1, 0), 1, "vCPU 1 is up");
	rt_expect(SCHED(LAMINA_SCHEDOP_SHUTDOWN, &s), -LAMINA_EBUSY, "SHUTDOWN SUSPEND with vCPU 1 up -> EBUSY");
	rt_expect(HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_DOWN, 1, 0), 0, "DOWN(1)");
	if (f.bits & LAMINA_FEAT_SUSPEND)
		rt_printf("  note: LAMINA_FEAT_SUSPEND is set; suspend/resume not exercised here\n");
	else
		rt_expect(SCHED(LAMINA_SCHEDOP_SHUTDOWN, &s), -LAMINA_EOPNOTSUPP,
			  "SHUTDOWN SUSPEND, one vCPU up, no LAMINA_FEAT_SUSPEND -> EOPNOTSUPP");
}

void test_main(void)
{
	rt_map_shared_info();
	vi0 = &rt_shinfo->vcpu_info[0];
	ipi = bind_ipi();
	wake_port = bind_ipi();
	rt_check(ipi != wake_port, "two IPI ports: %u and %u", ipi, wake_port);
	rt_expect(rt_unmask(wake_port), 0, "UNMASK the wake port");
	if (rt_vcpu_up(1, ap_main) != 0 || !rt_wait_for(ap_alive, 5000 * MS))
		rt_fail("cannot start vCPU 1 (args --vcpus 2)");
	yield();
	poll_errors();
	poll_waits();
	block();
	shutdown();
}
