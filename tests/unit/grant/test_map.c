// SPDX-License-Identifier: MIT
// test_map.c: unit tests of grant.c with fake domains: table setup, guest and host mappings, balloon interlock, teardown.
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#define revoke unistd_revoke   /* revoke(2); tests.h's revoke() is the grant helper */
#include <unistd.h>
#undef revoke
#include "tests.h"

START_TEST(new_table_has_one_frame)
{
	uint32_t nr = 0, max = 0;

	ck_assert_int_eq(grant_query(d1, LAMINA_DOMID_SELF, &nr, &max), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(max, 64);
	ck_assert_int_eq(grant_query(d1, 1, &nr, &max), 0);
	ck_assert_int_eq(grant_query(d1, 2, &nr, &max), -LAMINA_EPERM);
	ck_assert_int_eq(grant_query(d1, 40, &nr, &max), -LAMINA_ESRCH);
	ck_assert_int_eq(grant_query(d1, LAMINA_DOMID_MAX + 3, &nr, &max), -LAMINA_ESRCH);
	ck_assert_int_eq(grant_query(d1, 0, &nr, &max), -LAMINA_EPERM);
}
END_TEST

START_TEST(domain_0_may_query_others)
{
	struct domain *d0 = fake_dom(hv, 0, 64);
	uint32_t nr = 0, max = 0;

	ck_assert_int_eq(grant_setup(d2, 5), 0);
	ck_assert_int_eq(grant_query(d0, 2, &nr, &max), 0);
	ck_assert_uint_eq(nr, 5);
	ck_assert_uint_eq(max, 64);
	ck_assert_int_eq(grant_query(d0, 40, &nr, &max), -LAMINA_ESRCH);
	ck_assert_int_eq(grant_query(d1, 0, &nr, &max), -LAMINA_EPERM);
	fake_dom_free(d0);
}
END_TEST

START_TEST(setup_grows_up_to_the_domain_limit)
{
	struct domain *d3 = fake_dom(hv, 3, 4);
	uint32_t nr, max;

	ck_assert_int_eq(grant_setup(d3, 0), -LAMINA_EINVAL);
	ck_assert_int_eq(grant_setup(d3, 3), 0);
	ck_assert_int_eq(grant_query(d3, LAMINA_DOMID_SELF, &nr, &max), 0);
	ck_assert_uint_eq(nr, 3);
	ck_assert_uint_eq(max, 4);
	ck_assert_int_eq(grant_setup(d3, 2), 0);        /* never shrinks */
	ck_assert_int_eq(grant_setup(d3, 5), -LAMINA_EINVAL);
	ck_assert_ptr_null(grant_frame(d3, 4));
	ck_assert_ptr_nonnull(grant_frame(d3, 3));
	ck_assert_int_eq(grant_query(d3, LAMINA_DOMID_SELF, &nr, &max), 0);
	ck_assert_uint_eq(nr, 4);
	fake_dom_free(d3);
}
END_TEST

START_TEST(frames_are_pages_and_grow_on_demand)
{
	ck_assert_ptr_null(grant_frame(d1, LAMINA_GNTTAB_MAX_FRAMES));
	void *f = grant_frame(d1, 10);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq((uintptr_t)f % 4096, 0);
	ck_assert_ptr_eq(grant_frame(d1, 10), f);
	uint32_t nr, max;
	grant_query(d1, LAMINA_DOMID_SELF, &nr, &max);
	ck_assert_uint_eq(nr, 11);
	ck_assert_int_eq(fake.pages, 12);
}
END_TEST

START_TEST(frame_allocation_failure)
{
	fake.page_fail = true;
	ck_assert_ptr_null(grant_frame(d1, 1));
	ck_assert_int_eq(grant_setup(d1, 2), -LAMINA_ENOMEM);
	fake.page_fail = false;
	ck_assert_int_eq(grant_setup(d1, 2), 0);
}
END_TEST

START_TEST(map_shows_the_granters_page)
{
	uint32_t h, fl;

	strcpy((char *)ram(d1, 300), "from d1");
	publish(d1, 5, 2, 300, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 1, 5, HOLE(4), false, &h), 0);
	uint8_t *p = pm_page(d2, HOLE(4), &fl);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fl, 0);
	ck_assert_str_eq((char *)p, "from d1");
	strcpy((char *)p, "from d2");                     /* writable: d1 sees it */
	ck_assert_str_eq((char *)ram(d1, 300), "from d2");
	ck_assert_uint_eq(flags_of(entry_of(d1, 5)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_WRITING);
	ck_assert(grant_pages_in_use(d1, 300, 1));
	ck_assert(!grant_pages_in_use(d1, 301, 1));
	ck_assert(!grant_pages_in_use(d2, 300, 1));
	ck_assert(!revoke(entry_of(d1, 5)));
	ck_assert_int_eq(grant_unmap(d2, HOLE(4), h), 0);
	ck_assert_ptr_null(pm_page(d2, HOLE(4), NULL));
	ck_assert_uint_eq(flags_of(entry_of(d1, 5)), LAMINA_GTF_PERMIT_ACCESS);
	ck_assert(grant_pages_in_use(d1, 300, 1));      /* unmapped, but still granted */
	ck_assert(revoke(entry_of(d1, 5)));
	ck_assert(!grant_pages_in_use(d1, 300, 1));
}
END_TEST

