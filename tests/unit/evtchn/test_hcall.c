// SPDX-License-Identifier: MIT
// test_hcall.c: event_channel_op and event_send through their handlers: every sub-op's success path and every documented error.
#include <string.h>
#include <lamina/errno.h>
#include "fake.h"
#include "tests.h"

static struct hv *hv;
static struct domain *A, *B, *C, *D0;   /* guests 1 (2 vCPUs), 2, 3 (4 ports); domain 0 */

static void setup(void)
{
	fake_reset();
	hv = fake_hv();
	A = fake_dom(hv, 1, 2, 16);
	B = fake_dom(hv, 2, 1, 16);
	C = fake_dom(hv, 3, 1, 4);
	D0 = fake_dom0(hv);
}

static void teardown(void)
{
	fake_dom_free(A);
	fake_dom_free(B);
	fake_dom_free(C);
	fake_dom_free(D0);
	fake_hv_free(hv);
}

static void fill(struct domain *d, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_gt(bind_ipi(d, 0), 0);
}

static struct lamina_evtchn_status st;

START_TEST(unknown_cmd)
{
	ck_assert_int_eq(port_op(A, 10, 1), -LAMINA_ENOSYS);
	ck_assert_int_eq(port_op(A, 0xffffffffu, 1), -LAMINA_ENOSYS);
}
END_TEST

START_TEST(efault_on_every_read)
{
	for (unsigned cmd = 0; cmd <= LAMINA_EVTCHNOP_RESET; cmd++)
		ck_assert_int_eq(eop_va(A, cmd, 16), -LAMINA_EFAULT);
}
END_TEST

START_TEST(alloc_unbound_ok)
{
	ck_assert_int_eq(alloc_unbound(A, LAMINA_DOMID_SELF, 2), 1);
	ck_assert_int_eq(alloc_unbound(A, 1, LAMINA_DOMID_SELF), 2);   /* own id, SELF remote */
	ck_assert_int_eq(alloc_unbound(A, LAMINA_DOMID_SELF, 0), 3);   /* for domain 0 */
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 1, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 2);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 2, &st), 0);
	ck_assert_uint_eq(st.u.unbound.dom, 1);
	ck_assert(masked(A, 1) && !pending(A, 1));
}
END_TEST

START_TEST(alloc_unbound_errors)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = LAMINA_DOMID_SELF, .remote_dom = 2 };

	ck_assert_int_eq(alloc_unbound(A, LAMINA_DOMID_SELF, 9), -LAMINA_ESRCH);
	ck_assert_int_eq(alloc_unbound(A, LAMINA_DOMID_SELF, LAMINA_DOMID_MAX), -LAMINA_ESRCH);
	ck_assert_int_eq(alloc_unbound(A, 2, 1), -LAMINA_EPERM);
	ck_assert_int_eq(alloc_unbound(A, 0, 1), -LAMINA_EPERM);
	ck_assert_int_eq(alloc_unbound(A, 9, 1), -LAMINA_ESRCH);
	fill(C, 4);
	ck_assert_int_eq(alloc_unbound(C, LAMINA_DOMID_SELF, 1), -LAMINA_ENOSPC);
	/* OUT not writable: -EFAULT, and the port is not leaked. */
	fake_gmem.ro_lo = &op;
	fake_gmem.ro_hi = &op + 1;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op), -LAMINA_EFAULT);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 1, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_CLOSED);
}
END_TEST

