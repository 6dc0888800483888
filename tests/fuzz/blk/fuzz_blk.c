// SPDX-License-Identifier: MIT
// fuzz_blk.c: libFuzzer harness for lamina-blkback's ring consumer (blk_io.c, blk_check.c, blk_seg.c) over rings and granted pages the guest changes between reads.
#include <stdlib.h>
#include "blk/fuzz_blk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input (tests/fuzz/blk/make-seeds writes well-formed ones):
 *   6 config bytes: flags (1 read-only, 2 flush, 4 FUA, 8 discard,
 *     16 write-zeroes, 32 sector size 4096, 64 the engine bounces as with
 *     O_DIRECT, 128 quiet: the guest changes nothing during back-end calls,
 *     so no control bytes are read there; seeds use it); rings 1 + b % 4, page order (b >> 2) % 3; most indirect
 *     segments {0, 16, 256, 512}[b % 4]; disk 8 * (1 + b % 64) units;
 *     mapping room 2 * b pages (0: no limit); b >= 240: every (b - 238)-th
 *     submit to the engine fails;
 *   then ops, each a byte (% 9) and its operands (see the op_* functions):
 *     REQ, RAW write a request into a ring and publish it; PUBLISH, EVENT
 *     set req_prod, rsp_event; SCRIBBLE writes a granted page; TURN is one
 *     turn of lamina-blkback's loop (reap, unpark or take, flush); DONE
 *     finishes queued I/O (ok, failed or short); CLOCK moves the clock;
 *     UNPARK retries a parked request.
 * During a back-end call the guest may rewrite any ring or granted bytes
 * just before they are read (common/shim.c).
 *
 * Checked besides ASan/UBSan: no ring slot read twice before its response
 * is written, no granted byte read twice per mapping (double fetch); at
 * most BLK_TAKE_BUDGET requests taken per ring per call; every response
 * answers a request taken and not yet answered (same id and op), with a
 * status the request allows (EOPNOTSUPP only for an op not offered,
 * OKAY only after the engine did its I/O well and never a write on a
 * read-only disk); everything the engine gets is inside the disk and
 * aligned, its iovs on the pages the request named, at most one request
 * per id in flight, and is what the taken request asked for; a read
 * answered OKAY leaves the disk's data in the front's pages; responses
 * are published by the end of a turn; after the drain every request is
 * answered (but a parked one, dropped), nothing mapped or in flight; once
 * a ring is declared corrupt no ring is read or written again.
 */
#define MAX_OPS 1024
enum { OP_REQ, OP_RAW, OP_PUBLISH, OP_EVENT, OP_SCRIBBLE, OP_TURN, OP_DONE, OP_CLOCK, OP_UNPARK, NOPS };

struct blk_dev dev;
struct front fq[MAXQ];
static uint64_t next_id;

static uint16_t fz16(void) { uint16_t v; fz_take(&v, 2); return v; }
static uint32_t fz32(void) { uint32_t v; fz_take(&v, 4); return v; }

/* ---- the front's records: what was taken, what was answered ---- */

unsigned rec_count(const struct front *f, uint64_t id, const struct rec **first)
{
	unsigned n = 0;

	for (unsigned i = f->nrec; i-- > 0;)
		if (f->rec[i].rq.id == id)
			n++, *first = &f->rec[i];
	return n;
}

void ok_add(unsigned q, uint64_t id)
{
	if (fq[q].nok == MAXREC)
		fz_fail("more I/O finished than requests taken");
	fq[q].ok[fq[q].nok++] = id;
}

static bool ok_take(struct front *f, uint64_t id)
{
	for (unsigned i = 0; i < f->nok; i++) {
		if (f->ok[i] == id) {
			f->ok[i] = f->ok[--f->nok];
			return true;
		}
	}
	return false;
}

static unsigned queue_of(const void *ring)
{
	for (unsigned q = 0; q < dev.nq; q++)
		if (ring == &dev.q[q].ring)
			return q;
	fz_fail("a take from an unknown ring");
}

