// SPDX-License-Identifier: MIT
// hostile/main.c: garbage at every hypercall number 0..127; every return must be a documented value.
#include "rt.h"

const char test_title[] = "hostile: random arguments to every hypercall";

/*
 * Arguments come from a fixed-seed LCG. Pointers are either invalid (unmapped,
 * non-canonical, beyond RAM, in the physmap hole, straddling the end of RAM)
 * or point into `scratch`; structures that lead the hypervisor to write
 * somewhere else (gfn lists, copy destinations, registered areas) are
 * sanitised so the writes land in `victim`, which the guest never touches
 * again. Calls that may legitimately end the domain or block forever are
 * avoided (SHUTDOWN with a real reason, BLOCK, POLL without a timeout).
 */
#define SCRATCH (64u << 10)
#define MARGIN  (8u << 10)    /* largest write through a scratch pointer */
static uint8_t scratch[SCRATCH] __attribute__((aligned(4096)));
static uint8_t victim[2u << 20] __attribute__((aligned(2u << 20)));
static const char dots[128] = "................................................................"
			      "...............................................................";
static struct lamina_multicall_entry mc[40];
static uint64_t ram_end, victim_gfn;

static uint64_t seed = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	uint64_t hi = seed >> 32;
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return hi << 32 | seed >> 32;
}
static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }

