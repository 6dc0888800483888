// SPDX-License-Identifier: MIT
// test_pvclock.c: the ABI's PV-clock readers (abi/lamina/shared_info.h): scaling, a TSC before the stamp, monotonic reads.
#include <check.h>
#include <stdint.h>
#include <lamina/shared_info.h>

#ifndef SUITE_NAME
#define SUITE_NAME "pvclock"
#endif

/* A 2.5 GHz TSC: 0.4 ns per tick is mul 0.8 * 2^32 with shift -1. */
#define MUL 3435973837u
#define SHIFT (-1)
#define BASE 5000000000ull       /* 5 s of system time */
#define SECOND_NS 1000000000ull
#define TICKS_PER_S 2500000000ull
#define YEAR_NS (365ull * 24 * 3600 * SECOND_NS)

static struct lamina_vcpu_time_info rec(uint64_t stamp, uint8_t flags)
{
	return (struct lamina_vcpu_time_info){ .version = 2, .tsc_timestamp = stamp,
		.system_time = BASE, .tsc_to_system_mul = MUL, .tsc_shift = SHIFT, .flags = flags };
}

START_TEST(scale_is_exact_for_one_second)
{
	uint64_t ns = lamina_pvclock_scale(TICKS_PER_S, MUL, SHIFT);

	ck_assert_uint_ge(ns, SECOND_NS - 2);
	ck_assert_uint_le(ns, SECOND_NS + 2);
}
END_TEST

/* A record stamped one second of ticks ago reads as BASE + about 1 s. */
START_TEST(a_tsc_after_the_stamp_adds_its_time)
{
	struct lamina_vcpu_time_info t = rec(lamina_rdtsc() - TICKS_PER_S, 0);
	uint64_t now = lamina_pvclock_read(&t);

	ck_assert_uint_ge(now, BASE + SECOND_NS - SECOND_NS / 10);
	ck_assert_uint_le(now, BASE + 2 * SECOND_NS);   /* this host's TSC is not 2.5 GHz */
}
END_TEST

/* A record stamped ahead of this CPU's TSC (written where the TSC ran
 * ahead): the reading is the record's own time, not centuries on. */
START_TEST(a_tsc_before_the_stamp_reads_as_the_stamp)
{
	struct lamina_vcpu_time_info t = rec(lamina_rdtsc() + 1000 * TICKS_PER_S, 0);

	ck_assert_uint_eq(lamina_pvclock_read(&t), BASE);
	ck_assert_uint_lt(lamina_pvclock_read(&t), BASE + YEAR_NS);
}
END_TEST

/* Without TSC_STABLE a reading never falls below the largest so far. */
START_TEST(mono_keeps_the_largest_reading_without_stable)
{
	struct lamina_vcpu_time_info ahead = rec(lamina_rdtsc() - TICKS_PER_S, 0);
	struct lamina_vcpu_time_info behind = rec(lamina_rdtsc() + 1000 * TICKS_PER_S, 0);
	uint64_t last = 0, first = lamina_pvclock_read_mono(&ahead, &last);

	ck_assert_uint_gt(first, BASE);
	ck_assert_uint_eq(lamina_pvclock_read_mono(&behind, &last), first);
	ck_assert_uint_eq(last, first);
}
END_TEST

/* With TSC_STABLE each record is read as it is. */
START_TEST(mono_reads_a_stable_record_as_it_is)
{
	struct lamina_vcpu_time_info behind = rec(lamina_rdtsc() + 1000 * TICKS_PER_S,
						  LAMINA_PVCLOCK_TSC_STABLE);
	uint64_t last = BASE + YEAR_NS;

	ck_assert_uint_eq(lamina_pvclock_read_mono(&behind, &last), BASE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *c = tcase_create("record");
	SRunner *r;
	int failed;

	tcase_add_test(c, scale_is_exact_for_one_second);
	tcase_add_test(c, a_tsc_after_the_stamp_adds_its_time);
	tcase_add_test(c, a_tsc_before_the_stamp_reads_as_the_stamp);
	tcase_add_test(c, mono_keeps_the_largest_reading_without_stable);
	tcase_add_test(c, mono_reads_a_stable_record_as_it_is);
	suite_add_tcase(s, c);
	r = srunner_create(s);
	srunner_run_all(r, CK_ENV);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
