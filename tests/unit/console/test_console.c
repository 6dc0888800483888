// SPDX-License-Identifier: MIT
// test_console.c: Check unit tests of console_io (hc_basic.c) and the console input queue (console.c) against fake guest memory.
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/console.h>
#include <lamina/errno.h>
#include "console.h"
#include "hcall.h"
#include "../fakes.h"

#ifndef SUITE_NAME
#define SUITE_NAME "console"
#endif

/* ---- Doubles ---- */
static int kicks;
static void count_kick(struct domain *dd) { (void)dd; kicks++; }

static struct domain *d;
static struct vcpu *v;
static char gbuf[8192] __attribute__((aligned(4096)));   /* "guest" memory */

static void setup(void)
{
	fake_gmem_reset();
	kicks = 0;
	d = calloc(1, sizeof(*d));
	ck_assert_ptr_nonnull(d);
	d->log_fd = -1;
	struct hv_dom_params p = { .console_fd = -1 };
	ck_assert_int_eq(console_init(d, &p), 0);
	v = &d->vcpu[0];
	v->d = d;
	memset(gbuf, 0, sizeof(gbuf));
}

static void teardown(void)
{
	console_free(d);
	free(d);
}

static int64_t con_read(void *buf, uint64_t count)
{
	const uint64_t a[5] = { LAMINA_CONSOLE_READ, count, (uint64_t)(uintptr_t)buf };

	return hc_console_io(v, a);
}

static void queue(const char *s)
{
	ck_assert_int_eq(hv_console_input(d, s, strlen(s)), (int)strlen(s));
}

/* ---- Tests ---- */

START_TEST(read_takes_input_in_order)
{
	ck_assert_int_eq(con_read(gbuf, 16), 0);           /* nothing waiting */
	queue("hello, ");
	queue("world");
	ck_assert_int_eq(con_read(gbuf, 5), 5);
	ck_assert_int_eq(memcmp(gbuf, "hello", 5), 0);
	ck_assert_int_eq(con_read(gbuf, 100), 7);
	ck_assert_int_eq(memcmp(gbuf, ", world", 7), 0);
	ck_assert_int_eq(con_read(gbuf, 100), 0);
}
END_TEST

/* console.h: READ's -EFAULT consumes no input, so the order is kept. */
START_TEST(read_fault_consumes_nothing)
{
	char *buf = gbuf + 4096 - 2;                       /* 2 good bytes, then a bad page */

	fake_gmem.bad_lo = gbuf + 4096;
	fake_gmem.bad_hi = gbuf + 8192;
	queue("abcdefgh");
	ck_assert_int_eq(con_read(buf, 4), -LAMINA_EFAULT);
	ck_assert_int_eq(con_read(buf, 8), -LAMINA_EFAULT);
	ck_assert_int_eq(con_read((void *)16, 4), -LAMINA_EFAULT);   /* first byte bad */
	fake_gmem_reset();
	ck_assert_int_eq(con_read(gbuf, 100), 8);
	ck_assert_int_eq(memcmp(gbuf, "abcdefgh", 8), 0);
}
END_TEST

/* Even with the queue full, a faulting READ loses and reorders nothing. */
START_TEST(read_fault_with_a_full_queue)
{
	static char in[4096], out[4096];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)('a' + i % 26);
	ck_assert_int_eq(hv_console_input(d, in, sizeof(in)), (int)sizeof(in));
	fake_gmem.ro_lo = gbuf + 100;
	fake_gmem.ro_hi = gbuf + 101;
	ck_assert_int_eq(con_read(gbuf, 200), -LAMINA_EFAULT);
	fake_gmem_reset();
	ck_assert_int_eq(con_read(out, sizeof(out)), (int64_t)sizeof(out));
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
}
END_TEST

START_TEST(write_and_errors)
{
	uint64_t a[5] = { LAMINA_CONSOLE_WRITE, 3, (uint64_t)(uintptr_t)"hi\n" };

	ck_assert_int_eq(hc_console_io(v, a), 3);
	a[2] = 16;
	ck_assert_int_eq(hc_console_io(v, a), -LAMINA_EFAULT);
	a[0] = 2;
	ck_assert_int_eq(hc_console_io(v, a), -LAMINA_ENOSYS);
}
END_TEST

/* The input hook (the console back-end's supervisor) hears of queued input,
 * and not of an empty put or once cleared; the length is what waits. */
START_TEST(input_hook)
{
	console_set_input_hook(d, count_kick);
	queue("ab");
	ck_assert_int_eq(kicks, 1);
	ck_assert_uint_eq(console_input_len(d), 2);
	ck_assert_int_eq(hv_console_input(d, "", 0), 0);
	ck_assert_int_eq(kicks, 1);
	console_set_input_hook(d, NULL);
	queue("c");
	ck_assert_int_eq(kicks, 1);
	ck_assert_uint_eq(console_input_len(d), 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create("console_io");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, read_takes_input_in_order);
	tcase_add_test(tc, read_fault_consumes_nothing);
	tcase_add_test(tc, read_fault_with_a_full_queue);
	tcase_add_test(tc, write_and_errors);
	tcase_add_test(tc, input_hook);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
