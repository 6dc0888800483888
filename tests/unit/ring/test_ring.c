/* SPDX-License-Identifier: MIT */
/* Unit tests for the shared ring macros in abi/lamina/ring.h (Check). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <lamina/ring.h>
#include <lamina/io/blkif.h>
#include <lamina/io/netif.h>

#ifndef SUITE_NAME
#define SUITE_NAME "ring"
#endif

struct t_req {
	lamina_u64 id;
	lamina_u32 len;
	lamina_u32 pad;
};
struct t_rsp {
	lamina_u64 id;
	lamina_s32 status;
	lamina_u32 pad;
};
LAMINA_RING_DEFINE(t, struct t_req, struct t_rsp);

#define PAGE 4096u
/* 4096 - 64 header bytes, 16-byte slots: 252 fit, rounded down to 128. */
#define NR 128u

struct pair {
	struct t_sring *s;
	struct t_front f;
	struct t_back b;
};

static struct pair mk(lamina_u32 bytes, lamina_u32 start)
{
	struct pair p;

	p.s = aligned_alloc(PAGE, bytes);
	ck_assert_ptr_nonnull(p.s);
	memset(p.s, 0xa5, bytes); /* the ring must not rely on zeroed slots */
	t_sring_init(p.s);
	t_front_init(&p.f, p.s, bytes);
	t_back_init(&p.b, p.s, bytes);
	/* Start every index at 'start' to exercise wraparound. */
	p.s->hdr.req_prod = p.s->hdr.rsp_prod = start;
	p.s->hdr.req_event = p.s->hdr.rsp_event = start + 1;
	p.f.req_prod_pvt = p.f.rsp_cons = start;
	p.b.req_cons = p.b.rsp_prod_pvt = start;
	return p;
}

static void put_req(struct pair *p, lamina_u64 id)
{
	struct t_req *r = t_next_request(&p->f);

	ck_assert_ptr_nonnull(r);
	r->id = id;
	r->len = (lamina_u32)id * 2;
	r->pad = 0;
}

static void put_rsp(struct pair *p, lamina_u64 id, lamina_s32 st)
{
	struct t_rsp *r = t_next_response(&p->b);

	ck_assert_ptr_nonnull(r);
	r->id = id;
	r->status = st;
	r->pad = 0;
}

START_TEST(sizes)
{
	ck_assert_uint_eq(sizeof(union t_slot), 16);
	ck_assert_uint_eq(LAMINA_RING_SIZE(union t_slot, PAGE), NR);
	ck_assert_uint_eq(lamina_ring_entries(PAGE, sizeof(union t_slot)), NR);
	ck_assert_uint_eq(lamina_ring_entries(2 * PAGE, sizeof(union t_slot)), 2 * NR);
	ck_assert_uint_eq(lamina_ring_entries(64, 16), 0);
	ck_assert_uint_eq(lamina_ring_entries(64 + 16, 16), 1);
	ck_assert_uint_eq(LAMINA_POW2_FLOOR(1u), 1);
	ck_assert_uint_eq(LAMINA_POW2_FLOOR(255u), 128);
	ck_assert_uint_eq(LAMINA_POW2_FLOOR(256u), 256);
	ck_assert_uint_eq(LAMINA_BLKIF_RING_SIZE, 32);
	ck_assert_uint_eq(LAMINA_NETIF_TX_RING_SIZE, 256);
	ck_assert_uint_eq(LAMINA_NETIF_RX_RING_SIZE, 256);
	/* the compile-time and run-time sizes agree for every protocol */
	ck_assert_uint_eq(lamina_ring_entries(PAGE, sizeof(union lamina_blkif_slot)),
			  LAMINA_BLKIF_RING_SIZE);
	for (lamina_u32 n = 65; n < 3 * PAGE; n += 7)
		for (lamina_u32 sz = 1; sz <= 64; sz *= 2)
			ck_assert_uint_eq(lamina_ring_entries(n, sz),
					  LAMINA_POW2_FLOOR((n - 64) / sz));
}
END_TEST

