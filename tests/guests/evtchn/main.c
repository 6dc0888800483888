// SPDX-License-Identifier: MIT
// evtchn/main.c: event_channel_op and event_send in one domain: every sub-op's success path, every documented error, delivery.
#include "rt.h"

const char test_title[] = "event channels: sub-ops, errors, delivery";

#define EOP(cmd, arg) HC2(LAMINA_HC_event_channel_op, cmd, arg)
#define SELF LAMINA_DOMID_SELF
#define NO_DOM LAMINA_DOMID_MAX     /* a domain id that does not exist here */
#define LIMIT LAMINA_EVTCHN_DEFAULT_LIMIT
#define MS 1000000ull

static volatile unsigned hits[LAMINA_EVTCHN_PORTS_MAX];
static uint16_t me;
static long timer0, debug0;     /* VIRQ ports bound by virq_op and bind_vcpu_op */

static void count(uint32_t port) { hits[port]++; }

/* Each returns the OUT port, or the (negative) error. */
static long alloc_unbound(uint16_t dom, uint16_t remote)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = dom, .remote_dom = remote };
	long r = EOP(LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op);

	return r ? r : (long)op.port;
}

static long bind_interdomain(uint16_t rdom, uint32_t rport)
{
	struct lamina_evtchn_bind_interdomain op = { .remote_dom = rdom, .remote_port = rport };
	long r = EOP(LAMINA_EVTCHNOP_BIND_INTERDOMAIN, &op);

	return r ? r : (long)op.local_port;
}

static long bind_virq(uint32_t virq, uint32_t vcpu)
{
	struct lamina_evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	long r = EOP(LAMINA_EVTCHNOP_BIND_VIRQ, &op);

	return r ? r : (long)op.port;
}

static long bind_ipi(uint32_t vcpu)
{
	struct lamina_evtchn_bind_ipi op = { .vcpu = vcpu };
	long r = EOP(LAMINA_EVTCHNOP_BIND_IPI, &op);

	return r ? r : (long)op.port;
}

static long bind_vcpu(uint32_t port, uint32_t vcpu)
{
	struct lamina_evtchn_bind_vcpu op = { .port = port, .vcpu = vcpu };

	return EOP(LAMINA_EVTCHNOP_BIND_VCPU, &op);
}

static long port_op(unsigned cmd, uint32_t port)
{
	struct lamina_evtchn_port op = { .port = port };

	return EOP(cmd, &op);
}

static long status(uint16_t dom, uint32_t port, struct lamina_evtchn_status *st)
{
	rt_memset(st, 0xa5, sizeof(*st));
	st->dom = dom;
	st->pad = 0;
	st->port = port;
	return EOP(LAMINA_EVTCHNOP_STATUS, st);
}

/* STATUS of our own port p (LAMINA_EVTCHNSTAT_*), or the error. */
static long state_of(uint32_t p)
{
	struct lamina_evtchn_status st;
	long r = status(SELF, p, &st);

	return r ? r : (long)st.status;
}

static int is_pending(uint32_t p) { return !!(rt_shinfo->evtchn_pending[p / 64] & (1ull << (p % 64))); }
static int is_masked(uint32_t p) { return !!(rt_shinfo->evtchn_mask[p / 64] & (1ull << (p % 64))); }

/* An IPI port on vCPU 0 with the counting handler, unmasked. */
static uint32_t live_ipi(void)
{
	long p = bind_ipi(0);

	if (p <= 0)
		rt_fail("BIND_IPI on vCPU 0: %ld", p);
	rt_on_port((uint32_t)p, count);
	rt_unmask((uint32_t)p);
	return (uint32_t)p;
}

