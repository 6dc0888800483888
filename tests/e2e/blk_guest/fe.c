// SPDX-License-Identifier: MIT
// fe: the block test guest's minimal front-end: grants, store handshake with lamina-blkback, building requests, waiting for answers.
#include "fe.h"

#define FRAME0 (RT_HOLE_GFN + 8)

struct fe_ring fe_q[FE_MAX_Q];
struct fe_be fe_be;
unsigned fe_nq;
static volatile struct lamina_grant_entry *gt;
static uint64_t next_id = 1;

static uint32_t alloc_port(void)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = LAMINA_DOMID_SELF, .remote_dom = 0 };
	long r = HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op);

	if (r)
		rt_fail("alloc_unbound for domain 0: %ld", r);
	return op.port;
}

void fe_init(void)
{
	struct lamina_gnttab_setup_table s = { .dom = LAMINA_DOMID_SELF, .nr_frames = 2 };

	if (GOP(SETUP_TABLE, &s, 1) || gnt_frame(0, FRAME0) || gnt_frame(1, FRAME0 + 1))
		rt_fail("cannot set up two grant frames");
	gt = (volatile struct lamina_grant_entry *)PAGE_AT(FRAME0);
	for (unsigned i = 0; i < 4 * FE_MAX_Q; i++)
		gnt_publish(&gt[1 + i], 0, FE_RING_GFN + i, LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned i = 0; i < 2; i++)
		gnt_publish(&gt[FE_REF_IND + i], 0, FE_IND_GFN + i, LAMINA_GTF_PERMIT_ACCESS);
	gnt_publish(&gt[FE_REF_OTHER], 7, FE_OTHER_GFN, LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned i = 0; i < FE_DATA_PAGES; i++)
		gnt_publish(&gt[FE_REF_DATA + i], 0, FE_DATA_GFN + i, LAMINA_GTF_PERMIT_ACCESS);
	for (unsigned q = 0; q < FE_MAX_Q; q++)
		fe_q[q].port = alloc_port();
}

long fe_be_state(void)
{
	static char be[128], v[16];

	if (xs_read(0, FE_DIR "/backend", be, sizeof(be)) < 0 ||
	    xs_read(0, xs_fmt("%s/state", be), v, sizeof(v)) < 0)
		return 0;
	return v[0] - '0';
}

// 1 once the back-end's state is one of the set (a bit per state).
int fe_wait_be_in(unsigned set, uint64_t ns)
{
	uint64_t until = rt_now() + ns;

	for (long s; (s = fe_be_state()) < 0 || s > 31 || !(set >> s & 1);)
		if (rt_now() > until)
			return 0;
		else
			rt_spin_ns(20 * MS);
	return 1;
}

int fe_wait_be(long want, uint64_t ns)
{
	return fe_wait_be_in(1u << want, ns);
}

// The connected back-end is gone: Closed, or already replaced by a new one
// (Initialising or InitWait: its first write can come between two looks,
// so Closed may never be seen).
int fe_wait_be_gone(uint64_t ns)
{
	return fe_wait_be_in(1u << LAMINA_BUS_CLOSED | 1u << LAMINA_BUS_INITIALISING |
			     1u << LAMINA_BUS_INITWAIT, ns);
}

