// SPDX-License-Identifier: MIT
// blk_check: check a block request copied off the ring: op allowed, segment count, each segment, duplicate grants, bounds.
#include "blk_check.h"

#include <stdlib.h>
#include <string.h>

#define UNIT LAMINA_BLKIF_SECTOR_SIZE
#define ERR LAMINA_BLKIF_RSP_ERROR
#define NOTSUP LAMINA_BLKIF_RSP_EOPNOTSUPP

static int refuse(struct blk_plan *p, int status, const char *why)
{
	p->why = why;
	return status;
}

static bool is_write(unsigned op)
{
	return op == LAMINA_BLKIF_OP_WRITE || op == LAMINA_BLKIF_OP_WRITE_FUA;
}

// Is the op offered at all on this disk? 0 or a status.
static int op_offered(unsigned op, const struct blk_disk *d, struct blk_plan *p)
{
	switch (op) {
	case LAMINA_BLKIF_OP_READ:
	case LAMINA_BLKIF_OP_WRITE:
		return 0;
	case LAMINA_BLKIF_OP_FLUSH:
		return d->flush ? 0 : refuse(p, NOTSUP, "flush not offered");
	case LAMINA_BLKIF_OP_DISCARD:
		return d->discard ? 0 : refuse(p, NOTSUP, "discard not offered");
	case LAMINA_BLKIF_OP_WRITE_FUA:
		return d->fua ? 0 : refuse(p, NOTSUP, "FUA not offered");
	case LAMINA_BLKIF_OP_WRITE_ZEROES:
		return d->zeroes ? 0 : refuse(p, NOTSUP, "write-zeroes not offered");
	case LAMINA_BLKIF_OP_INDIRECT:
		return d->max_indirect ? 0 : refuse(p, NOTSUP, "indirect not offered");
	default:
		return refuse(p, NOTSUP, "unknown op");
	}
}

// The range [sector, sector + units) inside the disk and aligned for its sector size.
static int range_ok(uint64_t sector, uint64_t units, const struct blk_disk *d, struct blk_plan *p)
{
	uint64_t align = d->sector_size / UNIT;

	if (units == 0)
		return refuse(p, ERR, "zero length");
	if (sector >= d->sectors || units > d->sectors - sector)
		return refuse(p, ERR, "past the end of the disk");
	if (sector % align || units % align)
		return refuse(p, ERR, "not aligned to the sector size");
	p->offset = sector * UNIT;
	p->len = units * UNIT;
	return 0;
}

static void sift(uint32_t *a, unsigned root, unsigned n)
{
	for (unsigned c; (c = 2 * root + 1) < n; root = c) {
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[root] >= a[c])
			return;
		uint32_t t = a[root];
		a[root] = a[c];
		a[c] = t;
	}
}

// Heapsort, in place: no allocation and no system call. (glibc's qsort
// may ask sysinfo how much memory there is, which the sandbox forbids.)
static void sort_u32(uint32_t *a, unsigned n)
{
	for (unsigned i = n / 2; i-- > 0;)
		sift(a, i, n);
	for (unsigned i = n; i-- > 1;) {
		uint32_t t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift(a, 0, i);
	}
}

// No grant twice in one request, data or indirect: 0 or ERR.
static int grants_distinct(struct blk_plan *p)
{
	uint32_t all[BLK_MAX_SEGS + BLK_MAX_IND];
	unsigned n = 0;

	for (unsigned i = 0; i < p->nseg; i++)
		all[n++] = p->seg[i].gref;
	for (unsigned i = 0; i < p->nind; i++)
		all[n++] = p->ind[i];
	sort_u32(all, n);
	for (unsigned i = 1; i < n; i++)
		if (all[i] == all[i - 1])
			return refuse(p, ERR, "a grant appears twice in one request");
	return 0;
}