static void unknown_and_efault(void)
{
	rt_expect(EOP(10, 0), -LAMINA_ENOSYS, "sub-op 10 does not exist: ENOSYS");
	rt_expect(EOP(0x80000000u, 0), -LAMINA_ENOSYS, "sub-op 0x80000000: ENOSYS");
	for (unsigned cmd = 0; cmd <= LAMINA_EVTCHNOP_RESET; cmd++) {
		rt_check(EOP(cmd, RT_UNMAPPED) == -LAMINA_EFAULT,
			 "sub-op %u with an unmapped argument: EFAULT", cmd);
		rt_check(EOP(cmd, RT_BEYOND_RAM) == -LAMINA_EFAULT,
			 "sub-op %u with an argument beyond RAM: EFAULT", cmd);
	}
}

static void alloc_unbound_op(void)
{
	struct lamina_evtchn_status st;
	long p = alloc_unbound(SELF, 0);

	rt_check(p > 0, "ALLOC_UNBOUND for domain 0 gives a port (%ld)", p);
	rt_expect(status(SELF, (uint32_t)p, &st), 0, "STATUS of the new unbound port");
	rt_expect(st.status, LAMINA_EVTCHNSTAT_UNBOUND, "new port is UNBOUND");
	rt_expect(st.u.unbound.dom, 0, "UNBOUND port names domain 0 as who may connect");
	rt_check(is_masked((uint32_t)p) && !is_pending((uint32_t)p), "new port starts masked, not pending");
	p = alloc_unbound(me, SELF);
	rt_check(p > 0, "ALLOC_UNBOUND with dom = own id and remote_dom = SELF (%ld)", p);
	status(SELF, (uint32_t)p, &st);
	rt_expect(st.u.unbound.dom, me, "remote_dom SELF means the caller");
	rt_expect(alloc_unbound(SELF, NO_DOM), -LAMINA_ESRCH, "remote_dom does not exist: ESRCH");
	rt_expect(alloc_unbound(0, SELF), -LAMINA_EPERM, "dom = 0, caller not domain 0: EPERM");
	rt_expect(alloc_unbound(NO_DOM, SELF), -LAMINA_ESRCH, "dom does not exist: ESRCH");
}

static void interdomain_op(void)
{
	struct lamina_evtchn_status st;
	long rp = alloc_unbound(SELF, SELF), lp;

	lp = bind_interdomain(SELF, (uint32_t)rp);
	rt_check(lp > 0 && lp != rp, "BIND_INTERDOMAIN to our own unbound port (%ld -> %ld)", lp, rp);
	status(SELF, (uint32_t)lp, &st);
	rt_expect(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN, "local end is INTERDOMAIN");
	rt_expect(st.u.interdomain.dom, me, "local end names the remote domain");
	rt_expect(st.u.interdomain.port, rp, "local end names the remote port");
	status(SELF, (uint32_t)rp, &st);
	rt_expect(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN, "remote end is INTERDOMAIN");
	rt_expect(st.u.interdomain.port, lp, "remote end names the local port");
	rt_check(is_pending((uint32_t)rp), "remote end was made pending once");
	rt_check(!is_pending((uint32_t)lp) && is_masked((uint32_t)lp), "local end starts masked, not pending");
	rt_on_port((uint32_t)rp, count);
	rt_on_port((uint32_t)lp, count);
	rt_unmask((uint32_t)lp);
	rt_unmask((uint32_t)rp);
	rt_check(rt_wait_for(hits[rp] == 1, 100 * MS), "unmasking the remote end delivers the connect event");
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)lp), 0, "SEND on the local end");
	rt_check(rt_wait_for(hits[rp] == 2, 100 * MS), "SEND on one end makes the other pending");
	rt_expect(HC1(LAMINA_HC_event_send, rp), 0, "event_send on the remote end");
	rt_check(rt_wait_for(hits[lp] == 1, 100 * MS), "event_send reaches the local end");
	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)lp);
	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)rp);
}

