// SPDX-License-Identifier: MIT
// grant_basic/main.c: grant_table_op in one domain: setup/query, frames, self-grants mapped and copied, limits, every error.
#include "../grant_pair/gnt.h"

const char test_title[] = "grant tables in one domain: setup, query, map, unmap, copy, limits, errors";

/* Layout (--mem 16): RAM gfns 0x100..0xfff, the image well below 0x400.
 * Granted pages are free RAM pages; mappings go in the physmap hole above
 * shared_info (RT_HOLE_GFN) and the grant frames. */
#define P(i)      (0x800ul + (i))          /* free RAM pages */
#define RAM_END   0x1000000ull
#define FRAME0    (RT_HOLE_GFN + 1)
#define FRAME7    (RT_HOLE_GFN + 2)
#define M(i)      (RT_HOLE_GFN + 16 + (i)) /* where grants get mapped */

static uint16_t me;
static volatile struct lamina_grant_entry *gt;   /* frame 0, mapped at FRAME0 */

static void query_and_setup(void)
{
	struct lamina_gnttab_query_size q = { .dom = LAMINA_DOMID_SELF };
	struct lamina_gnttab_setup_table s = { .dom = LAMINA_DOMID_SELF, .nr_frames = 4 };

	rt_expect(GOP(QUERY_SIZE, &q, 1), 0, "query_size of self");
	rt_expect(q.nr_frames, 1, "a new table has one frame");
	rt_expect(q.max_frames, LAMINA_GNTTAB_MAX_FRAMES, "max_frames is the default limit");
	rt_expect(GOP(QUERY_SIZE, &q, 0), -LAMINA_EINVAL, "query_size count 0 -> EINVAL");
	rt_expect(GOP(QUERY_SIZE, &q, 2), -LAMINA_EINVAL, "query_size count 2 -> EINVAL");
	rt_expect(GOP(QUERY_SIZE, BAD_PTR, 1), -LAMINA_EFAULT, "query_size unmapped arg -> EFAULT");
	q.dom = 40;
	rt_expect(GOP(QUERY_SIZE, &q, 1), -LAMINA_ESRCH, "query_size of domain 40 -> ESRCH");
	q.dom = LAMINA_DOMID_HOST;
	rt_expect(GOP(QUERY_SIZE, &q, 1), -LAMINA_EPERM, "query_size of domain 0 -> EPERM");
	q.dom = me;
	rt_expect(GOP(QUERY_SIZE, &q, 1), 0, "query_size naming itself by id");
	q.pad = 1;
	rt_expect(GOP(QUERY_SIZE, &q, 1), -LAMINA_EINVAL, "query_size non-zero pad -> EINVAL");

	rt_expect(GOP(SETUP_TABLE, &s, 1), 0, "setup_table to 4 frames");
	q = (struct lamina_gnttab_query_size){ .dom = LAMINA_DOMID_SELF };
	GOP(QUERY_SIZE, &q, 1);
	rt_expect(q.nr_frames, 4, "the table has 4 frames");
	s.nr_frames = 2;
	rt_expect(GOP(SETUP_TABLE, &s, 1), 0, "setup_table to 2 frames");
	GOP(QUERY_SIZE, &q, 1);
	rt_expect(q.nr_frames, 4, "setup_table never shrinks");
	s.nr_frames = 0;
	rt_expect(GOP(SETUP_TABLE, &s, 1), -LAMINA_EINVAL, "setup_table 0 frames -> EINVAL");
	s.nr_frames = LAMINA_GNTTAB_MAX_FRAMES + 1;
	rt_expect(GOP(SETUP_TABLE, &s, 1), -LAMINA_EINVAL, "setup_table 65 frames -> EINVAL");
	s.nr_frames = 4;
	s.dom = me;
	rt_expect(GOP(SETUP_TABLE, &s, 1), -LAMINA_EPERM, "setup_table dom not SELF -> EPERM");
	s.dom = LAMINA_DOMID_SELF;
	s.pad = 1;
	rt_expect(GOP(SETUP_TABLE, &s, 1), -LAMINA_EINVAL, "setup_table non-zero pad -> EINVAL");
	s.pad = 0;
	rt_expect(GOP(SETUP_TABLE, &s, 2), -LAMINA_EINVAL, "setup_table count 2 -> EINVAL");
	rt_expect(GOP(SETUP_TABLE, BAD_PTR, 1), -LAMINA_EFAULT, "setup_table unmapped arg -> EFAULT");
}

