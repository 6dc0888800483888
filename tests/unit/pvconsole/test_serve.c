// SPDX-License-Identifier: MIT
// test_serve.c: unit tests of lamina-console's service (con_serve.c): output sent before it is consumed, the round budget, input pulls, the link's rules, a corrupt ring.
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "test.h"

/* Receive one message from the fake hypervisor and handle it: con_handle's result. */
static int deliver(void)
{
	struct conlink_msg m;
	int fds[3];
	unsigned nfds;
	int n = con_recv(c.link, &m, fds, &nfds);

	ck_assert_int_gt(n, 0);
	return con_handle(&c, &m, (uint32_t)n - 1, fds, nfds);
}

static void send_input(const char *s, uint32_t n, uint32_t more)
{
	char buf[IB + 4];

	memcpy(buf, s, n);
	memcpy(buf + n, &more, 4);
	hv_send(CL_INPUT, buf, n + 4);
}

START_TEST(output_goes_to_the_hypervisor)
{
	static char big[OB];
	char buf[CONLINK_DATA_MAX];
	uint32_t n;

	gwrite("line\n", 5);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), CL_OUTPUT);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(buf, "line\n", 5), 0);
	ck_assert_uint_eq(ring.out_cons, 5);
	ck_assert_uint_eq(kicks(), 0);                    /* the ring was not full */
	memset(big, 'b', sizeof(big));
	gwrite(big, OB);                                   /* full: the guest may wait for room */
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), CL_OUTPUT);
	ck_assert_uint_eq(n, OB);
	ck_assert_uint_eq(kicks(), 1);
	ck_assert_int_eq(hv_take(buf, &n), -1);
}
END_TEST

/* Output the hypervisor did not get stays in the ring. */
START_TEST(unsent_output_is_not_consumed)
{
	close(hv);
	hv = -1;
	gwrite("kept\n", 5);
	ck_assert_int_lt(con_round(&c), 0);
	ck_assert_uint_eq(ring.out_cons, 0);
	ck_assert_uint_eq(c.out_cons, 0);
}
END_TEST

/* A guest that keeps writing cannot hold the loop: a round ends after its
 * budget (lowered here to 300 bytes) and says output is left. */
START_TEST(a_round_has_a_budget)
{
	static char big[OB];
	char buf[CONLINK_DATA_MAX];
	uint32_t n, total = 0;

	memset(big, 'r', sizeof(big));
	gwrite(big, 1000);
	c.budget = 300;
	ck_assert_int_eq(con_round(&c), 1);
	while (hv_take(buf, &n) == CL_OUTPUT)
		total += n;
	ck_assert_uint_eq(total, 300);
	ck_assert_uint_eq(ring.out_cons, 300);
	ck_assert_int_eq(con_round(&c), 1);
	ck_assert_int_eq(con_round(&c), 1);
	ck_assert_int_eq(con_round(&c), 0);                /* the last 100: all taken */
	ck_assert_uint_eq(ring.out_cons, 1000);
	c.budget = 0;                                      /* the real one: four rings */
	for (int i = 0; i < 5; i++) {
		gwrite(big, OB);
		ck_assert_int_eq(con_round(&c), 0);
	}
	ck_assert_uint_eq(CON_ROUND_BUDGET, 4 * OB);
}
END_TEST

START_TEST(input_is_pulled_and_put)
{
	char buf[64];
	uint32_t n;
	struct conlink_pull p;

	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), -1);            /* no input said to wait: no pull */
	hv_send(CL_AVAIL, NULL, 0);
	ck_assert_int_eq(deliver(), 0);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), CL_PULL);
	ck_assert_uint_eq(n, sizeof(p));
	memcpy(&p, buf, sizeof(p));
	ck_assert_uint_eq(p.max, IB);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), -1);            /* one pull at a time */
	send_input("keys", 4, 0);
	ck_assert_int_eq(deliver(), 0);
	ck_assert_uint_eq(ring.in_prod, 4);
	ck_assert_int_eq(memcmp(ring.in, "keys", 4), 0);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_uint_eq(kicks(), 1);
	ck_assert_int_eq(hv_take(buf, &n), -1);            /* "no more": no pull */
	/* room limits a pull; a full ring waits for the guest */
	hv_send(CL_AVAIL, NULL, 0);
	ck_assert_int_eq(deliver(), 0);
	ring.in_cons = 0;
	c.in_prod = ring.in_prod = IB;                     /* full */
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), -1);
	ring.in_cons = 10;                                 /* room for 10 */
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), CL_PULL);
	memcpy(&p, buf, sizeof(p));
	ck_assert_uint_eq(p.max, 10);
}
END_TEST