START_TEST(readonly_map_is_a_readonly_slot_and_view)
{
	uint32_t h, fl;

	ram(d1, 301)[0] = 0x5a;
	publish(d1, 6, 2, 301, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	ck_assert_int_eq(grant_map(d2, 1, 6, HOLE(5), false, &h), -LAMINA_EROFS);
	ck_assert_int_eq(grant_map(d2, 1, 6, HOLE(5), true, &h), 0);
	uint8_t *p = pm_page(d2, HOLE(5), &fl);
	ck_assert_uint_eq(fl, KVM_MEM_READONLY);
	ck_assert_uint_eq(p[0], 0x5a);
	ck_assert_uint_eq(flags_of(entry_of(d1, 6)),
			  LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY | LAMINA_GTF_READING);
	ck_assert_int_eq(grant_unmap(d2, HOLE(5), h), 0);
}
END_TEST

START_TEST(readonly_map_of_a_writable_grant)
{
	uint32_t h, fl;

	publish(d1, 6, 2, 301, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 1, 6, HOLE(5), true, &h), 0);
	ck_assert_ptr_nonnull(pm_page(d2, HOLE(5), &fl));
	ck_assert_uint_eq(fl, KVM_MEM_READONLY);
	ck_assert_uint_eq(flags_of(entry_of(d1, 6)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READING);
	ck_assert_int_eq(grant_unmap(d2, HOLE(5), h), 0);
}
END_TEST

START_TEST(map_errors)
{
	uint32_t h;

	publish(d1, 1, 2, 310, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 2, 3, 311, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 40, 1, HOLE(1), false, &h), -LAMINA_ESRCH);
	ck_assert_int_eq(grant_map(d2, LAMINA_DOMID_MAX + 5, 1, HOLE(1), false, &h), -LAMINA_ESRCH);
	ck_assert_int_eq(grant_map(d2, 1, LAMINA_GRANT_PER_FRAME, HOLE(1), false, &h),
			 -LAMINA_EINVAL);
	ck_assert_int_eq(grant_map(d2, 1, 3, HOLE(1), false, &h), -LAMINA_EACCES);
	ck_assert_int_eq(grant_map(d2, 1, 2, HOLE(1), false, &h), -LAMINA_EACCES);  /* to d3 */
	ck_assert_int_eq(grant_map(d1, LAMINA_DOMID_SELF, 1, HOLE(1), false, &h), -LAMINA_EACCES);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), 0);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), -LAMINA_EBUSY);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_WRITING);
	ck_assert_uint_eq(flags_of(entry_of(d1, 2)), LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), h), 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
}
END_TEST

START_TEST(map_of_a_page_outside_the_granters_ram)
{
	uint32_t h;

	publish(d1, 1, 2, FAKE_RAM / 4096, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), -LAMINA_EINVAL);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
	ck_assert(revoke(entry_of(d1, 1)));
	pthread_mutex_lock(&d1->lock);
	ck_assert_int_eq(mem_release(d1, 400), 0);      /* ballooned out */
	pthread_mutex_unlock(&d1->lock);
	publish(d1, 1, 2, 400, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), -LAMINA_EINVAL);
	ck_assert(revoke(entry_of(d1, 1)));
	ck_assert(!grant_pages_in_use(d1, 400, 1));
}
END_TEST

