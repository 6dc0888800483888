// SPDX-License-Identifier: MIT
// memory/main.c: memory_op: memory map, reservations, decrease/populate and add_to_physmap, with every error.
#include "rt.h"

const char test_title[] = "memory_op: memory map, reservation, balloon, add_to_physmap";

#define MEMOP(cmd, arg) HC2(LAMINA_HC_memory_op, cmd, arg)
#define PAGE(gfn) ((volatile uint64_t *)((uint64_t)(gfn) << 12))
#define H RT_HOLE_GFN
#define HOLE_END_GFN ((LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE) >> 12)

/* Boot layout (args: --mem 16 --maxmem 32): RAM gfns 0x100..0xfff populated,
 * 0x1000..0x1fff unpopulated; the image lives well below 0x400. */
#define BOOT_PAGES 0x1000ul
#define MAX_PAGES  0x2000ul
#define A          0x800ul     /* a populated page nobody uses */
#define BIG        0xa00ul     /* a populated, 2 MiB-aligned extent nobody uses */
#define UNPOP      0x1800ul    /* unpopulated at boot */
#define LAST       0xffful     /* last populated page */

extern char rt_bss_end[];
static uint16_t my_domid;

static long cur_pages(void) { return MEMOP(LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF); }

static long resv(int cmd, const uint64_t *list, uint64_t n, unsigned order, unsigned domid)
{
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)list, .nr_extents = n,
		.extent_order = order, .domid = (lamina_domid_t)domid };

	return MEMOP(cmd, &r);
}
#define DEC(list, n, order) resv(LAMINA_MEMOP_DECREASE_RESERVATION, list, n, order, LAMINA_DOMID_SELF)
#define POP(list, n, order) resv(LAMINA_MEMOP_POPULATE_PHYSMAP, list, n, order, LAMINA_DOMID_SELF)

static int page_is(uint64_t gfn, uint64_t pages, uint64_t v)
{
	for (uint64_t i = 0; i < pages * 512; i++)
		if (PAGE(gfn)[i] != v)
			return 0;
	return 1;
}

static void page_fill(uint64_t gfn, uint64_t pages, uint64_t v)
{
	for (uint64_t i = 0; i < pages * 512; i++)
		PAGE(gfn)[i] = v;
}

/* ---- MEMORY_MAP ---- */
static struct lamina_e820_entry map[LAMINA_E820_MAX + 2];

static long get_map(uint32_t cap, void *buf, uint32_t *out)
{
	struct lamina_memory_map m = { .nr_entries = cap, .buffer = (uint64_t)buf };
	long r = MEMOP(LAMINA_MEMOP_MEMORY_MAP, &m);

	*out = m.nr_entries;
	return r;
}

