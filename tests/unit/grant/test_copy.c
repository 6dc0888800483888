// SPDX-License-Identifier: MIT
// test_copy.c: unit tests of grant copy: each side a grant or local RAM, bounds, access, errors and pins released.
#include <string.h>
#include "tests.h"

static struct lamina_gnttab_copy_ptr gref(uint16_t dom, uint32_t ref, uint16_t off)
{
	return (struct lamina_gnttab_copy_ptr){ .u.ref = ref, .dom = dom, .offset = off };
}

static struct lamina_gnttab_copy_ptr local(uint64_t gfn, uint16_t off)
{
	return (struct lamina_gnttab_copy_ptr){ .u.gfn = gfn, .dom = LAMINA_DOMID_SELF, .offset = off };
}

static int copy(struct domain *d, struct lamina_gnttab_copy_ptr s, struct lamina_gnttab_copy_ptr t,
		unsigned len, unsigned flags)
{
	struct lamina_gnttab_copy c = { .src = s, .dest = t, .len = (uint16_t)len,
					.flags = (uint16_t)flags };

	return grant_copy(d, &c);
}

START_TEST(local_to_grant_and_back)
{
	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	memset(ram(d2, 400), 0xab, 4096);
	ck_assert_int_eq(copy(d2, local(400, 0), gref(1, 1, 0), 4096, LAMINA_GNTCOPY_DEST_GREF), 0);
	ck_assert_uint_eq(ram(d1, 300)[0], 0xab);
	ck_assert_uint_eq(ram(d1, 300)[4095], 0xab);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
	strcpy((char *)ram(d1, 300) + 10, "reply");
	ck_assert_int_eq(copy(d2, gref(1, 1, 10), local(401, 20), 6, LAMINA_GNTCOPY_SRC_GREF), 0);
	ck_assert_str_eq((char *)ram(d2, 401) + 20, "reply");
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
	ck_assert(revoke(entry_of(d1, 1)));
	ck_assert(!grant_pages_in_use(d1, 300, 1));
}
END_TEST

START_TEST(grant_to_grant)
{
	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	publish(d2, 7, 2, 410, LAMINA_GTF_PERMIT_ACCESS);      /* d2's own grant to itself */
	strcpy((char *)ram(d1, 300), "g2g");
	ck_assert_int_eq(copy(d2, gref(1, 1, 0), gref(LAMINA_DOMID_SELF, 7, 100), 4,
			      LAMINA_GNTCOPY_SRC_GREF | LAMINA_GNTCOPY_DEST_GREF), 0);
	ck_assert_str_eq((char *)ram(d2, 410) + 100, "g2g");
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	ck_assert_uint_eq(flags_of(entry_of(d2, 7)), LAMINA_GTF_PERMIT_ACCESS);
}
END_TEST

START_TEST(copy_touches_only_its_bytes)
{
	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	memset(ram(d1, 300), 0, 4096);
	memset(ram(d2, 400), 0x11, 4096);
	ck_assert_int_eq(copy(d2, local(400, 4000), gref(1, 1, 4046), 50, LAMINA_GNTCOPY_DEST_GREF), 0);
	for (unsigned i = 0; i < 4096; i++)
		ck_assert_uint_eq(ram(d1, 300)[i], i >= 4046 ? 0x11 : 0);
	ck_assert_uint_eq(ram(d1, 301)[0], 0);
}
END_TEST

START_TEST(overlapping_local_copy)
{
	uint8_t *p = ram(d2, 420);

	for (unsigned i = 0; i < 64; i++)
		p[i] = (uint8_t)i;
	ck_assert_int_eq(copy(d2, local(420, 0), local(420, 8), 32, 0), 0);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(p[8 + i], i);
}
END_TEST