static void interdomain_errors(void)
{
	struct lamina_evtchn_bind_interdomain op = { .remote_dom = SELF, .pad = 1 };
	long for_host = alloc_unbound(SELF, 0), ipi = bind_ipi(0), free_port = bind_ipi(0);

	op.remote_port = (uint32_t)alloc_unbound(SELF, SELF);
	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)free_port);
	rt_expect(bind_interdomain(NO_DOM, 1), -LAMINA_ESRCH, "remote_dom does not exist: ESRCH");
	rt_expect(bind_interdomain(SELF, (uint32_t)for_host), -LAMINA_EINVAL,
		  "remote port allocated for domain 0, not the caller: EINVAL");
	rt_expect(bind_interdomain(SELF, (uint32_t)ipi), -LAMINA_EINVAL, "remote port is an IPI, not unbound: EINVAL");
	rt_expect(bind_interdomain(SELF, (uint32_t)free_port), -LAMINA_EINVAL, "remote port closed: EINVAL");
	rt_expect(bind_interdomain(SELF, 0), -LAMINA_EINVAL, "remote port 0: EINVAL");
	rt_expect(bind_interdomain(SELF, LIMIT + 1), -LAMINA_EINVAL, "remote port beyond the limit: EINVAL");
	rt_expect(bind_interdomain(0, (uint32_t)for_host), -LAMINA_EINVAL,
		  "port number of ours named in domain 0: EINVAL");
	rt_expect(EOP(LAMINA_EVTCHNOP_BIND_INTERDOMAIN, &op), -LAMINA_EINVAL, "non-zero pad: EINVAL");
	rt_expect(state_of(op.remote_port), LAMINA_EVTCHNSTAT_UNBOUND, "failed binds leave the remote port unbound");
}

static void virq_op(void)
{
	struct lamina_evtchn_status st;
	long t = bind_virq(LAMINA_VIRQ_TIMER, 0);

	rt_check(t > 0, "BIND_VIRQ TIMER on vCPU 0 (%ld)", t);
	status(SELF, (uint32_t)t, &st);
	rt_expect(st.status, LAMINA_EVTCHNSTAT_VIRQ, "TIMER port is VIRQ");
	rt_expect(st.u.virq, LAMINA_VIRQ_TIMER, "STATUS names the VIRQ");
	rt_expect(st.vcpu, 0, "STATUS names vCPU 0");
	rt_on_port((uint32_t)t, count);
	rt_unmask((uint32_t)t);
	rt_expect(HC1(LAMINA_HC_set_timer_op, rt_now() + 2 * MS), 0, "set_timer_op in 2 ms");
	rt_check(rt_wait_for(hits[t] == 1, 500 * MS), "the timer fires VIRQ_TIMER on its port");
	long d = bind_virq(LAMINA_VIRQ_DEBUG, 1);
	rt_check(d > 0, "BIND_VIRQ DEBUG on vCPU 1 (%ld)", d);
	rt_expect(bind_virq(LAMINA_VIRQ_TIMER, 1) > 0, 1, "TIMER may be bound once on each vCPU");
	rt_expect(bind_virq(LAMINA_VIRQ_TIMER, 0), -LAMINA_EEXIST, "TIMER again on vCPU 0: EEXIST");
	rt_expect(bind_virq(LAMINA_NR_VIRQS, 0), -LAMINA_EINVAL, "VIRQ 8 does not exist: EINVAL");
	rt_expect(bind_virq(5, 0), -LAMINA_EINVAL, "VIRQ 5 is not assigned: EINVAL");
	rt_expect(bind_virq(LAMINA_VIRQ_CONSOLE, 0), -LAMINA_EINVAL, "CONSOLE is domain 0 only: EINVAL");
	rt_expect(bind_virq(LAMINA_VIRQ_DOM_EXC, 1), -LAMINA_EINVAL, "global VIRQ with vcpu 1: EINVAL");
	rt_expect(bind_virq(LAMINA_VIRQ_TIMER, 2), -LAMINA_ENOENT, "vCPU 2 does not exist: ENOENT");
	rt_expect(bind_virq(LAMINA_VIRQ_DEBUG, 0xffffffffu), -LAMINA_ENOENT, "vCPU 0xffffffff: ENOENT");
	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)t);
	timer0 = bind_virq(LAMINA_VIRQ_TIMER, 0);
	rt_check(timer0 > 0, "after CLOSE the VIRQ can be bound again (%ld)", timer0);
}