static void frames(void)
{
	struct lamina_gnttab_query_size q = { .dom = LAMINA_DOMID_SELF };

	rt_expect(gnt_frame(0, FRAME0), 0, "add_to_physmap grant frame 0");
	gt = (volatile struct lamina_grant_entry *)PAGE_AT(FRAME0);
	rt_expect(gnt_frame(LAMINA_GNTTAB_MAX_FRAMES, FRAME7), -LAMINA_EINVAL,
		  "add_to_physmap grant frame 64 -> EINVAL");
	rt_expect(gnt_frame(7, FRAME7), 0, "add_to_physmap grant frame 7");
	GOP(QUERY_SIZE, &q, 1);
	rt_expect(q.nr_frames, 8, "mapping frame 7 grew the table to 8 frames");
	rt_check(gt[0].flags == 0 && gt[255].flags == 0, "a fresh frame reads as no grants");
}

static void self_map(void)
{
	volatile uint8_t *p = PAGE_AT(P(0)), *m = PAGE_AT(M(0));
	uint64_t gfn = P(0);
	uint32_t h, hro;

	rt_memcpy((void *)p, "granted to myself", 18);
	gnt_publish(&gt[1], me, P(0), LAMINA_GTF_PERMIT_ACCESS);
	rt_expect(gnt_map(LAMINA_DOMID_SELF, 1, M(0), 0, &h), 0, "map my own grant (dom SELF)");
	rt_check(gnt_same(m, "granted to myself", 18), "the mapping shows the granted page");
	m[100] = 0x5a;
	rt_expect(p[100], 0x5a, "a write through a writable mapping reaches the page");
	rt_expect(gnt_flags(&gt[1]), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_WRITING,
		  "a writable mapping sets WRITING");
	rt_expect(gnt_revoke(&gt[1]), 0, "revoke while mapped is refused (busy)");
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)&gfn, .nr_extents = 1,
					    .domid = LAMINA_DOMID_SELF };
	rt_expect(HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_DECREASE_RESERVATION, &r), -LAMINA_EBUSY,
		  "ballooning out a mapped granted page -> EBUSY");
	rt_expect(gnt_map(me, 1, M(0), 0, NULL), -LAMINA_EBUSY, "map at a gpa in use -> EBUSY");
	rt_expect(gnt_map(me, 1, M(1), LAMINA_GNTMAP_READONLY, &hro), 0, "a second, read-only map");
	rt_expect(PAGE_AT(M(1))[100], 0x5a, "the read-only mapping shows the page");
	rt_expect(gnt_flags(&gt[1]),
		  LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READING | LAMINA_GTF_WRITING,
		  "both kinds of mapping: READING and WRITING");
	rt_expect(gnt_unmap(M(1), h), -LAMINA_EINVAL, "unmap at the wrong gpa -> EINVAL");
	rt_expect(gnt_unmap(M(0), 1000), -LAMINA_EINVAL, "unmap an unknown handle -> EINVAL");
	rt_expect(gnt_unmap(M(0), h), 0, "unmap the writable mapping");
	rt_expect(gnt_flags(&gt[1]), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READING,
		  "the last writable mapping gone: WRITING clear");
	rt_expect(gnt_revoke(&gt[1]), 0, "revoke still refused while mapped read-only");
	rt_expect(gnt_unmap(M(1), hro), 0, "unmap the read-only mapping");
	rt_expect(gnt_unmap(M(1), hro), -LAMINA_EINVAL, "unmap it twice -> EINVAL");
	rt_expect(gnt_flags(&gt[1]), LAMINA_GTF_PERMIT_ACCESS, "no mapping: no READING/WRITING");
	rt_expect(gnt_revoke(&gt[1]), 1, "revoke works once nothing maps it");
	rt_expect(gnt_map(me, 1, M(0), 0, NULL), -LAMINA_EACCES, "map a revoked grant -> EACCES");
}