// The slot ring's take (common/shim.h FZ_RING_TAKE) copied request `index` into rq.
void fz_taken(const void *ring, uint32_t index, const void *rq, size_t n)
{
	unsigned q = queue_of(ring);
	struct front *f = &fq[q];

	harvest(); // a response in a slot is collected before a later one can overwrite it
	if (index != f->next_take++)
		fz_fail("ring %u: request %u taken, expected %u", q, index, f->next_take - 1);
	if (++f->takes > BLK_TAKE_BUDGET)
		fz_fail("ring %u: more than %u requests taken in one call", q, BLK_TAKE_BUDGET);
	if (f->nrec >= dev.q[q].ring.nr_ents)
		fz_fail("ring %u: %u requests unanswered, more than its %u slots", q, f->nrec + 1, dev.q[q].ring.nr_ents);
	f->rec[f->nrec] = (struct rec){ .index = index };
	__builtin_memcpy(&f->rec[f->nrec++].rq, rq, n);
}

static bool offered(const struct lamina_blkif_request *rq)
{
	const struct blk_disk *k = &dev.disk;

	switch (rq->op) {
	case LAMINA_BLKIF_OP_READ: case LAMINA_BLKIF_OP_WRITE: return true;
	case LAMINA_BLKIF_OP_FLUSH: return k->flush;
	case LAMINA_BLKIF_OP_DISCARD: return k->discard;
	case LAMINA_BLKIF_OP_WRITE_FUA: return k->fua;
	case LAMINA_BLKIF_OP_WRITE_ZEROES: return k->zeroes;
	case LAMINA_BLKIF_OP_INDIRECT: return k->max_indirect > 0;
	default: return false;
	}
}

static bool writes(const struct lamina_blkif_request *rq)
{
	unsigned op = rq->op == LAMINA_BLKIF_OP_INDIRECT ? ((const uint8_t *)rq)[1] : rq->op;

	return op == LAMINA_BLKIF_OP_WRITE || op == LAMINA_BLKIF_OP_WRITE_FUA ||
	       (rq->op != LAMINA_BLKIF_OP_INDIRECT &&
		(op == LAMINA_BLKIF_OP_DISCARD || op == LAMINA_BLKIF_OP_WRITE_ZEROES));
}

// May rq be answered status? (OKAY also takes the engine's word for it.)
static bool admits(struct front *f, const struct lamina_blkif_request *rq, int status)
{
	bool fua_ind = rq->op == LAMINA_BLKIF_OP_INDIRECT && ((const uint8_t *)rq)[1] == LAMINA_BLKIF_OP_WRITE_FUA &&
		       !dev.disk.fua;

	if (status == LAMINA_BLKIF_RSP_EOPNOTSUPP)
		return !offered(rq) || fua_ind;
	if (status == LAMINA_BLKIF_RSP_ERROR)
		return offered(rq);
	return offered(rq) && !(dev.disk.ro && writes(rq)) && ok_take(f, rq->id);
}

static void match(unsigned q, const struct lamina_blkif_response *r)
{
	struct front *f = &fq[q];

	if (r->status != LAMINA_BLKIF_RSP_OKAY && r->status != LAMINA_BLKIF_RSP_ERROR &&
	    r->status != LAMINA_BLKIF_RSP_EOPNOTSUPP)
		fz_fail("ring %u: response status %d", q, r->status);
	/*
	 * io/blkif.h: a request whose id is that of another request of the
	 * same ring still in flight is answered ERROR "and leaves the first one
	 * alone". Responses are harvested before each take, so two unanswered
	 * records with one id are exactly that: the oldest is the first, every
	 * later one a duplicate taken while it was in flight. A response
	 * carries only (id, op), so when both fit, a refusal is the newest
	 * duplicate's (searching newest first), and a duplicate is never
	 * answered OKAY (that is the first's, whose I/O the engine did).
	 */
	for (unsigned i = f->nrec; i-- > 0;) {
		const struct rec *first;
		if (f->rec[i].rq.id != r->id || f->rec[i].rq.op != r->op)
			continue;
		if (r->status == LAMINA_BLKIF_RSP_OKAY && rec_count(f, r->id, &first) > 1 && first != &f->rec[i])
			continue;
		if (!admits(f, &f->rec[i].rq, r->status))
			continue;
		__builtin_memmove(&f->rec[i], &f->rec[i + 1], (f->nrec - i - 1) * sizeof(f->rec[0]));
		f->nrec--;
		return;
	}
	fz_fail("ring %u: response (id %llu, op %u, status %d) answers no request taken and unanswered", q,
		(unsigned long long)r->id, r->op, r->status);
}