START_TEST(self_map_and_several_maps_of_one_grant)
{
	uint32_t a, b, c;

	publish(d1, 9, 1, 320, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d1, LAMINA_DOMID_SELF, 9, HOLE(1), false, &a), 0);
	ck_assert_int_eq(grant_map(d1, 1, 9, HOLE(2), true, &b), 0);
	ck_assert_int_eq(grant_map(d1, 1, 9, HOLE(3), false, &c), 0);
	ck_assert(a != b && b != c && a != c);
	pm_page(d1, HOLE(1), NULL)[7] = 0x77;
	ck_assert_uint_eq(pm_page(d1, HOLE(2), NULL)[7], 0x77);
	ck_assert_uint_eq(ram(d1, 320)[7], 0x77);
	ck_assert_int_eq(grant_unmap(d1, HOLE(1), a), 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 9)),
			  LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READING | LAMINA_GTF_WRITING);
	ck_assert_int_eq(grant_unmap(d1, HOLE(3), c), 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 9)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READING);
	ck_assert_int_eq(grant_unmap(d1, HOLE(2), b), 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 9)), LAMINA_GTF_PERMIT_ACCESS);
}
END_TEST

START_TEST(unmap_errors)
{
	uint32_t h;

	publish(d1, 1, 2, 310, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), 0), -LAMINA_EINVAL);   /* nothing mapped yet */
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), 0);
	ck_assert_int_eq(grant_unmap(d2, HOLE(2), h), -LAMINA_EINVAL);
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), h + 1), -LAMINA_EINVAL);
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), 0xffffffffu), -LAMINA_EINVAL);
	ck_assert_int_eq(grant_unmap(d1, HOLE(1), h), -LAMINA_EINVAL);     /* not d1's */
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), h), 0);
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), h), -LAMINA_EINVAL);
}
END_TEST

START_TEST(map_limit_is_max_maps)
{
	static uint32_t h[LAMINA_GNTTAB_MAX_MAPS];

	publish(d1, 1, 2, 310, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	for (unsigned i = 0; i < LAMINA_GNTTAB_MAX_MAPS; i++)
		ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(i), true, &h[i]), 0);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(LAMINA_GNTTAB_MAX_MAPS), true, &h[0]),
			 -LAMINA_ENOSPC);
	ck_assert_int_eq(grant_unmap(d2, HOLE(3), h[3]), 0);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(3), true, &h[3]), 0);
	for (unsigned i = 0; i < LAMINA_GNTTAB_MAX_MAPS; i += 2)
		ck_assert_int_eq(grant_unmap(d2, HOLE(i), h[i]), 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)) & LAMINA_GTF_READING, LAMINA_GTF_READING);
	/* the rest go with d2 */
}
END_TEST

START_TEST(balloon_interlock)
{
	uint32_t h;

	publish(d1, 1, 2, 330, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), 0);
	pthread_mutex_lock(&d1->lock);
	ck_assert(grant_pages_in_use(d1, 330, 1));   /* called under d->lock, as hc_memory does */
	pthread_mutex_unlock(&d1->lock);
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), h), 0);
	ck_assert(grant_pages_in_use(d1, 330, 1));   /* granted, mapped or not */
	ck_assert(revoke(entry_of(d1, 1)));
	ck_assert(!grant_pages_in_use(d1, 330, 1));
}

/* memory.h: a page must not be granted to be ballooned out; -EBUSY for a
 * page that is granted or mapped. Granted means an entry of type
 * PERMIT_ACCESS names it, for any peer and access, mapped or not. */