START_TEST(dom0_acts_on_others)
{
	ck_assert_int_eq(alloc_unbound(D0, 2, 1), 1);        /* in B, for A */
	ck_assert_int_eq(status_of(D0, 2, 1, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 1);
	ck_assert_int_eq(status_of(D0, 9, 1, &st), -LAMINA_ESRCH);
	ck_assert_int_eq(alloc_unbound(D0, 9, 1), -LAMINA_ESRCH);
	ck_assert_int_eq(status_of(D0, LAMINA_DOMID_SELF, 1, &st), 0);   /* the host's table */
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_CLOSED);
	struct lamina_evtchn_reset r = { .dom = 2 };
	ck_assert_int_eq(eop(D0, 0, LAMINA_EVTCHNOP_RESET, &r), 0);
	ck_assert_int_eq(status_of(D0, 2, 1, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_CLOSED);
	r.dom = LAMINA_DOMID_SELF;   /* the host's own ports are host code's */
	ck_assert_int_eq(eop(D0, 0, LAMINA_EVTCHNOP_RESET, &r), -LAMINA_EPERM);
	r.dom = 9;
	ck_assert_int_eq(eop(D0, 0, LAMINA_EVTCHNOP_RESET, &r), -LAMINA_ESRCH);
	ck_assert_int_eq(port_op(D0, LAMINA_EVTCHNOP_SEND, 1), -LAMINA_EBADF);   /* no own table */
}
END_TEST

START_TEST(bind_interdomain_ok)
{
	int64_t rp = alloc_unbound(B, LAMINA_DOMID_SELF, 1);

	unmask_bits(B, (uint32_t)rp);
	int64_t lp = bind_interdomain(A, 2, (uint32_t)rp);
	ck_assert_int_eq(lp, 1);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 1, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN);
	ck_assert_uint_eq(st.u.interdomain.dom, 2);
	ck_assert_uint_eq(st.u.interdomain.port, rp);
	ck_assert_uint_eq(st.vcpu, 0);
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, (uint32_t)rp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN);
	ck_assert_uint_eq(st.u.interdomain.dom, 1);
	ck_assert_uint_eq(st.u.interdomain.port, 1);
	/* The remote end was made pending once; the local end starts quiet. */
	ck_assert(pending(B, (uint32_t)rp));
	ck_assert_int_eq(fake.upcalls[2][0], 1);
	ck_assert(!pending(A, 1) && masked(A, 1));
}
END_TEST

START_TEST(bind_interdomain_loopback)
{
	int64_t rp = alloc_unbound(A, LAMINA_DOMID_SELF, LAMINA_DOMID_SELF);
	int64_t lp = bind_interdomain(A, LAMINA_DOMID_SELF, (uint32_t)rp);

	ck_assert_int_eq(lp, 2);
	ck_assert(pending(A, (uint32_t)rp));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)rp), 0);
	ck_assert(pending(A, (uint32_t)lp));
}
END_TEST

START_TEST(bind_interdomain_errors)
{
	struct lamina_evtchn_bind_interdomain op = { .remote_dom = 2, .pad = 1, .remote_port = 1 };
	int64_t for_c = alloc_unbound(B, LAMINA_DOMID_SELF, 3);
	int64_t ipi = bind_ipi(B, 0);
	int64_t ok = alloc_unbound(B, LAMINA_DOMID_SELF, 3);

	ck_assert_int_eq(bind_interdomain(A, 9, 1), -LAMINA_ESRCH);
	ck_assert_int_eq(bind_interdomain(A, 2, (uint32_t)for_c), -LAMINA_EINVAL);  /* for C */
	ck_assert_int_eq(bind_interdomain(A, 2, (uint32_t)ipi), -LAMINA_EINVAL);    /* not unbound */
	ck_assert_int_eq(bind_interdomain(A, 2, 9), -LAMINA_EINVAL);                /* closed */
	ck_assert_int_eq(bind_interdomain(A, 2, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(bind_interdomain(A, 2, 1000), -LAMINA_EINVAL);             /* >= limit */
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_INTERDOMAIN, &op), -LAMINA_EINVAL); /* pad */
	fill(C, 4);
	ck_assert_int_eq(bind_interdomain(C, 2, (uint32_t)ok), -LAMINA_ENOSPC);
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, (uint32_t)ok, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);           /* untouched */
	/* -EFAULT on the OUT field: the local port is closed again, the remote
	 * one is unbound for the caller again, so the caller can retry. */
	struct lamina_evtchn_bind_interdomain ro = { .remote_dom = 2, .remote_port = (uint32_t)for_c };
	fake_gmem.ro_lo = &ro.local_port;
	fake_gmem.ro_hi = &ro + 1;
	ck_assert_int_eq(eop(C, 0, LAMINA_EVTCHNOP_CLOSE, &(struct lamina_evtchn_port){ 4 }), 0);
	ck_assert_int_eq(eop(C, 0, LAMINA_EVTCHNOP_BIND_INTERDOMAIN, &ro), -LAMINA_EFAULT);
	ck_assert_int_eq(status_of(C, LAMINA_DOMID_SELF, 4, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_CLOSED);
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, (uint32_t)for_c, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 3);
}
END_TEST

