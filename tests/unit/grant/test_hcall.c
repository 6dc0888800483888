// SPDX-License-Identifier: MIT
// test_hcall.c: unit tests of hc_grant.c: decoding, counts and batch limits, per-element statuses, EFAULT and write-back undo.
#include <string.h>
#include "tests.h"

/* d1 with a limit of 8 frames, which setup_table_op runs into; d2 with 64. */
static void setup(void) { two_doms(8); }

START_TEST(unknown_command)
{
	struct lamina_gnttab_query_size q = { .dom = LAMINA_DOMID_SELF };

	ck_assert_int_eq(gop(d1, 5, &q, 1), -LAMINA_ENOSYS);
	ck_assert_int_eq(gop(d1, 0xffffffffu, &q, 1), -LAMINA_ENOSYS);
}
END_TEST

START_TEST(setup_table_op)
{
	struct lamina_gnttab_setup_table s = { .dom = LAMINA_DOMID_SELF, .nr_frames = 3 };
	struct lamina_gnttab_query_size q = { .dom = LAMINA_DOMID_SELF };

	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 2), -LAMINA_EINVAL);
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, (void *)16, 1), -LAMINA_EFAULT);
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 1), 0);
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_QUERY_SIZE, &q, 1), 0);
	ck_assert_uint_eq(q.nr_frames, 3);
	ck_assert_uint_eq(q.max_frames, 8);
	s.pad = 1;
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 1), -LAMINA_EINVAL);
	s.pad = 0;
	s.dom = 1;
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 1), -LAMINA_EPERM);
	s.dom = LAMINA_DOMID_SELF;
	s.nr_frames = 0;
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 1), -LAMINA_EINVAL);
	s.nr_frames = LAMINA_GNTTAB_MAX_FRAMES + 1;
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 1), -LAMINA_EINVAL);
	s.nr_frames = 9;                                  /* over d1's own limit of 8 */
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 1), -LAMINA_EINVAL);
	s.nr_frames = 8;
	ck_assert_int_eq(gop(d1, LAMINA_GNTTABOP_SETUP_TABLE, &s, 1), 0);
}
END_TEST

START_TEST(query_size_op)
{
	static struct lamina_gnttab_query_size q = { .dom = LAMINA_DOMID_SELF };

	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, &q, 1), 0);
	ck_assert_uint_eq(q.nr_frames, 1);
	ck_assert_uint_eq(q.max_frames, 64);
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, &q, 3), -LAMINA_EINVAL);
	q.dom = 1;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, &q, 1), -LAMINA_EPERM);
	q.dom = 33;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, &q, 1), -LAMINA_ESRCH);
	q.dom = 2;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, &q, 1), 0);
	q.pad = 1;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, &q, 1), -LAMINA_EINVAL);
	q.pad = 0;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, (void *)100, 1), -LAMINA_EFAULT);
	fake_gmem.ro_lo = &q;
	fake_gmem.ro_hi = &q + 1;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_QUERY_SIZE, &q, 1), -LAMINA_EFAULT);
}
END_TEST

START_TEST(batch_counts)
{
	static struct lamina_gnttab_copy c[LAMINA_GNTTAB_MAX_BATCH + 1];

	for (unsigned i = 0; i <= LAMINA_GNTTAB_MAX_BATCH; i++)
		c[i] = (struct lamina_gnttab_copy){ .src = { .u.gfn = 400, .dom = LAMINA_DOMID_SELF },
			.dest = { .u.gfn = 401, .dom = LAMINA_DOMID_SELF, .offset = (uint16_t)i },
			.len = 1, .status = 99 };
	for (unsigned cmd = LAMINA_GNTTABOP_MAP_GRANT_REF; cmd <= LAMINA_GNTTABOP_COPY; cmd++) {
		ck_assert_int_eq(gop(d2, cmd, c, 0), -LAMINA_EINVAL);
		ck_assert_int_eq(gop(d2, cmd, c, LAMINA_GNTTAB_MAX_BATCH + 1), -LAMINA_E2BIG);
		ck_assert_int_eq(gop(d2, cmd, c, 1ull << 40), -LAMINA_E2BIG);
	}
	ck_assert_int_eq(c[0].status, 99);                /* nothing was processed */
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_COPY, c, LAMINA_GNTTAB_MAX_BATCH), 0);
	for (unsigned i = 0; i < LAMINA_GNTTAB_MAX_BATCH; i++)
		ck_assert_int_eq(c[i].status, 0);
	ck_assert_int_eq(c[LAMINA_GNTTAB_MAX_BATCH].status, 99);
}
END_TEST

START_TEST(map_batch_statuses_and_handles)
{
	struct lamina_gnttab_map m[4] = {
		{ .gpa = HOLE(1), .ref = 1, .dom = 1 },
		{ .gpa = HOLE(2), .ref = 1, .dom = 1, .flags = LAMINA_GNTMAP_READONLY },
		{ .gpa = HOLE(1), .ref = 1, .dom = 1 },               /* gpa in use */
		{ .gpa = HOLE(3) + 1, .ref = 1, .dom = 1 },           /* unaligned */
	};

	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_MAP_GRANT_REF, m, 4), 0);
	ck_assert_int_eq(m[0].status, 0);
	ck_assert_int_eq(m[1].status, 0);
	ck_assert_uint_ne(m[0].handle, m[1].handle);
	ck_assert_int_eq(m[2].status, -LAMINA_EBUSY);
	ck_assert_int_eq(m[3].status, -LAMINA_EINVAL);
	struct lamina_gnttab_unmap u[3] = {
		{ .gpa = HOLE(1), .handle = m[0].handle },
		{ .gpa = HOLE(2), .handle = m[0].handle },            /* wrong gpa for it */
		{ .gpa = HOLE(2), .handle = m[1].handle },
	};
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_UNMAP_GRANT_REF, u, 3), 0);
	ck_assert_int_eq(u[0].status, 0);
	ck_assert_int_eq(u[1].status, -LAMINA_EINVAL);
	ck_assert_int_eq(u[2].status, 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
}
END_TEST

