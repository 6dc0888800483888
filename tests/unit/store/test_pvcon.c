// SPDX-License-Identifier: MIT
// test_pvcon.c: unit tests of the PV console back-end's ring steps and service round against a fake ring page.
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "doubles.h"
#include "pvconsole.h"
#include "test.h"

#ifndef SUFFIX
#define SUFFIX ""
#endif

#define OB LAMINA_CONSOLE_OUT_BYTES
#define IB LAMINA_CONSOLE_IN_BYTES

static struct lamina_console_ring ring __attribute__((aligned(4096)));
static struct domain dom;
static struct pvcon_state st;

static void setup(void)
{
	memset(&ring, 0, sizeof(ring));
	memset(&dom, 0, sizeof(dom));
	dom.id = 3;
	dom.console_page = &ring;
	st = (struct pvcon_state){ .port = 7 };
	dbl_reset();
}

/* Guest side: write output bytes and publish them. */
static void gwrite(const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		ring.out[(ring.out_prod + i) % OB] = (uint8_t)s[i];
	ring.out_prod += n;
}

START_TEST(out_basic)
{
	char buf[OB];
	bool full;

	gwrite("hello", 5);
	ck_assert_int_eq(pvcon_take_output(&ring, &st.out_cons, buf, sizeof(buf), &full), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert(!full);
	ck_assert_uint_eq(ring.out_cons, 5);
	ck_assert_int_eq(pvcon_take_output(&ring, &st.out_cons, buf, sizeof(buf), &full), 0);
	/* a small buffer takes part, the rest stays */
	gwrite("abcdef", 6);
	ck_assert_int_eq(pvcon_take_output(&ring, &st.out_cons, buf, 4, &full), 4);
	ck_assert_int_eq(pvcon_take_output(&ring, &st.out_cons, buf, 4, &full), 2);
	ck_assert_int_eq(memcmp(buf, "ef", 2), 0);
}
END_TEST

START_TEST(out_full_and_wrap)
{
	static char big[OB], buf[OB];
	bool full;

	/* indices just below 2^32, so they wrap during the copy */
	ring.out_prod = ring.out_cons = st.out_cons = 0xfffffff0u;
	for (uint32_t i = 0; i < OB; i++)
		big[i] = (char)('a' + i % 26);
	gwrite(big, OB);
	ck_assert_int_eq(pvcon_take_output(&ring, &st.out_cons, buf, sizeof(buf), &full), (int)OB);
	ck_assert(full);
	ck_assert_int_eq(memcmp(buf, big, OB), 0);
	ck_assert_uint_eq(ring.out_cons, 0xfffffff0u + OB);
}
END_TEST

START_TEST(out_corrupt)
{
	char buf[OB];
	bool full;

	ring.out_prod = OB + 1;                          /* past the ring */
	ck_assert_int_eq(pvcon_take_output(&ring, &st.out_cons, buf, sizeof(buf), &full), -LAMINA_EIO);
	ck_assert_uint_eq(ring.out_cons, 0);
	ring.out_prod = 0xffffffffu;                     /* behind the consumer */
	ck_assert_int_eq(pvcon_take_output(&ring, &st.out_cons, buf, sizeof(buf), &full), -LAMINA_EIO);
}
END_TEST

START_TEST(in_steps)
{
	static char big[IB + 10];

	ck_assert_int_eq(pvcon_input_room(&ring, st.in_prod), (int)IB);
	pvcon_put_input(&ring, &st.in_prod, "xyz", 3);
	ck_assert_uint_eq(ring.in_prod, 3);
	ck_assert_int_eq(memcmp(ring.in, "xyz", 3), 0);
	ck_assert_int_eq(pvcon_input_room(&ring, st.in_prod), (int)IB - 3);
	ring.in_cons = 3;
	memset(big, 'q', sizeof(big));
	pvcon_put_input(&ring, &st.in_prod, big, IB);     /* wraps */
	ck_assert_uint_eq(ring.in[2], 'q');
	ck_assert_int_eq(pvcon_input_room(&ring, st.in_prod), 0);
	ring.in_cons = st.in_prod + 1;                   /* ahead of what we produced */
	ck_assert_int_eq(pvcon_input_room(&ring, st.in_prod), -LAMINA_EIO);
	ring.in_cons = st.in_prod - IB - 1;
	ck_assert_int_eq(pvcon_input_room(&ring, st.in_prod), -LAMINA_EIO);
}
END_TEST

START_TEST(service_round)
{
	static char big[OB];

	gwrite("line\n", 5);
	pvcon_service(&dom, &st, false);
	ck_assert_uint_eq(dbl_out_len, 5);
	ck_assert_int_eq(memcmp(dbl_out, "line\n", 5), 0);
	ck_assert_int_eq(dbl_notified, 0);               /* the ring was not full */
	memset(big, 'b', sizeof(big));
	gwrite(big, OB);                                  /* full: the guest may wait */
	pvcon_service(&dom, &st, false);
	ck_assert_uint_eq(dbl_out_len, 5 + OB);
	ck_assert_int_eq(dbl_notified, 1);
	ck_assert_uint_eq(dbl_notified_port, 7);
	/* input goes to the ring only when asked to, and notifies */
	memcpy(dbl_in, "keys", 4);
	dbl_in_len = 4;
	pvcon_service(&dom, &st, false);
	ck_assert_uint_eq(dbl_in_len, 4);
	pvcon_service(&dom, &st, true);
	ck_assert_uint_eq(dbl_in_len, 0);
	ck_assert_uint_eq(ring.in_prod, 4);
	ck_assert_int_eq(memcmp(ring.in, "keys", 4), 0);
	ck_assert_int_eq(dbl_notified, 2);
	/* more input than room: the rest waits for the guest to consume */
	memset(dbl_in, 'k', IB);
	dbl_in_len = IB;
	pvcon_service(&dom, &st, true);
	ck_assert_uint_eq(dbl_in_len, 4);
	ring.in_cons = 8;
	pvcon_service(&dom, &st, true);
	ck_assert_uint_eq(dbl_in_len, 0);
	ck_assert_uint_eq(ring.in_prod, IB + 4);
}
END_TEST

/* A guest that keeps writing: each copy out finds the ring refilled. */
static void refill(void)
{
	static char more[OB];

	memset(more, 'r', sizeof(more));
	gwrite(more, OB - (ring.out_prod - ring.out_cons));
}

START_TEST(service_budget)
{
	dbl_on_output = refill;
	refill();
	ck_assert(pvcon_service(&dom, &st, false));      /* a round ends; output is left */
	ck_assert_uint_eq(dbl_out_len, 4 * OB);
	dbl_on_output = NULL;                             /* the guest stops writing */
	ck_assert(!pvcon_service(&dom, &st, false));
	ck_assert_uint_eq(dbl_out_len, 5 * OB);
	ck_assert_uint_eq(ring.out_cons, ring.out_prod);
}
END_TEST

START_TEST(service_corrupt)
{
	ring.out_prod = 5000;
	pvcon_service(&dom, &st, true);
	ck_assert(st.dead);
	ck_assert_int_eq(dbl_logged, 1);
	ck_assert_ptr_nonnull(strstr(dbl_log, "out_prod"));
	ck_assert_uint_eq(dbl_out_len, 0);
	ck_assert_int_eq(dbl_notified, 0);
	/* a dead ring is left alone, and logged once */
	ring.out_prod = 3;
	memcpy(dbl_in, "x", 1);
	dbl_in_len = 1;
	pvcon_service(&dom, &st, true);
	ck_assert_uint_eq(dbl_out_len, 0);
	ck_assert_uint_eq(dbl_in_len, 1);
	ck_assert_uint_eq(ring.out_cons, 0);
	ck_assert_int_eq(dbl_logged, 1);
	/* a corrupt input consumer also ends it */
	setup();
	ring.in_cons = 77;
	pvcon_service(&dom, &st, true);
	ck_assert(st.dead);
	ck_assert_ptr_nonnull(strstr(dbl_log, "in_cons"));
}
END_TEST

/* The back-end thread: a guest event moves output, a kick moves input. */
START_TEST(thread_glue)
{
	static struct lamina_shared_info si;
	uint64_t one = 1;

	memset(&si, 0, sizeof(si));
	dom.shinfo = (uint8_t *)&si;
	pthread_mutex_init(&dom.lock, NULL);
	ck_assert_int_eq(pvconsole_init(&dom), 0);
	ck_assert_uint_eq(si.console_port, 5);
	gwrite("via the thread\n", 15);
	ck_assert_int_eq(write(dbl_efd, &one, 8), 8);
	for (int i = 0; i < 2000 && __atomic_load_n(&dbl_out_len, __ATOMIC_ACQUIRE) < 15; i++)
		usleep(1000);
	ck_assert_uint_eq(__atomic_load_n(&dbl_out_len, __ATOMIC_ACQUIRE), 15);
	ck_assert_int_eq(memcmp(dbl_out, "via the thread\n", 15), 0);
	/* input waits until the guest has mapped the ring */
	memcpy(dbl_in, "ab", 2);
	dbl_in_len = 2;
	pvconsole_kick(&dom);
	usleep(50000);
	ck_assert_uint_eq(__atomic_load_n(&ring.in_prod, __ATOMIC_ACQUIRE), 0);
	pthread_mutex_lock(&dom.lock);
	dom.pm[3] = (struct physmap_ent){ .used = true, .gfn = 0xf0002, .host = &ring };
	pthread_mutex_unlock(&dom.lock);
	pvconsole_kick(&dom);
	for (int i = 0; i < 2000 && __atomic_load_n(&ring.in_prod, __ATOMIC_ACQUIRE) < 2; i++)
		usleep(1000);
	ck_assert_uint_eq(__atomic_load_n(&ring.in_prod, __ATOMIC_ACQUIRE), 2);
	ck_assert_int_eq(memcmp(ring.in, "ab", 2), 0);
	/* output written just before destruction is still taken */
	gwrite("last\n", 5);
	pvconsole_free(&dom);
	ck_assert_uint_eq(dbl_out_len, 20);
	ck_assert_int_eq(dbl_efd, -1);
	pvconsole_free(&dom);                            /* twice: nothing */
}
END_TEST

Suite *pvcon_suite(void)
{
	Suite *s = suite_create("pvcon" SUFFIX);
	TCase *tc = tcase_create("pvcon" SUFFIX);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, out_basic);
	tcase_add_test(tc, out_full_and_wrap);
	tcase_add_test(tc, out_corrupt);
	tcase_add_test(tc, in_steps);
	tcase_add_test(tc, service_round);
	tcase_add_test(tc, service_budget);
	tcase_add_test(tc, service_corrupt);
	tcase_add_test(tc, thread_glue);
	suite_add_tcase(s, tc);
	return s;
}
