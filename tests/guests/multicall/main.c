// SPDX-License-Identifier: MIT
// multicall/main.c: the multicall hypercall: batches, per-entry results, E2BIG, EINVAL entries, EFAULT.
#include "rt.h"

const char test_title[] = "multicall";

#define SENTINEL 0x5a5a5a5a5a5a5a5all
#define MC(calls, n) HC2(LAMINA_HC_multicall, calls, n)

static struct lamina_multicall_entry mc[LAMINA_MULTICALL_MAX + 8];

static void fill(unsigned n)
{
	rt_memset(mc, 0, sizeof(mc));
	for (unsigned i = 0; i < n; i++) {
		mc[i].op = LAMINA_HC_null;
		mc[i].result = SENTINEL;
	}
}

static void all_nulls(void)
{
	unsigned bad = 0;

	fill(LAMINA_MULTICALL_MAX);
	rt_expect(MC(mc, LAMINA_MULTICALL_MAX), 0, "32 nulls in one batch return 0");
	for (unsigned i = 0; i < LAMINA_MULTICALL_MAX; i++)
		bad += mc[i].result != 0;
	rt_expect(bad, 0, "32 nulls: entries whose result is not 0");
	fill(1);
	rt_expect(MC(mc, 1), 0, "a batch of one null returns 0");
	rt_expect(mc[0].result, 0, "a batch of one null: result 0");
}

static void mixed(void)
{
	static struct lamina_version_features f;
	static const char msg[] = "multicall console write\n";

	fill(8);
	mc[0].op = LAMINA_HC_version;            /* GET -> ABI version */
	mc[0].args[0] = LAMINA_VERSION_GET;
	mc[1].op = LAMINA_HC_version;            /* FEATURES with an unmapped pointer */
	mc[1].args[0] = LAMINA_VERSION_FEATURES;
	mc[1].args[1] = RT_UNMAPPED;
	mc[2].op = 42;                           /* no such hypercall */
	mc[3].op = LAMINA_HC_version;            /* unknown sub-op */
	mc[3].args[0] = 99;
	mc[4].op = LAMINA_HC_console_io;         /* pointer argument: a guest virtual address */
	mc[4].args[0] = LAMINA_CONSOLE_WRITE;
	mc[4].args[1] = sizeof(msg) - 1;
	mc[4].args[2] = (uint64_t)msg;
	mc[5].op = LAMINA_HC_memory_op;          /* arg by value */
	mc[5].args[0] = LAMINA_MEMOP_MAXIMUM_RESERVATION;
	mc[5].args[1] = LAMINA_DOMID_SELF;
	mc[6].op = LAMINA_HC_version;            /* FEATURES writes through a pointer */
	mc[6].args[0] = LAMINA_VERSION_FEATURES;
	mc[6].args[1] = (uint64_t)&f;
	mc[7].op = LAMINA_HC_null;
	f.index = 0;
	f.bits = 0xdeadbeef;
	rt_expect(MC(mc, 8), 0, "mixed batch returns 0 although entries fail");
	rt_expect(mc[0].result, LAMINA_ABI_VERSION, "mixed[0] version GET result");
	rt_expect(mc[1].result, -LAMINA_EFAULT, "mixed[1] version FEATURES with an unmapped pointer -> EFAULT");
	rt_expect(mc[2].result, -LAMINA_ENOSYS, "mixed[2] hypercall 42 -> ENOSYS");
	rt_expect(mc[3].result, -LAMINA_ENOSYS, "mixed[3] version unknown sub-op -> ENOSYS");
	rt_expect(mc[4].result, sizeof(msg) - 1, "mixed[4] console write through a pointer: byte count");
	rt_check(mc[5].result > 0, "mixed[5] memory_op MAXIMUM_RESERVATION by value: %ld pages",
		 (long)mc[5].result);
	rt_expect(mc[6].result, 0, "mixed[6] version FEATURES through a pointer: 0");
	rt_check(f.bits != 0xdeadbeef && (f.bits & LAMINA_FEAT_EVENT_DOORBELL),
		 "mixed[6] FEATURES wrote the feature word (0x%x)", f.bits);
	rt_expect(mc[7].result, 0, "mixed[7] null after failing entries still runs");
	rt_expect(mc[0].op, LAMINA_HC_version, "op field left as written");
	rt_expect(mc[4].args[2], (uint64_t)msg, "args left as written");
}

