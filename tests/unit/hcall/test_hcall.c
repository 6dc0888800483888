// SPDX-License-Identifier: MIT
// test_hcall.c: Check unit tests for hcall.c: every hypercall, a doorbell that reaches user space included, is dispatched, counted and traced once.
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include <lamina/hypercall.h>
#include <lamina/shared_info.h>
#include "event.h"
#include "hcall.h"
#include "hv_int.h"
#include "mem.h"

#ifndef SUITE_NAME
#define SUITE_NAME "hcall"
#endif

/* ---- doubles: each handler records its call and answers a fixed value ---- */
static struct {
	uint64_t nr, a[5];
	int calls;
} seen;
static int upcalls;
static struct lamina_vcpu_info vinfo;

#define HANDLER(name, num, ret) \
	int64_t name(struct vcpu *v, const uint64_t a[5]) \
	{ (void)v; seen.nr = num; memcpy(seen.a, a, sizeof(seen.a)); seen.calls++; return ret; }
HANDLER(hc_null, LAMINA_HC_null, 0)
HANDLER(hc_version, LAMINA_HC_version, 0)
HANDLER(hc_console_io, LAMINA_HC_console_io, 0)
HANDLER(hc_sched_op, LAMINA_HC_sched_op, 0)
HANDLER(hc_set_timer_op, LAMINA_HC_set_timer_op, 0)
HANDLER(hc_vcpu_op, LAMINA_HC_vcpu_op, 0)
HANDLER(hc_memory_op, LAMINA_HC_memory_op, 0)
HANDLER(hc_event_channel_op, LAMINA_HC_event_channel_op, 0)
HANDLER(hc_event_send, LAMINA_HC_event_send, -LAMINA_EBADF)
HANDLER(hc_grant_table_op, LAMINA_HC_grant_table_op, 0)
HANDLER(hc_multicall, LAMINA_HC_multicall, 0)

struct lamina_vcpu_info *evt_vcpu_info(struct vcpu *v) { (void)v; return &vinfo; }
void vcpu_upcall(struct vcpu *v) { (void)v; upcalls++; }
void *mem_gpa(struct domain *d, uint64_t gpa, size_t len) { (void)d; (void)gpa; (void)len; return NULL; }

/* What the domain's trace hook saw. */
static struct { uint64_t t[6]; int64_t ret; int vcpu, calls; } traced;

static void trace(struct domain *d, int vcpu, const uint64_t t[6], int64_t ret)
{
	(void)d;
	memcpy(traced.t, t, sizeof(traced.t));
	traced.ret = ret;
	traced.vcpu = vcpu;
	traced.calls++;
}

static struct domain *dom;

static void setup(void)
{
	dom = calloc(1, sizeof(*dom));
	ck_assert_ptr_nonnull(dom);
	dom->vcpu[1].d = dom;
	dom->vcpu[1].id = 1;
	dom->trace = trace;
	memset(&seen, 0, sizeof(seen));
	memset(&traced, 0, sizeof(traced));
	memset(&vinfo, 0, sizeof(vinfo));
	upcalls = 0;
}

static void teardown(void)
{
	free(dom);
}

START_TEST(doorbell_through_table)
{
	int64_t rc = hcall_doorbell(&dom->vcpu[1], 4093);

	ck_assert_int_eq(rc, -LAMINA_EBADF);          /* the handler's answer */
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.nr, LAMINA_HC_event_send);
	ck_assert_uint_eq(seen.a[0], 4093);
	ck_assert_uint_eq(seen.a[1] | seen.a[2] | seen.a[3] | seen.a[4], 0);
	ck_assert_uint_eq(atomic_load(&dom->hc_count[LAMINA_HC_event_send]), 1);
}
END_TEST

START_TEST(doorbell_traced)
{
	hcall_doorbell(&dom->vcpu[1], 17);

	ck_assert_int_eq(traced.calls, 1);
	ck_assert_int_eq(traced.vcpu, 1);
	ck_assert_uint_eq(traced.t[0], LAMINA_HC_event_send);
	ck_assert_uint_eq(traced.t[1], 17);
	ck_assert_int_eq(traced.ret, -LAMINA_EBADF);
}
END_TEST

START_TEST(doorbell_reinjects_pending_upcall)
{
	vinfo.evtchn_upcall_pending = 1;
	hcall_doorbell(&dom->vcpu[1], 3);
	ck_assert_int_eq(upcalls, 1);
	vinfo.evtchn_upcall_mask = 1;                 /* masked: left for the guest */
	hcall_doorbell(&dom->vcpu[1], 3);
	ck_assert_int_eq(upcalls, 1);
}
END_TEST

START_TEST(unknown_number_counted_not_dispatched)
{
	const uint64_t a[5] = { 0 };

	ck_assert_int_eq(hcall_dispatch(&dom->vcpu[1], hc_table_len, a), -LAMINA_ENOSYS);
	ck_assert_int_eq(hcall_dispatch(&dom->vcpu[1], 1ull << 40, a), -LAMINA_ENOSYS);
	ck_assert_int_eq(seen.calls, 0);
	ck_assert_uint_eq(atomic_load(&dom->hc_count[HV_HC_SLOTS - 1]), 1);   /* 2^40 */
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, doorbell_through_table);
	tcase_add_test(tc, doorbell_traced);
	tcase_add_test(tc, doorbell_reinjects_pending_upcall);
	tcase_add_test(tc, unknown_number_counted_not_dispatched);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
