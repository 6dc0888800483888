// SPDX-License-Identifier: MIT
// blk_guest: the block conformance front-end: reads and writes patterns through lamina-blkback, discards, then misbehaves; one "blkcase" line per case.
//
// cmdline: ss=512|4096 (the sector size the disk must have), thin=1 (the
// 10 MiB write / discard steps, paced by console input from the script),
// hostile=1 (the bad-input cases), full=1 (both rings full at once), hold=1 (after the rw case stay connected
// until the script says "g", then write and read again: the "hold" case;
// then wait for the back-end to close: the "detach" case; tests/e2e/disk.sh),
// crash=1 (only the crash case: writes and flushes until the disk goes
// away; tests/e2e/blk_crash.sh). Prints "blkcase PASS name" or
// "blkcase FAIL name: why"; tests/e2e/blk.sh turns them into RESULT lines.
#include "fe.h"

const char test_title[] = "blk: block front-end conformance";

#define OK LAMINA_BLKIF_RSP_OKAY
#define ERR LAMINA_BLKIF_RSP_ERROR
#define R LAMINA_BLKIF_OP_READ
#define W LAMINA_BLKIF_OP_WRITE

static char why[160];

static int fail(const char *fmt, long a, long b)
{
	rt_snprintf(why, sizeof(why), fmt, a, b);
	return 0;
}

static void verdict(const char *name, int ok)
{
	rt_check(ok, "case %s", name);
	if (ok)
		rt_printf("blkcase PASS %s\n", name);
	else
		rt_printf("blkcase FAIL %s: %s\n", name, why);
}

// Write a pattern with these segments, read it back into cleared pages, compare.
static int rw_round(unsigned q, uint64_t sector, unsigned nseg, int partial, uint32_t seed)
{
	int st;

	fe_fill(0, nseg, seed);
	if ((st = fe_do(q, W, sector, nseg, 0, partial)) != OK)
		return fail("write of %ld segments: status %ld", nseg, st);
	fe_clear(0, nseg);
	if ((st = fe_do(q, R, sector, nseg, 0, partial)) != OK)
		return fail("read of %ld segments: status %ld", nseg, st);
	if (!fe_check(0, nseg, partial, seed))
		return fail("%ld segments on ring %ld: the data read back differs", nseg, q);
	return 1;
}