static void ipi_op(void)
{
	struct lamina_evtchn_status st;
	uint32_t p = live_ipi();

	status(SELF, p, &st);
	rt_expect(st.status, LAMINA_EVTCHNSTAT_IPI, "BIND_IPI port is IPI");
	rt_expect(st.vcpu, 0, "IPI port is on the vCPU asked for");
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, p), 0, "SEND on an IPI port");
	rt_check(rt_wait_for(hits[p] == 1, 100 * MS), "SEND on an IPI port makes it pending on its vCPU");
	long q = bind_ipi(1);
	rt_check(q > 0, "BIND_IPI on vCPU 1 (%ld)", q);
	status(SELF, (uint32_t)q, &st);
	rt_expect(st.vcpu, 1, "IPI port on vCPU 1");
	rt_expect(bind_ipi(2), -LAMINA_ENOENT, "BIND_IPI on vCPU 2 (does not exist): ENOENT");
}

/* Delivery goes to the bound vCPU's vcpu_info (vCPU 1 is down: we read its slot). */
static void bind_vcpu_op(void)
{
	volatile struct lamina_vcpu_info *v1 = &rt_shinfo->vcpu_info[1];
	long rp = alloc_unbound(SELF, SELF), lp = bind_interdomain(SELF, (uint32_t)rp);
	long ipi = bind_ipi(0), closed;

	debug0 = bind_virq(LAMINA_VIRQ_DEBUG, 0);
	closed = bind_ipi(0);
	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)closed);
	rt_on_port((uint32_t)lp, count);
	rt_expect(bind_vcpu((uint32_t)lp, 1), 0, "BIND_VCPU an interdomain port to vCPU 1");
	rt_unmask((uint32_t)lp);
	v1->evtchn_pending_sel = 0;
	v1->evtchn_upcall_pending = 0;
	port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)rp);
	rt_check(v1->evtchn_upcall_pending == 1, "the event went to vCPU 1's upcall_pending");
	rt_check(v1->evtchn_pending_sel & (1ull << (lp / 64)), "and set vCPU 1's selector bit");
	rt_spin_ns(5 * MS);
	rt_expect(hits[lp], 0, "vCPU 0 did not take it");
	rt_expect(bind_vcpu((uint32_t)lp, 2), -LAMINA_ENOENT, "BIND_VCPU to vCPU 2: ENOENT");
	rt_expect(bind_vcpu((uint32_t)ipi, 1), -LAMINA_EINVAL, "BIND_VCPU an IPI port: EINVAL");
	rt_expect(bind_vcpu((uint32_t)debug0, 1), -LAMINA_EINVAL, "BIND_VCPU a per-vCPU VIRQ port: EINVAL");
	rt_expect(bind_vcpu((uint32_t)closed, 0), -LAMINA_EBADF, "BIND_VCPU a closed port: EBADF");
	rt_expect(bind_vcpu(0, 0), -LAMINA_EBADF, "BIND_VCPU port 0: EBADF");
	rt_expect(bind_vcpu((uint32_t)lp, 0), 0, "BIND_VCPU back to vCPU 0");
	rt_expect(port_op(LAMINA_EVTCHNOP_UNMASK, (uint32_t)lp), 0, "UNMASK it again");
	v1->evtchn_upcall_pending = 0;
}

