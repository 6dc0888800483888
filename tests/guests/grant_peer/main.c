// SPDX-License-Identifier: MIT
// grant_peer/main.c: the granting side of grant_pair: publishes grants, answers the tester's commands, maps the tester's page.
#include "../grant_pair/gnt.h"

/*
 * Runs as the second domain of grant_pair (and, in grant_peer's args, as
 * the first: the ids swap). It prints no verdict of its own: the tester's
 * is the test's. Failed checks here are counted in the control page and
 * reported by CMD_DONE; a peer that cannot go on crashes, which fails the
 * run (lamina-hv exits non-zero).
 */
const char test_title[] = "grant_pair's peer";

#define P_CTL   0x800ul
#define P_A     0x801ul
#define P_B     0x802ul
#define P_C     0x803ul
#define P_D     0x804ul
#define FRAME0  (RT_HOLE_GFN + 1)
#define M_T     (RT_HOLE_GFN + 16)   /* where the tester's page gets mapped */
#define WAIT_MS 30000
#define PCHECK(c, ...) do { int ok_ = !!(c); rt_check(ok_, __VA_ARGS__); if (!ok_) ctl->fails++; } while (0)

static uint16_t me, tester;
static volatile struct gnt_ctl *ctl;
static volatile struct lamina_grant_entry *gt;
static uint32_t h_t;

static void yield(void) { HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_YIELD, 0); }

static void die(const char *why)
{
	rt_printf("grant_peer: %s\n", why);
	rt_shutdown(LAMINA_SHUTDOWN_CRASH);
}

static void publish_all(void)
{
	if (gnt_frame(0, FRAME0))
		die("cannot map my grant frame");
	gt = (volatile struct lamina_grant_entry *)PAGE_AT(FRAME0);
	ctl = (volatile struct gnt_ctl *)PAGE_AT(P_CTL);
	rt_memset((void *)ctl, 0, 4096);
	ctl->peer_id = me;
	rt_memcpy((void *)PAGE_AT(P_A), TEXT_A, sizeof(TEXT_A));
	rt_memcpy((void *)PAGE_AT(P_B), TEXT_B, sizeof(TEXT_B));
	rt_memset((void *)PAGE_AT(P_D), 0, 4096);
	gnt_publish(&gt[REF_A], tester, P_A, LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[REF_B], tester, P_B, LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY);
	gnt_publish(&gt[REF_C], 7, P_C, LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[REF_D], tester, P_D, LAMINA_GTF_PERMIT_ACCESS);
	ctl->magic = GNT_MAGIC;
	gnt_publish(&gt[GNT_CTL_REF], tester, P_CTL, LAMINA_GTF_PERMIT_ACCESS);
}

static long balloon_a(void)
{
	uint64_t gfn = P_A;
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)&gfn, .nr_extents = 1,
					    .domid = LAMINA_DOMID_SELF };

	return HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_DECREASE_RESERVATION, &r);
}

/* arg != 0: map the tester's ref arg, check it, write an ack; 0: unmap it. */
static long map_tester(uint64_t ref)
{
	if (!ref) {
		long r = gnt_unmap(M_T, h_t);
		PCHECK(r == 0, "unmap the tester's page: %ld", r);
		return r == 0;
	}
	long r = gnt_map(tester, (uint32_t)ref, M_T, 0, &h_t);
	PCHECK(r == 0, "map the tester's page: %ld", r);
	if (r)
		return 0;
	int same = gnt_same(PAGE_AT(M_T), TEXT_T, sizeof(TEXT_T));
	PCHECK(same, "the tester's page holds its text");
	rt_memcpy((void *)(PAGE_AT(M_T) + 512), "ack from the peer", 18);
	return same;
}

static long run(uint32_t cmd, uint64_t arg)
{
	switch (cmd) {
	case CMD_CHECK_A: return gnt_same(PAGE_AT(P_A), "hello from the tester", 22);
	case CMD_REVOKE:  return gnt_revoke(&gt[arg]);
	case CMD_BALLOON: return balloon_a();
	case CMD_CHECK_D: return gnt_same(PAGE_AT(P_D) + 100, "copied by the tester", 21);
	case CMD_FLAGS:   return gnt_flags(&gt[arg]);
	case CMD_MAP_TESTER: return map_tester(arg);
	case CMD_DONE:    return ctl->fails;
	default:          return -1;
	}
}

/* Answer commands until CMD_DONE; then wait for the tester to unmap the
 * control page and revoke it. */
static void serve(void)
{
	uint32_t seen = 0, cmd = CMD_NONE;
	uint64_t until = rt_now() + WAIT_MS * MS;

	while (cmd != CMD_DONE) {
		while (ctl->seq == seen && rt_now() < until)
			yield();
		if (ctl->seq == seen)
			die("the tester went quiet");
		lamina_rmb();
		seen = ctl->seq;
		cmd = ctl->cmd;
		ctl->result = (int32_t)run(cmd, ctl->arg);
		lamina_wmb();
		ctl->done = seen;
	}
	while (!gnt_revoke(&gt[GNT_CTL_REF]) && rt_now() < until)
		yield();
	if (gnt_flags(&gt[GNT_CTL_REF]))
		die("the tester kept the control page mapped");
}

void test_main(void)
{
	me = gnt_my_domid();
	tester = me == 1 ? 2 : 1;
	publish_all();
	serve();
	rt_shutdown(LAMINA_SHUTDOWN_POWEROFF);   /* no verdict: the tester gives it */
}
