// SPDX-License-Identifier: MIT
// test_ring.c: unit tests of lamina-console's ring steps (con_ring.c) on a ring page in private memory.
#include <string.h>
#include "test.h"

static struct lamina_console_ring r __attribute__((aligned(4096)));
static uint32_t cons, prod;

static void setup(void)
{
	memset(&r, 0, sizeof(r));
	cons = prod = 0;
}

static void put(const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		r.out[(r.out_prod + i) % OB] = (uint8_t)s[i];
	r.out_prod += n;
}

/* Peeking consumes nothing; commit publishes. A small buffer takes part. */
START_TEST(peek_then_commit)
{
	char buf[OB];
	bool full;

	put("hello", 5);
	ck_assert_int_eq(con_peek_output(&r, cons, buf, sizeof(buf), &full), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert(!full);
	ck_assert_uint_eq(r.out_cons, 0);
	ck_assert_int_eq(con_peek_output(&r, cons, buf, sizeof(buf), &full), 5);   /* again: same */
	con_commit_output(&r, &cons, 5);
	ck_assert_uint_eq(r.out_cons, 5);
	ck_assert_int_eq(con_peek_output(&r, cons, buf, sizeof(buf), &full), 0);
	put("abcdef", 6);
	ck_assert_int_eq(con_peek_output(&r, cons, buf, 4, &full), 4);
	con_commit_output(&r, &cons, 4);
	ck_assert_int_eq(con_peek_output(&r, cons, buf, 4, &full), 2);
	ck_assert_int_eq(memcmp(buf, "ef", 2), 0);
	con_commit_output(&r, &cons, 0);                  /* nothing: not published */
	ck_assert_uint_eq(r.out_cons, 9);
}
END_TEST

START_TEST(full_and_wrapping)
{
	static char big[OB], buf[OB];
	bool full;

	/* indices just below 2^32, so they wrap during the copy */
	r.out_prod = r.out_cons = cons = 0xfffffff0u;
	for (uint32_t i = 0; i < OB; i++)
		big[i] = (char)('a' + i % 26);
	put(big, OB);
	ck_assert_int_eq(con_peek_output(&r, cons, buf, sizeof(buf), &full), (int)OB);
	ck_assert(full);
	ck_assert_int_eq(memcmp(buf, big, OB), 0);
	con_commit_output(&r, &cons, OB);
	ck_assert_uint_eq(r.out_cons, 0xfffffff0u + OB);
}
END_TEST

START_TEST(corrupt_producer)
{
	char buf[OB];
	bool full;

	r.out_prod = OB + 1;                              /* past the ring */
	ck_assert_int_eq(con_peek_output(&r, cons, buf, sizeof(buf), &full), -1);
	r.out_prod = 0xffffffffu;                         /* behind the consumer */
	ck_assert_int_eq(con_peek_output(&r, cons, buf, sizeof(buf), &full), -1);
	ck_assert_uint_eq(r.out_cons, 0);
}
END_TEST

START_TEST(input_steps)
{
	static char big[IB + 10];

	ck_assert_int_eq(con_input_room(&r, prod), (int)IB);
	con_put_input(&r, &prod, "xyz", 3);
	ck_assert_uint_eq(r.in_prod, 3);
	ck_assert_int_eq(memcmp(r.in, "xyz", 3), 0);
	ck_assert_int_eq(con_input_room(&r, prod), (int)IB - 3);
	r.in_cons = 3;
	memset(big, 'q', sizeof(big));
	con_put_input(&r, &prod, big, IB);                /* wraps */
	ck_assert_uint_eq(r.in[2], 'q');
	ck_assert_int_eq(con_input_room(&r, prod), 0);
	r.in_cons = prod + 1;                             /* ahead of what we produced */
	ck_assert_int_eq(con_input_room(&r, prod), -1);
	r.in_cons = prod - IB - 1;
	ck_assert_int_eq(con_input_room(&r, prod), -1);
}
END_TEST

Suite *ring_suite(void)
{
	Suite *s = suite_create("ring" SUFFIX);
	TCase *tc = tcase_create("ring" SUFFIX);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, peek_then_commit);
	tcase_add_test(tc, full_and_wrapping);
	tcase_add_test(tc, corrupt_producer);
	tcase_add_test(tc, input_steps);
	suite_add_tcase(s, tc);
	return s;
}
