// SPDX-License-Identifier: MIT
// test_tbl.c: unit tests of the pure grant-table logic: growth, the flags protocol, pins, maptrack and argument checks.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tests.h"

#define PER LAMINA_GRANT_PER_FRAME

static int allocs_left = -1;   /* tpage() fails once this reaches 0 */

static void *tpage(void)
{
	if (allocs_left == 0)
		return NULL;
	if (allocs_left > 0)
		allocs_left--;
	void *p = aligned_alloc(4096, 4096);
	ck_assert_ptr_nonnull(p);
	return memset(p, 0, 4096);
}

static struct gt_table *mk(unsigned max, unsigned nr)
{
	static struct gt_table t;

	allocs_left = -1;
	gt_init(&t, max);
	ck_assert_int_eq(gt_grow(&t, nr, tpage), 0);
	return &t;
}

static struct lamina_grant_entry *ent(struct gt_table *t, uint32_t ref)
{
	return &((struct lamina_grant_entry *)t->frame[ref / PER])[ref % PER];
}

static void put(struct gt_table *t, uint32_t ref, uint16_t domid, uint64_t gfn, uint16_t flags)
{
	struct lamina_grant_entry *e = ent(t, ref);

	e->domid = domid;
	e->gfn = gfn;
	__atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
}

START_TEST(init_caps_frames)
{
	struct gt_table t;

	gt_init(&t, 1000);
	ck_assert_uint_eq(t.max_frames, LAMINA_GNTTAB_MAX_FRAMES);
	gt_init(&t, 4);
	ck_assert_uint_eq(t.max_frames, 4);
	ck_assert_uint_eq(t.nr_frames, 0);
	ck_assert_uint_eq(gt_nr_refs(&t), 0);
}
END_TEST

START_TEST(grow_never_shrinks_and_is_limited)
{
	struct gt_table *t = mk(4, 3);

	ck_assert_uint_eq(gt_nr_refs(t), 3 * PER);
	ck_assert_int_eq(gt_grow(t, 2, tpage), 0);
	ck_assert_uint_eq(t->nr_frames, 3);
	ck_assert_int_eq(gt_grow(t, 5, tpage), -LAMINA_EINVAL);
	ck_assert_uint_eq(t->nr_frames, 3);
	ck_assert_int_eq(gt_grow(t, 4, tpage), 0);
	for (unsigned f = 0; f < 4; f++)
		ck_assert_uint_eq((uintptr_t)t->frame[f] % 4096, 0);
	gt_fini(t, free);
	ck_assert_uint_eq(t->nr_frames, 0);
}
END_TEST

START_TEST(grow_out_of_memory_keeps_frames)
{
	struct gt_table *t = mk(8, 1);

	allocs_left = 1;
	ck_assert_int_eq(gt_grow(t, 3, tpage), -LAMINA_ENOMEM);
	ck_assert_uint_eq(t->nr_frames, 2);
	allocs_left = -1;
	gt_fini(t, free);
}
END_TEST

START_TEST(pin_refuses_invalid_and_bad_types)
{
	struct gt_table *t = mk(1, 1);
	uint64_t gfn;

	ck_assert_int_eq(gt_pin(t, 0, 1, false, &gfn), -LAMINA_EACCES);
	ck_assert_uint_eq(ent(t, 0)->flags, 0);
	put(t, 1, 1, 5, 2);
	ck_assert_int_eq(gt_pin(t, 1, 1, false, &gfn), -LAMINA_EACCES);
	put(t, 2, 1, 5, 3);
	ck_assert_int_eq(gt_pin(t, 2, 1, false, &gfn), -LAMINA_EACCES);
	ck_assert_uint_eq(ent(t, 2)->flags, 3);
	ck_assert_uint_eq(t->pinned, 0);
	gt_fini(t, free);
}
END_TEST

START_TEST(pin_refuses_wrong_domain)
{
	struct gt_table *t = mk(1, 1);
	uint64_t gfn;

	put(t, 3, 5, 9, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gt_pin(t, 3, 6, false, &gfn), -LAMINA_EACCES);
	ck_assert_int_eq(gt_pin(t, 3, 6, true, &gfn), -LAMINA_EACCES);
	ck_assert_uint_eq(ent(t, 3)->flags, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gt_pin(t, 3, 5, false, &gfn), 0);
	gt_unpin(t, 3, false);
	gt_fini(t, free);
}
END_TEST

