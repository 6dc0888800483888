// SPDX-License-Identifier: MIT
// test_pvclock.c: a TSC read before the time record's stamp must not make the test guests' clock jump centuries ahead.
#include <check.h>
#include <stdint.h>
#include "pvclock_at.h"

#ifndef SUITE_NAME
#define SUITE_NAME "pvclock"
#endif

/* A 2.5 GHz TSC: 0.4 ns per tick is mul 0.8 * 2^32 with shift -1. */
#define MUL 3435973837u
#define SHIFT (-1)
#define STAMP 1000000000000ull   /* TSC at the record's system_time */
#define BASE 5000000000ull       /* 5 s of system time */
#define SECOND_NS 1000000000ull

/* The record's own arithmetic (lamina_pvclock_read) at a given TSC. */
static uint64_t abi_formula(uint64_t tsc)
{
	return BASE + lamina_pvclock_scale(tsc - STAMP, MUL, SHIFT);
}

START_TEST(tsc_after_the_stamp_scales_as_the_abi_says)
{
	uint64_t tsc = STAMP + 2500000000ull;   /* one second of ticks later */
	uint64_t t = rt_pvclock_at(STAMP, BASE, MUL, SHIFT, tsc);

	ck_assert_uint_eq(t, abi_formula(tsc));
	ck_assert_uint_ge(t, BASE + SECOND_NS - 2);
	ck_assert_uint_le(t, BASE + SECOND_NS + 2);
}
END_TEST

/* The hazard itself: the unsigned difference wraps to a time centuries on,
 * which as a POLL timeout or spin deadline never arrives. */
START_TEST(tsc_before_the_stamp_wraps_in_the_abi_formula)
{
	ck_assert_uint_gt(abi_formula(STAMP - 100), BASE + 100ull * 365 * 24 * 3600 * SECOND_NS);
}
END_TEST

START_TEST(tsc_before_the_stamp_reads_as_the_stamp)
{
	ck_assert_uint_eq(rt_pvclock_at(STAMP, BASE, MUL, SHIFT, STAMP - 100), BASE);
	ck_assert_uint_eq(rt_pvclock_at(STAMP, BASE, MUL, SHIFT, 0), BASE);
	ck_assert_uint_eq(rt_pvclock_at(STAMP, BASE, MUL, SHIFT, STAMP), BASE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *c = tcase_create("record");
	SRunner *r;
	int failed;

	tcase_add_test(c, tsc_after_the_stamp_scales_as_the_abi_says);
	tcase_add_test(c, tsc_before_the_stamp_wraps_in_the_abi_formula);
	tcase_add_test(c, tsc_before_the_stamp_reads_as_the_stamp);
	suite_add_tcase(s, c);
	r = srunner_create(s);
	srunner_run_all(r, CK_ENV);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