START_TEST(copy_errors)
{
	unsigned s = LAMINA_GNTCOPY_SRC_GREF, t = LAMINA_GNTCOPY_DEST_GREF;

	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	publish(d1, 2, 3, 301, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 3, 2, FAKE_RAM / 4096 + 5, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(copy(d2, local(400, 0), gref(1, 1, 0), 8, t), -LAMINA_EROFS);
	ck_assert_int_eq(copy(d2, gref(1, 1, 0), gref(1, 1, 0), 8, s | t), -LAMINA_EROFS);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	ck_assert_int_eq(copy(d2, gref(1, 2, 0), local(400, 0), 8, s), -LAMINA_EACCES);
	ck_assert_int_eq(copy(d2, gref(1, 9, 0), local(400, 0), 8, s), -LAMINA_EACCES);
	ck_assert_int_eq(copy(d2, gref(40, 1, 0), local(400, 0), 8, s), -LAMINA_ESRCH);
	ck_assert_int_eq(copy(d2, gref(1, 256, 0), local(400, 0), 8, s), -LAMINA_EINVAL);
	ck_assert_int_eq(copy(d2, gref(1, 3, 0), local(400, 0), 8, s), -LAMINA_EINVAL);
	ck_assert_uint_eq(flags_of(entry_of(d1, 3)), LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(copy(d2, local(FAKE_RAM / 4096, 0), local(400, 0), 8, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(copy(d2, local(1ull << 60, 0), local(400, 0), 8, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(copy(d2, local(400, 0), local(~0ull, 0), 8, 0), -LAMINA_EINVAL);
	struct lamina_gnttab_copy_ptr other = local(400, 0);
	other.dom = 1;
	/* A local side names the caller's own RAM: dom must be SELF (or its own
	 * id); grant_table.h lists no -EPERM for a copy, the side is -EINVAL. */
	ck_assert_int_eq(copy(d2, other, local(401, 0), 8, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(copy(d2, local(401, 0), other, 8, 0), -LAMINA_EINVAL);
	other.dom = 2;
	ck_assert_int_eq(copy(d2, other, local(401, 0), 8, 0), 0);
	ck_assert_int_eq(copy(d2, local(400, 0), local(401, 0), 0, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(copy(d2, local(400, 4090), local(401, 0), 7, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(copy(d2, gref(1, 1, 0), local(401, 4095), 2, s), -LAMINA_EINVAL);
	ck_assert_int_eq(copy(d2, local(400, 0), local(401, 0), 8, 4), -LAMINA_EINVAL);
	for (uint32_t ref = 1; ref <= 3; ref++)
		ck_assert(revoke(entry_of(d1, ref)));   /* no copy left a pin */
	ck_assert(!grant_pages_in_use(d1, 300, 1));
}
END_TEST

START_TEST(copy_from_a_ballooned_page)
{
	pthread_mutex_lock(&d2->lock);
	ck_assert_int_eq(mem_release(d2, 450), 0);
	pthread_mutex_unlock(&d2->lock);
	ck_assert_int_eq(copy(d2, local(450, 0), local(401, 0), 8, 0), -LAMINA_EINVAL);
	pthread_mutex_lock(&d1->lock);
	ck_assert_int_eq(mem_release(d1, 451), 0);
	pthread_mutex_unlock(&d1->lock);
	publish(d1, 1, 2, 451, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(copy(d2, gref(1, 1, 0), local(401, 0), 8, LAMINA_GNTCOPY_SRC_GREF),
			 -LAMINA_EINVAL);
	ck_assert(revoke(entry_of(d1, 1)));
	ck_assert(!grant_pages_in_use(d1, 451, 1));
}
END_TEST

START_TEST(copy_while_mapped)
{
	uint32_t h;

	publish(d1, 1, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), true, &h), 0);
	ram(d2, 400)[0] = 0x42;
	ck_assert_int_eq(copy(d2, local(400, 0), gref(1, 1, 0), 1, LAMINA_GNTCOPY_DEST_GREF), 0);
	ck_assert_uint_eq(pm_page(d2, HOLE(1), NULL)[0], 0x42);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READING);
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), h), 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
}
END_TEST

TCase *tc_copy(void)
{
	TCase *tc = tcase_create("copy");

	tcase_add_checked_fixture(tc, two_doms_setup, two_doms_teardown);
	tcase_add_test(tc, local_to_grant_and_back);
	tcase_add_test(tc, grant_to_grant);
	tcase_add_test(tc, copy_touches_only_its_bytes);
	tcase_add_test(tc, overlapping_local_copy);
	tcase_add_test(tc, copy_errors);
	tcase_add_test(tc, copy_from_a_ballooned_page);
	tcase_add_test(tc, copy_while_mapped);
	return tc;
}
