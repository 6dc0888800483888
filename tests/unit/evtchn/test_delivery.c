// SPDX-License-Identifier: MIT
// test_delivery.c: event delivery into shared_info and vcpu_info: coalescing, masking, selectors, upcall mask, VIRQs, POLL support.
#include <string.h>
#include <lamina/errno.h>
#include "fake.h"
#include "tests.h"

static struct hv *hv;
static struct domain *A;   /* guest 1: 2 vCPUs, 200 ports */

static void setup(void)
{
	fake_reset();
	hv = fake_hv();
	A = fake_dom(hv, 1, 2, 200);
}

static void teardown(void)
{
	fake_dom_free(A);
	fake_hv_free(hv);
}

static struct lamina_vcpu_info *vi(int i) { return &si_of(A)->vcpu_info[i]; }

/* An unmasked IPI port on vCPU vcpu. */
static uint32_t ipi(uint32_t vcpu)
{
	int64_t p = bind_ipi(A, vcpu);

	ck_assert_int_gt(p, 0);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)p), 0);
	return (uint32_t)p;
}

/* The guest's upcall handler, minimally: take everything. */
static void guest_ack(int v)
{
	vi(v)->evtchn_upcall_pending = 0;
	vi(v)->evtchn_pending_sel = 0;
	memset(si_of(A)->evtchn_pending, 0, sizeof(si_of(A)->evtchn_pending));
}

START_TEST(new_ports_masked_not_pending)
{
	int64_t p = bind_ipi(A, 0);

	ck_assert(masked(A, (uint32_t)p) && !pending(A, (uint32_t)p));
	/* Even if the guest dirtied the bits of a closed port. */
	si_of(A)->evtchn_pending[0] |= 1ull << 2;
	si_of(A)->evtchn_mask[0] &= ~(1ull << 2);
	ck_assert_int_eq(bind_ipi(A, 0), 2);
	ck_assert(masked(A, 2) && !pending(A, 2));
}
END_TEST

START_TEST(deliver_sets_pending_sel_and_upcall)
{
	uint32_t p = ipi(0);

	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, p), 0);
	ck_assert(pending(A, p));
	ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 1);
	ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
	ck_assert_int_eq(fake.upcalls[1][0], 1);
	ck_assert_int_eq(fake.upcalls[1][1], 0);
	ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 0);
}
END_TEST

START_TEST(coalescing)
{
	uint32_t p = ipi(0);

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, p), 0);
	ck_assert_int_eq(fake.upcalls[1][0], 1);
	guest_ack(0);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, p), 0);
	ck_assert_int_eq(fake.upcalls[1][0], 2);
	ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
}
END_TEST

START_TEST(masked_then_unmask_redelivers)
{
	int64_t p = bind_ipi(A, 1);

	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)p), 0);
	ck_assert(pending(A, (uint32_t)p));
	ck_assert_uint_eq(vi(1)->evtchn_pending_sel, 0);
	ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 0);
	ck_assert_int_eq(fake.upcalls[1][1], 0);
	ck_assert_int_eq(fake.wakes[1], 1);          /* a POLL on the port wakes */
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)p), 0);
	ck_assert(!masked(A, (uint32_t)p));
	ck_assert_uint_eq(vi(1)->evtchn_pending_sel, 1);
	ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 1);
	ck_assert_int_eq(fake.upcalls[1][1], 1);
	/* Unmasking a port that is not pending delivers nothing. */
	int64_t q = bind_ipi(A, 1);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)q), 0);
	ck_assert_int_eq(fake.upcalls[1][1], 1);
}
END_TEST

START_TEST(unmask_by_guest_then_hypercall_redelivers)
{
	int64_t p = bind_ipi(A, 0);

	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)p), 0);
	unmask_bits(A, (uint32_t)p);      /* the guest cleared it itself first */
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)p), 0);
	ck_assert_int_eq(fake.upcalls[1][0], 1);
	ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 1);
}
END_TEST

START_TEST(selector_bits)
{
	uint32_t p[3];

	for (int i = 0; i < 3; i++)
		p[i] = ipi(0);                 /* 1, 2, 3 */
	for (uint32_t q = 4; q < 130; q++)
		ck_assert_int_eq(bind_ipi(A, 0), q);
	uint32_t hi = ipi(0);               /* 130: word 2 */
	ck_assert_uint_eq(hi, 130);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, hi), 0);
	ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 1ull << 2);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, p[1]), 0);
	ck_assert_uint_eq(vi(0)->evtchn_pending_sel, (1ull << 2) | 1);
	ck_assert_uint_eq(si_of(A)->evtchn_pending[2], 1ull << 2);
	ck_assert_uint_eq(si_of(A)->evtchn_pending[0], 1ull << 2);
}
END_TEST

START_TEST(upcall_mask_sets_flag_but_no_vector)
{
	uint32_t p = ipi(0);

	vi(0)->evtchn_upcall_mask = 1;
	int wakes = fake.wakes[1];
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, p), 0);
	ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
	ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 1);
	ck_assert_int_eq(fake.upcalls[1][0], 0);
	ck_assert_int_gt(fake.wakes[1], wakes);     /* a BLOCK/POLL still wakes */
	ck_assert(evt_upcall_pending(&A->vcpu[0]));
	ck_assert(!evt_upcall_pending(&A->vcpu[1]));
}
END_TEST