START_TEST(bind_virq_ok_and_errors)
{
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_TIMER, 0), 1);
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_TIMER, 1), 2);
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_DEBUG, 1), 3);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 2, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_VIRQ);
	ck_assert_uint_eq(st.u.virq, LAMINA_VIRQ_TIMER);
	ck_assert_uint_eq(st.vcpu, 1);
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_TIMER, 1), -LAMINA_EEXIST);
	ck_assert_int_eq(bind_virq(A, LAMINA_NR_VIRQS, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(bind_virq(A, 6, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_CONSOLE, 0), -LAMINA_EINVAL);   /* domain 0 only */
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_DOM_EXC, 1), -LAMINA_EINVAL);   /* global */
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_TIMER, 2), -LAMINA_ENOENT);
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_DEBUG, 0xffffffffu), -LAMINA_ENOENT);
	fill(C, 4);
	ck_assert_int_eq(bind_virq(C, LAMINA_VIRQ_TIMER, 0), -LAMINA_ENOSPC);
}
END_TEST

START_TEST(bind_ipi_ok_and_errors)
{
	ck_assert_int_eq(bind_ipi(A, 1), 1);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 1, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_IPI);
	ck_assert_uint_eq(st.vcpu, 1);
	ck_assert_int_eq(bind_ipi(A, 2), -LAMINA_ENOENT);
	fill(C, 4);
	ck_assert_int_eq(bind_ipi(C, 0), -LAMINA_ENOSPC);
}
END_TEST

START_TEST(bind_vcpu_ok_and_errors)
{
	struct lamina_evtchn_bind_vcpu op = { .port = 1, .vcpu = 1 };
	int64_t rp = alloc_unbound(B, LAMINA_DOMID_SELF, 1);

	ck_assert_int_eq(bind_interdomain(A, 2, (uint32_t)rp), 1);
	ck_assert_int_eq(bind_ipi(A, 0), 2);
	ck_assert_int_eq(bind_virq(A, LAMINA_VIRQ_TIMER, 0), 3);
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_VCPU, &op), 0);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 1, &st), 0);
	ck_assert_uint_eq(st.vcpu, 1);
	op.vcpu = 2;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_VCPU, &op), -LAMINA_ENOENT);
	op.vcpu = 1;
	op.port = 2;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_VCPU, &op), -LAMINA_EINVAL);   /* IPI */
	op.port = 3;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_VCPU, &op), -LAMINA_EINVAL);   /* per-vCPU VIRQ */
	op.port = 9;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_VCPU, &op), -LAMINA_EBADF);
	op.port = 0;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_VCPU, &op), -LAMINA_EBADF);
}
END_TEST

START_TEST(send_kinds_and_errors)
{
	int64_t rp = alloc_unbound(B, LAMINA_DOMID_SELF, 1);
	int64_t lp = bind_interdomain(A, 2, (uint32_t)rp);
	int64_t ipi = bind_ipi(A, 1), virq = bind_virq(A, LAMINA_VIRQ_TIMER, 0);
	int64_t unb = alloc_unbound(A, LAMINA_DOMID_SELF, 2);

	si_of(B)->evtchn_pending[0] = 0;
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)lp), 0);
	ck_assert(pending(B, (uint32_t)rp) && !pending(A, (uint32_t)lp));
	ck_assert_int_eq(port_op(B, LAMINA_EVTCHNOP_SEND, (uint32_t)rp), 0);
	ck_assert(pending(A, (uint32_t)lp));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)ipi), 0);
	ck_assert(pending(A, (uint32_t)ipi));
	uint64_t before[LAMINA_EVTCHN_WORDS];
	memcpy(before, si_of(A)->evtchn_pending, sizeof(before));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)unb), 0);   /* nothing */
	ck_assert(!memcmp(before, si_of(A)->evtchn_pending, sizeof(before)));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)virq), -LAMINA_EINVAL);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, 9), -LAMINA_EBADF);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, 0), -LAMINA_EBADF);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, 5000), -LAMINA_EBADF);
}
END_TEST

