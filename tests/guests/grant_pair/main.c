// SPDX-License-Identifier: MIT
// grant_pair/main.c: grants between two domains: map the peer's page and see its data, copy, revoke refused while mapped, wrong domain, read-only.
#include "gnt.h"

/*
 * This image is the tester and gives the verdict; grant_peer is the other
 * domain (args). The ids are not fixed: grant_pair's args make the tester
 * domain 1 and the peer 2, grant_peer's args the other way round. Each
 * side takes the other's id to be the one of {1, 2} that it is not. The
 * protocol (control page, commands, refs) is in gnt.h.
 */
const char test_title[] = "grant tables between two domains";

#define T_PAGE   0x800ul                   /* the tester's page granted to the peer */
#define BUF      0x801ul                   /* scratch RAM */
#define M_FRAME  (RT_HOLE_GFN + 1)         /* own grant frame 0 */
#define M_CTL    (RT_HOLE_GFN + 16)        /* the peer's control page */
#define M_A      (RT_HOLE_GFN + 17)
#define M_B      (RT_HOLE_GFN + 18)
#define WAIT_MS  10000

static uint16_t me, peer;
static volatile struct gnt_ctl *ctl;
static volatile struct lamina_grant_entry *gt;
static uint32_t seq;

static void yield(void) { HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_YIELD, 0); }

/* Map the peer's control page once it is granted; fail the test after WAIT_MS. */
static uint32_t connect(void)
{
	uint64_t until = rt_now() + WAIT_MS * MS;
	uint32_t h;
	long r;

	while ((r = gnt_map(peer, GNT_CTL_REF, M_CTL, 0, &h)) != 0 && rt_now() < until)
		yield();
	if (r)
		rt_fail("the peer (domain %u) never granted its control page: %ld", peer, r);
	ctl = (volatile struct gnt_ctl *)PAGE_AT(M_CTL);
	while (ctl->magic != GNT_MAGIC && rt_now() < until)
		yield();
	if (ctl->magic != GNT_MAGIC)
		rt_fail("the peer never said it was ready");
	lamina_rmb();
	return h;
}

/* Run one command in the peer; its result. */
static long command(uint32_t cmd, uint64_t arg)
{
	uint64_t until = rt_now() + WAIT_MS * MS;

	ctl->cmd = cmd;
	ctl->arg = arg;
	lamina_wmb();
	ctl->seq = ++seq;
	while (ctl->done != seq && rt_now() < until)
		yield();
	if (ctl->done != seq)
		rt_fail("the peer did not answer command %u", cmd);
	lamina_rmb();
	return ctl->result;
}

static void map_and_see(void)
{
	uint32_t h;

	rt_expect(command(CMD_FLAGS, GNT_CTL_REF), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_WRITING,
		  "the peer's control entry shows WRITING while I map it");
	rt_expect(gnt_map(peer, REF_A, M_A, 0, &h), 0, "map the peer's page A writable");
	rt_check(gnt_same(PAGE_AT(M_A), TEXT_A, sizeof(TEXT_A)), "I see the peer's data in it");
	rt_memcpy((void *)PAGE_AT(M_A), "hello from the tester", 22);
	rt_expect(command(CMD_CHECK_A, 0), 1, "the peer sees what I wrote through the mapping");
	rt_expect(command(CMD_REVOKE, REF_A), 0, "the peer cannot revoke A while I map it");
	rt_expect(command(CMD_BALLOON, 0), -LAMINA_EBUSY,
		  "the peer cannot balloon out A while I map it (EBUSY)");
	rt_expect(gnt_map(peer, REF_A, M_A, 0, NULL), -LAMINA_EBUSY, "map A again at the same gpa -> EBUSY");
	rt_expect(gnt_unmap(M_A, h), 0, "unmap A");
	rt_expect(command(CMD_FLAGS, REF_A), LAMINA_GTF_PERMIT_ACCESS, "A's WRITING is clear after the unmap");
	rt_expect(command(CMD_REVOKE, REF_A), 1, "now the peer can revoke A");
	rt_expect(gnt_map(peer, REF_A, M_A, 0, NULL), -LAMINA_EACCES, "map the revoked A -> EACCES");
}

static void read_only(void)
{
	uint32_t h;

	rt_expect(gnt_map(peer, REF_B, M_B, 0, NULL), -LAMINA_EROFS,
		  "writable map of the read-only grant B -> EROFS");
	rt_expect(gnt_map(peer, REF_B, M_B, LAMINA_GNTMAP_READONLY, &h), 0, "read-only map of B");
	rt_check(gnt_same(PAGE_AT(M_B), TEXT_B, sizeof(TEXT_B)), "I see B's data");
	rt_expect(command(CMD_FLAGS, REF_B),
		  LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY | LAMINA_GTF_READING,
		  "B shows READING while mapped read-only");
	/* A store through the read-only slot would exit as MMIO and kill this
	 * domain; the write check goes through copy instead. */
	rt_expect(gnt_copy(gnt_local(BUF, 0), gnt_ref(peer, REF_B, 0), 8, LAMINA_GNTCOPY_DEST_GREF),
		  -LAMINA_EROFS, "copy into the read-only grant B -> EROFS");
	rt_expect(gnt_copy(gnt_ref(peer, REF_B, 0), gnt_local(BUF, 0), sizeof(TEXT_B),
			   LAMINA_GNTCOPY_SRC_GREF), 0, "copy from B");
	rt_check(gnt_same(PAGE_AT(BUF), TEXT_B, sizeof(TEXT_B)), "the copy of B is right");
	rt_expect(gnt_unmap(M_B, h), 0, "unmap B");
	rt_expect(command(CMD_FLAGS, REF_B), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_READONLY,
		  "B's READING is clear after the unmap");
}