// A back-end key as a number; dflt if absent.
static unsigned long be_num(const char *key, unsigned long dflt)
{
	static char be[128], v[32];
	unsigned long n = 0;

	if (xs_read(0, FE_DIR "/backend", be, sizeof(be)) < 0 ||
	    xs_read(0, xs_fmt("%s/%s", be, key), v, sizeof(v)) < 0 || !v[0])
		return dflt;
	for (const char *p = v; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	return n;
}

static void read_facts(void)
{
	fe_be.sectors = be_num(LAMINA_BLKIF_KEY_SECTORS, 0);
	fe_be.ss = be_num(LAMINA_BLKIF_KEY_SECTOR_SIZE, 512);
	fe_be.max_ind = be_num(LAMINA_BLKIF_KEY_MAX_INDIRECT, 0);
	fe_be.flush = be_num(LAMINA_BLKIF_KEY_FLUSH, 0);
	fe_be.fua = be_num(LAMINA_BLKIF_KEY_FUA, 0);
	fe_be.discard = be_num(LAMINA_BLKIF_KEY_DISCARD, 0);
	fe_be.zeroes = be_num(LAMINA_BLKIF_KEY_WRITE_ZEROES, 0);
	fe_be.max_order = be_num(LAMINA_BLKIF_KEY_MAX_RING_ORDER, 0);
	fe_be.max_q = be_num(LAMINA_BLKIF_KEY_MAX_QUEUES, 1);
}

// The keys of ring q, under its queue directory when there are several.
static void write_ring_keys(unsigned q, unsigned order)
{
	char pre[32]; // not an xs_fmt buffer: those are reused after four calls

	if (fe_nq > 1)
		rt_snprintf(pre, sizeof(pre), FE_DIR "/queue-%u/", q);
	else
		rt_snprintf(pre, sizeof(pre), FE_DIR "/");
	struct lamina_blkif_sring *s = (struct lamina_blkif_sring *)PAGE_AT(FE_RING_GFN + 4 * q);

	rt_memset((void *)s, 0, 4096u << order);
	lamina_blkif_sring_init(s);
	lamina_blkif_front_init(&fe_q[q].f, s, 4096u << order);
	for (unsigned i = 0; i < (1u << order); i++)
		xs_write(0, order ? xs_fmt("%sring-ref%u", pre, i) : xs_fmt("%sring-ref", pre),
			 xs_fmt("%u", 1 + 4 * q + i));
	xs_write(0, xs_fmt("%sevent-channel", pre), xs_fmt("%u", fe_q[q].port));
}

int fe_connect(unsigned nq, unsigned order)
{
	xs_write(0, FE_DIR "/state", "1");
	if (!fe_wait_be(LAMINA_BUS_INITWAIT, FE_WAIT_NS)) {
		rt_printf("blk_guest: the back-end never reached InitWait (it is %ld)\n", fe_be_state());
		return 0;
	}
	read_facts();
	if (order > fe_be.max_order || nq > fe_be.max_q)
		rt_fail("the back-end offers order %lu and %lu queues only", fe_be.max_order, fe_be.max_q);
	fe_nq = nq;
	xs_write(0, FE_DIR "/ring-page-order", xs_fmt("%u", order));
	xs_write(0, FE_DIR "/multi-queue-num-queues", xs_fmt("%u", nq));
	for (unsigned q = 0; q < nq; q++)
		write_ring_keys(q, order);
	xs_write(0, FE_DIR "/state", "3");
	if (!fe_wait_be(LAMINA_BUS_CONNECTED, FE_WAIT_NS)) {
		rt_printf("blk_guest: the back-end never connected (state %ld)\n", fe_be_state());
		return 0;
	}
	xs_write(0, FE_DIR "/state", "4");
	return 1;
}

void fe_close(void)
{
	xs_write(0, FE_DIR "/state", "5");
	fe_wait_be(LAMINA_BUS_CLOSED, FE_WAIT_NS);
	xs_write(0, FE_DIR "/state", "6");
}

void fe_put(unsigned q, const void *slot)
{
	struct lamina_blkif_request *rq = lamina_blkif_next_request(&fe_q[q].f);

	if (!rq)
		rt_fail("ring %u is full", q);
	rt_memcpy(rq, slot, sizeof(*rq));
}

void fe_push(unsigned q)
{
	if (lamina_blkif_push_requests(&fe_q[q].f))
		HC1(LAMINA_HC_event_send, fe_q[q].port);
}

int fe_wait(unsigned q, uint64_t id)
{
	struct lamina_blkif_response rsp;
	uint64_t until = rt_now() + FE_WAIT_NS;

	while (rt_now() < until) {
		int n = lamina_blkif_take_response(&fe_q[q].f, &rsp);
		if (n < 0)
			rt_fail("ring %u: the back-end's response index is corrupt", q);
		if (n == 1 && rsp.id == id)
			return rsp.status;
		if (n == 0)
			rt_spin_ns(MS / 10);
	}
	return 99;
}

unsigned fe_units(unsigned nseg, int partial)
{
	unsigned u = 0;

	for (unsigned i = 0; i < nseg; i++)
		u += partial ? 8 - (i % 3) - (i % 2) : 8; // first i%3, last 7 - i%2
	return u;
}

static struct lamina_blkif_segment seg_of(unsigned i, unsigned first_page, int partial)
{
	return (struct lamina_blkif_segment){ .gref = FE_REF_DATA + first_page + i,
		.first_sect = (uint8_t)(partial ? i % 3 : 0),
		.last_sect = (uint8_t)(partial ? 7 - i % 2 : 7) };
}

void fe_rw(unsigned q, uint8_t op, uint64_t id, uint64_t sector, unsigned nseg,
	   unsigned first_page, int partial, int force_ind)
{
	if (nseg > LAMINA_BLKIF_MAX_SEGMENTS || force_ind) {
		struct lamina_blkif_request_indirect ir = { .op = LAMINA_BLKIF_OP_INDIRECT,
			.indirect_op = op, .nr_segments = (uint16_t)nseg, .id = id, .sector = sector };
		volatile struct lamina_blkif_segment *ind =
			(volatile struct lamina_blkif_segment *)PAGE_AT(FE_IND_GFN);
		for (unsigned i = 0; i < nseg && i < 1024; i++)
			ind[i] = seg_of(i, first_page, partial);
		ir.indirect_gref[0] = FE_REF_IND;
		ir.indirect_gref[1] = FE_REF_IND + 1;
		fe_put(q, &ir);
		return;
	}
	struct lamina_blkif_request rq = { .op = op, .nr_segments = (uint8_t)nseg, .id = id,
					   .sector = sector };
	for (unsigned i = 0; i < nseg; i++)
		rq.seg[i] = seg_of(i, first_page, partial);
	fe_put(q, &rq);
}

int fe_do(unsigned q, uint8_t op, uint64_t sector, unsigned nseg, unsigned first_page, int partial)
{
	uint64_t id = next_id++;

	fe_rw(q, op, id, sector, nseg, first_page, partial, 0);
	fe_push(q);
	return fe_wait(q, id);
}

int fe_do_span(uint8_t op, uint64_t sector, uint64_t count)
{
	struct lamina_blkif_request rq = { .op = op, .id = next_id++, .sector = sector,
					   .sector_count = count };

	fe_put(0, &rq);
	fe_push(0);
	return fe_wait(0, rq.id);
}

// The pattern, 8 bytes at a time (the testbed runs guests slowly): pattern.h.
#define pat blk_pat

static volatile uint64_t *words(unsigned page)
{
	return (volatile uint64_t *)PAGE_AT(FE_DATA_GFN + page);
}

void fe_fill(unsigned first_page, unsigned n, uint32_t seed)
{
	for (unsigned p = 0; p < n; p++)
		for (unsigned j = 0; j < 512; j++)
			words(first_page + p)[j] = pat(seed, p, j);
}

int fe_same(unsigned first_page, unsigned n, uint32_t seed)
{
	for (unsigned p = 0; p < n; p++)
		for (unsigned j = 0; j < 512; j++)
			if (words(first_page + p)[j] != pat(seed, p, j))
				return 0;
	return 1;
}

void fe_clear(unsigned first_page, unsigned n)
{
	rt_memset((void *)PAGE_AT(FE_DATA_GFN + first_page), 0, (size_t)n * 4096);
}

int fe_check(unsigned first_page, unsigned nseg, int partial, uint32_t seed)
{
	for (unsigned p = 0; p < nseg; p++) {
		struct lamina_blkif_segment sg = seg_of(p, first_page, partial);
		unsigned lo = sg.first_sect * 64u, hi = (sg.last_sect + 1u) * 64u; // in words
		for (unsigned j = 0; j < 512; j++)
			if (words(first_page + p)[j] != (j >= lo && j < hi ? pat(seed, p, j) : 0))
				return 0;
	}
	return 1;
}