static int rw_all(unsigned nq)
{
	static const unsigned segs[] = { 1, 3, 11, 12, 64, 256 };
	int partial_ok = fe_be.ss == 512;
	uint32_t seed = 1;

	for (unsigned q = 0; q < nq; q++)
		for (unsigned i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
			for (int partial = 0; partial <= partial_ok; partial++)
				if (!rw_round(q, 8 * (1000 * i + 4000 * q + 500 * partial), segs[i], partial, seed++))
					return 0;
				else
					rt_printf("blk_guest: ring %u: %u segments%s: ok\n", q, segs[i],
						  partial ? " (partial pages)" : "");
	return 1;
}

static int durability_ops(void)
{
	int st;

	fe_fill(0, 4, 77);
	if ((st = fe_do(0, LAMINA_BLKIF_OP_WRITE_FUA, 64, 4, 0, 0)) != OK)
		return fail("a FUA write: status %ld%ld", st, 0);
	if ((st = fe_do_span(LAMINA_BLKIF_OP_FLUSH, 0, 0)) != OK)
		return fail("a flush: status %ld%ld", st, 0);
	fe_clear(0, 4);
	if ((st = fe_do(0, R, 64, 4, 0, 0)) != OK || !fe_same(0, 4, 77))
		return fail("reading the FUA write back: status %ld%ld", st, 0);
	if (fe_be.ss == 4096 && (st = fe_do(0, W, 4, 1, 0, 0)) != ERR)
		return fail("a write at unit 4 of a 4096-byte-sector disk: status %ld%ld", st, 0);
	return 1;
}

static void case_rw(void)
{
	const char *name = fe_be.ss == 4096 ? "rw-4096" : "rw-512";
	int ok = fe_be.ss == (unsigned long)rt_arg_num("ss", 512) ||
		 fail("the disk has sector size %ld, not %ld", (long)fe_be.ss, rt_arg_num("ss", 512));

	ok = ok && rw_all(2) && durability_ops();
	// The same over a fresh connection: one ring of one page.
	fe_close();
	ok = ok && (fe_connect(1, 0) || fail("reconnecting with one one-page ring failed%ld%ld", 0, 0));
	ok = ok && rw_round(0, 8 * 9000, 11, 0, 99) && rw_round(0, 8 * 9100, 200, 0, 98);
	verdict(name, ok);
}

// Every slot of both rings in flight at once, one data page each: more
// udmabufs than lamina-hvd lets a back-end hold (64), so the back-end must
// hold some requests back until others complete, never refuse them.
#define FULL_BASE (8 * 12000ull) // units: 48 MiB in, clear of the other cases

// Post op for pages 0..2*per-1 (ring q gets per of them), then every response.
static int full_round(uint8_t op, unsigned per, uint64_t id0)
{
	static uint8_t seen[FE_DATA_PAGES];
	struct lamina_blkif_response rsp;
	unsigned left = 2 * per;
	uint64_t until = rt_now() + FE_WAIT_NS;

	rt_memset(seen, 0, sizeof(seen));
	for (unsigned q = 0; q < 2; q++) {
		for (unsigned k = 0; k < per; k++)
			fe_rw(q, op, id0 + q * per + k, FULL_BASE + 8ull * (q * per + k), 1, q * per + k, 0, 0);
		fe_push(q);
	}
	while (left && rt_now() < until) {
		int got = 0;
		for (unsigned q = 0; q < 2; q++) {
			int n = lamina_blkif_take_response(&fe_q[q].f, &rsp);
			if (n < 0)
				return fail("ring %ld: the response index is corrupt%ld", q, 0);
			if (n == 0)
				continue;
			uint64_t i = rsp.id - id0;
			if (i >= 2 * per || seen[i]++ || i / per != q)
				return fail("a response for id %ld on ring %ld that was not in flight", (long)rsp.id, q);
			if (rsp.status != OK)
				return fail("request %ld: status %ld (refused, not held back)", (long)i, rsp.status);
			got = 1;
			left--;
		}
		if (!got)
			rt_spin_ns(MS / 10);
	}
	return left == 0 || fail("%ld of %ld requests got no response", left, 2 * per);
}

static void case_full_rings(void)
{
	unsigned per = LAMINA_BLKIF_RING_SIZE << 2; // order 2: 128 slots a ring
	int ok;

	fe_close();
	ok = fe_connect(2, 2) || fail("reconnecting with two rings of order 2 failed%ld%ld", 0, 0);
	fe_fill(0, 2 * per, 55);
	ok = ok && full_round(W, per, 100000);
	fe_clear(0, 2 * per);
	ok = ok && full_round(R, per, 200000);
	ok = ok && (fe_same(0, 2 * per, 55) || fail("the %ld pages read back differ%ld", 2 * per, 0));
	rt_printf("blk_guest: %u requests in flight at once: %s\n", 2 * per, ok ? "ok" : "failed");
	verdict("full-rings", ok);
	fe_close();
	if (!fe_connect(1, 0))
		rt_fail("reconnecting with one one-page ring failed");
}

// Console input from the script ("g"), within 300 s.
static int wait_go(void)
{
	char c;
	uint64_t until = rt_now() + 300000 * MS;

	while (rt_now() < until)
		if (HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_READ, 1, &c) == 1 && c == 'g')
			return 1;
		else
			rt_spin_ns(50 * MS);
	return 0;
}

static int zeroes(void)
{
	int st;

	fe_fill(0, 4, 5);
	if ((st = fe_do(0, W, 8 * 30000, 4, 0, 0)) != OK)
		return fail("write before write-zeroes: status %ld%ld", st, 0);
	if ((st = fe_do_span(LAMINA_BLKIF_OP_WRITE_ZEROES, 8 * 30000 + 8, 16)) != OK)
		return fail("write-zeroes: status %ld%ld", st, 0);
	fe_clear(0, 4);
	if ((st = fe_do(0, R, 8 * 30000, 4, 0, 0)) != OK)
		return fail("read after write-zeroes: status %ld%ld", st, 0);
	for (unsigned j = 0; j < 4096; j++)
		if (PAGE_AT(FE_DATA_GFN + 1)[j] || PAGE_AT(FE_DATA_GFN + 2)[j])
			return fail("write-zeroes left data at byte %ld%ld", j, 0);
	if (!fe_same(0, 1, 5))
		return fail("write-zeroes also cleared the page before its range%ld%ld", 0, 0);
	return 1;
}

static void case_thin(void)
{
	int ok = 1, st;

	for (unsigned k = 0; k < 10 && ok; k++) {
		fe_fill(0, 256, 100 + k);
		if ((st = fe_do(0, W, 2048 * k, 256, 0, 0)) != OK)
			ok = fail("MiB %ld: status %ld", k, st);
	}
	if (ok && (st = fe_do_span(LAMINA_BLKIF_OP_FLUSH, 0, 0)) != OK)
		ok = fail("flush: status %ld%ld", st, 0);
	rt_printf("blk_guest: thin written%s\n", ok ? "" : " (with errors)");
	ok = ok && (wait_go() || fail("no go from the script%ld%ld", 0, 0));
	if (ok && (st = fe_do_span(LAMINA_BLKIF_OP_DISCARD, 0, 2048 * 10)) != OK)
		ok = fail("discard of 10 MiB: status %ld%ld", st, 0);
	ok = ok && zeroes();
	if (ok && (st = fe_do_span(LAMINA_BLKIF_OP_FLUSH, 0, 0)) != OK)
		ok = fail("flush: status %ld%ld", st, 0);
	rt_printf("blk_guest: thin discarded%s\n", ok ? "" : " (with errors)");
	ok = ok && (wait_go() || fail("no second go from the script%ld%ld", 0, 0));
	verdict("discard", ok);
}