static void memory_map(void)
{
	uint32_t n, n2;
	int sorted = 1, aligned = 1, typed = 1, hole = 0, ram_low = 0, ram_in_hole = 0;

	rt_memset(map, 0xab, sizeof(map));
	rt_expect(get_map(LAMINA_E820_MAX, map, &n), 0, "MEMORY_MAP with capacity 32");
	rt_check(n >= 2 && n <= LAMINA_E820_MAX, "MEMORY_MAP: %u entries", n);
	if (n < 2 || n > LAMINA_E820_MAX)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct lamina_e820_entry *e = &map[i];
		rt_printf("  e820[%u]: %lx + %lx type %u\n", i, (unsigned long)e->addr,
			  (unsigned long)e->size, e->type);
		if (i + 1 < n && e->addr + e->size > map[i + 1].addr)
			sorted = 0;
		if (e->addr % 4096 || e->size % 4096 || !e->size)
			aligned = 0;
		if ((e->type != LAMINA_E820_RAM && e->type != LAMINA_E820_RESERVED) || e->pad)
			typed = 0;
		if (e->type == LAMINA_E820_RESERVED && e->addr <= LAMINA_PHYSMAP_HOLE_BASE &&
		    e->addr + e->size >= LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE)
			hole = 1;
		if (e->type == LAMINA_E820_RAM && e->addr <= 0x100000 &&
		    e->addr + e->size >= BOOT_PAGES * 4096)
			ram_low = 1;
		if (e->type == LAMINA_E820_RAM &&
		    e->addr < LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE &&
		    e->addr + e->size > LAMINA_PHYSMAP_HOLE_BASE)
			ram_in_hole = 1;
	}
	rt_check(sorted, "MEMORY_MAP entries sorted and not overlapping");
	rt_check(aligned, "MEMORY_MAP entries page-aligned and non-empty");
	rt_check(typed, "MEMORY_MAP entry types are RAM or RESERVED, pad 0");
	rt_check(hole, "MEMORY_MAP reports the physmap hole as RESERVED");
	rt_check(ram_low, "MEMORY_MAP has a RAM range covering [1 MiB, 16 MiB) (the boot memory)");
	rt_check(!ram_in_hole, "MEMORY_MAP: no RAM inside the physmap hole");
	rt_expect(map[n].type, 0xabababab, "MEMORY_MAP wrote nothing past nr_entries");

	rt_memset(map, 0xab, sizeof(map));
	rt_expect(get_map(n, map, &n2), 0, "MEMORY_MAP with capacity exactly the number needed");
	rt_expect(n2, n, "MEMORY_MAP exact capacity: nr_entries");
	rt_memset(map, 0xab, sizeof(map));
	rt_expect(get_map(n - 1, map, &n2), -LAMINA_E2BIG, "MEMORY_MAP capacity one short -> E2BIG");
	rt_expect(n2, n, "MEMORY_MAP E2BIG sets nr_entries to the number needed");
	rt_expect(map[0].type, 0xabababab, "MEMORY_MAP E2BIG writes no entries");
	rt_expect(get_map(0, 0, &n2), -LAMINA_E2BIG, "MEMORY_MAP capacity 0, NULL buffer -> E2BIG");
	rt_expect(n2, n, "MEMORY_MAP capacity 0: nr_entries set to the number needed");

	rt_expect(MEMOP(LAMINA_MEMOP_MEMORY_MAP, RT_UNMAPPED), -LAMINA_EFAULT, "MEMORY_MAP arg unmapped -> EFAULT");
	rt_expect(get_map(LAMINA_E820_MAX, (void *)RT_UNMAPPED, &n2), -LAMINA_EFAULT,
		  "MEMORY_MAP buffer unmapped -> EFAULT");
	rt_expect(get_map(LAMINA_E820_MAX, (void *)RT_BEYOND_RAM, &n2), -LAMINA_EFAULT,
		  "MEMORY_MAP buffer beyond RAM -> EFAULT");
	rt_expect(get_map(LAMINA_E820_MAX, (void *)(LAST * 4096 + 4096 - 24), &n2), -LAMINA_EFAULT,
		  "MEMORY_MAP buffer running off the end of RAM -> EFAULT");

	rt_expect(get_map(LAMINA_E820_MAX, rt_readonly(map), &n2), -LAMINA_EFAULT,
		  "MEMORY_MAP buffer mapped read-only -> EFAULT");
	static struct lamina_memory_map rom;
	rom = (struct lamina_memory_map){ .nr_entries = 1, .buffer = (uint64_t)map };
	rt_expect(MEMOP(LAMINA_MEMOP_MEMORY_MAP, rt_readonly(&rom)), -LAMINA_EFAULT,
		  "MEMORY_MAP E2BIG with the argument mapped read-only (nr_entries not writable) -> EFAULT");

	struct lamina_memory_map m = { .nr_entries = LAMINA_E820_MAX, .pad = 1, .buffer = (uint64_t)map };
	rt_expect(MEMOP(LAMINA_MEMOP_MEMORY_MAP, &m), -LAMINA_EINVAL, "MEMORY_MAP with pad != 0 -> EINVAL");

	rt_expect(MEMOP(6, 0), -LAMINA_ENOSYS, "memory_op sub-op 6 -> ENOSYS");
	rt_expect(MEMOP(0x100000000ull, 0), -LAMINA_ENOSYS, "memory_op sub-op 2^32 -> ENOSYS (not truncated)");
}