START_TEST(balloon_refuses_granted_pages)
{
	publish(d1, 1, 2, 340, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 300, 7, 341, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);  /* frame 1 */
	entry_of(d1, 2)->gfn = 342;                   /* not a grant: type INVALID */
	pthread_mutex_lock(&d1->lock);
	ck_assert(grant_pages_in_use(d1, 340, 1));
	ck_assert(grant_pages_in_use(d1, 341, 1));
	ck_assert(!grant_pages_in_use(d1, 342, 1));
	ck_assert(!grant_pages_in_use(d1, 339, 1));
	ck_assert(grant_pages_in_use(d1, 336, 8));   /* an extent holding 340 and 341 */
	ck_assert(!grant_pages_in_use(d1, 342, 8));
	ck_assert(!grant_pages_in_use(d1, 332, 8));
	pthread_mutex_unlock(&d1->lock);
	ck_assert(!grant_pages_in_use(d2, 340, 1));
	ck_assert(revoke(entry_of(d1, 1)));
	ck_assert(!grant_pages_in_use(d1, 340, 1));
	ck_assert(grant_pages_in_use(d1, 341, 1));
	ck_assert(revoke(entry_of(d1, 300)));
	ck_assert(!grant_pages_in_use(d1, 341, 1));
}
END_TEST

/* ---- Host side ---- */

START_TEST(host_map_checks_domain_and_access)
{
	uint32_t h1, h2;

	strcpy((char *)ram(d1, 340), "hello back-end");
	publish(d1, 3, 0, 340, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	ck_assert_ptr_null(grant_map_host(d1, 3, 0, true, &h1));     /* read-only grant */
	ck_assert_ptr_null(grant_map_host(d1, 3, 2, false, &h1));    /* granted to 0, not 2 */
	ck_assert_ptr_null(grant_map_host(d1, 99999, 0, false, &h1));
	const char *p = grant_map_host(d1, 3, 0, false, &h1);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "hello back-end");
	const char *q = grant_map_host(d1, 3, 0, false, &h2);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_ne(h1, h2);
	ck_assert(!revoke(entry_of(d1, 3)));
	ck_assert_int_eq(grant_unmap_host(hv, h1), 0);
	ck_assert_int_eq(grant_unmap_host(hv, h1), -LAMINA_EINVAL);
	ck_assert_int_eq(grant_unmap_host(hv, 12345), -LAMINA_EINVAL);
	ck_assert(!revoke(entry_of(d1, 3)));
	ck_assert_int_eq(grant_unmap_host(hv, h2), 0);
	ck_assert(revoke(entry_of(d1, 3)));
}
END_TEST

/* Back-end pins of every domain share the host's maptrack, which is larger
 * than a guest's: two network back-ends (516 pages each) fit at once. */
START_TEST(host_pins_go_past_a_guests_map_limit)
{
	static uint32_t h[LAMINA_GNTTAB_MAX_MAPS + 100];
	uint64_t gfn;

	publish(d1, 4, 0, 341, LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned i = 0; i < LAMINA_GNTTAB_MAX_MAPS + 100; i++)
		ck_assert_int_eq(grant_pin_host(d1, 4, 0, true, &h[i], &gfn), 0);
	ck_assert_uint_eq(gfn, 341);
	for (unsigned i = 0; i < LAMINA_GNTTAB_MAX_MAPS + 100; i++)
		ck_assert_int_eq(grant_unmap_host(hv, h[i]), 0);
	ck_assert(revoke(entry_of(d1, 4)));
}
END_TEST

START_TEST(host_map_writable_and_as_a_guest)
{
	uint32_t h;

	publish(d1, 4, 2, 341, LAMINA_GTF_PERMIT_ACCESS);
	char *p = grant_map_host(d1, 4, 2, true, &h);    /* a back-end acting as d2 */
	ck_assert_ptr_nonnull(p);
	strcpy(p, "written by host");
	ck_assert_str_eq((char *)ram(d1, 341), "written by host");
	ck_assert_uint_eq(flags_of(entry_of(d1, 4)), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_WRITING);
	ck_assert_int_eq(grant_unmap_host(hv, h), 0);
	ck_assert_uint_eq(flags_of(entry_of(d1, 4)), LAMINA_GTF_PERMIT_ACCESS);
}
END_TEST

/* ---- Teardown ---- */