// The script kills the back-end and starts a new one while a write may be
// in flight; the write is sent again after reconnecting if no answer came.
static void case_restart(void)
{
	struct lamina_blkif_response rsp;
	uint64_t id = 777777;
	int answered = 0, ok;

	fe_fill(0, 8, 31);
	ok = fe_do(0, LAMINA_BLKIF_OP_WRITE, 8 * 7000, 8, 0, 0) == OK ||
	     fail("the first write failed%ld%ld", 0, 0);
	fe_fill(0, 8, 32);
	rt_printf("blk_guest: kill the back-end now\n");
	fe_rw(0, LAMINA_BLKIF_OP_WRITE, id, 8 * 7000, 8, 0, 0, 0);
	fe_push(0);
	uint64_t until = rt_now() + FE_WAIT_NS;

	while (!answered && fe_be_state() == LAMINA_BUS_CONNECTED && rt_now() < until)
		answered = lamina_blkif_take_response(&fe_q[0].f, &rsp) == 1 && rsp.id == id &&
			   rsp.status == OK;
	ok = ok && (fe_wait_be_gone(FE_WAIT_NS) ||
		    fail("the old back-end was still in state %ld after %ld s", fe_be_state(),
			 (long)(FE_WAIT_NS / 1000000000u)));
	ok = ok && (fe_connect(1, 0) || fail("no connection to the new back-end%ld%ld", 0, 0));
	if (ok && !answered) {
		fe_rw(0, LAMINA_BLKIF_OP_WRITE, id, 8 * 7000, 8, 0, 0, 0);
		fe_push(0);
		ok = fe_wait(0, id) == OK || fail("the re-sent write failed%ld%ld", 0, 0);
	}
	fe_clear(0, 8);
	ok = ok && ((fe_do(0, LAMINA_BLKIF_OP_READ, 8 * 7000, 8, 0, 0) == OK && fe_same(0, 8, 32)) ||
		    fail("after the restart the disk does not hold the last write (answered %ld)%ld",
			 answered, 0));
	rt_printf("blk_guest: the write was %s\n", answered ? "answered before the kill" : "sent again");
	verdict("backend-restart", ok);
}

// Stay connected while the script restarts the toolstack, then use the disk again.
static void case_hold(void)
{
	int ok;

	rt_printf("blk_guest: holding the disk; waiting for the script\n");
	ok = wait_go() || fail("no go from the script%ld%ld", 0, 0);
	ok = ok && rw_round(0, 8 * 9300, 16, 0, 97);
	verdict("hold", ok);
	rt_printf("blk_guest: waiting for the back-end to be detached\n");
	// Closed, then unplugged: the toolstack removes the directories (state 0)
	ok = fe_wait_be_in(1u << LAMINA_BUS_CLOSED | 1u << LAMINA_BUS_UNKNOWN, 300000 * MS) ||
	     fail("the back-end did not close within 300 s (state %ld)%ld", fe_be_state(), 0);
	verdict("detach", ok);
}

// The script kills the back-end or the hypervisor process at a random
// moment. Each write is followed by a flush, and "flushed i" is printed
// only once both have completed: every write so reported must be on disk.
static void case_crash(void)
{
	for (uint32_t i = 0;; i++) {
		fe_fill(0, 1, BLK_CRASH_SEED + i);
		uint64_t sector = 8ull * (BLK_CRASH_FIRST + i % BLK_CRASH_BLOCKS);   /* 512-byte units */
		if (fe_do(0, W, sector, 1, 0, 0) != OK ||
		    fe_do_span(LAMINA_BLKIF_OP_FLUSH, 0, 0) != OK)
			break;
		rt_printf("blk_guest: flushed %lu\n", (unsigned long)i);
	}
	rt_printf("blk_guest: the disk stopped answering\n");
}

int hostile_cases(void);

void test_main(void)
{
	xs_init();
	fe_init();
	if (!fe_connect(2, 2))
		rt_fail("no connection to the back-end");
	rt_printf("blk_guest: connected: %lu units, sector size %lu, %lu indirect segments\n",
		  (unsigned long)fe_be.sectors, fe_be.ss, fe_be.max_ind);
	if (rt_arg_num("crash", 0)) {
		case_crash();
		return;
	}
	if (rt_arg_num("thin", 0)) // first, so the host sees only these 10 MiB allocated
		case_thin();
	case_rw();
	if (rt_arg_num("full", 0))
		case_full_rings();
	if (rt_arg_num("hold", 0))
		case_hold();
	if (rt_arg_num("restart", 0))
		case_restart();
	if (rt_arg_num("hostile", 0))
		hostile_cases();
	fe_close();
	rt_printf("blk_guest: closed\n");
}