START_TEST(push_consume)
{
	struct pair p = mk(PAGE, 0);
	struct t_req rq;
	struct t_rsp rs;

	ck_assert_int_eq(t_pending_requests(&p.b), 0);
	ck_assert_int_eq(t_take_request(&p.b, &rq), 0);
	ck_assert_ptr_null(t_next_response(&p.b)); /* nothing to answer yet */

	for (lamina_u64 i = 1; i <= 3; i++)
		put_req(&p, i);
	ck_assert_uint_eq(t_free_requests(&p.f), NR - 3);
	/* not visible before the push */
	ck_assert_int_eq(t_pending_requests(&p.b), 0);
	t_push_requests(&p.f);
	ck_assert_uint_eq(p.s->hdr.req_prod, 3);
	ck_assert_int_eq(t_pending_requests(&p.b), 3);

	for (lamina_u64 i = 1; i <= 3; i++) {
		ck_assert_int_eq(t_take_request(&p.b, &rq), 1);
		ck_assert_uint_eq(rq.id, i);
		ck_assert_uint_eq(rq.len, i * 2);
		put_rsp(&p, rq.id, (lamina_s32)i * 10);
	}
	ck_assert_int_eq(t_take_request(&p.b, &rq), 0);
	ck_assert_ptr_null(t_next_response(&p.b));
	ck_assert_int_eq(t_pending_responses(&p.f), 0);
	t_push_responses(&p.b);
	ck_assert_int_eq(t_pending_responses(&p.f), 3);
	for (lamina_u64 i = 1; i <= 3; i++) {
		ck_assert_int_eq(t_take_response(&p.f, &rs), 1);
		ck_assert_uint_eq(rs.id, i);
		ck_assert_int_eq(rs.status, (lamina_s32)i * 10);
	}
	ck_assert_int_eq(t_take_response(&p.f, &rs), 0);
	ck_assert_uint_eq(t_free_requests(&p.f), NR);
	free(p.s);
}
END_TEST

START_TEST(full_ring)
{
	struct pair p = mk(PAGE, 0);
	struct t_req rq;

	for (lamina_u64 i = 0; i < NR; i++)
		put_req(&p, i);
	ck_assert_uint_eq(t_free_requests(&p.f), 0);
	ck_assert_ptr_null(t_next_request(&p.f));
	t_push_requests(&p.f);
	ck_assert_int_eq(t_pending_requests(&p.b), (int)NR); /* exactly full is legal */
	ck_assert_int_eq(t_take_request(&p.b, &rq), 1);
	put_rsp(&p, rq.id, 0);
	t_push_responses(&p.b);
	/* a slot is free only once the front consumed its response */
	ck_assert_ptr_null(t_next_request(&p.f));
	ck_assert_int_eq(t_take_response(&p.f, &(struct t_rsp){0}), 1);
	ck_assert_uint_eq(t_free_requests(&p.f), 1);
	ck_assert_ptr_nonnull(t_next_request(&p.f));
	free(p.s);
}
END_TEST

START_TEST(notify_only_when_asked)
{
	struct pair p = mk(PAGE, 0);
	struct t_req rq;

	/* Initially req_event = 1: the back asked to hear about the first request. */
	put_req(&p, 1);
	ck_assert_int_eq(t_push_requests(&p.f), 1);
	/* The back has not re-armed: further pushes need no event. */
	put_req(&p, 2);
	ck_assert_int_eq(t_push_requests(&p.f), 0);
	put_req(&p, 3);
	put_req(&p, 4);
	ck_assert_int_eq(t_push_requests(&p.f), 0);
	/* An empty push never notifies. */
	ck_assert_int_eq(t_push_requests(&p.f), 0);

	/* The back drains, then arms before sleeping. */
	while (t_take_request(&p.b, &rq) == 1)
		;
	ck_assert_int_eq(t_final_check_requests(&p.b), 0);
	ck_assert_uint_eq(p.s->hdr.req_event, 5);
	put_req(&p, 5);
	put_req(&p, 6);
	ck_assert_int_eq(t_push_requests(&p.f), 1); /* 5 is in (4, 6] */

	/* final_check with work pending does not arm and reports it. */
	ck_assert_int_eq(t_final_check_requests(&p.b), 2);
	ck_assert_uint_eq(p.s->hdr.req_event, 5);

	/* A peer asking for a later index is notified only when it is reached. */
	p.s->hdr.req_event = 9;
	put_req(&p, 7);
	ck_assert_int_eq(t_push_requests(&p.f), 0); /* prod 7 */
	put_req(&p, 8);
	ck_assert_int_eq(t_push_requests(&p.f), 0); /* prod 8 */
	put_req(&p, 9);
	ck_assert_int_eq(t_push_requests(&p.f), 1); /* prod 9 reaches it */

	/* Same rule for responses. rsp_event starts at 1. */
	while (t_take_request(&p.b, &rq) == 1)
		;
	put_rsp(&p, 1, 0);
	ck_assert_int_eq(t_push_responses(&p.b), 1);
	put_rsp(&p, 2, 0);
	ck_assert_int_eq(t_push_responses(&p.b), 0);
	ck_assert_int_eq(t_final_check_responses(&p.f), 2);
	while (t_take_response(&p.f, &(struct t_rsp){0}) == 1)
		;
	ck_assert_int_eq(t_final_check_responses(&p.f), 0);
	ck_assert_uint_eq(p.s->hdr.rsp_event, 3);
	put_rsp(&p, 3, 0);
	ck_assert_int_eq(t_push_responses(&p.b), 1);
	free(p.s);
}
END_TEST