static void send_op(void)
{
	long unb = alloc_unbound(SELF, SELF), virq = timer0, closed = bind_ipi(0);
	uint64_t before[LAMINA_EVTCHN_WORDS];

	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)closed);
	for (unsigned i = 0; i < LAMINA_EVTCHN_WORDS; i++)
		before[i] = rt_shinfo->evtchn_pending[i];
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)unb), 0, "SEND on an unbound port: 0");
	rt_expect(HC1(LAMINA_HC_event_send, unb), 0, "event_send on an unbound port: 0");
	rt_check(!is_pending((uint32_t)unb) && rt_shinfo->evtchn_pending[unb / 64] == before[unb / 64],
		 "SEND on an unbound port does nothing");
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)virq), -LAMINA_EINVAL, "SEND on a VIRQ port: EINVAL");
	rt_expect(HC1(LAMINA_HC_event_send, virq), -LAMINA_EINVAL, "event_send on a VIRQ port: EINVAL");
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)closed), -LAMINA_EBADF, "SEND on a closed port: EBADF");
	rt_expect(HC1(LAMINA_HC_event_send, closed), -LAMINA_EBADF, "event_send on a closed port: EBADF");
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, 0), -LAMINA_EBADF, "SEND on port 0: EBADF");
	rt_expect(HC1(LAMINA_HC_event_send, 0), -LAMINA_EBADF, "event_send on port 0: EBADF");
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, 5000), -LAMINA_EBADF, "SEND on port 5000: EBADF");
	rt_expect(HC1(LAMINA_HC_event_send, 5000), -LAMINA_EBADF, "event_send on port 5000: EBADF");
}

static void close_op(void)
{
	struct lamina_evtchn_status st;
	long rp = alloc_unbound(SELF, SELF), lp = bind_interdomain(SELF, (uint32_t)rp);
	uint32_t p = live_ipi();

	__atomic_or_fetch(&rt_shinfo->vcpu_info[0].evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
	port_op(LAMINA_EVTCHNOP_SEND, p);
	rt_check(is_pending(p), "a pending port (upcalls masked)");
	rt_expect(port_op(LAMINA_EVTCHNOP_CLOSE, p), 0, "CLOSE a pending IPI port");
	rt_check(!is_pending(p) && is_masked(p), "CLOSE clears the pending bit and sets the mask bit");
	rt_shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
	HC0(LAMINA_HC_null);
	rt_expect(state_of(p), LAMINA_EVTCHNSTAT_CLOSED, "closed port reads CLOSED");
	rt_expect(port_op(LAMINA_EVTCHNOP_CLOSE, p), -LAMINA_EBADF, "CLOSE it again: EBADF");
	rt_expect(port_op(LAMINA_EVTCHNOP_CLOSE, 0), -LAMINA_EBADF, "CLOSE port 0: EBADF");
	rt_expect(port_op(LAMINA_EVTCHNOP_CLOSE, LIMIT + 1), -LAMINA_EBADF, "CLOSE beyond the limit: EBADF");
	rt_expect(port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)lp), 0, "CLOSE one end of a channel");
	status(SELF, (uint32_t)rp, &st);
	rt_expect(st.status, LAMINA_EVTCHNSTAT_UNBOUND, "the peer becomes UNBOUND");
	rt_expect(st.u.unbound.dom, me, "allocated for the closer's domain");
	rt_expect(port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)rp), 0, "SEND on the orphaned end: 0, nothing");
	lp = bind_interdomain(SELF, (uint32_t)rp);
	rt_check(lp > 0, "the orphaned end can be reconnected (%ld)", lp);
}