// Copy and check segments; then the disk range they cover.
static int take_segs(struct blk_plan *p, const struct lamina_blkif_segment *segs, unsigned n,
		     uint64_t sector, const struct blk_disk *d)
{
	uint64_t units = 0;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		struct lamina_blkif_segment s = segs[i];
		if (s.first_sect > s.last_sect || s.last_sect >= LAMINA_BLKIF_SECTORS_PER_PAGE)
			return refuse(p, ERR, "bad segment sectors");
		if (d->sector_size > UNIT && (s.first_sect || s.last_sect != 7))
			return refuse(p, ERR, "segment not a whole logical sector");
		p->seg[i] = (struct blk_seg){ .gref = s.gref, .off = (uint16_t)(s.first_sect * UNIT),
					      .len = (uint16_t)((s.last_sect - s.first_sect + 1) * UNIT) };
		units += s.last_sect - s.first_sect + 1u;
	}
	p->nseg = n;
	if ((rc = range_ok(sector, units, d, p)))
		return rc;
	return grants_distinct(p);
}

static int check_indirect_head(const struct lamina_blkif_request_indirect *ir,
			       const struct blk_disk *d, struct blk_plan *p)
{
	unsigned n = ir->nr_segments;

	p->op = ir->indirect_op;
	if (p->op != LAMINA_BLKIF_OP_READ && !is_write(p->op))
		return refuse(p, ERR, "indirect op is not a read or write");
	if (n == 0 || n > d->max_indirect || n > BLK_MAX_SEGS)
		return refuse(p, ERR, "indirect segment count out of range");
	if (is_write(p->op) && d->ro)
		return refuse(p, ERR, "write to a read-only disk");
	if (p->op == LAMINA_BLKIF_OP_WRITE_FUA && !d->fua)
		return refuse(p, NOTSUP, "FUA not offered");
	p->nseg = n;
	p->nind = (n + LAMINA_BLKIF_SEGS_PER_INDIRECT_PAGE - 1) / LAMINA_BLKIF_SEGS_PER_INDIRECT_PAGE;
	for (unsigned i = 0; i < p->nind; i++)
		p->ind[i] = ir->indirect_gref[i];
	p->offset = ir->sector; // checked with the segments
	return 0;
}

static int check_direct(const struct lamina_blkif_request *rq, const struct blk_disk *d,
			struct blk_plan *p)
{
	unsigned n = rq->nr_segments;

	if (p->op == LAMINA_BLKIF_OP_FLUSH)
		return n ? refuse(p, ERR, "segments on a flush") : 0;
	if (p->op == LAMINA_BLKIF_OP_DISCARD || p->op == LAMINA_BLKIF_OP_WRITE_ZEROES) {
		if (n)
			return refuse(p, ERR, "segments on a discard or write-zeroes");
		if (d->ro)
			return refuse(p, ERR, "discard or write-zeroes on a read-only disk");
		return range_ok(rq->sector, rq->sector_count, d, p);
	}
	if (n == 0 || n > LAMINA_BLKIF_MAX_SEGMENTS)
		return refuse(p, ERR, "segment count out of range");
	if (is_write(p->op) && d->ro)
		return refuse(p, ERR, "write to a read-only disk");
	return take_segs(p, rq->seg, n, rq->sector, d);
}

int blk_check_request(const struct lamina_blkif_request *rq, const struct blk_disk *d,
		      struct blk_plan *p)
{
	int rc;

	p->id = rq->id;
	p->ring_op = p->op = rq->op;
	p->offset = p->len = 0;
	p->nseg = p->nind = 0;
	p->why = NULL;
	if ((rc = op_offered(rq->op, d, p)))
		return rc;
	if (rq->op == LAMINA_BLKIF_OP_INDIRECT) {
		struct lamina_blkif_request_indirect ir;
		memcpy(&ir, rq, sizeof(ir));
		return check_indirect_head(&ir, d, p);
	}
	return check_direct(rq, d, p);
}

int blk_check_indirect(struct blk_plan *p, const struct lamina_blkif_segment *segs,
		       const struct blk_disk *d)
{
	return take_segs(p, segs, p->nseg, p->offset, d);
}