START_TEST(overrun_requests)
{
	struct pair p = mk(PAGE, 0);
	struct t_req rq;

	/* A hostile front claims more requests than the ring holds. */
	p.s->hdr.req_prod = NR + 1;
	ck_assert_int_eq(t_pending_requests(&p.b), -LAMINA_EIO);
	ck_assert_int_eq(t_take_request(&p.b, &rq), -LAMINA_EIO);
	ck_assert_int_eq(t_final_check_requests(&p.b), -LAMINA_EIO);
	ck_assert_uint_eq(p.b.req_cons, 0); /* nothing consumed */
	/* A producer index behind the consumer is a huge count: also refused. */
	p.s->hdr.req_prod = 0xffffffffu;
	ck_assert_int_eq(t_pending_requests(&p.b), -LAMINA_EIO);

	/* Legal: NR published. Then with 5 taken but unanswered, only NR - 5 more. */
	p.s->hdr.req_prod = NR;
	ck_assert_int_eq(t_pending_requests(&p.b), (int)NR);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(t_take_request(&p.b, &rq), 1);
	ck_assert_int_eq(t_pending_requests(&p.b), (int)NR - 5);
	p.s->hdr.req_prod = NR + 1; /* would reuse a slot still awaiting its response */
	ck_assert_int_eq(t_pending_requests(&p.b), -LAMINA_EIO);
	free(p.s);
}
END_TEST

START_TEST(overrun_responses)
{
	struct pair p = mk(PAGE, 0);
	struct t_rsp rs;

	/* No request outstanding: any response is bogus. */
	p.s->hdr.rsp_prod = 1;
	ck_assert_int_eq(t_pending_responses(&p.f), -LAMINA_EIO);
	ck_assert_int_eq(t_take_response(&p.f, &rs), -LAMINA_EIO);

	put_req(&p, 1);
	put_req(&p, 2);
	t_push_requests(&p.f);
	p.s->hdr.rsp_prod = 2;
	ck_assert_int_eq(t_pending_responses(&p.f), 2);
	p.s->hdr.rsp_prod = 3;
	ck_assert_int_eq(t_pending_responses(&p.f), -LAMINA_EIO);
	p.s->hdr.rsp_prod = NR + 1;
	ck_assert_int_eq(t_pending_responses(&p.f), -LAMINA_EIO);
	ck_assert_int_eq(t_final_check_responses(&p.f), -LAMINA_EIO);
	free(p.s);
}
END_TEST