static void status_op(void)
{
	struct lamina_evtchn_status st;

	rt_expect(status(SELF, 0, &st), -LAMINA_EINVAL, "STATUS of port 0: EINVAL");
	rt_expect(status(SELF, LIMIT, &st), 0, "STATUS of the highest port (1023)");
	rt_expect(status(me, LIMIT + 1, &st), -LAMINA_EINVAL, "STATUS of port 1024 (>= limit): EINVAL");
	rt_expect(status(SELF, 0xffffffffu, &st), -LAMINA_EINVAL, "STATUS of port 0xffffffff: EINVAL");
	rt_expect(status(0, 1, &st), -LAMINA_EPERM, "STATUS in domain 0, caller not domain 0: EPERM");
	rt_expect(status(NO_DOM, 1, &st), -LAMINA_ESRCH, "STATUS in a domain that does not exist: ESRCH");
	rt_memset(&st, 0, sizeof(st));
	st.dom = SELF;
	st.port = 1;
	st.pad = 7;
	rt_expect(EOP(LAMINA_EVTCHNOP_STATUS, &st), -LAMINA_EINVAL, "STATUS with non-zero pad: EINVAL");
}

static void unmask_op(void)
{
	long p = bind_ipi(0);

	rt_on_port((uint32_t)p, count);
	port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)p);
	rt_spin_ns(2 * MS);
	rt_check(is_pending((uint32_t)p) && hits[p] == 0, "a masked port becomes pending but is not delivered");
	rt_expect(port_op(LAMINA_EVTCHNOP_UNMASK, (uint32_t)p), 0, "UNMASK the pending port");
	rt_check(!is_masked((uint32_t)p), "UNMASK cleared the mask bit");
	rt_check(rt_wait_for(hits[p] == 1, 100 * MS), "UNMASK re-delivers the pending event");
	rt_expect(port_op(LAMINA_EVTCHNOP_UNMASK, 0), -LAMINA_EBADF, "UNMASK port 0: EBADF");
	rt_expect(port_op(LAMINA_EVTCHNOP_UNMASK, 2000), -LAMINA_EBADF, "UNMASK port 2000: EBADF");
}

/* With upcalls masked, sends coalesce into one pending bit and one upcall. */
static void coalescing_and_selector(void)
{
	volatile struct lamina_vcpu_info *v0 = &rt_shinfo->vcpu_info[0];
	uint32_t p = live_ipi(), hi = 0;

	while (hi < 64)
		hi = live_ipi();
	__atomic_or_fetch(&v0->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 3; i++)
		port_op(LAMINA_EVTCHNOP_SEND, p);
	HC1(LAMINA_HC_event_send, hi);
	rt_check(v0->evtchn_upcall_pending == 1, "upcall_pending set while upcalls are masked");
	rt_check((v0->evtchn_pending_sel & 1) && (v0->evtchn_pending_sel & (1ull << (hi / 64))),
		 "selector has word 0 and word %u set (%#lx)", hi / 64, (unsigned long)v0->evtchn_pending_sel);
	rt_expect(hits[p], 0, "no upcall while masked");
	v0->evtchn_upcall_mask = 0;
	HC0(LAMINA_HC_null);
	rt_check(rt_wait_for(hits[p] == 1 && hits[hi] == 1, 100 * MS),
		 "after unmasking: one delivery each (port %u: %u, port %u: %u)", p, hits[p], hi, hits[hi]);
	rt_spin_ns(2 * MS);
	rt_expect(hits[p], 1, "three sends coalesced into one event");
}

