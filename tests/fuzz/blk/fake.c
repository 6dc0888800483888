// SPDX-License-Identifier: MIT
// fake.c: lamina-blkback's outside world for the blk harness: granted pages (the front's memfd, mapped per request), a patterned disk in memory behind a fake image engine, lbk_fail, the clock.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include "blk/fuzz_blk.h"

uint8_t *guest;
int64_t fake_now;
bool fake_bounce;
unsigned fake_fail_every;

static int memfd, kickfd[MAXQ];
static bool dirty[NGUEST]; /* written since the input began: cleaned at the next */
static unsigned nio, submits; /* I/O queued with the engine; submits so far */
#define DISK_MAX (512u * 8 * 64)
static uint8_t *disk, *pattern; /* the image; what it holds at the start of an input */
static uint64_t disk_bytes, dirty_lo = 0, dirty_hi = DISK_MAX; /* bytes written since then */

int64_t blk_now_ns(void) { return fake_now; }

void fake_init(void)
{
	memfd = memfd_create("fuzz-blk-guest", 0);
	if (memfd < 0 || ftruncate(memfd, (off_t)NGUEST * PAGE))
		fz_fail("memfd: %m");
	guest = mmap(NULL, (size_t)NGUEST * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	disk = malloc(DISK_MAX);
	pattern = malloc(DISK_MAX);
	if (guest == MAP_FAILED || !disk || !pattern)
		fz_fail("guest memory: %m");
	for (uint64_t i = 0; i < DISK_MAX; i++) // a unit's bytes differ from every other unit's
		pattern[i] = (uint8_t)(i * 131 + (i >> 9) * 7 + 1);
	for (unsigned q = 0; q < MAXQ; q++)
		if ((kickfd[q] = eventfd(0, EFD_NONBLOCK)) < 0)
			fz_fail("eventfd: %m");
}

int fake_kick_fd(unsigned q) { return kickfd[q]; }
void fake_dirty(uint32_t gref) { dirty[gref] = true; }

/* ---- granted pages: a mapping is the front's pages at new addresses, a region of its own ---- */

struct mapping {
	uint8_t *mem;
	unsigned n;
	uint32_t refs[BLK_MAP_CHUNK];
	struct fz_region *reg;
};
#define MAXMAP 2048u
static struct mapping maps[MAXMAP];
static unsigned nmaps, mapped, room;
static uint32_t handles;

static struct mapping *mapping_of(const void *mem)
{
	for (unsigned i = 0; i < nmaps; i++)
		if (maps[i].mem == mem)
			return &maps[i];
	return NULL;
}

static int map_error(struct blk_dev *d, int rc, const char *why, unsigned v)
{
	snprintf(d->b.err, sizeof(d->b.err), why, v);
	return rc;
}

// lamina-hvd's map: every ref granted (< NGUEST), within the room; 0 or -errno.
int blk_map_pages(struct blk_dev *d, const uint32_t *refs, unsigned n, struct blk_map *m)
{
	uint8_t *mem;

	if (n == 0 || n > BLK_MAP_CHUNK)
		fz_fail("blk_map_pages of %u pages (1..%u per call)", n, BLK_MAP_CHUNK);
	for (unsigned i = 0; i < n; i++)
		if (refs[i] >= NGUEST)
			return map_error(d, -EPERM, "grant %u is not granted to domain 0", refs[i]);
	if (mapped + n > room || nmaps == MAXMAP)
		return map_error(d, -ENOSPC, "no room to map: %u pages mapped", mapped);
	mem = mmap(NULL, (size_t)n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fz_fail("mmap: %m");
	for (unsigned i = 0; i < n; i++) {
		if (mmap(mem + (size_t)i * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd,
			 (off_t)refs[i] * PAGE) == MAP_FAILED)
			fz_fail("mmap: %m");
		dirty[refs[i]] = true;
	}
	maps[nmaps] = (struct mapping){ .mem = mem, .n = n, .reg = fz_add(mem, (size_t)n * PAGE, FZ_DATA, true) };
	__builtin_memcpy(maps[nmaps++].refs, refs, n * sizeof(*refs));
	mapped += n;
	*m = (struct blk_map){ .handle = ++handles, .mem = mem, .pages = n };
	return 0;
}

void blk_unmap_pages(struct blk_dev *d, struct blk_map *m)
{
	struct mapping *mp;

	if (!m->mem)
		return;
	if (!(mp = mapping_of(m->mem)) || mp->n != m->pages)
		fz_fail("unmapping %u pages at %p: not a mapping", m->pages, m->mem);
	fz_remove(mp->reg);
	munmap(mp->mem, (size_t)mp->n * PAGE);
	mapped -= mp->n;
	*mp = maps[--nmaps];
	m->mem = NULL;
}

unsigned fake_mapped(void) { return mapped; }

/* ---- corrupt rings: once blk_fail is called, the rings are not touched again ---- */

static bool failed;
static unsigned long ring_acc;
static uint8_t ring_copy[MAXQ][PAGE << 2];

static unsigned long ring_accesses(void)
{
	unsigned long n = 0;

	for (unsigned q = 0; q < dev.nq; q++)
		n += fq[q].reg->accesses;
	return n;
}

static void ring_snapshot(void)
{
	ring_acc = ring_accesses();
	for (unsigned q = 0; q < dev.nq; q++)
		__builtin_memcpy(ring_copy[q], fq[q].s, fq[q].bytes);
}

// libbackend's report of a connection-ending failure (blk_fail): blk_io.c
// calls it only as it declares a ring corrupt.
void lbk_fail(struct lbk *b, const char *prog, const char *error_key, const char *fmt, ...)
{
	if (failed)
		fz_fail("blk_fail called twice");
	failed = true;
	ring_snapshot();
}

bool fake_failed(void) { return failed; }

void fake_ring_guard(void)
{
	if (failed)
		ring_snapshot(); // the guest may have written its rings since
}

void fake_ring_check(void)
{
	if (failed && !dev.corrupt)
		fz_fail("blk_fail without the device marked corrupt");
	if (!failed)
		return;
	if (ring_accesses() != ring_acc)
		fz_fail("the back-end read or published a ring after declaring one corrupt");
	for (unsigned q = 0; q < dev.nq; q++)
		if (__builtin_memcmp(ring_copy[q], fq[q].s, fq[q].bytes))
			fz_fail("the back-end wrote into ring %u after declaring a ring corrupt", q);
}

/* ---- the image: a patterned disk (a misplaced read shows), and the engine ---- */

void fake_setup(uint64_t bytes, unsigned r)
{
	for (unsigned g = 0; g < NGUEST; g++)
		if (dirty[g])
			__builtin_memset(guest + (size_t)g * PAGE, 0, PAGE), dirty[g] = false;
	if (dirty_lo < dirty_hi)
		__builtin_memcpy(disk + dirty_lo, pattern + dirty_lo, dirty_hi - dirty_lo);
	dirty_lo = DISK_MAX;
	dirty_hi = 0;
	disk_bytes = bytes;
	room = r;
	nmaps = mapped = nio = submits = 0;
	failed = false;
	for (unsigned q = 0; q < MAXQ; q++) {
		uint64_t v;
		if (read(kickfd[q], &v, sizeof(v)) < 0 && errno != EAGAIN)
			fz_fail("eventfd: %m");
	}
}

struct io { /* I/O queued with the engine */
	struct blk_slot *s;
	bool done;
	uint8_t how; /* when done: OK, failed, short */
};
enum { IO_OK, IO_FAIL, IO_SHORT };
#define MAXIO (MAXQ * 128u)
static struct io ios[MAXIO];

unsigned fake_ios(void) { return nio; }

static bool offered(const struct blk_disk *k, unsigned op)
{
	return op == LAMINA_BLKIF_OP_READ || op == LAMINA_BLKIF_OP_WRITE ||
	       (op == LAMINA_BLKIF_OP_FLUSH && k->flush) || (op == LAMINA_BLKIF_OP_DISCARD && k->discard) ||
	       (op == LAMINA_BLKIF_OP_WRITE_FUA && k->fua) || (op == LAMINA_BLKIF_OP_WRITE_ZEROES && k->zeroes);
}

// The disk range: inside the image, aligned to the sector size; FLUSH has none.
static void check_range(const struct blk_plan *p, const struct blk_disk *k)
{
	if (p->op == LAMINA_BLKIF_OP_FLUSH) {
		if (p->len || p->nseg)
			fz_fail("a flush with %llu bytes in %u segments", (unsigned long long)p->len, p->nseg);
		return;
	}
	if (!p->len || p->offset % k->sector_size || p->len % k->sector_size || p->offset > disk_bytes ||
	    p->len > disk_bytes - p->offset)
		fz_fail("op %u on [%llu, +%llu): not inside the %llu-byte disk in %u-byte sectors", p->op,
			(unsigned long long)p->offset, (unsigned long long)p->len,
			(unsigned long long)disk_bytes, k->sector_size);
}

// Segment i: a whole number of units in its page, that page the one it names, its iov on it.
static void check_segment(const struct blk_slot *s, unsigned i, const struct blk_disk *k)
{
	const struct blk_seg *g = &s->plan.seg[i];
	const struct blk_map *m = &s->map[i / BLK_MAP_CHUNK];
	const struct mapping *mp = mapping_of(m->mem);
	unsigned left = s->plan.nseg - i / BLK_MAP_CHUNK * BLK_MAP_CHUNK;

	if (!mp || m->pages != mp->n || mp->n != (left < BLK_MAP_CHUNK ? left : BLK_MAP_CHUNK))
		fz_fail("segment %u: its mapping is missing or of the wrong size", i);
	if (mp->refs[i % BLK_MAP_CHUNK] != g->gref)
		fz_fail("segment %u names grant %u but its page is grant %u", i, g->gref, mp->refs[i % BLK_MAP_CHUNK]);
	if (!g->len || g->off % 512 || g->len % 512 || g->off + g->len > PAGE ||
	    (k->sector_size == PAGE && g->len != PAGE))
		fz_fail("segment %u: [%u, +%u) of its page", i, g->off, g->len);
	if (s->iov[i].iov_base != m->mem + (size_t)(i % BLK_MAP_CHUNK) * PAGE + g->off || s->iov[i].iov_len != g->len)
		fz_fail("segment %u: its iov is not where the segment is", i);
}

// Reads and writes: 1..max segments, each checked, distinct grants, lengths adding up.
static void check_segments(const struct blk_slot *s, const struct blk_disk *k)
{
	static unsigned seen[NGUEST], stamp;
	const struct blk_plan *p = &s->plan;
	unsigned max = p->ring_op == LAMINA_BLKIF_OP_INDIRECT ? k->max_indirect : LAMINA_BLKIF_MAX_SEGMENTS;
	uint64_t sum = 0;

	if (p->nseg < 1 || p->nseg > max || p->nseg > BLK_MAX_SEGS ||
	    s->nmap != (p->nseg + BLK_MAP_CHUNK - 1) / BLK_MAP_CHUNK)
		fz_fail("%u segments in %u mappings (at most %u)", p->nseg, s->nmap, max);
	stamp++;
	for (unsigned i = 0; i < p->nseg; i++) {
		check_segment(s, i, k);
		if (seen[p->seg[i].gref] == stamp)
			fz_fail("grant %u twice in one request", p->seg[i].gref);
		seen[p->seg[i].gref] = stamp;
		sum += p->seg[i].len;
	}
	if (sum != p->len)
		fz_fail("segments of %llu bytes for a request of %llu", (unsigned long long)sum,
			(unsigned long long)p->len);
	if (p->nind && p->ind[0] < NGUEST && seen[p->ind[0]] == stamp)
		fz_fail("indirect page %u is also a data page", p->ind[0]);
}

// No other request with this id in flight on its ring (io/blkif.h: refused, the first left alone).
static void check_id(const struct blk_dev *d, const struct blk_slot *s)
{
	for (unsigned i = 0; i < nio; i++) {
		if (ios[i].s == s)
			fz_fail("a slot submitted twice");
		if (ios[i].s->q == s->q && ios[i].s->plan.id == s->plan.id)
			fz_fail("two requests with id %llu in flight on one ring", (unsigned long long)s->plan.id);
	}
	if (d->parked && d->parked != s && d->parked->q == s->q && d->parked->plan.id == s->plan.id)
		fz_fail("a request with the parked request's id %llu started", (unsigned long long)s->plan.id);
}

static void check_direct(const struct blk_plan *p, const struct lamina_blkif_request *rq)
{
	bool rw = blk_is_rw(p->op);

	if (p->op != rq->op || (p->op != LAMINA_BLKIF_OP_FLUSH && p->offset != rq->sector * 512) ||
	    (!rw && p->op != LAMINA_BLKIF_OP_FLUSH && p->len != rq->sector_count * 512) ||
	    (rw && p->nseg != rq->nr_segments))
		fz_fail("plan (op %u at %llu, %u segments) is not request %llu's", p->op,
			(unsigned long long)p->offset, p->nseg, (unsigned long long)rq->id);
	for (unsigned i = 0; rw && i < p->nseg; i++) {
		const struct lamina_blkif_segment *g = &rq->seg[i];
		if (p->seg[i].gref != g->gref || p->seg[i].off != g->first_sect * 512u ||
		    p->seg[i].len != (g->last_sect - g->first_sect + 1u) * 512u)
			fz_fail("segment %u of the plan is not the request's", i);
	}
}

// The plan is what the request the back-end took (its private copy) asks for.
static void check_request(const struct blk_dev *d, const struct blk_slot *s)
{
	const struct blk_plan *p = &s->plan;
	const struct rec *r;
	struct lamina_blkif_request_indirect ir;

	if (rec_count(&fq[s->q - d->q], p->id, &r) != 1)
		fz_fail("I/O for id %llu, which is not exactly one unanswered request", (unsigned long long)p->id);
	if (r->rq.op != p->ring_op)
		fz_fail("plan's ring op %u, request's %u", p->ring_op, r->rq.op);
	if (p->ring_op != LAMINA_BLKIF_OP_INDIRECT)
		return check_direct(p, &r->rq);
	__builtin_memcpy(&ir, &r->rq, sizeof(ir));
	if (p->op != ir.indirect_op || p->nseg != ir.nr_segments || p->nind != 1 ||
	    p->ind[0] != ir.indirect_gref[0] || p->offset != ir.sector * 512)
		fz_fail("plan of indirect request %llu is not the request's", (unsigned long long)p->id);
}

// Everything the engine is given is checked before it touches the disk.
static void check_plan(const struct blk_dev *d, const struct blk_slot *s)
{
	const struct blk_plan *p = &s->plan;
	const struct blk_disk *k = &d->disk;

	if (d->corrupt)
		fz_fail("I/O started after a ring went corrupt");
	if (!offered(k, p->op) || (p->ring_op == LAMINA_BLKIF_OP_INDIRECT && (!k->max_indirect || !blk_is_rw(p->op))))
		fz_fail("op %u (ring op %u) started: not offered", p->op, p->ring_op);
	if (k->ro && p->op != LAMINA_BLKIF_OP_READ && p->op != LAMINA_BLKIF_OP_FLUSH)
		fz_fail("op %u started on a read-only disk", p->op);
	check_range(p, k);
	if (blk_is_rw(p->op))
		check_segments(s, k);
	else if (s->nmap)
		fz_fail("op %u with %u mappings", p->op, s->nmap);
	check_id(d, s);
	check_request(d, s);
}

static int eng_submit(struct blk_dev *d, struct blk_slot *s)
{
	harvest(); // refused requests answered by now
	check_plan(d, s);
	if (fake_fail_every && ++submits % fake_fail_every == 0)
		return -EBUSY;
	if (fake_bounce && blk_is_rw(s->plan.op) && blk_bounce_in(s))
		return -ENOMEM;
	if (nio == MAXIO)
		fz_fail("more I/O in flight than the rings have slots");
	ios[nio++] = (struct io){ .s = s };
	d->inflight++;
	return 0;
}

static void eng_push(struct blk_dev *d) {}

// Move data between the disk and the request's bounce buffer or pages.
static void transfer(struct blk_slot *s, uint8_t *expect)
{
	const struct blk_plan *p = &s->plan;
	bool rd = p->op == LAMINA_BLKIF_OP_READ;
	uint8_t *at = disk + p->offset;

	if (rd)
		__builtin_memcpy(expect, at, p->len);
	if (s->bounce)
		return rd ? (void)__builtin_memcpy(s->bounce, at, p->len) : (void)__builtin_memcpy(at, s->bounce, p->len);
	for (unsigned i = 0; i < p->nseg; at += s->iov[i++].iov_len) {
		if (rd)
			memcpy(s->iov[i].iov_base, at, s->iov[i].iov_len); // a write into guest pages
		else
			memcpy(at, s->iov[i].iov_base, s->iov[i].iov_len); // a read of them: shim-checked
	}
}

// Do the I/O on the disk: the result blk_complete gets. expect: a read's data.
static int execute(struct blk_slot *s, unsigned how, uint8_t *expect)
{
	const struct blk_plan *p = &s->plan;

	check_range(p, &dev.disk);
	if (how == IO_FAIL)
		return -EIO;
	if (how == IO_SHORT && blk_is_rw(p->op))
		return (int)p->len - 512;
	if (p->op != LAMINA_BLKIF_OP_READ && p->op != LAMINA_BLKIF_OP_FLUSH) {
		dirty_lo = p->offset < dirty_lo ? p->offset : dirty_lo;
		dirty_hi = p->offset + p->len > dirty_hi ? p->offset + p->len : dirty_hi;
	}
	if (blk_is_rw(p->op))
		transfer(s, expect);
	else if (p->op != LAMINA_BLKIF_OP_FLUSH)
		__builtin_memset(disk + p->offset, 0, p->len); // a punched hole reads back as zeroes
	return blk_is_rw(p->op) ? (int)p->len : 0;
}

// After a read answered OKAY: the front's pages hold the disk's data.
static void check_read(const struct blk_plan *p, const uint8_t *expect)
{
	size_t o = 0;

	for (unsigned i = 0; i < p->nseg; o += p->seg[i++].len)
		if (__builtin_memcmp(guest + (size_t)p->seg[i].gref * PAGE + p->seg[i].off, expect + o, p->seg[i].len))
			fz_fail("read of %llu: segment %u (grant %u) does not hold the disk's data",
				(unsigned long long)p->id, i, p->seg[i].gref);
}

static void finish(struct blk_dev *d, struct io x)
{
	struct blk_plan p = x.s->plan;
	uint8_t *expect = p.op == LAMINA_BLKIF_OP_READ ? malloc(p.len) : NULL;
	int res = execute(x.s, x.how, expect);
	bool ok = res >= 0 && (!blk_is_rw(p.op) || (uint64_t)res == p.len);

	if (ok)
		ok_add((unsigned)(x.s->q - d->q), p.id);
	blk_complete(d, x.s, res);
	if (ok && expect)
		check_read(&p, expect);
	free(expect);
}

// Finished I/O, oldest first, up to the budget; waiting finishes the oldest if none is.
static int eng_reap(struct blk_dev *d, bool wait)
{
	int n = 0;

	while (n < (int)BLK_REAP_BUDGET) {
		unsigned i = 0;
		while (i < nio && !ios[i].done)
			i++;
		if (i == nio && wait && n == 0 && nio)
			i = 0, ios[0] = (struct io){ .s = ios[0].s, .done = true, .how = IO_OK };
		if (i == nio)
			break;
		struct io x = ios[i];
		__builtin_memmove(&ios[i], &ios[i + 1], (nio - i - 1) * sizeof(ios[0]));
		nio--;
		d->inflight--;
		finish(d, x);
		n++;
	}
	return n;
}

void fake_done(unsigned pick, unsigned how)
{
	if (!nio)
		return;
	ios[pick % nio].done = true;
	ios[pick % nio].how = how < 232 ? IO_OK : how < 244 ? IO_FAIL : IO_SHORT;
}

static void eng_poll_fd(struct blk_dev *d, struct pollfd *p) {}
static void eng_after_poll(struct blk_dev *d, short revents) {}

const struct blk_engine fake_engine = {
	.name = "fuzz", .submit = eng_submit, .push = eng_push, .reap = eng_reap,
	.poll_fd = eng_poll_fd, .after_poll = eng_after_poll,
};