/* more = 2: input waits for a ring the guest has not mapped; ask after its next event. */
START_TEST(input_after_the_guests_event)
{
	char buf[64];
	uint32_t n;

	hv_send(CL_AVAIL, NULL, 0);
	ck_assert_int_eq(deliver(), 0);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), CL_PULL);
	send_input("", 0, 2);
	ck_assert_int_eq(deliver(), 0);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), -1);
	con_guest_event(&c);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), CL_PULL);
}
END_TEST

START_TEST(link_rules)
{
	char buf[64];
	uint32_t n;

	send_input("x", 1, 0);                             /* not asked for */
	ck_assert_int_eq(deliver(), -EPROTO);
	hv_send(CL_AVAIL, "x", 1);                         /* data where none belongs */
	ck_assert_int_eq(deliver(), -EPROTO);
	hv_send(CL_SETUP, "12345678", 8);                  /* setup again */
	ck_assert_int_eq(deliver(), -EPROTO);
	hv_send(99, NULL, 0);                              /* unknown */
	ck_assert_int_eq(deliver(), -EPROTO);
	hv_send(CL_AVAIL, NULL, 0);
	ck_assert_int_eq(deliver(), 0);
	ring.in_cons = 0;
	c.in_prod = ring.in_prod = IB - 2;                 /* room for 2 */
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), CL_PULL);
	send_input("abc", 3, 0);                           /* more than asked for */
	ck_assert_int_eq(deliver(), -EPROTO);
	send_input("ab", 2, 3);                            /* a bad "more" */
	ck_assert_int_eq(deliver(), -EPROTO);
	ck_assert_uint_eq(ring.in_prod, IB - 2);           /* nothing was put */
	hv_send(CL_STOP, NULL, 0);
	ck_assert_int_eq(deliver(), 0);
	ck_assert(c.stopping);
}
END_TEST

START_TEST(a_corrupt_ring_is_dropped)
{
	char buf[CONLINK_DATA_MAX];
	uint32_t n;

	ring.out_prod = 5000;
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert(c.dead);
	ck_assert_int_eq(hv_take(buf, &n), CL_LOG);
	buf[n] = 0;
	ck_assert_ptr_nonnull(strstr(buf, "corrupted its console ring (out_prod)"));
	ring.out_prod = 3;                                 /* a dead ring is left alone */
	hv_send(CL_AVAIL, NULL, 0);
	ck_assert_int_eq(deliver(), 0);
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert_int_eq(hv_take(buf, &n), -1);
	ck_assert_uint_eq(ring.out_cons, 0);
	ck_assert_uint_eq(kicks(), 0);
	/* a corrupt input consumer ends it too */
	fake_teardown();
	fake_setup();
	ring.in_cons = 77;
	c.input_waits = true;
	ck_assert_int_eq(con_round(&c), 0);
	ck_assert(c.dead);
	ck_assert_int_eq(hv_take(buf, &n), CL_LOG);
	buf[n] = 0;
	ck_assert_ptr_nonnull(strstr(buf, "(in_cons)"));
}
END_TEST

Suite *serve_suite(void)
{
	Suite *s = suite_create("serve" SUFFIX);
	TCase *tc = tcase_create("serve" SUFFIX);

	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_add_test(tc, output_goes_to_the_hypervisor);
	tcase_add_test(tc, unsent_output_is_not_consumed);
	tcase_add_test(tc, a_round_has_a_budget);
	tcase_add_test(tc, input_is_pulled_and_put);
	tcase_add_test(tc, input_after_the_guests_event);
	tcase_add_test(tc, link_rules);
	tcase_add_test(tc, a_corrupt_ring_is_dropped);
	suite_add_tcase(s, tc);
	return s;
}