static void map_errors(void)
{
	uint32_t h;

	rt_memcpy((void *)PAGE_AT(P(1)), "read only", 10);
	gnt_publish(&gt[2], me, P(1), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	gnt_publish(&gt[3], 5, P(1), LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[4], me, 0x100000, LAMINA_GTF_PERMIT_ACCESS);     /* not RAM */
	rt_expect(gnt_map(40, 2, M(0), 0, NULL), -LAMINA_ESRCH, "map from domain 40 -> ESRCH");
	rt_expect(gnt_map(me, 8 * 256, M(0), 0, NULL), -LAMINA_EINVAL, "ref beyond the table -> EINVAL");
	rt_expect(gnt_map(me, 0xffffffffu, M(0), 0, NULL), -LAMINA_EINVAL, "ref ~0 -> EINVAL");
	struct lamina_gnttab_map m = { .gpa = (M(0) << 12) + 8, .ref = 2, .dom = me,
				       .flags = LAMINA_GNTMAP_READONLY };
	GOP(MAP_GRANT_REF, &m, 1);
	rt_expect(m.status, -LAMINA_EINVAL, "unaligned gpa -> EINVAL");
	rt_expect(gnt_map(me, 2, P(2), LAMINA_GNTMAP_READONLY, NULL), -LAMINA_EINVAL,
		  "gpa in RAM, outside the hole -> EINVAL");
	rt_expect(gnt_map(me, 2, M(0), 0x4, NULL), -LAMINA_EINVAL, "unknown map flag -> EINVAL");
	rt_expect(gnt_map(me, 5, M(0), 0, NULL), -LAMINA_EACCES, "empty entry -> EACCES");
	rt_expect(gnt_map(me, 3, M(0), 0, NULL), -LAMINA_EACCES,
		  "entry granted to another domain -> EACCES");
	rt_expect(gnt_map(me, 2, M(0), 0, NULL), -LAMINA_EROFS,
		  "writable map of a read-only grant -> EROFS");
	rt_expect(gnt_map(me, 4, M(0), 0, NULL), -LAMINA_EINVAL,
		  "grant of a frame that is not the granter's RAM -> EINVAL");
	rt_expect(gnt_map(me, 2, RT_HOLE_GFN, LAMINA_GNTMAP_READONLY, NULL), -LAMINA_EBUSY,
		  "map over shared_info -> EBUSY");
	rt_expect(gnt_map(me, 2, FRAME0, LAMINA_GNTMAP_READONLY, NULL), -LAMINA_EBUSY,
		  "map over a grant frame -> EBUSY");
	rt_expect(gnt_flags(&gt[2]), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY,
		  "failed maps leave the flags alone");
	rt_expect(gnt_map(me, 2, M(0), LAMINA_GNTMAP_READONLY, &h), 0, "read-only map of it");
	rt_check(gnt_same(PAGE_AT(M(0)), "read only", 10), "it shows the page");
	rt_expect(gnt_unmap(M(0), h), 0, "unmap it");
	rt_expect(gnt_revoke(&gt[3]), 1, "revoke the grant to domain 5");
	rt_expect(gnt_revoke(&gt[4]), 1, "revoke the grant of a non-RAM frame");
}

static void batches(void)
{
	static struct lamina_gnttab_map m[LAMINA_GNTTAB_MAX_BATCH + 1];
	struct lamina_gnttab_unmap u[2];

	for (unsigned c = LAMINA_GNTTABOP_MAP_GRANT_REF; c <= LAMINA_GNTTABOP_COPY; c++) {
		rt_expectf(HC3(LAMINA_HC_grant_table_op, c, m, 0), -LAMINA_EINVAL, "cmd %u count 0", c);
		rt_expectf(HC3(LAMINA_HC_grant_table_op, c, m, LAMINA_GNTTAB_MAX_BATCH + 1),
			   -LAMINA_E2BIG, "cmd %u count 65 -> E2BIG", c);
		rt_expectf(HC3(LAMINA_HC_grant_table_op, c, BAD_PTR, 1), -LAMINA_EFAULT,
			   "cmd %u unmapped array -> EFAULT", c);
	}
	m[0] = (struct lamina_gnttab_map){ .gpa = M(0) << 12, .ref = 2, .dom = me,
					   .flags = LAMINA_GNTMAP_READONLY, .status = 1 };
	m[1] = (struct lamina_gnttab_map){ .gpa = M(1) << 12, .ref = 6, .dom = me, .status = 1 };
	m[2] = (struct lamina_gnttab_map){ .gpa = M(2) << 12, .ref = 2, .dom = me,
					   .flags = LAMINA_GNTMAP_READONLY, .status = 1 };
	rt_expect(GOP(MAP_GRANT_REF, m, 3), 0, "a batch of 3 maps returns 0");
	rt_expect(m[0].status, 0, "element 0 mapped");
	rt_expect(m[1].status, -LAMINA_EACCES, "element 1 (empty entry) -> EACCES");
	rt_expect(m[2].status, 0, "element 2 mapped");
	rt_check(m[0].handle != m[2].handle, "two mappings, two handles");
	u[0] = (struct lamina_gnttab_unmap){ .gpa = M(0) << 12, .handle = m[0].handle, .status = 1 };
	u[1] = (struct lamina_gnttab_unmap){ .gpa = M(2) << 12, .handle = m[2].handle, .status = 1 };
	rt_expect(GOP(UNMAP_GRANT_REF, u, 2), 0, "a batch of 2 unmaps");
	rt_check(u[0].status == 0 && u[1].status == 0, "both unmapped");

	/* The array's second element lies beyond RAM: the first is done and
	 * reported, then the call fails. */
	struct lamina_gnttab_map *edge = (void *)(RAM_END - sizeof(*edge));
	*edge = (struct lamina_gnttab_map){ .gpa = M(3) << 12, .ref = 2, .dom = me,
					    .flags = LAMINA_GNTMAP_READONLY, .status = 1 };
	rt_expect(GOP(MAP_GRANT_REF, edge, 2), -LAMINA_EFAULT, "element 1 beyond RAM -> EFAULT");
	rt_expect(edge->status, 0, "element 0 before the fault was done");
	rt_expect(gnt_unmap(M(3), edge->handle), 0, "and can be unmapped");
	rt_expect(gnt_flags(&gt[2]), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY,
		  "no mapping left behind");
}

static void copies(void)
{
	volatile uint8_t *a = PAGE_AT(P(2)), *b = PAGE_AT(P(3));
	unsigned S = LAMINA_GNTCOPY_SRC_GREF, D = LAMINA_GNTCOPY_DEST_GREF;

	for (unsigned i = 0; i < 4096; i++) {
		a[i] = (uint8_t)i;
		b[i] = 0;
	}
	rt_expect(gnt_copy(gnt_local(P(2), 10), gnt_local(P(3), 20), 100, 0), 0, "copy local to local");
	rt_check(b[20] == 10 && b[119] == 109 && b[19] == 0 && b[120] == 0,
		 "exactly the 100 bytes arrived");
	gnt_publish(&gt[5], me, P(3), LAMINA_GTF_PERMIT_ACCESS);
	rt_expect(gnt_copy(gnt_local(P(2), 0), gnt_ref(me, 5, 4000), 96, D), 0,
		  "copy local to a grant, to the page's last byte");
	rt_check(b[4000] == 0 && b[4095] == 95, "it arrived");
	rt_expect(gnt_copy(gnt_ref(LAMINA_DOMID_SELF, 5, 4000), gnt_local(P(2), 0), 1, S), 0,
		  "copy a grant to local (dom SELF)");
	rt_expect(gnt_copy(gnt_ref(me, 2, 0), gnt_ref(me, 5, 0), 10, S | D), 0,
		  "copy grant to grant (from a read-only grant)");
	rt_check(gnt_same(b, "read only", 10), "it arrived");
	rt_expect(gnt_flags(&gt[5]), LAMINA_GTF_PERMIT_ACCESS, "copies leave no READING/WRITING");
	rt_expect(gnt_copy(gnt_local(P(2), 0), gnt_ref(me, 2, 0), 8, D), -LAMINA_EROFS,
		  "copy into a read-only grant -> EROFS");
	gnt_publish(&gt[3], 5, P(1), LAMINA_GTF_PERMIT_ACCESS);
	rt_expect(gnt_copy(gnt_ref(me, 3, 0), gnt_local(P(2), 0), 8, S), -LAMINA_EACCES,
		  "copy from a grant to another domain -> EACCES");
	rt_expect(gnt_copy(gnt_ref(me, 6, 0), gnt_local(P(2), 0), 8, S), -LAMINA_EACCES,
		  "copy from an empty entry -> EACCES");
	rt_expect(gnt_copy(gnt_ref(40, 5, 0), gnt_local(P(2), 0), 8, S), -LAMINA_ESRCH,
		  "copy from domain 40 -> ESRCH");
	rt_expect(gnt_copy(gnt_ref(me, 8 * 256, 0), gnt_local(P(2), 0), 8, S), -LAMINA_EINVAL,
		  "copy from a ref beyond the table -> EINVAL");
	rt_expect(gnt_copy(gnt_local(P(2), 0), gnt_local(P(3), 0), 0, 0), -LAMINA_EINVAL,
		  "len 0 -> EINVAL");
	rt_expect(gnt_copy(gnt_local(P(2), 4000), gnt_local(P(3), 0), 97, 0), -LAMINA_EINVAL,
		  "source offset + len beyond the page -> EINVAL");
	rt_expect(gnt_copy(gnt_local(P(2), 0), gnt_ref(me, 5, 4095), 2, D), -LAMINA_EINVAL,
		  "dest offset + len beyond the page -> EINVAL");
	rt_expect(gnt_copy(gnt_local(0x1000, 0), gnt_local(P(3), 0), 8, 0), -LAMINA_EINVAL,
		  "source gfn beyond RAM -> EINVAL");
	rt_expect(gnt_copy(gnt_local(P(2), 0), gnt_local(P(3), 0), 8, 0x10), -LAMINA_EINVAL,
		  "unknown copy flag -> EINVAL");
	struct lamina_gnttab_copy_ptr other = gnt_local(P(2), 0);
	other.dom = 5;
	rt_expect(gnt_copy(other, gnt_local(P(3), 0), 8, 0), -LAMINA_EINVAL,
		  "a local source naming another domain -> EINVAL");
	rt_expect(gnt_copy(gnt_local(P(3), 0), other, 8, 0), -LAMINA_EINVAL,
		  "a local dest naming another domain -> EINVAL");
	rt_expect(gnt_revoke(&gt[3]), 1, "revoke the grant to domain 5");
	rt_expect(gnt_revoke(&gt[5]), 1, "revoke the copy target");
}

/* LAMINA_GNTTAB_MAX_MAPS mappings at once, then one more. Most stay
 * mapped: the domain's teardown drops them. */
static void map_limit(void)
{
	static struct lamina_gnttab_map m[LAMINA_GNTTAB_MAX_BATCH];
	static uint32_t handle[LAMINA_GNTTAB_MAX_MAPS];
	unsigned done = 0, bad = 0;

	for (unsigned i = 0; i < LAMINA_GNTTAB_MAX_MAPS; i += LAMINA_GNTTAB_MAX_BATCH) {
		for (unsigned j = 0; j < LAMINA_GNTTAB_MAX_BATCH; j++)
			m[j] = (struct lamina_gnttab_map){ .gpa = M(64 + i + j) << 12, .ref = 2,
				.dom = me, .flags = LAMINA_GNTMAP_READONLY, .status = 1 };
		if (GOP(MAP_GRANT_REF, m, LAMINA_GNTTAB_MAX_BATCH))
			bad++;
		for (unsigned j = 0; j < LAMINA_GNTTAB_MAX_BATCH; j++) {
			handle[i + j] = m[j].handle;
			m[j].status ? bad++ : done++;
		}
	}
	rt_expect(done, LAMINA_GNTTAB_MAX_MAPS, "LAMINA_GNTTAB_MAX_MAPS mappings succeed");
	rt_expect(bad, 0, "with no failure");
	rt_check(gnt_same(PAGE_AT(M(64 + 1000)), "read only", 10), "mapping 1000 shows the page");
	rt_expect(gnt_map(me, 2, M(40), LAMINA_GNTMAP_READONLY, NULL), -LAMINA_ENOSPC,
		  "one more mapping -> ENOSPC");
	rt_expect(gnt_unmap(M(64 + 5), handle[5]), 0, "unmap one of them");
	rt_expect(gnt_map(me, 2, M(40), LAMINA_GNTMAP_READONLY, NULL), 0, "then one more fits");
	rt_expect(gnt_map(me, 2, M(41), LAMINA_GNTMAP_READONLY, NULL), -LAMINA_ENOSPC,
		  "and the next -> ENOSPC again");
	rt_expect(gnt_revoke(&gt[2]), 0, "the mapped grant cannot be revoked");
}

void test_main(void)
{
	struct lamina_version_features f = { .index = 0 };

	rt_expect(HC2(LAMINA_HC_version, LAMINA_VERSION_FEATURES, &f), 0, "version FEATURES");
	rt_check(f.bits & LAMINA_FEAT_GRANT_MAP, "feature word 0 has GRANT_MAP (%#x)", f.bits);
	me = gnt_my_domid();
	query_and_setup();
	frames();
	self_map();
	map_errors();
	batches();
	copies();
	map_limit();
	rt_expect(HC3(LAMINA_HC_grant_table_op, 5, 0, 1), -LAMINA_ENOSYS, "unknown sub-op 5 -> ENOSYS");
	rt_expect(HC3(LAMINA_HC_grant_table_op, 99, 0, 1), -LAMINA_ENOSYS, "unknown sub-op 99 -> ENOSYS");
}
