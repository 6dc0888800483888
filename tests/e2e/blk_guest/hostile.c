// SPDX-License-Identifier: MIT
// hostile: the block guest's bad-input cases against lamina-blkback; each expects an ERROR answer or a clean disconnect, then working I/O.
#include "fe.h"

#define OK LAMINA_BLKIF_RSP_OKAY
#define ERR LAMINA_BLKIF_RSP_ERROR
#define R LAMINA_BLKIF_OP_READ

static char why[160];
static uint64_t hid = 1u << 30; // ids of hand-made requests

static void verdict(const char *name, int ok)
{
	rt_check(ok, "case %s", name);
	if (ok)
		rt_printf("blkcase PASS %s\n", name);
	else
		rt_printf("blkcase FAIL %s: %s\n", name, why);
}

// A hand-made slot, pushed; its status must be ERROR.
static int refused(const void *slot, const char *what)
{
	const struct lamina_blkif_request *rq = slot;
	int st;

	fe_put(0, slot);
	fe_push(0);
	st = fe_wait(0, rq->id);
	if (st == ERR)
		return 1;
	rt_snprintf(why, sizeof(why), "%s: status %d, not ERROR", what, st);
	return 0;
}

// A one-page write and read that must work after each case.
static int sane(void)
{
	fe_fill(0, 2, 4242);
	if (fe_do(0, LAMINA_BLKIF_OP_WRITE, 8, 2, 0, 0) == OK) {
		fe_clear(0, 2);
		if (fe_do(0, R, 8, 2, 0, 0) == OK && fe_same(0, 2, 4242))
			return 1;
	}
	rt_snprintf(why, sizeof(why), "good I/O failed after the bad requests");
	return 0;
}

static struct lamina_blkif_request rd(uint64_t sector, unsigned nseg, uint32_t gref)
{
	struct lamina_blkif_request rq = { .op = R, .nr_segments = (uint8_t)nseg, .id = hid++,
					   .sector = sector };

	for (unsigned i = 0; i < LAMINA_BLKIF_MAX_SEGMENTS; i++)
		rq.seg[i] = (struct lamina_blkif_segment){ .gref = gref + i, .last_sect = 7 };
	return rq;
}

static struct lamina_blkif_request ind(unsigned n, uint32_t gref0)
{
	struct lamina_blkif_request_indirect ir = { .op = LAMINA_BLKIF_OP_INDIRECT, .indirect_op = R,
		.nr_segments = (uint16_t)n, .id = hid++, .sector = 0, .indirect_gref = { gref0 } };
	struct lamina_blkif_request rq;

	rt_memcpy(&rq, &ir, sizeof(rq));
	return rq;
}

static void case_sector(void)
{
	uint64_t end = fe_be.sectors;
	struct lamina_blkif_request a = rd(end - 1, 1, FE_REF_DATA), b = rd(end, 1, FE_REF_DATA),
		c = rd(1ull << 62, 1, FE_REF_DATA), e = rd(~0ull - 3, 2, FE_REF_DATA),
		d = { .op = LAMINA_BLKIF_OP_DISCARD, .id = hid++, .sector = end - 8, .sector_count = 16 };
	int ok = refused(&a, "read across the end") && refused(&b, "read at the end") &&
		 refused(&c, "read at 2^62") && refused(&e, "read wrapping 2^64") &&
		 refused(&d, "discard across the end") && sane();
	verdict("hostile-sector", ok);
}

static void case_segments(void)
{
	struct lamina_blkif_request a = rd(8, 0, FE_REF_DATA), b = rd(8, 12, FE_REF_DATA),
		c = rd(8, 255, FE_REF_DATA), e = rd(8, 2, FE_REF_DATA), f = rd(8, 2, FE_REF_DATA),
		g = ind(0, FE_REF_IND), h = ind((unsigned)fe_be.max_ind + 1, FE_REF_IND),
		k = { .op = LAMINA_BLKIF_OP_FLUSH, .nr_segments = 1, .id = hid++ };

	e.seg[1].first_sect = 5, e.seg[1].last_sect = 3;
	f.seg[0].last_sect = 9;
	int ok = refused(&a, "a read with 0 segments") && refused(&b, "12 direct segments") &&
		 refused(&c, "255 direct segments") && refused(&e, "first_sect > last_sect") &&
		 refused(&f, "last_sect 9") && refused(&g, "an indirect read of 0 segments") &&
		 refused(&h, "an indirect read of max + 1 segments") && refused(&k, "a flush with a segment") &&
		 sane();
	verdict("hostile-segments", ok);
}