/* ---- CURRENT/MAXIMUM_RESERVATION ---- */
static void reservation(void)
{
	rt_expect(cur_pages(), BOOT_PAGES, "CURRENT_RESERVATION(SELF) = 16 MiB of pages");
	rt_expect(MEMOP(LAMINA_MEMOP_MAXIMUM_RESERVATION, LAMINA_DOMID_SELF), MAX_PAGES,
		  "MAXIMUM_RESERVATION(SELF) = 32 MiB of pages");
	rt_expect(MEMOP(LAMINA_MEMOP_CURRENT_RESERVATION, my_domid), BOOT_PAGES,
		  "CURRENT_RESERVATION(own domid) = same as SELF");
	rt_expect(MEMOP(LAMINA_MEMOP_MAXIMUM_RESERVATION, my_domid), MAX_PAGES,
		  "MAXIMUM_RESERVATION(own domid) = same as SELF");
	for (int max = 0; max < 2; max++) {
		int cmd = max ? LAMINA_MEMOP_MAXIMUM_RESERVATION : LAMINA_MEMOP_CURRENT_RESERVATION;
		const char *nm = max ? "MAXIMUM" : "CURRENT";
		rt_expectf(MEMOP(cmd, LAMINA_DOMID_HOST), -LAMINA_EPERM,
			   "%s_RESERVATION(domain 0) from a guest -> EPERM", nm);
		rt_expectf(MEMOP(cmd, LAMINA_DOMID_MAX), -LAMINA_ESRCH,
			   "%s_RESERVATION(0x7fef, no such domain) -> ESRCH", nm);
		rt_expectf(MEMOP(cmd, 0x7ff1), -LAMINA_ESRCH,
			   "%s_RESERVATION(0x7ff1, reserved id) -> ESRCH", nm);
		long r = MEMOP(cmd, 0x10000ull | LAMINA_DOMID_SELF);
		rt_check(r == -LAMINA_ESRCH || r == -LAMINA_EINVAL,
			 "%s_RESERVATION(0x17ff0: SELF plus bit 16) -> ESRCH or EINVAL, not SELF (got %ld)", nm, r);
	}
}

/* ---- DECREASE_RESERVATION / POPULATE_PHYSMAP ---- */
static uint64_t gl[16];

static void balloon_basic(void)
{
	long c0 = cur_pages();

	page_fill(A, 1, 0xaaaaaaaaaaaaaaaaull);
	gl[0] = A;
	rt_expect(DEC(gl, 1, 0), 1, "DECREASE one populated page -> 1 extent done");
	rt_expect(cur_pages(), c0 - 1, "DECREASE one page: CURRENT_RESERVATION drops by 1");
	uint32_t n;
	rt_expect(get_map(LAMINA_E820_MAX, (void *)(A << 12), &n), -LAMINA_EFAULT,
		  "hypercall buffer in a ballooned-out page -> EFAULT");
	rt_expect(DEC(gl, 1, 0), -LAMINA_ENOENT, "DECREASE a page already given back -> ENOENT");
	rt_expect(POP(gl, 1, 0), 1, "POPULATE the ballooned-out page -> 1 extent done");
	rt_expect(cur_pages(), c0, "POPULATE one page: CURRENT_RESERVATION back");
	rt_check(page_is(A, 1, 0), "POPULATE: the new page reads as zero");
	page_fill(A, 1, 0x1122334455667788ull);
	rt_check(page_is(A, 1, 0x1122334455667788ull), "POPULATE: the new page is writable");
	rt_expect(POP(gl, 1, 0), -LAMINA_EEXIST, "POPULATE a populated page -> EEXIST");

	gl[0] = A; gl[1] = A + 1; gl[2] = A + 5;
	rt_expect(DEC(gl, 3, 0), 3, "DECREASE three extents -> 3");
	rt_expect(cur_pages(), c0 - 3, "DECREASE three: CURRENT_RESERVATION drops by 3");
	rt_expect(POP(gl, 3, 0), 3, "POPULATE three extents -> 3");
	rt_expect(DEC(gl, 0, 0), 0, "DECREASE with nr_extents 0 -> 0");
	rt_expect(POP(gl, 0, 0), 0, "POPULATE with nr_extents 0 -> 0");
	rt_expect(DEC((uint64_t *)RT_UNMAPPED, 0, 0), 0, "DECREASE nr_extents 0 with an unmapped list -> 0");

	gl[0] = BIG;
	page_fill(BIG, 512, 0x5555555555555555ull);
	rt_expect(DEC(gl, 1, 9), 1, "DECREASE one order-9 (2 MiB) extent -> 1");
	rt_expect(cur_pages(), c0 - 512, "DECREASE order 9: CURRENT_RESERVATION drops by 512");
	rt_expect(POP(gl, 1, 9), 1, "POPULATE one order-9 extent -> 1");
	rt_check(page_is(BIG, 512, 0), "POPULATE order 9: all 512 pages read as zero");
	gl[0] = A + 2;
	rt_expect(DEC(gl, 1, 1), 1, "DECREASE an order-1 extent -> 1");
	rt_expect(POP(gl, 1, 1), 1, "POPULATE an order-1 extent -> 1");
	rt_expect(cur_pages(), c0, "after the order-1/order-9 round trips: CURRENT_RESERVATION back");

	/* Unpopulated since boot: 16..32 MiB. */
	gl[0] = UNPOP;
	rt_expect(DEC(gl, 1, 0), -LAMINA_ENOENT, "DECREASE a page never populated -> ENOENT");
	rt_expect(POP(gl, 1, 0), 1, "POPULATE a page above the boot memory (within max) -> 1");
	rt_check(page_is(UNPOP, 1, 0), "POPULATE above boot memory: page reads as zero");
	page_fill(UNPOP, 1, 7);
	rt_check(page_is(UNPOP, 1, 7), "POPULATE above boot memory: page writable");
	rt_expect(DEC(gl, 1, 0), 1, "DECREASE it again -> 1");
	for (int i = 0; i < 8; i++)
		gl[i] = BOOT_PAGES + 512ul * i;
	rt_expect(POP(gl, 8, 9), 8, "POPULATE all of 16..32 MiB in 8 order-9 extents -> 8");
	rt_expect(cur_pages(), MAX_PAGES, "CURRENT_RESERVATION = MAXIMUM after populating everything");
	rt_expect(DEC(gl, 8, 9), 8, "DECREASE the 8 order-9 extents again -> 8");
	rt_expect(cur_pages(), c0, "CURRENT_RESERVATION back to boot size");
}