void harvest(void)
{
	for (unsigned q = 0; q < dev.nq; q++) {
		struct front *f = &fq[q];
		const struct lamina_blkif_back *b = &dev.q[q].ring;
		if (b->rsp_prod_pvt - f->rsp_cons > b->nr_ents)
			fz_fail("ring %u: %u responses written at once", q, b->rsp_prod_pvt - f->rsp_cons);
		for (; f->rsp_cons != b->rsp_prod_pvt; f->rsp_cons++) {
			struct lamina_blkif_response r;
			__builtin_memcpy(&r, &f->s->slot[f->rsp_cons & (b->nr_ents - 1)].rsp, sizeof(r));
			match(q, &r);
		}
	}
}

/* ---- back-end calls ---- */

#define BACKEND(call) do { \
	fake_ring_guard(); \
	for (unsigned q_ = 0; q_ < dev.nq; q_++) \
		fq[q_].takes = 0; \
	fz.in_backend = true; call; fz.in_backend = false; \
	harvest(); \
	fake_ring_check(); \
} while (0)

// At the end of a turn every response written is published.
static void check_published(void)
{
	for (unsigned q = 0; q < dev.nq && !dev.corrupt; q++)
		if (fq[q].reg->idx != dev.q[q].ring.rsp_prod_pvt)
			fz_fail("ring %u: %u responses written, %u published", q, dev.q[q].ring.rsp_prod_pvt,
				fq[q].reg->idx);
}

// One turn of lamina-blkback's serve(): completions, the parked request or new ones, responses.
static void op_turn(void)
{
	BACKEND(if (blk_reap(&dev, false) >= 0) {
		if (!blk_unpark(&dev))
			blk_take(&dev);
		blk_flush_responses(&dev);
	});
	check_published();
}

/* ---- the front ---- */

static void publish(struct front *f) { f->s->hdr.req_prod = f->prod; }

static struct lamina_blkif_request *next_slot(struct front *f, unsigned q)
{
	return &f->s->slot[f->prod++ & (dev.q[q].ring.nr_ents - 1)].req;
}

// A sector: some past the end; on 4096-byte sectors aligned unless odd.
static uint64_t gen_sector(bool odd)
{
	uint64_t s = fz16() % (dev.disk.sectors + 16);

	return dev.disk.sector_size == PAGE && !odd ? s & ~7ull : s;
}

// A segment's units from one byte (whole pages on 4096-byte sectors unless odd).
static void gen_units(struct lamina_blkif_segment *g, uint8_t b, bool odd)
{
	g->first_sect = dev.disk.sector_size == PAGE && !odd ? 0 : b & 7;
	g->last_sect = dev.disk.sector_size == PAGE && !odd ? 7 : (uint8_t)(g->first_sect + (b >> 3) % (8u - g->first_sect));
}

// READ, WRITE, WRITE_FUA: segment count, sector, first grant; then each segment's units.
static void gen_rw(struct lamina_blkif_request *rq, bool odd)
{
	uint8_t b = fz_byte();
	unsigned n = b < 0xf0 ? 1 + b % LAMINA_BLKIF_MAX_SEGMENTS : b & 15u;
	uint32_t g;

	rq->nr_segments = (uint8_t)n;
	rq->sector = gen_sector(odd);
	g = fz16() % (NGUEST + 8);
	for (unsigned i = 0; i < n && i < LAMINA_BLKIF_MAX_SEGMENTS; i++) {
		rq->seg[i].gref = g + i;
		gen_units(&rq->seg[i], fz_byte(), odd);
	}
}