START_TEST(event_send_hypercall)
{
	int64_t ipi = bind_ipi(A, 0), virq = bind_virq(A, LAMINA_VIRQ_DEBUG, 0);
	uint64_t a[5] = { (uint64_t)ipi, 0, 0, 0, 0 };

	ck_assert_int_eq(hc_event_send(&A->vcpu[0], a), 0);
	ck_assert(pending(A, (uint32_t)ipi));
	ck_assert_int_eq(doorbell(&A->vcpu[0], (uint32_t)ipi), 0);
	a[0] = (uint64_t)virq;
	ck_assert_int_eq(hc_event_send(&A->vcpu[0], a), -LAMINA_EINVAL);
	a[0] = 7;
	ck_assert_int_eq(hc_event_send(&A->vcpu[0], a), -LAMINA_EBADF);
	a[0] = (1ull << 32) | (uint64_t)ipi;
	ck_assert_int_eq(hc_event_send(&A->vcpu[0], a), -LAMINA_EBADF);
	ck_assert_int_eq(doorbell(&A->vcpu[0], 0), -LAMINA_EBADF);
}
END_TEST

START_TEST(close_ok_and_errors)
{
	int64_t rp = alloc_unbound(B, LAMINA_DOMID_SELF, 1);
	int64_t lp = bind_interdomain(A, 2, (uint32_t)rp);
	int64_t ipi = bind_ipi(A, 0);

	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)ipi), 0);
	unmask_bits(A, (uint32_t)ipi);
	ck_assert(pending(A, (uint32_t)ipi));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_CLOSE, (uint32_t)ipi), 0);
	ck_assert(!pending(A, (uint32_t)ipi) && masked(A, (uint32_t)ipi));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_CLOSE, (uint32_t)ipi), -LAMINA_EBADF);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_CLOSE, 0), -LAMINA_EBADF);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_CLOSE, 16), -LAMINA_EBADF);
	/* Closing one end leaves the peer unbound, allocated for the closer. */
	ck_assert_int_eq(port_op(B, LAMINA_EVTCHNOP_CLOSE, (uint32_t)rp), 0);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, (uint32_t)lp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 2);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)lp), 0);
	ck_assert_int_eq(bind_interdomain(B, 1, (uint32_t)lp), rp);   /* reconnect */
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, (uint32_t)lp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN);
}
END_TEST

START_TEST(status_errors)
{
	struct lamina_evtchn_status ro;

	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 0, &st), -LAMINA_EINVAL);   /* port 0 */
	ck_assert_int_eq(status_of(D0, 1, 0, &st), -LAMINA_EINVAL);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 5, &st), 0);   /* never allocated */
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_CLOSED);
	ck_assert_uint_eq(st.vcpu, 0);
	ck_assert_uint_eq(st.u.interdomain.port, 0);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 16, &st), 0);   /* highest port */
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, 17, &st), -LAMINA_EINVAL);
	ck_assert_int_eq(status_of(A, 1, 17, &st), -LAMINA_EINVAL);
	ck_assert_int_eq(status_of(A, 2, 1, &st), -LAMINA_EPERM);
	ck_assert_int_eq(status_of(A, 0, 1, &st), -LAMINA_EPERM);
	ck_assert_int_eq(status_of(A, 9, 1, &st), -LAMINA_ESRCH);
	memset(&st, 0, sizeof(st));
	st.dom = LAMINA_DOMID_SELF;
	st.port = 1;
	st.pad = 1;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_STATUS, &st), -LAMINA_EINVAL);
	memset(&ro, 0, sizeof(ro));
	ro.dom = LAMINA_DOMID_SELF;
	ro.port = 1;
	fake_gmem.ro_lo = &ro.status;
	fake_gmem.ro_hi = &ro + 1;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_STATUS, &ro), -LAMINA_EFAULT);
}
END_TEST

