// SPDX-License-Identifier: MIT
// tour/main.c: the `make run` demo: a guest that shows what it learns from Lamina through hypercalls.
#include "rt.h"

const char test_title[] = "a tour of the Lamina ABI from inside a guest";

static void show_memory(void)
{
	struct lamina_e820_entry e[LAMINA_E820_MAX];
	struct lamina_memory_map m = { .nr_entries = LAMINA_E820_MAX, .buffer = (uint64_t)e };

	rt_expect(HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_MEMORY_MAP, &m), 0, "memory map");
	for (unsigned i = 0; i < m.nr_entries && i < LAMINA_E820_MAX; i++)
		rt_printf("  memory 0x%lx-0x%lx %s\n", e[i].addr, e[i].addr + e[i].size - 1,
			  e[i].type == LAMINA_E820_RAM ? "RAM" : "reserved");
	long cur = HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF);
	long max = HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_MAXIMUM_RESERVATION, LAMINA_DOMID_SELF);
	rt_printf("  reservation: %ld of at most %ld pages (%ld KiB)\n", cur, max, cur * 4);
	rt_check(cur > 0 && cur <= max, "current reservation within the maximum");
}

static void show_clock(void)
{
	uint64_t t0 = rt_now(), t1;

	for (int i = 0; i < 20; i++)
		HC0(LAMINA_HC_null);
	t1 = rt_now();
	rt_printf("  PV clock: %lu ns since boot; 20 null hypercalls took %lu ns\n", t1, t1 - t0);
	rt_check(t1 > t0, "the PV clock advances");
}

void test_main(void)
{
	long v = HC2(LAMINA_HC_version, LAMINA_VERSION_GET, 0);

	rt_printf("  hello from a Lamina guest: ABI %ld.%ld, hypercall page at %p\n",
		  v >> 16, v & 0xffff, (void *)rt_hypercall_page);
	rt_printf("  command line: '%s'\n", rt_cmdline);
	show_memory();
	rt_map_shared_info();
	rt_printf("  shared_info: domain %u, %u vCPU(s), store port %u, console port %u\n",
		  rt_shinfo->domid, rt_shinfo->nr_vcpus, rt_shinfo->store_port,
		  rt_shinfo->console_port);
	show_clock();
}