// INDIRECT: op, segment count, sector, indirect page, first grant, one units byte for all.
static void gen_indirect(struct lamina_blkif_request_indirect *ir, bool odd)
{
	static const uint8_t ops[] = { LAMINA_BLKIF_OP_READ, LAMINA_BLKIF_OP_WRITE, LAMINA_BLKIF_OP_WRITE_FUA };
	uint8_t b = fz_byte();
	uint16_t v = fz16();
	uint32_t base;
	struct lamina_blkif_segment g = { 0 };

	ir->indirect_op = b < 0xf0 ? ops[b % 3] : b & 15u;
	ir->nr_segments = (uint16_t)(v < 0xf000 ? 1 + v % BLK_MAX_SEGS : v & 0x3ff);
	ir->sector = gen_sector(odd);
	ir->indirect_gref[0] = fz16() % (NGUEST + 8);
	base = fz16() % NGUEST;
	gen_units(&g, fz_byte(), odd);
	if (ir->indirect_gref[0] >= NGUEST)
		return;
	fake_dirty(ir->indirect_gref[0]);
	for (unsigned i = 0; i < ir->nr_segments && i < LAMINA_BLKIF_SEGS_PER_INDIRECT_PAGE; i++) {
		g.gref = (base + i) % NGUEST;
		__builtin_memcpy(guest + (size_t)ir->indirect_gref[0] * PAGE + i * sizeof(g), &g, sizeof(g));
	}
}

// REQ: ring, kind (op = kind % 8, 7: an op byte follows; 0x80: unaligned), id, the op's fields.
static void op_req(void)
{
	unsigned q = fz_byte() % dev.nq;
	uint8_t kind = fz_byte(), idb = fz_byte();
	bool odd = kind & 0x80;
	struct lamina_blkif_request rq = { .op = kind % 8 == 7 ? fz_byte() : kind % 8 };

	rq.id = idb < 224 ? ++next_id : idb & 7u;
	if (rq.op == LAMINA_BLKIF_OP_INDIRECT) {
		struct lamina_blkif_request_indirect ir = { .op = rq.op, .id = rq.id };
		gen_indirect(&ir, odd);
		__builtin_memcpy(&rq, &ir, sizeof(rq));
	} else if (rq.op == LAMINA_BLKIF_OP_DISCARD || rq.op == LAMINA_BLKIF_OP_WRITE_ZEROES) {
		rq.sector = gen_sector(odd);
		uint8_t c = fz_byte();
		rq.sector_count = dev.disk.sector_size == PAGE && !odd ? 8u * (1 + c % 32) : 1u + c;
	} else if (rq.op != LAMINA_BLKIF_OP_FLUSH) {
		gen_rw(&rq, odd);
	}
	__builtin_memcpy(next_slot(&fq[q], q), &rq, sizeof(rq));
	publish(&fq[q]);
}

// RAW: ring, then the slot's 120 bytes as they come.
static void op_raw(void)
{
	unsigned q = fz_byte() % dev.nq;

	fz_take(next_slot(&fq[q], q), sizeof(struct lamina_blkif_request));
	publish(&fq[q]);
}

// PUBLISH: ring, mode (< 128 what was written; < 240 off by a signed byte; else a raw index).
static void op_publish(void)
{
	struct front *f = &fq[fz_byte() % dev.nq];
	uint8_t m = fz_byte();

	f->s->hdr.req_prod = m < 128 ? f->prod : m < 240 ? f->prod + (uint32_t)(int8_t)fz_byte() : fz32();
}

// EVENT: ring, mode (< 128 the next response; else a raw index).
static void op_event(void)
{
	struct front *f = &fq[fz_byte() % dev.nq];

	f->s->hdr.rsp_event = fz_byte() < 128 ? f->rsp_cons + 1 : fz32();
}

// SCRIBBLE: grant, offset, count, then that many bytes into the front's page.
static void op_scribble(void)
{
	uint32_t g = fz16() % NGUEST;
	unsigned off = fz16() % PAGE, n = fz_byte();

	fake_dirty(g);
	fz_take(guest + (size_t)g * PAGE + off, n < PAGE - off ? n : PAGE - off);
}

// DONE: count, then per I/O which (modulo those queued) and how (fake.c).
static void op_done(void)
{
	for (unsigned n = 1 + fz_byte() % 8; n > 0; n--) {
		uint8_t pick = fz_byte();
		fake_done(pick, fz_byte());
	}
}

static void run_op(uint8_t op)
{
	switch (op % NOPS) {
	case OP_REQ: op_req(); break;
	case OP_RAW: op_raw(); break;
	case OP_PUBLISH: op_publish(); break;
	case OP_EVENT: op_event(); break;
	case OP_SCRIBBLE: op_scribble(); break;
	case OP_TURN: op_turn(); break;
	case OP_DONE: op_done(); break;
	case OP_CLOCK: fake_now += (1 + fz_byte()) * 50000000ll; break;
	default: BACKEND(blk_unpark(&dev); blk_flush_responses(&dev)); break;
	}
}