START_TEST(unmask_ok_and_errors)
{
	int64_t ipi = bind_ipi(A, 1);

	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)ipi), 0);
	ck_assert(!masked(A, (uint32_t)ipi));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, 9), -LAMINA_EBADF);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, 0), -LAMINA_EBADF);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, 99999), -LAMINA_EBADF);
}
END_TEST

START_TEST(reset_keeps_store_and_console)
{
	struct lamina_evtchn_reset r = { .dom = LAMINA_DOMID_SELF };
	int64_t rp = alloc_unbound(B, LAMINA_DOMID_SELF, 1);

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(bind_ipi(A, 0), i + 1);
	ck_assert_int_eq(bind_interdomain(A, 2, (uint32_t)rp), 6);
	si_of(A)->store_port = 2;
	si_of(A)->console_port = 4;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_RESET, &r), 0);
	for (uint32_t p = 1; p <= 6; p++) {
		ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, p, &st), 0);
		ck_assert_uint_eq(st.status, p == 2 || p == 4 ? LAMINA_EVTCHNSTAT_IPI
							  : LAMINA_EVTCHNSTAT_CLOSED);
	}
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, (uint32_t)rp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 1);
	r.dom = 1;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_RESET, &r), 0);
	r.dom = 2;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_RESET, &r), -LAMINA_EPERM);
	r.dom = 9;
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_RESET, &r), -LAMINA_ESRCH);
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, (uint32_t)rp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
}
END_TEST

START_TEST(limit_enospc_then_reuse)
{
	fill(C, 4);
	ck_assert_int_eq(bind_ipi(C, 0), -LAMINA_ENOSPC);
	ck_assert_int_eq(port_op(C, LAMINA_EVTCHNOP_CLOSE, 3), 0);
	ck_assert_int_eq(bind_ipi(C, 0), 3);
}
END_TEST

START_TEST(teardown_unbinds_peer)
{
	int64_t rp = alloc_unbound(B, LAMINA_DOMID_SELF, 1);
	int64_t lp = bind_interdomain(A, 2, (uint32_t)rp);

	fake_dom_free(A);
	A = fake_dom(hv, 1, 2, 16);    /* a new domain 1, so teardown() stays simple */
	ck_assert_int_eq(status_of(B, LAMINA_DOMID_SELF, (uint32_t)rp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_UNBOUND);
	ck_assert_uint_eq(st.u.unbound.dom, 1);
	ck_assert_int_eq(port_op(B, LAMINA_EVTCHNOP_SEND, (uint32_t)rp), 0);
	ck_assert_int_eq(status_of(A, LAMINA_DOMID_SELF, (uint32_t)lp, &st), 0);
	ck_assert_uint_eq(st.status, LAMINA_EVTCHNSTAT_CLOSED);
}
END_TEST

TCase *tc_hcall(void)
{
	TCase *tc = tcase_create("hcall" NAME_SUFFIX);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_cmd);
	tcase_add_test(tc, efault_on_every_read);
	tcase_add_test(tc, alloc_unbound_ok);
	tcase_add_test(tc, alloc_unbound_errors);
	tcase_add_test(tc, dom0_acts_on_others);
	tcase_add_test(tc, bind_interdomain_ok);
	tcase_add_test(tc, bind_interdomain_loopback);
	tcase_add_test(tc, bind_interdomain_errors);
	tcase_add_test(tc, bind_virq_ok_and_errors);
	tcase_add_test(tc, bind_ipi_ok_and_errors);
	tcase_add_test(tc, bind_vcpu_ok_and_errors);
	tcase_add_test(tc, send_kinds_and_errors);
	tcase_add_test(tc, event_send_hypercall);
	tcase_add_test(tc, close_ok_and_errors);
	tcase_add_test(tc, status_errors);
	tcase_add_test(tc, unmask_ok_and_errors);
	tcase_add_test(tc, reset_keeps_store_and_console);
	tcase_add_test(tc, limit_enospc_then_reuse);
	tcase_add_test(tc, teardown_unbinds_peer);
	return tc;
}