static void too_big(void)
{
	unsigned touched = 0;

	fill(LAMINA_MULTICALL_MAX + 1);
	rt_expect(MC(mc, LAMINA_MULTICALL_MAX + 1), -LAMINA_E2BIG, "count 33 > LAMINA_MULTICALL_MAX -> E2BIG");
	for (unsigned i = 0; i <= LAMINA_MULTICALL_MAX; i++)
		touched += mc[i].result != (int64_t)SENTINEL;
	rt_expect(touched, 0, "count 33 -> E2BIG: entries run (results written)");
	rt_expect(MC(mc, 1ull << 32), -LAMINA_E2BIG, "count 2^32 -> E2BIG (not truncated to 0)");
	rt_expect(MC(mc, (1ull << 32) + 1), -LAMINA_E2BIG, "count 2^32+1 -> E2BIG (not truncated to 1)");
	rt_expect(MC(mc, ~0ull), -LAMINA_E2BIG, "count ~0 -> E2BIG");
	rt_expect(mc[0].result, SENTINEL, "huge counts -> E2BIG: entry 0 not run");
	rt_expect(MC(RT_UNMAPPED, LAMINA_MULTICALL_MAX + 1), -LAMINA_E2BIG,
		  "count 33 with an unmapped array -> E2BIG (count checked first)");
}

static void not_batchable(void)
{
	static struct lamina_multicall_entry inner[1];
	static struct lamina_sched_shutdown off = { .reason = LAMINA_SHUTDOWN_POWEROFF };

	fill(5);
	inner[0].op = LAMINA_HC_null;
	inner[0].result = SENTINEL;
	mc[0].op = LAMINA_HC_multicall;          /* nested multicall */
	mc[0].args[0] = (uint64_t)inner;
	mc[0].args[1] = 1;
	mc[1].op = LAMINA_HC_sched_op;           /* would end the domain if it ran */
	mc[1].args[0] = LAMINA_SCHEDOP_SHUTDOWN;
	mc[1].args[1] = (uint64_t)&off;
	mc[2].op = LAMINA_HC_sched_op;
	mc[2].args[0] = LAMINA_SCHEDOP_YIELD;
	mc[3].op = LAMINA_HC_sched_op;           /* would block forever if it ran */
	mc[3].args[0] = LAMINA_SCHEDOP_BLOCK;
	mc[4].op = LAMINA_HC_null;
	rt_expect(MC(mc, 5), 0, "batch with multicall and sched_op entries returns 0");
	rt_expect(mc[0].result, -LAMINA_EINVAL, "nested multicall entry -> EINVAL");
	rt_expect(inner[0].result, SENTINEL, "nested multicall entry did not run its batch");
	rt_expect(mc[1].result, -LAMINA_EINVAL, "sched_op SHUTDOWN entry -> EINVAL (and the domain lives)");
	rt_expect(mc[2].result, -LAMINA_EINVAL, "sched_op YIELD entry -> EINVAL");
	rt_expect(mc[3].result, -LAMINA_EINVAL, "sched_op BLOCK entry -> EINVAL (did not block)");
	rt_expect(mc[4].result, 0, "null after sched_op entries still runs");
}

/* The last page of populated RAM: entries there are readable, the next page is not RAM. */
static struct lamina_multicall_entry *ram_end(void)
{
	uint64_t pages = (uint64_t)HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_CURRENT_RESERVATION,
				       LAMINA_DOMID_SELF);
	return (struct lamina_multicall_entry *)(pages * 4096);
}

