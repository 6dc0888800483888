// SPDX-License-Identifier: MIT
// balloon/main.c: balloon half of all free guest memory out and back; repopulated pages are zero and writable.
#include "rt.h"

const char test_title[] = "balloon: give back half of memory, take it back";

#define MEMOP(cmd, arg) HC2(LAMINA_HC_memory_op, cmd, arg)
#define BATCH 512

extern char rt_bss_end[];
static uint64_t first_gfn, end_gfn;     /* free RAM [first, end) after the image */
static uint64_t list[BATCH];

static long cur_pages(void) { return MEMOP(LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF); }

static long extents(int cmd, uint64_t n, unsigned order)
{
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)list, .nr_extents = n,
		.extent_order = order, .domid = LAMINA_DOMID_SELF };

	return MEMOP(cmd, &r);
}

static volatile uint64_t *page(uint64_t gfn) { return (volatile uint64_t *)(gfn << 12); }
static uint64_t tag(uint64_t gfn, unsigned i) { return gfn * 0x9e3779b97f4a7c15ull ^ i; }

static void find_ram(void)
{
	static struct lamina_e820_entry e[LAMINA_E820_MAX];
	struct lamina_memory_map m = { .nr_entries = LAMINA_E820_MAX, .buffer = (uint64_t)e };
	uint64_t img_end = ((uint64_t)rt_bss_end + 4095) >> 12;

	if (MEMOP(LAMINA_MEMOP_MEMORY_MAP, &m))
		rt_fail("MEMORY_MAP failed");
	long cur = cur_pages();
	for (unsigned i = 0; i < m.nr_entries; i++) {
		uint64_t s = e[i].addr >> 12, t = (e[i].addr + e[i].size) >> 12;
		if (e[i].type != LAMINA_E820_RAM || s > img_end || t <= img_end)
			continue;
		first_gfn = img_end;
		end_gfn = t < (uint64_t)cur ? t : (uint64_t)cur;   /* populated part (boot memory) */
	}
	if (!end_gfn || end_gfn <= first_gfn + 1024)
		rt_fail("no RAM range after the image in the memory map");
	rt_printf("  free RAM: gfns 0x%lx..0x%lx (%lu pages)\n", (unsigned long)first_gfn,
		  (unsigned long)end_gfn, (unsigned long)(end_gfn - first_gfn));
}

static void touch_all(void)
{
	uint64_t bad = 0;

	for (uint64_t g = first_gfn; g < end_gfn; g++)
		for (unsigned i = 0; i < 512; i++)
			page(g)[i] = tag(g, i);
	for (uint64_t g = first_gfn; g < end_gfn; g++)
		for (unsigned i = 0; i < 512; i += 7)
			bad += page(g)[i] != tag(g, i);
	rt_expect(bad, 0, "every free page holds what was written (words differing)");
}

/* Run cmd over every second page (odd offsets from first_gfn), BATCH gfns per call. */
static uint64_t every_other(int cmd)
{
	uint64_t done = 0, n = 0;
	int ok = 1;

	for (uint64_t g = first_gfn + 1; g < end_gfn; g += 2) {
		list[n++] = g;
		if (n == BATCH || g + 2 >= end_gfn) {
			long r = extents(cmd, n, 0);
			if (r != (long)n) {
				if (ok)
					rt_check(0, "%s batch at gfn 0x%lx: got %ld, want %lu",
						 cmd == LAMINA_MEMOP_DECREASE_RESERVATION ? "DECREASE" : "POPULATE",
						 (unsigned long)list[0], r, (unsigned long)n);
				ok = 0;
			}
			done += r > 0 ? (uint64_t)r : 0;
			n = 0;
		}
	}
	return done;
}

static void half_out_and_back(void)
{
	long c0 = cur_pages();
	uint64_t half = (end_gfn - first_gfn) / 2, bad = 0, nonzero = 0;

	uint64_t out = every_other(LAMINA_MEMOP_DECREASE_RESERVATION);
	rt_expect(out, half, "DECREASE every other free page: extents done");
	rt_expect(cur_pages(), c0 - (long)out, "CURRENT_RESERVATION dropped by the pages given back");
	rt_printf("  ballooned out %lu pages (%lu KiB); reservation %ld -> %ld pages\n",
		  (unsigned long)out, (unsigned long)out * 4, c0, cur_pages());
	for (uint64_t g = first_gfn; g < end_gfn; g += 2)
		for (unsigned i = 0; i < 512; i += 7)
			bad += page(g)[i] != tag(g, i);
	rt_expect(bad, 0, "pages kept while ballooning still hold their data (words differing)");

	uint64_t in = every_other(LAMINA_MEMOP_POPULATE_PHYSMAP);
	rt_expect(in, half, "POPULATE every other page back: extents done");
	rt_expect(cur_pages(), c0, "CURRENT_RESERVATION back to where it was");
	for (uint64_t g = first_gfn + 1; g < end_gfn; g += 2)
		for (unsigned i = 0; i < 512; i++)
			nonzero += page(g)[i] != 0;
	rt_expect(nonzero, 0, "repopulated pages read as zero (non-zero words)");
	for (uint64_t g = first_gfn + 1; g < end_gfn; g += 2)
		for (unsigned i = 0; i < 512; i++)
			page(g)[i] = ~tag(g, i);
	bad = 0;
	for (uint64_t g = first_gfn + 1; g < end_gfn; g += 2)
		for (unsigned i = 0; i < 512; i += 3)
			bad += page(g)[i] != ~tag(g, i);
	rt_expect(bad, 0, "repopulated pages are writable (words differing after a write)");
}

/* Whole 2 MiB extents: out and back with order 9. */
static void big_extents(void)
{
	long c0 = cur_pages();
	uint64_t n = 0, nonzero = 0;

	for (uint64_t g = (first_gfn + 511) & ~511ull; g + 512 <= end_gfn && n < BATCH; g += 512)
		list[n++] = g;
	if (!n) {
		rt_printf("  note: no free 2 MiB extent\n");
		return;
	}
	rt_expectf(extents(LAMINA_MEMOP_DECREASE_RESERVATION, n, 9), n, "DECREASE %lu order-9 extents",
		   (unsigned long)n);
	rt_expect(cur_pages(), c0 - (long)(n * 512), "CURRENT_RESERVATION dropped by 512 pages per extent");
	rt_printf("  ballooned out %lu MiB in 2 MiB extents\n", (unsigned long)n * 2);
	rt_expectf(extents(LAMINA_MEMOP_POPULATE_PHYSMAP, n, 9), n, "POPULATE %lu order-9 extents", (unsigned long)n);
	rt_expect(cur_pages(), c0, "CURRENT_RESERVATION back");
	for (uint64_t k = 0; k < n; k++)
		for (unsigned i = 0; i < 512 * 512; i += 61)
			nonzero += page(list[k])[i] != 0;
	rt_expect(nonzero, 0, "repopulated 2 MiB extents read as zero (non-zero words sampled)");
	page(list[0])[0] = 42;
	page(list[n - 1])[512 * 512 - 1] = 43;
	rt_check(page(list[0])[0] == 42 && page(list[n - 1])[512 * 512 - 1] == 43,
		 "repopulated 2 MiB extents are writable at both ends");
}

void test_main(void)
{
	find_ram();
	touch_all();
	half_out_and_back();
	big_extents();
}