/* Bytes of memory the file behind fd holds now. */
static uint64_t allocated(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* A destroyed granter gives all its RAM back to the host but the pages
 * peers still map (one by a guest, one by the host here). */
START_TEST(granter_teardown_frees_all_but_mapped_pages)
{
	uint32_t hg, hh;
	int fd = dup(d1->memfd);                   /* to look at the file after it is closed */

	ck_assert_int_ge(fd, 0);
	memset(d1->ram, 0x5a, FAKE_RAM);           /* every page allocated */
	ck_assert_uint_ge(allocated(fd), FAKE_RAM);
	strcpy((char *)ram(d1, 352), "kept for d2");
	strcpy((char *)ram(d1, 353), "kept for the host");
	publish(d1, 1, 2, 352, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 2, 0, 353, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 3, 2, 354, LAMINA_GTF_PERMIT_ACCESS);   /* granted, never mapped */
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &hg), 0);
	char *host = grant_map_host(d1, 2, 0, true, &hh);
	ck_assert_ptr_nonnull(host);
	fake_dom_free(d1);
	d1 = NULL;
	ck_assert_uint_le(allocated(fd), 2 * 4096);
	ck_assert_str_eq((char *)pm_page(d2, HOLE(1), NULL), "kept for d2");
	ck_assert_str_eq(host, "kept for the host");
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), hg), 0);
	ck_assert_int_eq(grant_unmap_host(hv, hh), 0);
	close(fd);
}
END_TEST

START_TEST(granter_teardown_keeps_mapped_pages_valid)
{
	uint32_t hg, hh;

	strcpy((char *)ram(d1, 350), "survivor");
	publish(d1, 1, 2, 350, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 2, 0, 350, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &hg), 0);
	const char *host = grant_map_host(d1, 2, 0, false, &hh);
	ck_assert_ptr_nonnull(host);
	fake_dom_free(d1);                         /* RAM unmapped, memfd closed */
	d1 = NULL;
	char *guest = (char *)pm_page(d2, HOLE(1), NULL);
	ck_assert_str_eq(guest, "survivor");
	ck_assert_str_eq(host, "survivor");
	strcpy(guest, "still here");
	ck_assert_str_eq(host, "still here");
	uint32_t h;
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(2), false, &h), -LAMINA_ESRCH);
	ck_assert_int_ne(fake.pages, 0);           /* the dead table stays for the unpins */
	ck_assert_int_eq(grant_unmap(d2, HOLE(1), hg), 0);
	ck_assert_int_eq(grant_unmap_host(hv, hh), 0);
	fake_dom_free(d2);
	d2 = NULL;
	ck_assert_int_eq(fake.pages, 0);           /* and goes with the last mapping */
}
END_TEST

START_TEST(mapper_teardown_drops_its_mappings)
{
	uint32_t h;

	publish(d1, 1, 2, 360, LAMINA_GTF_PERMIT_ACCESS);
	publish(d1, 2, 2, 361, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), 0);
	ck_assert_int_eq(grant_map(d2, 1, 2, HOLE(2), true, &h), 0);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(3), true, &h), 0);
	fake_dom_free(d2);
	d2 = NULL;
	ck_assert_uint_eq(flags_of(entry_of(d1, 1)), LAMINA_GTF_PERMIT_ACCESS);
	ck_assert(revoke(entry_of(d1, 1)));
	ck_assert(revoke(entry_of(d1, 2)));
	ck_assert(!grant_pages_in_use(d1, 360, 1));
}
END_TEST

START_TEST(mutual_mappings_then_both_die)
{
	uint32_t h;

	publish(d1, 1, 2, 370, LAMINA_GTF_PERMIT_ACCESS);
	publish(d2, 1, 1, 371, LAMINA_GTF_PERMIT_ACCESS);
	ck_assert_int_eq(grant_map(d2, 1, 1, HOLE(1), false, &h), 0);
	ck_assert_int_eq(grant_map(d1, 2, 1, HOLE(1), false, &h), 0);
	fake_dom_free(d1);
	d1 = NULL;
	ck_assert_uint_eq(flags_of(entry_of(d2, 1)), LAMINA_GTF_PERMIT_ACCESS);
	/* teardown() frees d2, whose mapping of dead d1's page frees d1's table */
}
END_TEST