static uint64_t int_arg(void)
{
	switch (pick(12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return pick(16);
	case 3: return pick(256);
	case 4: return (uint32_t)rnd();
	case 5: return ~0ull;
	case 6: return 0x80000000ull;
	case 7: return 1ull << 32;
	case 8: return LAMINA_DOMID_SELF;
	case 9: return 0x7fffffffffffffffull;
	case 10: return pick(4096);
	default: return rnd();
	}
}

static uint64_t bad_ptr(void)
{
	switch (pick(7)) {
	case 0: return RT_UNMAPPED + pick(4096);
	case 1: return RT_BEYOND_RAM + pick(65536);
	case 2: return 0x8000000000000000ull | rnd();
	case 3: return 0xffff800000000000ull + pick(1u << 24);
	case 4: return LAMINA_PHYSMAP_HOLE_BASE + rnd() % LAMINA_PHYSMAP_HOLE_SIZE;
	case 5: return ram_end - 2;   /* straddles the end of RAM for any object over 2 bytes */
	default: return rnd() | (1ull << 47);
	}
}

/* A pointer into scratch with room for MARGIN bytes. */
static uint8_t *scratch_ptr(void) { return scratch + pick(SCRATCH - MARGIN); }

/* Any pointer whose target holds no further pointers the hypervisor follows. */
static uint64_t plain_ptr(void)
{
	switch (pick(5)) {
	case 0: return bad_ptr();
	case 1: return 0;   /* page 0: identity-mapped RAM the guest does not use */
	default: return (uint64_t)scratch_ptr();
	}
}

static void fill(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

static uint64_t victim_gfn_for(unsigned order)
{
	unsigned k = order > 9 ? 9 : order;
	uint64_t g = victim_gfn + (pick(511) & ~((1u << k) - 1));   /* g + 1 is still a victim page */

	switch (pick(6)) {
	case 0: return g + 1;               /* misaligned for order > 0 */
	case 1: return pick(0x100);         /* below 1 MiB */
	case 2: return ram_end / 4096 + pick(1000);
	case 3: return rnd();
	default: return g;
	}
}

/* ---- per-hypercall argument generation ---- */
struct call { uint64_t nr, a[5]; };

static uint64_t sched_arg(uint64_t cmd)
{
	if (pick(4) == 0)
		return bad_ptr();
	if (cmd == LAMINA_SCHEDOP_POLL) {
		struct lamina_sched_poll *p = (void *)scratch_ptr();
		uint32_t *ports = (void *)scratch_ptr();
		for (unsigned i = 0; i < 130; i++)
			ports[i] = pick(3) ? pick(16) : (uint32_t)rnd();
		p->ports = pick(4) ? (uint64_t)ports : bad_ptr();
		p->nr_ports = pick(3) ? 1 + pick(130) : (uint32_t)int_arg();
		p->pad = pick(8) ? 0 : (uint32_t)rnd();
		p->timeout = 1 + pick(1000);   /* long past: never sleeps */
		return (uint64_t)p;
	}
	if (cmd == LAMINA_SCHEDOP_SHUTDOWN) {
		struct lamina_sched_shutdown *s = (void *)scratch_ptr();
		s->reason = pick(3) ? LAMINA_SHUTDOWN_SUSPEND : 4 + (uint32_t)(rnd() % 0xfffffffbull);
		return (uint64_t)s;
	}
	return plain_ptr();
}

static uint64_t vcpu_arg(uint64_t cmd)
{
	if (pick(5) == 0)
		return bad_ptr();
	if (cmd == LAMINA_VCPUOP_REGISTER_VCPU_INFO || cmd == LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA) {
		struct lamina_vcpu_register_info *r = (void *)scratch_ptr();
		switch (pick(4)) {
		case 0: r->gpa = rnd(); break;
		case 1: r->gpa = 0; break;
		default: r->gpa = (uint64_t)victim + pick(sizeof(victim) - 64); break;
		}
		return (uint64_t)r;
	}
	if (cmd == LAMINA_VCPUOP_SET_UPCALL_VECTOR) {
		struct lamina_vcpu_upcall_vector *u = (void *)scratch_ptr();
		u->vector = pick(3) == 0 ? 0 : pick(2) ? 1 + pick(0x1f) : 0x100 + (uint32_t)rnd() % 0xfffff00u;
		return (uint64_t)u;
	}
	void *p = scratch_ptr();
	fill(p, 64);
	return pick(6) ? (uint64_t)p : 0;
}

static uint64_t memory_arg(uint64_t cmd)
{
	if (pick(5) == 0)
		return bad_ptr();
	switch (cmd) {
	case LAMINA_MEMOP_MEMORY_MAP: {
		struct lamina_memory_map *m = (void *)scratch_ptr();
		m->nr_entries = pick(3) ? pick(40) : (uint32_t)rnd();
		m->pad = pick(8) ? 0 : 1;
		m->buffer = pick(3) ? (uint64_t)scratch_ptr() : pick(2) ? 0 : bad_ptr();
		if (m->nr_entries > 64 && m->buffer && m->buffer < (uint64_t)scratch + SCRATCH)
			m->buffer = bad_ptr();
		return (uint64_t)m;
	}
	case LAMINA_MEMOP_CURRENT_RESERVATION:
	case LAMINA_MEMOP_MAXIMUM_RESERVATION:
		return pick(3) ? pick(4) : pick(2) ? LAMINA_DOMID_SELF : int_arg();
	case LAMINA_MEMOP_DECREASE_RESERVATION:
	case LAMINA_MEMOP_POPULATE_PHYSMAP: {
		struct lamina_mem_reservation *r = (void *)scratch_ptr();
		uint64_t *gfns = (void *)scratch_ptr();
		r->extent_order = pick(4) ? pick(11) : (uint32_t)rnd();
		for (unsigned i = 0; i < 8; i++)
			gfns[i] = victim_gfn_for(r->extent_order);
		r->nr_extents = pick(8);
		r->extent_start = (uint64_t)gfns;
		if (pick(8) == 0) {
			r->nr_extents = int_arg();
			r->extent_start = bad_ptr();
		}
		r->domid = pick(4) ? LAMINA_DOMID_SELF : (lamina_domid_t)rnd();
		r->pad = pick(10) ? 0 : (uint16_t)rnd();
		return (uint64_t)r;
	}
	case LAMINA_MEMOP_ADD_TO_PHYSMAP: {
		struct lamina_add_to_physmap *x = (void *)scratch_ptr();
		x->domid = pick(4) ? LAMINA_DOMID_SELF : (lamina_domid_t)rnd();
		x->space = pick(4) ? (uint16_t)pick(5) : (uint16_t)rnd();
		x->idx = pick(3) ? pick(70) : (uint32_t)rnd();
		x->gfn = pick(3) ? RT_HOLE_GFN + 64 + pick(0x3f00) : pick(2) ? rnd() : pick(0x1000);
		return (uint64_t)x;
	}
	default: {
		void *p = scratch_ptr();
		fill(p, 64);
		return (uint64_t)p;
	}
	}
}

static uint64_t grant_arg(uint64_t cmd, uint64_t count)
{
	if (pick(5) == 0)
		return bad_ptr();
	if (cmd == LAMINA_GNTTABOP_COPY || cmd > LAMINA_GNTTABOP_COPY) {
		/* Copies into the caller's own RAM go to victim pages only. */
		struct lamina_gnttab_copy *c = (void *)scratch_ptr();
		unsigned n = count > 64 ? 64 : (unsigned)count;
		fill(c, n * sizeof(*c));
		for (unsigned i = 0; i < n; i++) {
			c[i].flags &= 3;
			c[i].dest.u.gfn = victim_gfn_for(0);
			c[i].dest.dom = pick(3) ? LAMINA_DOMID_SELF : c[i].dest.dom;
			c[i].len = (uint16_t)pick(4200);
			c[i].dest.offset = (uint16_t)pick(4200);
		}
		return (uint64_t)c;
	}
	void *p = scratch_ptr();
	fill(p, 2048);
	return pick(8) ? (uint64_t)p : 0;
}

static void gen(struct call *c, int nested);

static uint64_t multicall_arg(uint64_t *count)
{
	*count = pick(4) ? pick(34) : int_arg();
	if (pick(6) == 0)
		return bad_ptr();
	for (unsigned i = 0; i < 40; i++) {
		struct call e;
		gen(&e, 1);
		mc[i].op = pick(20) ? e.nr : rnd();
		mc[i].result = 0x5a5a5a5a;
		for (int k = 0; k < 5; k++)
			mc[i].args[k] = e.a[k];
	}
	return (uint64_t)mc;
}

static void gen(struct call *c, int nested)
{
	unsigned r = pick(100);

	c->nr = r < 80 ? pick(11) : 11 + pick(117);
	for (int i = 0; i < 5; i++)
		c->a[i] = int_arg();
	uint64_t cmd = pick(5) ? pick(13) : int_arg();
	switch (c->nr) {
	case LAMINA_HC_version:
		c->a[0] = pick(5) ? pick(3) : cmd;
		c->a[1] = plain_ptr();
		break;
	case LAMINA_HC_console_io:
		c->a[0] = pick(5) ? pick(3) : cmd;
		if (c->a[0] == LAMINA_CONSOLE_WRITE) {
			c->a[1] = pick(8) ? pick(16) : int_arg();
			c->a[2] = c->a[1] < sizeof(dots) && pick(2) ? (uint64_t)dots : RT_UNMAPPED;
		} else {
			c->a[1] = pick(2) ? pick(64) : int_arg();
			c->a[2] = pick(2) ? (uint64_t)scratch_ptr() : plain_ptr();
		}
		break;
	case LAMINA_HC_sched_op:
		c->a[0] = pick(5) ? pick(5) : cmd;
		if (c->a[0] == LAMINA_SCHEDOP_BLOCK)
			c->a[0] = LAMINA_SCHEDOP_YIELD;
		c->a[1] = sched_arg(c->a[0]);
		break;
	case LAMINA_HC_set_timer_op:
		break;
	case LAMINA_HC_vcpu_op:
		c->a[0] = cmd;
		c->a[1] = pick(3) ? 0 : int_arg();
		c->a[2] = vcpu_arg(cmd);
		break;
	case LAMINA_HC_memory_op:
		c->a[0] = pick(6) ? pick(7) : cmd;
		c->a[1] = memory_arg(c->a[0]);
		break;
	case LAMINA_HC_event_channel_op:
		c->a[0] = pick(6) ? pick(11) : cmd;
		c->a[1] = plain_ptr();
		if (c->a[1] && c->a[1] < (uint64_t)scratch + SCRATCH)
			fill((void *)c->a[1], 32);
		break;
	case LAMINA_HC_event_send:
		c->a[0] = pick(2) ? pick(40) : int_arg();
		break;
	case LAMINA_HC_grant_table_op:
		c->a[0] = pick(6) ? pick(6) : cmd;
		c->a[2] = pick(3) ? pick(66) : int_arg();
		c->a[1] = grant_arg(c->a[0], c->a[2]);
		break;
	case LAMINA_HC_multicall:
		if (!nested)   /* a nested batch is refused unread: no need to build one */
			c->a[0] = multicall_arg(&c->a[1]);
		break;
	}
}

/* ---- what each hypercall may return ---- */
typedef unsigned __int128 errset;
#define E(x) ((errset)1 << LAMINA_##x)
static const errset common = E(ENOSYS) | E(EFAULT) | E(EINVAL) | E(EPERM);
static const struct { const char *name; int positive; errset errs; } rules[11] = {
	[LAMINA_HC_null]             = { "null", 0, 0 },
	[LAMINA_HC_version]          = { "version", 1, 0 },
	[LAMINA_HC_console_io]       = { "console_io", 1, 0 },
	[LAMINA_HC_sched_op]         = { "sched_op", 0, E(EBADF) | E(ETIMEDOUT) | E(EOPNOTSUPP) | E(EBUSY) },
	[LAMINA_HC_set_timer_op]     = { "set_timer_op", 0, 0 },
	[LAMINA_HC_vcpu_op]          = { "vcpu_op", 1, E(ENOENT) | E(EALREADY) | E(EBUSY) | E(EEXIST) | E(ETIME) },
	[LAMINA_HC_memory_op]        = { "memory_op", 1, E(E2BIG) | E(ESRCH) | E(EBUSY) | E(EEXIST) | E(ENOENT) |
					 E(ENOMEM) },
	[LAMINA_HC_event_channel_op] = { "event_channel_op", 0, E(EBADF) | E(ENOSPC) | E(ESRCH) | E(ENOENT) |
					 E(EEXIST) },
	[LAMINA_HC_event_send]       = { "event_send", 0, E(EBADF) },
	[LAMINA_HC_grant_table_op]   = { "grant_table_op", 0, E(E2BIG) | E(ESRCH) },
	[LAMINA_HC_multicall]        = { "multicall", 0, E(E2BIG) },
};

static int allowed(uint64_t nr, long r)
{
	if (nr >= 11)
		return r == -LAMINA_ENOSYS;
	if (nr == LAMINA_HC_null || nr == LAMINA_HC_set_timer_op)
		return r == 0;
	if (r >= 0)
		return r == 0 || rules[nr].positive;
	if (r < -127)
		return 0;
	errset errs = rules[nr].errs | (nr == LAMINA_HC_event_send ? E(EINVAL) : common);
	return !!(errs & ((errset)1 << -r));
}

static unsigned long calls[12], bad[12];
static int reported;

static void record(uint64_t nr, const uint64_t *a, long r, int in_batch)
{
	unsigned k = nr < 11 ? (unsigned)nr : 11;

	calls[k]++;
	if (allowed(nr, r))
		return;
	bad[k]++;
	if (reported++ < 20)
		rt_printf("\n  undocumented: %shypercall %lu (%lx, %lx, %lx, %lx, %lx) -> %ld\n",
			  in_batch ? "multicall entry: " : "", (unsigned long)nr, (unsigned long)a[0],
			  (unsigned long)a[1], (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4], r);
}

static long trace_from = -1, cur_iter;

static void one(void)
{
	struct call c;

	gen(&c, 0);
	if (trace_from >= 0 && cur_iter >= trace_from)
		rt_printf("\n  #%ld: hypercall %lu (%lx, %lx, %lx, %lx, %lx)\n", cur_iter, (unsigned long)c.nr,
			  (unsigned long)c.a[0], (unsigned long)c.a[1], (unsigned long)c.a[2],
			  (unsigned long)c.a[3], (unsigned long)c.a[4]);
	long r = HC5(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4]);
	record(c.nr, c.a, r, 0);
	if (c.nr == LAMINA_HC_multicall && r == 0 && c.a[0] == (uint64_t)mc)
		for (unsigned i = 0; i < c.a[1] && i < 40; i++) {
			long er = mc[i].result;
			if (mc[i].op == LAMINA_HC_multicall || mc[i].op == LAMINA_HC_sched_op) {
				calls[10]++;
				if (er != -LAMINA_EINVAL) {
					bad[10]++;
					if (reported++ < 20)
						rt_printf("\n  multicall entry op %lu not refused: %ld\n",
							  (unsigned long)mc[i].op, er);
				}
			} else {
				record(mc[i].op, mc[i].args, er, 1);
			}
		}
}

void test_main(void)
{
	long iters = rt_arg_num("iters", 20000);

	seed ^= (uint64_t)rt_arg_num("seed", 0);
	ram_end = (uint64_t)HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF) * 4096;
	victim_gfn = (uint64_t)victim >> 12;
	fill(scratch, sizeof(scratch));
	rt_printf("  %ld calls, seed 0x%lx\n", iters, (unsigned long)seed);
	trace_from = rt_arg_num("trace", -1);
	for (long i = 0; i < iters; i++) {
		cur_iter = i;
		one();
		if (i % 64 == 0)
			fill(scratch_ptr(), 4096);
	}
	rt_printf("\n");
	for (unsigned k = 0; k < 12; k++)
		rt_check(bad[k] == 0, "%s: %lu calls, %lu undocumented returns", k < 11 ? rules[k].name : "numbers 11..127",
			 calls[k], bad[k]);
	/* Still alive and working. */
	HC2(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_STOP_PERIODIC_TIMER, 0);
	HC1(LAMINA_HC_set_timer_op, 0);
	rt_expect(HC0(LAMINA_HC_null), 0, "null after the storm");
	rt_expect(HC2(LAMINA_HC_version, LAMINA_VERSION_GET, 0), LAMINA_ABI_VERSION, "version GET after the storm");
	rt_check(HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF) > 0,
		 "CURRENT_RESERVATION after the storm");
}
