// SPDX-License-Identifier: MIT
// unowned/main.c: touching a frame the guest gave back (or, with "above", one above its reservation) crashes only its own domain.
#include "rt.h"

const char test_title[] = "a guest touching memory it does not own crashes only itself";

#define MEMOP(cmd, arg) HC2(LAMINA_HC_memory_op, cmd, arg)
#define PAGE(gfn) ((volatile uint64_t *)((uint64_t)(gfn) << 12))
/* args: --mem 16 --maxmem 32: gfns 0x100..0xfff populated at boot, 0x1000.. not */
#define GIVEN   0x800ul     /* a populated page nobody uses; given back below */
#define ABOVE   0x1800ul    /* above the reservation, never populated */

static long dec(uint64_t gfn)
{
	uint64_t list[1] = { gfn };
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)list, .nr_extents = 1,
		.extent_order = 0, .domid = LAMINA_DOMID_SELF };

	return MEMOP(LAMINA_MEMOP_DECREASE_RESERVATION, (uint64_t)&r);
}

void test_main(void)
{
	long c0 = MEMOP(LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF);
	const char *where = rt_arg("where");
	int above = where && where[0] == 'a';   /* where=above */
	uint64_t gfn = above ? ABOVE : GIVEN;

	PAGE(GIVEN)[0] = 0x1234;
	if (!above) {
		rt_expect(dec(GIVEN), 1, "DECREASE the page -> 1 extent");
		rt_expect(MEMOP(LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF), c0 - 1,
			  "CURRENT_RESERVATION dropped by one");
	}
	rt_printf("unowned: touching gfn 0x%lx (%s)\n", (unsigned long)gfn,
		  above ? "above the reservation" : "given back");
	uint64_t v = PAGE(gfn)[0];
	rt_printf("FAILURE: read 0x%lx from a frame the guest does not own and ran on\n",
		  (unsigned long)v);
}