START_TEST(pin_refuses_ref_beyond_table)
{
	struct gt_table *t = mk(2, 1);
	uint64_t gfn;

	ck_assert_int_eq(gt_pin(t, PER, 1, false, &gfn), -LAMINA_EINVAL);
	ck_assert_int_eq(gt_pin(t, 0xffffffffu, 1, false, &gfn), -LAMINA_EINVAL);
	ck_assert_int_eq(gt_grow(t, 2, tpage), 0);
	put(t, PER, 1, 4, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gt_pin(t, PER, 1, false, &gfn), 0);
	ck_assert_uint_eq(gfn, 4);
	gt_unpin(t, PER, false);
	gt_fini(t, free);
}
END_TEST

START_TEST(read_pin_sets_and_clears_reading)
{
	struct gt_table *t = mk(1, 1);
	uint64_t gfn = 0;

	put(t, 7, 2, 0x1234, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gt_pin(t, 7, 2, false, &gfn), 0);
	ck_assert_uint_eq(gfn, 0x1234);
	ck_assert_uint_eq(ent(t, 7)->flags, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READING);
	ck_assert_uint_eq(ent(t, 7)->domid, 2);
	ck_assert_uint_eq(t->pinned, 1);
	gt_unpin(t, 7, false);
	ck_assert_uint_eq(ent(t, 7)->flags, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_uint_eq(t->pinned, 0);
	gt_fini(t, free);
}
END_TEST

START_TEST(readonly_grant_refuses_write_pin)
{
	struct gt_table *t = mk(1, 1);
	uint16_t ro = LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY;
	uint64_t gfn;

	put(t, 0, 2, 8, ro);
	ck_assert_int_eq(gt_pin(t, 0, 2, true, &gfn), -LAMINA_EROFS);
	ck_assert_uint_eq(ent(t, 0)->flags, ro);
	ck_assert_int_eq(gt_pin(t, 0, 2, false, &gfn), 0);
	ck_assert_uint_eq(ent(t, 0)->flags, ro | LAMINA_GTF_READING);
	gt_unpin(t, 0, false);
	ck_assert_uint_eq(ent(t, 0)->flags, ro);
	gt_fini(t, free);
}
END_TEST

START_TEST(pins_are_counted_per_kind)
{
	struct gt_table *t = mk(1, 1);
	uint16_t pa = LAMINA_GTF_PERMIT_ACCESS;
	uint64_t gfn;

	put(t, 1, 3, 10, pa);
	ck_assert_int_eq(gt_pin(t, 1, 3, false, &gfn), 0);
	ck_assert_int_eq(gt_pin(t, 1, 3, false, &gfn), 0);
	ck_assert_int_eq(gt_pin(t, 1, 3, true, &gfn), 0);
	ck_assert_uint_eq(ent(t, 1)->flags, pa | LAMINA_GTF_READING | LAMINA_GTF_WRITING);
	ck_assert_uint_eq(t->pinned, 1);
	gt_unpin(t, 1, false);
	ck_assert_uint_eq(ent(t, 1)->flags, pa | LAMINA_GTF_READING | LAMINA_GTF_WRITING);
	gt_unpin(t, 1, false);
	ck_assert_uint_eq(ent(t, 1)->flags, pa | LAMINA_GTF_WRITING);
	ck_assert(gt_gfn_pinned(t, 10));
	gt_unpin(t, 1, true);
	ck_assert_uint_eq(ent(t, 1)->flags, pa);
	ck_assert(!gt_gfn_pinned(t, 10));
	ck_assert_uint_eq(t->pinned, 0);
	gt_fini(t, free);
}
END_TEST

START_TEST(revoke_refused_while_pinned)
{
	struct gt_table *t = mk(1, 1);
	uint64_t gfn;

	put(t, 4, 2, 11, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gt_pin(t, 4, 2, true, &gfn), 0);
	ck_assert(!revoke(ent(t, 4)));
	gt_unpin(t, 4, true);
	ck_assert(revoke(ent(t, 4)));
	ck_assert_uint_eq(ent(t, 4)->flags, 0);
	ck_assert_int_eq(gt_pin(t, 4, 2, false, &gfn), -LAMINA_EACCES);
	gt_fini(t, free);
}
END_TEST

START_TEST(gfn_is_read_once_per_pin_period)
{
	struct gt_table *t = mk(1, 1);
	uint64_t gfn;

	put(t, 2, 1, 7, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gt_pin(t, 2, 1, false, &gfn), 0);
	ent(t, 2)->gfn = 9;   /* a misbehaving granter */
	ck_assert_int_eq(gt_pin(t, 2, 1, true, &gfn), 0);
	ck_assert_uint_eq(gfn, 7);
	ck_assert(gt_gfn_pinned(t, 7));
	ck_assert(!gt_gfn_pinned(t, 9));
	gt_unpin(t, 2, false);
	gt_unpin(t, 2, true);
	ck_assert(!gt_gfn_pinned(t, 7));
	ck_assert_int_eq(gt_pin(t, 2, 1, false, &gfn), 0);
	ck_assert_uint_eq(gfn, 9);
	gt_unpin(t, 2, false);
	gt_fini(t, free);
}
END_TEST

START_TEST(gfn_pinned_scans_every_frame)
{
	struct gt_table *t = mk(4, 4);
	uint64_t gfn;

	put(t, 3 * PER + 200, 1, 77, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert(!gt_gfn_pinned(t, 77));
	ck_assert_int_eq(gt_pin(t, 3 * PER + 200, 1, false, &gfn), 0);
	ck_assert_uint_eq(t->frame_pinned[3], 1);
	ck_assert(gt_gfn_pinned(t, 77));
	ck_assert(!gt_gfn_pinned(t, 78));
	gt_unpin(t, 3 * PER + 200, false);
	ck_assert_uint_eq(t->frame_pinned[3], 0);
	gt_fini(t, free);
}
END_TEST

START_TEST(gfns_granted_sees_entries_and_pins)
{
	struct gt_table *t = mk(4, 4);
	uint64_t gfn;

	put(t, 2 * PER + 9, 5, 40, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	ck_assert(gt_gfns_granted(t, 40, 1));          /* granted, never pinned */
	ck_assert(gt_gfns_granted(t, 32, 16));
	ck_assert(!gt_gfns_granted(t, 41, 8));
	ck_assert(!gt_gfns_granted(t, 32, 8));
	ck_assert(!gt_gfns_granted(t, 39, 0));
	put(t, 1, 5, 50, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gt_pin(t, 1, 5, true, &gfn), 0);
	ent(t, 1)->flags = 0;                          /* a plain store: wrong, but the pin holds */
	ck_assert(gt_gfns_granted(t, 50, 1));
	gt_unpin(t, 1, true);
	ck_assert(!gt_gfns_granted(t, 50, 1));
	ent(t, 1)->gfn = 60;                           /* type INVALID: not a grant */
	ck_assert(!gt_gfns_granted(t, 60, 1));
	gt_fini(t, free);
}
END_TEST

/* ---- The flags protocol against a concurrent granter ---- */

struct race {
	struct gt_table *t;
	pthread_mutex_t lock;        /* the table lock of grant.c */
	int held;                    /* pins the mapper holds (atomic) */
	int stop;                    /* (atomic) */
	long revokes, pins, violations;
};

/* Granter: publish, then revoke with the header's loop; a revoke that
 * succeeds while the mapper holds a pin breaks the protocol. */
static void *granter(void *arg)
{
	struct race *r = arg;
	struct lamina_grant_entry *e = ent(r->t, 0);

	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		if (flags_of(e) == 0) {
			e->domid = 1;
			e->gfn = 42;
			__atomic_store_n(&e->flags, LAMINA_GTF_PERMIT_ACCESS, __ATOMIC_RELEASE);
		}
		if (revoke(e)) {
			if (__atomic_load_n(&r->held, __ATOMIC_SEQ_CST))
				r->violations++;
			r->revokes++;
		}
	}
	return NULL;
}

START_TEST(revoke_races_with_pins)
{
	struct race r = { .t = mk(1, 1) };
	pthread_t th;
	uint64_t gfn;

	pthread_mutex_init(&r.lock, NULL);
	pthread_create(&th, NULL, granter, &r);
	for (int i = 0; i < 200000; i++) {
		bool w = i & 1;
		pthread_mutex_lock(&r.lock);
		int rc = gt_pin(r.t, 0, 1, w, &gfn);
		pthread_mutex_unlock(&r.lock);
		if (rc) {
			ck_assert_int_eq(rc, -LAMINA_EACCES);
			continue;
		}
		__atomic_store_n(&r.held, 1, __ATOMIC_SEQ_CST);
		ck_assert_uint_eq(gfn, 42);
		ck_assert(flags_of(ent(r.t, 0)) & (w ? LAMINA_GTF_WRITING : LAMINA_GTF_READING));
		r.pins++;
		__atomic_store_n(&r.held, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&r.lock);
		gt_unpin(r.t, 0, w);
		pthread_mutex_unlock(&r.lock);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	ck_assert_int_eq(r.violations, 0);
	ck_assert_int_gt(r.pins, 0);
	ck_assert_int_gt(r.revokes, 0);
	ck_assert_uint_eq(r.t->pinned, 0);
	gt_fini(r.t, free);
}
END_TEST

/* A granter rewriting the entry with plain stores cannot make a pin spin forever. */
static void *scribbler(void *arg)
{
	struct race *r = arg;
	uint32_t *w = (uint32_t *)ent(r->t, 0);

	for (uint32_t i = 0; !__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST); i++)
		__atomic_store_n(w, (i & 1 ? 1u : 2u) << 16 | LAMINA_GTF_PERMIT_ACCESS,
				 __ATOMIC_RELAXED);
	return NULL;
}

START_TEST(pin_terminates_against_a_scribbling_granter)
{
	struct race r = { .t = mk(1, 1) };
	pthread_t th;
	uint64_t gfn;

	pthread_create(&th, NULL, scribbler, &r);
	for (int i = 0; i < 20000; i++) {
		int rc = gt_pin(r.t, 0, 1, false, &gfn);
		ck_assert(rc == 0 || rc == -LAMINA_EACCES);
		if (!rc)
			gt_unpin(r.t, 0, false);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	ck_assert_uint_eq(r.t->pinned, 0);
	gt_fini(r.t, free);
}
END_TEST

/* ---- Maptrack ---- */

START_TEST(maptrack_limit)
{
	struct gt_maptrack *m = gt_maptrack_new(LAMINA_GNTTAB_MAX_MAPS);

	for (unsigned i = 0; i < LAMINA_GNTTAB_MAX_MAPS; i++)
		ck_assert_int_eq(gt_map_alloc(m), (int)i);
	ck_assert_int_eq(gt_map_alloc(m), -LAMINA_ENOSPC);
	gt_map_free(m, 500);
	ck_assert_int_eq(gt_map_alloc(m), 500);
	ck_assert_int_eq(gt_map_alloc(m), -LAMINA_ENOSPC);
	ck_assert_uint_eq(m->used, LAMINA_GNTTAB_MAX_MAPS);
	free(m);
}
END_TEST

START_TEST(maptrack_capacity_is_its_own)
{
	struct gt_maptrack *m = gt_maptrack_new(3);

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(gt_map_alloc(m), i);
	ck_assert_int_eq(gt_map_alloc(m), -LAMINA_ENOSPC);
	ck_assert_ptr_null(gt_map_claim(m, 3, HOLE(1)));
	free(m);
}
END_TEST

START_TEST(maptrack_does_not_reuse_a_handle_at_once)
{
	struct gt_maptrack *m = gt_maptrack_new(LAMINA_GNTTAB_MAX_MAPS);

	int h = gt_map_alloc(m);
	gt_map_free(m, (uint32_t)h);
	ck_assert_int_ne(gt_map_alloc(m), h);
	free(m);
}
END_TEST

START_TEST(maptrack_claim_checks_state_and_gpa)
{
	struct gt_maptrack *m = gt_maptrack_new(LAMINA_GNTTAB_MAX_MAPS);
	int h = gt_map_alloc(m);

	ck_assert_ptr_null(gt_map_claim(m, (uint32_t)h, HOLE(1)));   /* still BUSY */
	m->slot[h].state = GT_MAP_LIVE;
	m->slot[h].gpa = HOLE(1);
	ck_assert_ptr_null(gt_map_claim(m, (uint32_t)h, HOLE(2)));
	ck_assert_ptr_null(gt_map_claim(m, (uint32_t)h + 1, HOLE(1)));
	ck_assert_ptr_null(gt_map_claim(m, LAMINA_GNTTAB_MAX_MAPS, HOLE(1)));
	ck_assert_ptr_null(gt_map_claim(m, 0xffffffffu, HOLE(1)));
	ck_assert_ptr_eq(gt_map_claim(m, (uint32_t)h, HOLE(1)), &m->slot[h]);
	ck_assert_ptr_null(gt_map_claim(m, (uint32_t)h, HOLE(1)));   /* claimed once */
	gt_map_free(m, (uint32_t)h);
	ck_assert_uint_eq(m->used, 0);
	free(m);
}
END_TEST

/* ---- Argument checks ---- */

START_TEST(check_map_arguments)
{
	struct lamina_gnttab_map m = { .gpa = HOLE(1) };

	ck_assert_int_eq(gt_check_map(&m), 0);
	m.flags = LAMINA_GNTMAP_READONLY;
	ck_assert_int_eq(gt_check_map(&m), 0);
	m.flags = 2;
	ck_assert_int_eq(gt_check_map(&m), -LAMINA_EINVAL);
	m.flags = 0;
	m.pad = 1;
	ck_assert_int_eq(gt_check_map(&m), -LAMINA_EINVAL);
	m.pad = 0;
	m.gpa = HOLE(1) + 8;
	ck_assert_int_eq(gt_check_map(&m), -LAMINA_EINVAL);
	m.gpa = LAMINA_PHYSMAP_HOLE_BASE - 4096;
	ck_assert_int_eq(gt_check_map(&m), -LAMINA_EINVAL);
	m.gpa = LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE;
	ck_assert_int_eq(gt_check_map(&m), -LAMINA_EINVAL);
	m.gpa = LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE - 4096;
	ck_assert_int_eq(gt_check_map(&m), 0);
	m.gpa = 0;
	ck_assert_int_eq(gt_check_map(&m), -LAMINA_EINVAL);
}
END_TEST

START_TEST(check_copy_bounds)
{
	struct lamina_gnttab_copy c = { .len = 4096 };

	ck_assert_int_eq(gt_check_copy(&c), 0);
	c.len = 0;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
	c.len = 1;
	c.src.offset = 4095;
	ck_assert_int_eq(gt_check_copy(&c), 0);
	c.len = 2;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
	c.src.offset = 0;
	c.dest.offset = 4095;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
	c.dest.offset = 4096;
	c.len = 1;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
	c.dest.offset = 100;
	c.len = 3996;
	ck_assert_int_eq(gt_check_copy(&c), 0);
	c.len = 65535;
	c.dest.offset = 65535;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
}
END_TEST

START_TEST(check_copy_pads_and_flags)
{
	struct lamina_gnttab_copy c = { .len = 8 };

	c.flags = LAMINA_GNTCOPY_SRC_GREF | LAMINA_GNTCOPY_DEST_GREF;
	ck_assert_int_eq(gt_check_copy(&c), 0);
	c.flags = 4;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
	c.flags = 0;
	c.pad = 1;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
	c.pad = 0;
	c.src.pad = 1;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
	c.src.pad = 0;
	c.dest.pad = 0x80000000u;
	ck_assert_int_eq(gt_check_copy(&c), -LAMINA_EINVAL);
}
END_TEST

TCase *tc_tbl(void)
{
	TCase *tc = tcase_create("tbl");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, init_caps_frames);
	tcase_add_test(tc, grow_never_shrinks_and_is_limited);
	tcase_add_test(tc, grow_out_of_memory_keeps_frames);
	tcase_add_test(tc, pin_refuses_invalid_and_bad_types);
	tcase_add_test(tc, pin_refuses_wrong_domain);
	tcase_add_test(tc, pin_refuses_ref_beyond_table);
	tcase_add_test(tc, read_pin_sets_and_clears_reading);
	tcase_add_test(tc, readonly_grant_refuses_write_pin);
	tcase_add_test(tc, pins_are_counted_per_kind);
	tcase_add_test(tc, revoke_refused_while_pinned);
	tcase_add_test(tc, gfn_is_read_once_per_pin_period);
	tcase_add_test(tc, gfn_pinned_scans_every_frame);
	tcase_add_test(tc, gfns_granted_sees_entries_and_pins);
	tcase_add_test(tc, revoke_races_with_pins);
	tcase_add_test(tc, pin_terminates_against_a_scribbling_granter);
	tcase_add_test(tc, maptrack_limit);
	tcase_add_test(tc, maptrack_capacity_is_its_own);
	tcase_add_test(tc, maptrack_does_not_reuse_a_handle_at_once);
	tcase_add_test(tc, maptrack_claim_checks_state_and_gpa);
	tcase_add_test(tc, check_map_arguments);
	tcase_add_test(tc, check_copy_bounds);
	tcase_add_test(tc, check_copy_pads_and_flags);
	return tc;
}