START_TEST(bind_vcpu_moves_delivery)
{
	uint32_t p = ipi(0);
	int64_t rp = alloc_unbound(A, LAMINA_DOMID_SELF, LAMINA_DOMID_SELF);
	int64_t lp = bind_interdomain(A, LAMINA_DOMID_SELF, (uint32_t)rp);
	struct lamina_evtchn_bind_vcpu op = { .port = (uint32_t)lp, .vcpu = 1 };

	(void)p;
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)lp), 0);
	ck_assert_int_eq(eop(A, 0, LAMINA_EVTCHNOP_BIND_VCPU, &op), 0);
	guest_ack(0);
	memset(fake.upcalls, 0, sizeof(fake.upcalls));
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)rp), 0);
	ck_assert_int_eq(fake.upcalls[1][1], 1);
	ck_assert_int_eq(fake.upcalls[1][0], 0);
	ck_assert_uint_eq(vi(1)->evtchn_pending_sel, 1);
	ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 0);
}
END_TEST

START_TEST(registered_vcpu_info)
{
	uint32_t p = ipi(1);
	struct lamina_vcpu_info *reg = (void *)(A->ram + 3 * 4096 + 128);

	ck_assert_ptr_null(evt_vcpu_info(&A->vcpu[1]));   /* nothing mapped or registered */
	A->vcpu[1].vcpu_info_gpa = 3 * 4096 + 128;
	ck_assert_ptr_eq(evt_vcpu_info(&A->vcpu[1]), reg);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, p), 0);
	ck_assert_uint_eq(reg->evtchn_upcall_pending, 1);
	ck_assert_uint_eq(reg->evtchn_pending_sel, 1);
	ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 0);
	ck_assert(evt_upcall_pending(&A->vcpu[1]));
	A->shinfo_gfn = 0xfe000;
	ck_assert_ptr_eq(evt_vcpu_info(&A->vcpu[0]), vi(0));
}
END_TEST

START_TEST(virq_raise)
{
	int64_t t1 = bind_virq(A, LAMINA_VIRQ_TIMER, 1);

	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_UNMASK, (uint32_t)t1), 0);
	evt_raise_virq(A, 0, LAMINA_VIRQ_TIMER);        /* not bound on vCPU 0 */
	ck_assert(!pending(A, (uint32_t)t1));
	evt_raise_virq(A, 1, LAMINA_VIRQ_DEBUG);
	evt_raise_virq(A, 1, 99);
	evt_raise_virq(A, 7, LAMINA_VIRQ_TIMER);
	evt_raise_virq(A, -1, LAMINA_VIRQ_TIMER);
	ck_assert_int_eq(fake.upcalls[1][1] + fake.upcalls[1][0], 0);
	evt_raise_virq(A, 1, LAMINA_VIRQ_TIMER);
	ck_assert(pending(A, (uint32_t)t1));
	ck_assert_int_eq(fake.upcalls[1][1], 1);
	ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 1);
}
END_TEST

START_TEST(set_pending_and_port_pending)
{
	uint32_t p = ipi(0);

	ck_assert_int_eq(evt_port_pending(A, p), 0);
	evt_set_pending(A, p);
	ck_assert_int_eq(evt_port_pending(A, p), 1);
	ck_assert_int_eq(fake.upcalls[1][0], 1);
	evt_set_pending(A, 77);                          /* not open: ignored */
	ck_assert(!pending(A, 77));
	ck_assert_int_eq(evt_port_pending(A, 77), -LAMINA_EBADF);
	ck_assert_int_eq(evt_port_pending(A, 0), -LAMINA_EBADF);
	ck_assert_int_eq(evt_port_pending(A, 0xffffffffu), -LAMINA_EBADF);
	/* POLL ignores the mask bit. */
	int64_t m = bind_ipi(A, 0);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, (uint32_t)m), 0);
	ck_assert_int_eq(evt_port_pending(A, (uint32_t)m), 1);
}
END_TEST

START_TEST(close_clears_pending_sets_mask)
{
	uint32_t p = ipi(0);

	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_SEND, p), 0);
	ck_assert_int_eq(port_op(A, LAMINA_EVTCHNOP_CLOSE, p), 0);
	ck_assert(!pending(A, p) && masked(A, p));
	ck_assert_int_eq(evt_port_pending(A, p), -LAMINA_EBADF);
}
END_TEST

TCase *tc_delivery(void)
{
	TCase *tc = tcase_create("delivery" NAME_SUFFIX);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, new_ports_masked_not_pending);
	tcase_add_test(tc, deliver_sets_pending_sel_and_upcall);
	tcase_add_test(tc, coalescing);
	tcase_add_test(tc, masked_then_unmask_redelivers);
	tcase_add_test(tc, unmask_by_guest_then_hypercall_redelivers);
	tcase_add_test(tc, selector_bits);
	tcase_add_test(tc, upcall_mask_sets_flag_but_no_vector);
	tcase_add_test(tc, bind_vcpu_moves_delivery);
	tcase_add_test(tc, registered_vcpu_info);
	tcase_add_test(tc, virq_raise);
	tcase_add_test(tc, set_pending_and_port_pending);
	tcase_add_test(tc, close_clears_pending_sets_mask);
	return tc;
}