START_TEST(map_and_unmap_pads_and_flags)
{
	struct lamina_gnttab_map m = { .gpa = HOLE(1), .ref = 1, .dom = 1, .pad = 1 };
	struct lamina_gnttab_unmap u = { .gpa = HOLE(1) };

	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_MAP_GRANT_REF, &m, 1), 0);
	ck_assert_int_eq(m.status, -LAMINA_EINVAL);
	m.pad = 0;
	m.flags = 0x8000;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_MAP_GRANT_REF, &m, 1), 0);
	ck_assert_int_eq(m.status, -LAMINA_EINVAL);
	m.flags = 0;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_MAP_GRANT_REF, &m, 1), 0);
	ck_assert_int_eq(m.status, 0);
	u.handle = m.handle;
	u.pad = 7;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_UNMAP_GRANT_REF, &u, 1), 0);
	ck_assert_int_eq(u.status, -LAMINA_EINVAL);
	u.pad = 0;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_UNMAP_GRANT_REF, &u, 1), 0);
	ck_assert_int_eq(u.status, 0);
}
END_TEST

START_TEST(efault_stops_after_the_done_elements)
{
	static struct lamina_gnttab_map m[3];

	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	for (int i = 0; i < 3; i++)
		m[i] = (struct lamina_gnttab_map){ .gpa = HOLE(i), .ref = 1, .dom = 1, .status = 99 };
	fake_gmem.bad_lo = &m[2];
	fake_gmem.bad_hi = &m[3];
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_MAP_GRANT_REF, m, 3), -LAMINA_EFAULT);
	ck_assert_int_eq(m[0].status, 0);
	ck_assert_int_eq(m[1].status, 0);
	ck_assert_int_eq(m[2].status, 99);
	ck_assert_ptr_nonnull(pm_page(d2, HOLE(0), NULL));
	ck_assert_ptr_nonnull(pm_page(d2, HOLE(1), NULL));
	ck_assert_ptr_null(pm_page(d2, HOLE(2), NULL));
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_COPY, (void *)8, 1), -LAMINA_EFAULT);
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_UNMAP_GRANT_REF, (void *)8, 1), -LAMINA_EFAULT);
}
END_TEST

START_TEST(map_whose_status_cannot_be_written_is_undone)
{
	static struct lamina_gnttab_map m = { .gpa = HOLE(1), .ref = 1, .dom = 1 };

	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	fake_gmem.ro_lo = &m;
	fake_gmem.ro_hi = &m + 1;
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_MAP_GRANT_REF, &m, 1), -LAMINA_EFAULT);
	ck_assert_ptr_null(pm_page(d2, HOLE(1), NULL));
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
	ck_assert(revoke(entry_of(d1, 1)));   /* no pin was left */
	ck_assert(!grant_pages_in_use(d1, 300, 1));
}
END_TEST

START_TEST(copy_batch_statuses)
{
	struct lamina_gnttab_copy c[3] = {
		{ .src = { .u.gfn = 400, .dom = LAMINA_DOMID_SELF },
		  .dest = { .u.ref = 1, .dom = 1 }, .len = 16, .flags = LAMINA_GNTCOPY_DEST_GREF },
		{ .src = { .u.gfn = 400, .dom = LAMINA_DOMID_SELF },
		  .dest = { .u.ref = 2, .dom = 1 }, .len = 16, .flags = LAMINA_GNTCOPY_DEST_GREF },
		{ .src = { .u.gfn = 400, .dom = LAMINA_DOMID_SELF },
		  .dest = { .u.ref = 1, .dom = 1 }, .len = 16, .flags = LAMINA_GNTCOPY_DEST_GREF,
		  .pad = 1 },
	};

	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 2, 2, 301, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	memset(ram(d2, 400), 0x3c, 16);
	ck_assert_int_eq(gop(d2, LAMINA_GNTTABOP_COPY, c, 3), 0);
	ck_assert_int_eq(c[0].status, 0);
	ck_assert_int_eq(c[1].status, -LAMINA_EROFS);
	ck_assert_int_eq(c[2].status, -LAMINA_EINVAL);
	ck_assert_uint_eq(ram(d1, 300)[15], 0x3c);
	ck_assert_uint_eq(ram(d1, 301)[0], 0);
}
END_TEST

TCase *tc_hcall(void)
{
	TCase *tc = tcase_create("hcall");

	tcase_add_checked_fixture(tc, setup, two_doms_teardown);
	tcase_add_test(tc, unknown_command);
	tcase_add_test(tc, setup_table_op);
	tcase_add_test(tc, query_size_op);
	tcase_add_test(tc, batch_counts);
	tcase_add_test(tc, map_batch_statuses_and_handles);
	tcase_add_test(tc, map_and_unmap_pads_and_flags);
	tcase_add_test(tc, efault_stops_after_the_done_elements);
	tcase_add_test(tc, map_whose_status_cannot_be_written_is_undone);
	tcase_add_test(tc, copy_batch_statuses);
	return tc;
}