START_TEST(host_mapping_outlives_everything)
{
	uint32_t h;

	publish(d1, 1, 0, 380, LAMINA_GTF_PERMIT_ACCESS);
	char *p = grant_map_host(d1, 1, 0, true, &h);
	ck_assert_ptr_nonnull(p);
	fake_dom_free(d1);
	fake_dom_free(d2);
	d1 = d2 = NULL;
	p[0] = 1;                                   /* still valid memory */
	ck_assert_int_eq(grant_unmap_host(hv, h), 0);
	ck_assert_int_eq(grant_unmap_host(hv, h), -LAMINA_EINVAL);
}
END_TEST

/* Copies and mappings from other threads while the granter is torn down:
 * each gets 0 or -ESRCH, and nothing touches freed memory (ASan). */
struct churn { struct domain *d; int stop; long ok, gone; };

static void *churner(void *arg)
{
	struct churn *c = arg;
	struct lamina_gnttab_copy cp = { .src = { .u.ref = 1, .dom = 1 },
		.dest = { .u.gfn = 500, .dom = LAMINA_DOMID_SELF }, .len = 4096,
		.flags = LAMINA_GNTCOPY_SRC_GREF };
	uint32_t h;

	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		int rc = grant_copy(c->d, &cp);
		ck_assert(rc == 0 || rc == -LAMINA_ESRCH);
		rc ? c->gone++ : c->ok++;
		rc = grant_map(c->d, 1, 1, HOLE(9), true, &h);
		ck_assert(rc == 0 || rc == -LAMINA_ESRCH);
		if (!rc)
			ck_assert_int_eq(grant_unmap(c->d, HOLE(9), h), 0);
	}
	return NULL;
}

START_TEST(teardown_races_with_copies_and_maps)
{
	struct churn c = { .d = d2 };
	pthread_t th;

	fake.threads = true;
	publish(d1, 1, 2, 390, LAMINA_GTF_PERMIT_ACCESS);
	pthread_create(&th, NULL, churner, &c);
	while (__atomic_load_n(&c.ok, __ATOMIC_SEQ_CST) < 100)
		sched_yield();
	fake_dom_free(d1);
	d1 = NULL;
	while (__atomic_load_n(&c.gone, __ATOMIC_SEQ_CST) < 100)
		sched_yield();
	__atomic_store_n(&c.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
}
END_TEST

TCase *tc_map(void)
{
	TCase *tc = tcase_create("map");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, two_doms_setup, two_doms_teardown);
	tcase_add_test(tc, new_table_has_one_frame);
	tcase_add_test(tc, domain_0_may_query_others);
	tcase_add_test(tc, setup_grows_up_to_the_domain_limit);
	tcase_add_test(tc, frames_are_pages_and_grow_on_demand);
	tcase_add_test(tc, frame_allocation_failure);
	tcase_add_test(tc, map_shows_the_granters_page);
	tcase_add_test(tc, readonly_map_is_a_readonly_slot_and_view);
	tcase_add_test(tc, readonly_map_of_a_writable_grant);
	tcase_add_test(tc, map_errors);
	tcase_add_test(tc, map_of_a_page_outside_the_granters_ram);
	tcase_add_test(tc, self_map_and_several_maps_of_one_grant);
	tcase_add_test(tc, unmap_errors);
	tcase_add_test(tc, map_limit_is_max_maps);
	tcase_add_test(tc, balloon_interlock);
	tcase_add_test(tc, balloon_refuses_granted_pages);
	tcase_add_test(tc, host_map_checks_domain_and_access);
	tcase_add_test(tc, host_pins_go_past_a_guests_map_limit);
	tcase_add_test(tc, host_map_writable_and_as_a_guest);
	tcase_add_test(tc, granter_teardown_keeps_mapped_pages_valid);
	tcase_add_test(tc, granter_teardown_frees_all_but_mapped_pages);
	tcase_add_test(tc, mapper_teardown_drops_its_mappings);
	tcase_add_test(tc, mutual_mappings_then_both_die);
	tcase_add_test(tc, host_mapping_outlives_everything);
	tcase_add_test(tc, teardown_races_with_copies_and_maps);
	return tc;
}