static void wrong_domain(void)
{
	rt_expect(gnt_map(peer, REF_C, M_A, 0, NULL), -LAMINA_EACCES,
		  "map C, granted to another domain -> EACCES");
	rt_expect(gnt_map(peer, REF_C, M_A, LAMINA_GNTMAP_READONLY, NULL), -LAMINA_EACCES,
		  "read-only map of C -> EACCES");
	rt_expect(gnt_copy(gnt_ref(peer, REF_C, 0), gnt_local(BUF, 0), 8, LAMINA_GNTCOPY_SRC_GREF),
		  -LAMINA_EACCES, "copy from C -> EACCES");
	rt_expect(gnt_map(peer, 99, M_A, 0, NULL), -LAMINA_EACCES, "map an entry never granted -> EACCES");
	rt_expect(gnt_map(peer, LAMINA_GRANT_PER_FRAME, M_A, 0, NULL), -LAMINA_EINVAL,
		  "map a ref beyond the peer's one-frame table -> EINVAL");
	struct lamina_gnttab_query_size q = { .dom = peer };
	rt_expect(GOP(QUERY_SIZE, &q, 1), -LAMINA_EPERM, "query_size of the peer -> EPERM");
}

static void copy(void)
{
	static const char msg[] = "copied by the tester";

	rt_memcpy((void *)PAGE_AT(BUF), msg, sizeof(msg));
	rt_expect(gnt_copy(gnt_local(BUF, 0), gnt_ref(peer, REF_D, 100), sizeof(msg),
			   LAMINA_GNTCOPY_DEST_GREF), 0, "copy into the peer's page D at offset 100");
	rt_expect(command(CMD_CHECK_D, 0), 1, "the peer finds the copy in D");
	rt_expect(command(CMD_FLAGS, REF_D), LAMINA_GTF_PERMIT_ACCESS, "no WRITING left after the copy");
	rt_memset((void *)PAGE_AT(BUF), 0, 64);
	rt_expect(gnt_copy(gnt_ref(peer, REF_D, 100), gnt_local(BUF, 3), sizeof(msg),
			   LAMINA_GNTCOPY_SRC_GREF), 0, "copy it back from D");
	rt_check(gnt_same(PAGE_AT(BUF) + 3, msg, sizeof(msg)), "the round trip is exact");
	rt_expect(gnt_copy(gnt_ref(peer, REF_D, 4000), gnt_local(BUF, 0), 97, LAMINA_GNTCOPY_SRC_GREF),
		  -LAMINA_EINVAL, "copy past the end of D -> EINVAL");
}

/* The other direction: I grant, the peer maps. */
static void peer_maps_mine(void)
{
	volatile uint8_t *t = PAGE_AT(T_PAGE);

	rt_expect(gnt_frame(0, M_FRAME), 0, "map my grant frame");
	gt = (volatile struct lamina_grant_entry *)PAGE_AT(M_FRAME);
	rt_memcpy((void *)t, TEXT_T, sizeof(TEXT_T));
	gnt_publish(&gt[TESTER_REF], peer, T_PAGE, LAMINA_GTF_PERMIT_ACCESS);
	rt_expect(command(CMD_MAP_TESTER, TESTER_REF), 1, "the peer maps my page and sees my data");
	rt_expect(gnt_flags(&gt[TESTER_REF]), LAMINA_GTF_PERMIT_ACCESS | LAMINA_GTF_WRITING,
		  "my entry shows WRITING while the peer maps it");
	rt_expect(gnt_revoke(&gt[TESTER_REF]), 0, "I cannot revoke it while the peer maps it");
	rt_check(gnt_same(t + 512, "ack from the peer", 18), "the peer wrote into my page");
	rt_expect(command(CMD_MAP_TESTER, 0), 1, "the peer unmaps it");
	rt_expect(gnt_flags(&gt[TESTER_REF]), LAMINA_GTF_PERMIT_ACCESS, "WRITING clear again");
	rt_expect(gnt_revoke(&gt[TESTER_REF]), 1, "revoke my grant");
}

void test_main(void)
{
	me = gnt_my_domid();
	peer = me == 1 ? 2 : 1;
	rt_printf("  I am domain %u, the peer is domain %u\n", me, peer);
	uint32_t hctl = connect();
	rt_expect(ctl->peer_id, peer, "the peer's id");
	map_and_see();
	read_only();
	wrong_domain();
	copy();
	peer_maps_mine();
	rt_expect(command(CMD_DONE, 0), 0, "the peer's own checks all passed");
	rt_expect(gnt_unmap(M_CTL, hctl), 0, "unmap the control page");
}