static void faults(void)
{
	rt_expect(MC(RT_UNMAPPED, 1), -LAMINA_EFAULT, "unmapped array -> EFAULT");
	rt_expect(MC(RT_BEYOND_RAM, 2), -LAMINA_EFAULT, "array beyond RAM -> EFAULT");
	rt_expect(MC(0x8000000000000000ull, 1), -LAMINA_EFAULT, "non-canonical array -> EFAULT");

	/* Two entries at the very end of RAM, the third one past it. */
	struct lamina_multicall_entry *e = ram_end() - 2;
	rt_memset(e, 0, 2 * sizeof(*e));
	e[0].op = LAMINA_HC_null;
	e[0].result = SENTINEL;
	e[1].op = LAMINA_HC_version;
	e[1].result = SENTINEL;
	rt_expect(MC(e, 3), -LAMINA_EFAULT, "third entry beyond RAM -> EFAULT");
	rt_expect(e[0].result, 0, "EFAULT at entry 2: entry 0 ran before it");
	rt_expect(e[1].result, LAMINA_ABI_VERSION, "EFAULT at entry 2: entry 1 ran before it");

	/* An entry straddling the end of RAM cannot be read. */
	struct lamina_multicall_entry *s = (void *)((char *)ram_end() - 24);
	rt_expect(MC(s, 1), -LAMINA_EFAULT, "entry straddling the end of RAM -> EFAULT");
}

/* A batch in memory the caller maps read-only: the entry runs, its result cannot be written. */
static void read_only(void)
{
	static struct lamina_version_features f;
	struct lamina_multicall_entry *ro = rt_readonly(mc);

	if (!ro) {
		rt_check(0, "read-only alias of the batch");
		return;
	}
	fill(2);
	mc[0].op = LAMINA_HC_version;
	mc[0].args[0] = LAMINA_VERSION_FEATURES;
	mc[0].args[1] = (uint64_t)&f;
	f.bits = 0xdeadbeef;
	rt_expect(MC(ro, 2), -LAMINA_EFAULT, "batch mapped read-only: result cannot be written -> EFAULT");
	rt_check(f.bits != 0xdeadbeef, "read-only batch: entry 0 ran before its result could not be written");
	rt_expect(mc[0].result, SENTINEL, "read-only batch: no result written");
	rt_expect(mc[1].result, SENTINEL, "read-only batch: entry 1 did not run");
	mc[0].op = LAMINA_HC_version;
	mc[0].args[0] = LAMINA_VERSION_FEATURES;
	mc[0].args[1] = (uint64_t)rt_readonly(&f);
	rt_expect(MC(mc, 1), 0, "entry writing through a read-only pointer: batch returns 0");
	rt_expect(mc[0].result, -LAMINA_EFAULT, "entry writing through a read-only pointer -> EFAULT");
}

static void count_zero(void)
{
	fill(1);
	rt_expect(MC(mc, 0), 0, "count 0 -> 0");
	rt_expect(mc[0].result, SENTINEL, "count 0 runs nothing");
	rt_expect(MC(RT_UNMAPPED, 0), 0, "count 0 with an unmapped array -> 0");
	rt_expect(MC(0, 0), 0, "count 0 with a NULL array -> 0");
}

/* An entry's own pointer arguments fault independently of the batch. */
static void entry_pointers(void)
{
	fill(3);
	mc[0].op = LAMINA_HC_memory_op;
	mc[0].args[0] = LAMINA_MEMOP_MEMORY_MAP;
	mc[0].args[1] = RT_UNMAPPED;
	mc[1].op = LAMINA_HC_vcpu_op;
	mc[1].args[0] = LAMINA_VCPUOP_IS_UP;
	mc[1].args[1] = 0;
	mc[2].op = LAMINA_HC_vcpu_op;
	mc[2].args[0] = LAMINA_VCPUOP_IS_UP;
	mc[2].args[1] = 7;
	rt_expect(MC(mc, 3), 0, "batch of vcpu_op and memory_op entries returns 0");
	rt_expect(mc[0].result, -LAMINA_EFAULT, "memory_op MEMORY_MAP entry with unmapped arg -> EFAULT");
	rt_expect(mc[1].result, 1, "vcpu_op IS_UP(0) entry -> 1");
	rt_expect(mc[2].result, -LAMINA_ENOENT, "vcpu_op IS_UP(7) entry -> ENOENT");
}

void test_main(void)
{
	all_nulls();
	mixed();
	too_big();
	not_batchable();
	faults();
	read_only();
	count_zero();
	entry_pointers();
}