static void balloon_errors(void)
{
	long c0 = cur_pages();
	static const struct { uint64_t gfn; unsigned order; const char *what; } bad[] = {
		{ A + 1, 1, "order 1, odd gfn (misaligned)" },
		{ BIG + 256, 9, "order 9, gfn not 2 MiB-aligned" },
		{ A, 10, "order 10 > LAMINA_MEM_MAX_ORDER" },
		{ A, 0xffffffffu, "order 2^32-1" },
		{ 0x10, 0, "gfn 0x10, below 1 MiB (reserved in the memory map)" },
		{ 0, 0, "gfn 0" },
		{ MAX_PAGES, 0, "gfn at the end of RAM (32 MiB)" },
		{ 0x40000, 0, "gfn at 1 GiB, beyond RAM" },
		{ H + 8, 0, "gfn inside the physmap hole" },
		{ 0xfee00, 0, "gfn of the local APIC" },
		{ ~0ull, 0, "gfn 2^64-1 (wraps)" },
		{ ~0ull - 511, 9, "order-9 extent at 2^64-512 (wraps)" },
		{ 1ull << 52, 0, "gfn 2^52 (address overflows)" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gl[0] = bad[i].gfn;
		rt_expectf(DEC(gl, 1, bad[i].order), -LAMINA_EINVAL, "DECREASE %s -> EINVAL", bad[i].what);
		rt_expectf(POP(gl, 1, bad[i].order), -LAMINA_EINVAL, "POPULATE %s -> EINVAL", bad[i].what);
	}
	rt_expect(cur_pages(), c0, "rejected extents changed nothing");

	/* Stops at the first failing extent and reports the count done. */
	gl[0] = A; gl[1] = 0x10; gl[2] = A + 1;
	rt_expect(DEC(gl, 3, 0), 1, "DECREASE [ok, bad, ok] -> 1 (stops at the bad one)");
	rt_expect(cur_pages(), c0 - 1, "DECREASE [ok, bad, ok]: only the first was given back");
	gl[1] = A;
	rt_expect(POP(gl, 3, 0), 1, "POPULATE [A, A, ...] -> 1 (second is EEXIST)");
	rt_expect(cur_pages(), c0, "partial POPULATE: reservation back");

	/* domid must be SELF. */
	gl[0] = A;
	rt_expect(resv(LAMINA_MEMOP_DECREASE_RESERVATION, gl, 1, 0, 0), -LAMINA_EPERM, "DECREASE domid 0 -> EPERM");
	rt_expect(resv(LAMINA_MEMOP_POPULATE_PHYSMAP, gl, 1, 0, 0), -LAMINA_EPERM, "POPULATE domid 0 -> EPERM");
	rt_expect(resv(LAMINA_MEMOP_DECREASE_RESERVATION, gl, 1, 0, my_domid), -LAMINA_EPERM,
		  "DECREASE with own numeric domid (not SELF) -> EPERM");
	rt_expect(resv(LAMINA_MEMOP_POPULATE_PHYSMAP, gl, 1, 0, my_domid), -LAMINA_EPERM,
		  "POPULATE with own numeric domid (not SELF) -> EPERM");
	rt_expect(cur_pages(), c0, "EPERM changed nothing");

	/* EFAULT: the argument, the list, and a list running off the end of RAM. */
	rt_expect(MEMOP(LAMINA_MEMOP_DECREASE_RESERVATION, RT_UNMAPPED), -LAMINA_EFAULT, "DECREASE arg unmapped -> EFAULT");
	rt_expect(MEMOP(LAMINA_MEMOP_POPULATE_PHYSMAP, RT_UNMAPPED), -LAMINA_EFAULT, "POPULATE arg unmapped -> EFAULT");
	rt_expect(DEC((uint64_t *)RT_UNMAPPED, 1, 0), -LAMINA_EFAULT, "DECREASE extent list unmapped -> EFAULT");
	rt_expect(POP((uint64_t *)RT_BEYOND_RAM, 1, 0), -LAMINA_EFAULT, "POPULATE extent list beyond RAM -> EFAULT");
	uint64_t *tail = (uint64_t *)(LAST * 4096 + 4096 - 8);
	*tail = A;
	rt_expect(DEC(tail, 2, 0), 1, "DECREASE list whose 2nd gfn is past the end of RAM -> 1 (first done)");
	rt_expect(POP(tail, 2, 0), 1, "POPULATE list whose 2nd gfn is past the end of RAM -> 1 (first done)");
	rt_expect(cur_pages(), c0, "after the EFAULT cases: reservation unchanged");

	/* A non-zero pad is an invalid argument. */
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)gl, .nr_extents = 1,
		.domid = LAMINA_DOMID_SELF, .pad = 1 };
	gl[0] = A;
	rt_expect(MEMOP(LAMINA_MEMOP_DECREASE_RESERVATION, &r), -LAMINA_EINVAL, "DECREASE with pad != 0 -> EINVAL");
	rt_expect(MEMOP(LAMINA_MEMOP_POPULATE_PHYSMAP, &r), -LAMINA_EINVAL, "POPULATE with pad != 0 -> EINVAL");
	rt_expect(cur_pages(), c0, "pad != 0 changed nothing");
}