/* ---- one connection ---- */

static void setup_ring(unsigned q)
{
	struct blk_queue *dq = &dev.q[q];
	struct front *f = &fq[q];

	*f = (struct front){ .bytes = (size_t)PAGE << dev.order };
	if (!(f->s = aligned_alloc(PAGE, f->bytes)))
		fz_fail("out of memory");
	__builtin_memset(f->s, 0, f->bytes);
	lamina_blkif_sring_init(f->s);
	lamina_blkif_back_init(&dq->ring, f->s, (uint32_t)f->bytes);
	*dq = (struct blk_queue){ .ring = dq->ring, .bell = -1, .kick = fake_kick_fd(q), .port = q + 1,
				  .nslots = dq->ring.nr_ents };
	if (!(dq->slots = calloc(dq->nslots, sizeof(*dq->slots))))
		fz_fail("out of memory");
	f->reg = fz_add_slots((uint8_t *)f->s, f->bytes, sizeof(struct lamina_ring_header),
			      sizeof(union lamina_blkif_slot), dq->ring.nr_ents,
			      offsetof(struct lamina_ring_header, rsp_prod), &dq->ring.rsp_prod_pvt);
}

static void setup(const uint8_t c[6])
{
	static const unsigned ind[] = { 0, 16, 256, 512 };

	__builtin_memset(&dev, 0, sizeof(dev));
	dev.disk = (struct blk_disk){ .ro = c[0] & 1, .flush = c[0] & 2, .fua = c[0] & 4, .discard = c[0] & 8,
				      .zeroes = c[0] & 16, .sector_size = c[0] & 32 ? PAGE : 512,
				      .max_indirect = ind[c[2] % 4], .sectors = 8u * (1 + c[3] % 64) };
	dev.eng = &fake_engine;
	dev.path = "fuzz-disk";
	dev.fd_direct = dev.fd_buf = dev.uring_efd = -1;
	dev.nq = 1 + c[1] % MAXQ;
	dev.order = (c[1] >> 2) % 3;
	fake_bounce = c[0] & 64;
	fz.quiet = c[0] & 128;
	fake_fail_every = c[5] >= 240 ? c[5] - 238u : 0;
	fake_now = 1000000000;
	next_id = 0;
	fz_reset();
	fz.before_change = harvest;
	fake_setup(dev.disk.sectors * 512, c[4] ? 2u * c[4] : ~0u);
	for (unsigned q = 0; q < dev.nq; q++)
		setup_ring(q);
}

// lamina-blkback's teardown (blk_drain), then what must hold once it is done.
static void teardown(void)
{
	struct blk_slot *parked = dev.parked;
	unsigned pq = parked ? (unsigned)(parked->q - dev.q) : MAXQ;
	uint64_t pid = parked ? parked->plan.id : 0;

	BACKEND(blk_drain(&dev));
	if (fake_ios() || dev.inflight || fake_mapped())
		fz_fail("after the drain: %u I/O queued, %u in flight, %u pages mapped", fake_ios(), dev.inflight,
			fake_mapped());
	for (unsigned q = 0; q < dev.nq; q++) {
		struct front *f = &fq[q];
		unsigned left = q == pq ? 1 : 0;
		if (!dev.corrupt && (f->nok || f->nrec != left || (left && f->rec[0].rq.id != pid) || dev.q[q].busy))
			fz_fail("ring %u after the drain: %u requests unanswered (%u parked), %u I/O done unanswered, "
				"%u slots busy", q, f->nrec, left, f->nok, dev.q[q].busy);
		free(dev.q[q].slots);
		free(f->s);
	}
	check_published();
	fz_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	uint8_t c[6];

	if (!init)
		fake_init(), init = true;
	fz.name = "blk";
	fz.p = data;
	fz.left = size;
	if (!fz_take(c, sizeof(c)))
		return 0;
	setup(c);
	for (unsigned i = 0; i < MAX_OPS && fz.left; i++)
		run_op(fz_byte());
	teardown();
	return 0;
}