static void poll_sees_ports(void)
{
	long p = bind_ipi(0), q = bind_ipi(0), closed = bind_ipi(0);
	lamina_port_t ports[2] = { (uint32_t)q, (uint32_t)p };
	struct lamina_sched_poll sp = { .ports = (uint64_t)ports, .nr_ports = 2 };

	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)closed);
	sp.timeout = rt_now() + 2 * MS;
	rt_expect(HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &sp), -LAMINA_ETIMEDOUT,
		  "POLL on two quiet ports times out");
	port_op(LAMINA_EVTCHNOP_SEND, (uint32_t)p);
	sp.timeout = rt_now() + 1000 * MS;
	rt_expect(HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &sp), 0,
		  "POLL returns at once for a pending (masked) port");
	ports[0] = (uint32_t)closed;
	rt_expect(HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &sp), -LAMINA_EBADF,
		  "POLL on a closed port: EBADF");
	rt_check(is_masked((uint32_t)timer0) && !is_pending((uint32_t)timer0), "the TIMER port is masked, quiet");
	ports[0] = (uint32_t)timer0;
	sp.nr_ports = 1;
	sp.timeout = rt_now() + 2000 * MS;
	HC1(LAMINA_HC_set_timer_op, rt_now() + 5 * MS);
	uint64_t t0 = rt_now();
	rt_expect(HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &sp), 0,
		  "POLL on a masked port wakes when it becomes pending (timer in 5 ms)");
	rt_check(rt_now() - t0 < 1000 * MS, "woken by the event, not the 2 s timeout (%lu ms)",
		 (unsigned long)((rt_now() - t0) / MS));
}

/* Fill the table, check ENOSPC for every allocating sub-op, then RESET. */
static void limits_and_reset(void)
{
	struct lamina_evtchn_reset rs = { .dom = SELF };
	long rp = alloc_unbound(SELF, SELF), n = 0;
	uint32_t keep1 = rt_shinfo->store_port, keep2 = rt_shinfo->console_port;

	port_op(LAMINA_EVTCHNOP_CLOSE, (uint32_t)debug0);   /* so BIND_VIRQ meets ENOSPC, not EEXIST */
	while (bind_ipi(0) > 0 && n < 5000)
		n++;
	rt_expect(state_of(LIMIT), LAMINA_EVTCHNSTAT_IPI, "the table filled up to port 1023");
	rt_expect(bind_ipi(0), -LAMINA_ENOSPC, "BIND_IPI with no free port: ENOSPC");
	rt_expect(alloc_unbound(SELF, SELF), -LAMINA_ENOSPC, "ALLOC_UNBOUND with no free port: ENOSPC");
	rt_expect(bind_virq(LAMINA_VIRQ_DEBUG, 0), -LAMINA_ENOSPC, "BIND_VIRQ with no free port: ENOSPC");
	rt_expect(bind_interdomain(SELF, (uint32_t)rp), -LAMINA_ENOSPC,
		  "BIND_INTERDOMAIN with no free port: ENOSPC");
	rt_expect(EOP(LAMINA_EVTCHNOP_RESET, &rs), 0, "RESET our own ports");
	unsigned open = 0;
	for (uint32_t q = 1; q <= LIMIT; q++)
		open += state_of(q) != LAMINA_EVTCHNSTAT_CLOSED && q != keep1 && q != keep2;
	rt_expect(open, 0, "RESET closed every port but the store and console ports");
	if (keep1)
		rt_check(state_of(keep1) != LAMINA_EVTCHNSTAT_CLOSED, "the store port survived RESET");
	if (keep2)
		rt_check(state_of(keep2) != LAMINA_EVTCHNSTAT_CLOSED, "the console port survived RESET");
	rs.dom = me;
	rt_expect(EOP(LAMINA_EVTCHNOP_RESET, &rs), 0, "RESET with dom = own id");
	rs.dom = 0;
	rt_expect(EOP(LAMINA_EVTCHNOP_RESET, &rs), -LAMINA_EPERM, "RESET domain 0, caller not domain 0: EPERM");
	rs.dom = NO_DOM;
	rt_expect(EOP(LAMINA_EVTCHNOP_RESET, &rs), -LAMINA_ESRCH, "RESET a domain that does not exist: ESRCH");
}

void test_main(void)
{
	rt_events_init();
	me = rt_shinfo->domid;
	unknown_and_efault();
	alloc_unbound_op();
	interdomain_op();
	interdomain_errors();
	virq_op();
	ipi_op();
	bind_vcpu_op();
	send_op();
	close_op();
	status_op();
	unmask_op();
	coalescing_and_selector();
	poll_sees_ports();
	limits_and_reset();
}