/* DECREASE of a granted page -> EBUSY, mapped or not (memory.h).
 * The domain grants page A to itself and maps the grant into its hole. */
static int have_grants;

static void balloon_granted(void)
{
	volatile struct lamina_grant_entry *gt = (void *)((H + 21) << 12);   /* frame 0, mapped by physmap() */
	struct lamina_gnttab_map m = { .gpa = (H + 30) << 12, .ref = 5, .dom = LAMINA_DOMID_SELF };
	struct lamina_gnttab_unmap u;
	long c0 = cur_pages();

	if (!have_grants) {
		rt_printf("  note: no grant tables; DECREASE -> EBUSY (granted page) not checked\n");
		return;
	}
	gt[5].domid = my_domid;
	gt[5].gfn = A;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gt[5].flags = LAMINA_GTF_PERMIT_ACCESS;
	rt_expect(HC3(LAMINA_HC_grant_table_op, LAMINA_GNTTABOP_MAP_GRANT_REF, &m, 1), 0, "MAP_GRANT_REF of our own page A");
	rt_expect(m.status, 0, "MAP_GRANT_REF status");
	gl[0] = A;
	rt_expect(DEC(gl, 1, 0), -LAMINA_EBUSY, "DECREASE a page mapped through a grant -> EBUSY");
	gl[0] = A - 1; gl[1] = A;
	rt_expect(DEC(gl, 2, 0), 1, "DECREASE [free page, mapped page] -> 1 (stops at the mapped one)");
	rt_expect(POP(gl, 1, 0), 1, "POPULATE the free page back");
	gl[0] = A & ~1ul;
	rt_expect(DEC(gl, 1, 1), -LAMINA_EBUSY, "DECREASE an order-1 extent containing the mapped page -> EBUSY");
	rt_expect(cur_pages(), c0, "EBUSY gave back nothing");
	u = (struct lamina_gnttab_unmap){ .gpa = m.gpa, .handle = m.handle };
	rt_expect(HC3(LAMINA_HC_grant_table_op, LAMINA_GNTTABOP_UNMAP_GRANT_REF, &u, 1), 0, "UNMAP_GRANT_REF");
	rt_expect(u.status, 0, "UNMAP_GRANT_REF status");
	gl[0] = A;
	rt_expect(DEC(gl, 1, 0), -LAMINA_EBUSY, "DECREASE a page that is granted but not mapped -> EBUSY");
	rt_expect(cur_pages(), c0, "EBUSY gave back nothing");
	gt[5].flags = 0;
	rt_expect(DEC(gl, 1, 0), 1, "DECREASE once the grant is unmapped and revoked -> 1");
	rt_expect(POP(gl, 1, 0), 1, "POPULATE it back");
}