START_TEST(wraparound)
{
	const lamina_u32 start = 0xffffffffu - 40; /* 2^32 - 41 */
	struct pair p = mk(PAGE, start);
	struct t_req rq;
	struct t_rsp rs;
	lamina_u64 next_id = 0, want_req = 0, want_rsp = 0;

	/* Run 3 * NR round trips in bursts, crossing 2^32 on the way. */
	for (int round = 0; round < 30; round++) {
		int burst = 1 + (round * 7) % 13;

		for (int i = 0; i < burst; i++)
			put_req(&p, next_id++);
		t_push_requests(&p.f);
		ck_assert_int_eq(t_pending_requests(&p.b), burst);
		while (t_take_request(&p.b, &rq) == 1) {
			ck_assert_uint_eq(rq.id, want_req++);
			put_rsp(&p, rq.id, 0);
		}
		t_push_responses(&p.b);
		ck_assert_int_eq(t_pending_responses(&p.f), burst);
		while (t_take_response(&p.f, &rs) == 1)
			ck_assert_uint_eq(rs.id, want_rsp++);
		ck_assert_uint_eq(t_free_requests(&p.f), NR);
	}
	ck_assert_uint_eq(want_rsp, next_id);
	ck_assert_uint_lt(p.f.req_prod_pvt, start); /* it did wrap */

	/* Notification decisions across the wrap: arm at 2^32 - 1, produce past 0. */
	ck_assert_int_eq(t_final_check_requests(&p.b), 0);
	p.s->hdr.req_event = 0xffffffffu;
	p.s->hdr.req_prod = p.f.req_prod_pvt = p.f.rsp_cons = 0xfffffffdu;
	p.b.req_cons = p.b.rsp_prod_pvt = 0xfffffffdu;
	put_req(&p, 1);                              /* prod -> 0xfffffffe */
	ck_assert_int_eq(t_push_requests(&p.f), 0);
	put_req(&p, 2);                              /* 0xffffffff */
	put_req(&p, 3);                              /* 0x00000000 */
	ck_assert_int_eq(t_push_requests(&p.f), 1);
	ck_assert_int_eq(t_pending_requests(&p.b), 3);
	p.s->hdr.req_event = 2;
	put_req(&p, 4);                              /* 1 */
	put_req(&p, 5);                              /* 2 */
	ck_assert_int_eq(t_push_requests(&p.f), 1);
	ck_assert_uint_eq(p.s->hdr.req_prod, 2);
	ck_assert_int_eq(t_pending_requests(&p.b), 5);
	/* overrun detection across the wrap */
	p.s->hdr.req_prod = 0xfffffffdu + NR + 1;
	ck_assert_int_eq(t_pending_requests(&p.b), -LAMINA_EIO);
	free(p.s);
}
END_TEST

START_TEST(copy_out)
{
	struct pair p = mk(PAGE, 0);
	struct t_req rq;
	struct t_rsp rs;
	union t_slot *slot = &p.s->slot[0];

	put_req(&p, 42);
	t_push_requests(&p.f);
	ck_assert_int_eq(t_take_request(&p.b, &rq), 1);
	ck_assert_uint_eq(rq.id, 42);
	ck_assert_uint_eq(rq.len, 84);
	/* The front rewrites the slot after the back copied it (a TOCTOU attack):
	 * the private copy the back validates does not change. */
	slot->req.len = 0xdeadbeef;
	slot->req.id = 7;
	ck_assert_uint_eq(rq.len, 84);
	ck_assert_uint_eq(rq.id, 42);
	ck_assert_uint_eq(p.b.req_cons, 1);

	/* copy_request on a checked ring copies exactly one slot and advances. */
	put_req(&p, 43);
	put_req(&p, 44);
	t_push_requests(&p.f);
	ck_assert_int_eq(t_pending_requests(&p.b), 2);
	t_copy_request(&p.b, &rq);
	ck_assert_uint_eq(rq.id, 43);
	t_copy_request(&p.b, &rq);
	ck_assert_uint_eq(rq.id, 44);

	/* responses: the front's copy is private too */
	put_rsp(&p, 42, -5);
	t_push_responses(&p.b);
	ck_assert_int_eq(t_take_response(&p.f, &rs), 1);
	slot->rsp.status = 99;
	ck_assert_int_eq(rs.status, -5);
	ck_assert_uint_eq(rs.id, 42);
	free(p.s);
}
END_TEST

START_TEST(multi_page)
{
	struct pair p = mk(4 * PAGE, 0);
	struct t_req rq;

	ck_assert_uint_eq(p.f.nr_ents, 4 * NR);
	for (lamina_u64 i = 0; i < 4 * NR; i++)
		put_req(&p, i);
	ck_assert_ptr_null(t_next_request(&p.f));
	t_push_requests(&p.f);
	for (lamina_u64 i = 0; i < 4 * NR; i++) {
		ck_assert_int_eq(t_take_request(&p.b, &rq), 1);
		ck_assert_uint_eq(rq.id, i);
	}
	free(p.s);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create(SUITE_NAME);

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, push_consume);
	tcase_add_test(tc, full_ring);
	tcase_add_test(tc, notify_only_when_asked);
	tcase_add_test(tc, overrun_requests);
	tcase_add_test(tc, overrun_responses);
	tcase_add_test(tc, wraparound);
	tcase_add_test(tc, copy_out);
	tcase_add_test(tc, multi_page);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