static void case_grant(void)
{
	struct lamina_blkif_request a = rd(8, 1, FE_REF_OTHER), b = rd(8, 1, 1), c = rd(8, 1, 400),
		d = rd(8, 1, 0xfffffff0u), e = ind(4, FE_REF_OTHER);
	int ok = refused(&a, "a page granted to domain 7") && refused(&b, "the ring's own page") &&
		 refused(&c, "a ref never granted") && refused(&d, "a ref far beyond the table") &&
		 refused(&e, "an indirect page granted to domain 7") && sane();
	verdict("hostile-grant", ok);
}

static void case_indirect_self(void)
{
	volatile struct lamina_blkif_segment *s = (volatile struct lamina_blkif_segment *)PAGE_AT(FE_IND_GFN);
	struct lamina_blkif_request a = ind(4, FE_REF_IND);

	for (unsigned i = 0; i < 4; i++)
		s[i] = (struct lamina_blkif_segment){ .gref = FE_REF_DATA + i, .last_sect = 7 };
	s[2].gref = FE_REF_IND; // the indirect page names itself as data
	int ok = refused(&a, "an indirect page naming itself");
	s[2].gref = FE_REF_DATA + 2;
	s[3].gref = 1; // a ring page as data
	a = ind(4, FE_REF_IND);
	ok = ok && refused(&a, "an indirect page naming the ring page") && sane();
	verdict("hostile-indirect-self", ok);
}

// Two requests with one id, pushed together: the first (128 pages) is still
// in flight when the second (a page of its own) is taken.
static void case_id_reuse(void)
{
	uint64_t id = hid++;
	int st[2], n = 0, ok;
	struct lamina_blkif_response rsp;
	uint64_t until = rt_now() + FE_WAIT_NS;

	fe_rw(0, R, id, 0, 128, 0, 0, 1);
	fe_rw(0, R, id, 8 * 2000, 1, 200, 0, 0);
	fe_push(0);
	while (n < 2 && rt_now() < until)
		if (lamina_blkif_take_response(&fe_q[0].f, &rsp) == 1 && rsp.id == id)
			st[n++] = rsp.status;
	ok = n == 2 && ((st[0] == OK && st[1] == ERR) || (st[0] == ERR && st[1] == OK));
	if (!ok)
		rt_snprintf(why, sizeof(why), "%d answers (%d, %d), not one OK and one ERROR", n,
			    n > 0 ? st[0] : 0, n > 1 ? st[1] : 0);
	verdict("hostile-id-reuse", ok && sane());
}

static void case_flood(void)
{
	for (unsigned i = 0; i < 20000; i++)
		HC1(LAMINA_HC_event_send, fe_q[0].port);
	verdict("hostile-flood", sane());
}

// req_prod far beyond what the ring can hold: the back-end must drop the
// connection (Closed, with an error), and serve a fresh one.
static void case_ring_index(void)
{
	volatile struct lamina_ring_header *h = &fe_q[0].f.sring->hdr;
	int ok;

	lamina_wmb();
	h->req_prod = fe_q[0].f.req_prod_pvt + 5000;
	HC1(LAMINA_HC_event_send, fe_q[0].port);
	ok = fe_wait_be(LAMINA_BUS_CLOSED, FE_WAIT_NS);
	if (!ok)
		rt_snprintf(why, sizeof(why), "the back-end did not close the corrupt ring (state %ld)",
			    fe_be_state());
	ok = ok && fe_connect(1, 0);
	verdict("hostile-ring-index", ok && sane());
}

int hostile_cases(void)
{
	case_sector();
	case_segments();
	case_grant();
	case_indirect_self();
	case_id_reuse();
	case_flood();
	case_ring_index();
	return 0;
}