/* ---- ADD_TO_PHYSMAP ---- */
static long atp(unsigned space, uint32_t idx, uint64_t gfn, unsigned domid)
{
	struct lamina_add_to_physmap x = { .domid = (lamina_domid_t)domid, .space = (uint16_t)space,
		.idx = idx, .gfn = gfn };

	return MEMOP(LAMINA_MEMOP_ADD_TO_PHYSMAP, &x);
}
#define ATP(space, idx, gfn) atp(space, idx, gfn, LAMINA_DOMID_SELF)

static void physmap(void)
{
	volatile struct lamina_shared_info *s1 = (void *)((H + 16) << 12), *s2 = (void *)((H + 17) << 12);

	rt_expect(ATP(LAMINA_SPACE_SHARED_INFO, 0, H + 16), 0, "ADD_TO_PHYSMAP shared_info at hole+16");
	rt_check(s1->domid >= 1 && s1->domid <= LAMINA_DOMID_MAX, "shared_info domid %u is a guest id", s1->domid);
	rt_expect(s1->nr_vcpus, 1, "shared_info nr_vcpus");
	rt_expect(s1->evtchn_mask[0] | 1, ~0ull, "shared_info: ports start masked");
	my_domid = s1->domid;
	s1->vcpu_info[9].evtchn_upcall_mask = 0x5a;   /* a marker in guest-owned memory */
	rt_expect(ATP(LAMINA_SPACE_SHARED_INFO, 0, H + 17), 0, "ADD_TO_PHYSMAP shared_info again: moves to hole+17");
	rt_expect(s2->vcpu_info[9].evtchn_upcall_mask, 0x5a, "moved shared_info shows the same page");
	rt_expect(ATP(LAMINA_SPACE_CONSOLE_RING, 0, H + 16), 0,
		  "the old gfn is empty after the move (console ring maps there)");
	rt_expect(ATP(LAMINA_SPACE_SHARED_INFO, 0, H + 17), 0, "ADD_TO_PHYSMAP shared_info at its own gfn -> 0");
	rt_expect(ATP(LAMINA_SPACE_STORE_RING, 0, H + 17), -LAMINA_EBUSY, "store ring at shared_info's gfn -> EBUSY");
	rt_expect(ATP(LAMINA_SPACE_SHARED_INFO, 0, H + 16), -LAMINA_EBUSY,
		  "shared_info onto the console ring's gfn -> EBUSY");
	rt_expect(s2->vcpu_info[9].evtchn_upcall_mask, 0x5a, "after EBUSY shared_info is still where it was");
	rt_expect(ATP(LAMINA_SPACE_STORE_RING, 0, HOLE_END_GFN - 1), 0, "store ring at the last gfn of the hole");
	rt_expect(ATP(LAMINA_SPACE_STORE_RING, 0, H + 18), 0, "store ring moves to hole+18");
	rt_expect(ATP(LAMINA_SPACE_CONSOLE_RING, 0, HOLE_END_GFN - 1), 0, "the store ring's old gfn is free again");

	static const struct { uint64_t gfn; const char *what; } out[] = {
		{ A, "a RAM gfn" },
		{ H - 1, "the gfn just below the hole" },
		{ HOLE_END_GFN, "the gfn just past the hole" },
		{ 0xfee00, "the local APIC gfn" },
		{ 0, "gfn 0" },
		{ (1ull << 52) + H + 20, "hole+20 plus 2^52 (address wraps into the hole)" },
		{ ~0ull, "gfn 2^64-1" },
	};
	for (unsigned i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		rt_expectf(ATP(LAMINA_SPACE_STORE_RING, 0, out[i].gfn), -LAMINA_EINVAL,
			   "ADD_TO_PHYSMAP at %s -> EINVAL", out[i].what);
	}
	rt_expect(ATP(4, 0, H + 20), -LAMINA_EINVAL, "ADD_TO_PHYSMAP space 4 -> EINVAL");
	rt_expect(ATP(0xffff, 0, H + 20), -LAMINA_EINVAL, "ADD_TO_PHYSMAP space 0xffff -> EINVAL");
	rt_expect(ATP(LAMINA_SPACE_SHARED_INFO, 1, H + 20), -LAMINA_EINVAL, "ADD_TO_PHYSMAP shared_info idx 1 -> EINVAL");
	rt_expect(ATP(LAMINA_SPACE_STORE_RING, 1, H + 20), -LAMINA_EINVAL, "ADD_TO_PHYSMAP store ring idx 1 -> EINVAL");
	rt_expect(ATP(LAMINA_SPACE_CONSOLE_RING, 0x80000000u, H + 20), -LAMINA_EINVAL,
		  "ADD_TO_PHYSMAP console ring idx 2^31 -> EINVAL");
	rt_expect(ATP(LAMINA_SPACE_GRANT_TABLE, LAMINA_GNTTAB_MAX_FRAMES, H + 20), -LAMINA_EINVAL,
		  "ADD_TO_PHYSMAP grant frame idx 64 (= LAMINA_GNTTAB_MAX_FRAMES) -> EINVAL");
	if (HC3(LAMINA_HC_grant_table_op, 99, 0, 1) == -LAMINA_ENOSYS &&
	    HC3(LAMINA_HC_grant_table_op, 0, 0, 1) == -LAMINA_ENOSYS)
		rt_printf("  note: grant_table_op not implemented; grant frame success path not checked\n");
	else {
		have_grants = 1;
		rt_expect(ATP(LAMINA_SPACE_GRANT_TABLE, 0, H + 21), 0, "ADD_TO_PHYSMAP grant frame 0");
		rt_expect(ATP(LAMINA_SPACE_GRANT_TABLE, 3, H + 22), 0, "ADD_TO_PHYSMAP grant frame 3 (table grows)");
	}
	rt_expect(atp(LAMINA_SPACE_STORE_RING, 0, H + 23, 0), -LAMINA_EPERM, "ADD_TO_PHYSMAP domid 0 -> EPERM");
	rt_expect(atp(LAMINA_SPACE_STORE_RING, 0, H + 23, my_domid), -LAMINA_EPERM,
		  "ADD_TO_PHYSMAP own numeric domid (not SELF) -> EPERM");
	rt_expect(MEMOP(LAMINA_MEMOP_ADD_TO_PHYSMAP, RT_UNMAPPED), -LAMINA_EFAULT, "ADD_TO_PHYSMAP arg unmapped -> EFAULT");

	/* Pages in the hole are not RAM: no hypercall buffer there. */
	uint32_t n;
	rt_expect(get_map(LAMINA_E820_MAX, (void *)s2, &n), -LAMINA_EFAULT,
		  "hypercall buffer in the shared_info page (hole, not RAM) -> EFAULT");

	/* Leave shared_info where the runtime expects it. */
	rt_expect(ATP(LAMINA_SPACE_SHARED_INFO, 0, H), 0, "shared_info moves to the hole's first page");
	rt_map_shared_info();
}

void test_main(void)
{
	if ((uint64_t)rt_bss_end > 0x400000)
		rt_fail("image too large for this test's layout (ends at %p)", rt_bss_end);
	physmap();
	memory_map();
	reservation();
	balloon_basic();
	balloon_errors();
	balloon_granted();
}
