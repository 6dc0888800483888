// SPDX-License-Identifier: MIT
// balloon_guest/main.c: touch all RAM, balloon half out and back, pausing at each phase for the host to measure.
#include "rt.h"

const char test_title[] = "balloon half the memory out and back";

#define MAX_GFNS 65536
static uint64_t gfns[MAX_GFNS];

/* Tell the host which phase we reached, then wait for it to type "g". */
static void phase(const char *name, long pages)
{
	char c = 0;

	rt_printf("PHASE %s %ld\n", name, pages);
	while (HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_READ, 1, &c) != 1 || c != 'g')
		HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_YIELD, 0);
}

static long reservation(int max)
{
	return HC2(LAMINA_HC_memory_op, max ? LAMINA_MEMOP_MAXIMUM_RESERVATION :
		   LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF);
}

static long extents(unsigned cmd, long n)
{
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)gfns, .nr_extents = (uint64_t)n,
					    .extent_order = 0, .domid = LAMINA_DOMID_SELF };

	return HC2(LAMINA_HC_memory_op, cmd, &r);
}

void test_main(void)
{
	extern char rt_bss_end[];
	uint64_t first = ((uint64_t)rt_bss_end + 4095) >> 12;     /* above our image */
	uint64_t end = (uint64_t)reservation(0);   /* RAM is gfns 256..end-1; all populated */
	long half = (long)end / 2;             /* half of all the domain's pages */

	if (half <= 0 || half > MAX_GFNS || (uint64_t)half > end - first)
		rt_fail("unexpected memory size: %ld pages", reservation(0));
	for (uint64_t g = first; g < end; g++)
		*(volatile uint64_t *)(g << 12) = g;
	phase("touched", reservation(0));
	for (long i = 0; i < half; i++)
		gfns[i] = end - 1 - (uint64_t)i;
	rt_expect(extents(LAMINA_MEMOP_DECREASE_RESERVATION, half), half, "decrease_reservation");
	phase("released", reservation(0));
	rt_expect(extents(LAMINA_MEMOP_POPULATE_PHYSMAP, half), half, "populate_physmap");
	int zero = 1;
	for (long i = 0; i < half; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(gfns[i] << 12);
		zero &= *p == 0;
		*p = gfns[i];
	}
	rt_check(zero, "repopulated pages read as zero");
	phase("restored", reservation(0));
}
