// SPDX-License-Identifier: MIT
// blk_io: take block requests off the rings (copied, then checked), map their pages, run them on io_uring, answer in batches.
#include "blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PG 4096u

static void answer(struct blk_dev *d, struct blk_queue *q, uint64_t id, uint8_t op, int status)
{
	struct lamina_blkif_response *rsp;

	if (d->corrupt)
		return; // never write into a ring we stopped trusting
	if (!(rsp = lamina_blkif_next_response(&q->ring)))
		return; // cannot happen: every answer is for a request taken
	*rsp = (struct lamina_blkif_response){ .id = id, .op = op, .status = (int16_t)status };
	q->push = true;
}

static void corrupt(struct blk_dev *d, unsigned qi)
{
	if (!d->corrupt)
		blk_fail(d, "ring %u: request indices out of range; disconnecting", qi);
	d->corrupt = true;
}

static struct blk_slot *free_slot(struct blk_queue *q)
{
	for (unsigned i = 0; i < q->nslots; i++)
		if (!q->slots[i].busy)
			return &q->slots[i];
	return NULL;
}

static bool id_in_flight(const struct blk_queue *q, uint64_t id)
{
	for (unsigned i = 0; i < q->nslots; i++)
		if (q->slots[i].busy && q->slots[i].plan.id == id)
			return true;
	return false;
}

static void unmap_data(struct blk_dev *d, struct blk_slot *s)
{
	for (unsigned i = 0; i < s->nmap; i++)
		blk_unmap_pages(d, &s->map[i]);
	s->nmap = 0;
	free(s->bounce);
	s->bounce = NULL;
}

// INDIRECT: map the indirect pages, copy the segment list out, unmap, check it.
static int read_indirect(struct blk_dev *d, struct blk_slot *s)
{
	static struct lamina_blkif_segment segs[BLK_MAX_SEGS];
	struct blk_plan *p = &s->plan;
	struct blk_map m;

	if (blk_map_pages(d, p->ind, p->nind, &m)) {
		p->why = "cannot map an indirect page";
		return LAMINA_BLKIF_RSP_ERROR;
	}
	memcpy(segs, m.mem, p->nseg * sizeof(segs[0]));
	blk_unmap_pages(d, &m);
	return blk_check_indirect(p, segs, &d->disk);
}

// Map the data pages, BLK_MAP_CHUNK per udmabuf, and point iov at the segments.
static int map_data(struct blk_dev *d, struct blk_slot *s)
{
	struct blk_plan *p = &s->plan;
	uint32_t refs[BLK_MAP_CHUNK];

	for (unsigned c = 0; c * BLK_MAP_CHUNK < p->nseg; c++) {
		unsigned first = c * BLK_MAP_CHUNK, n = p->nseg - first;
		if (n > BLK_MAP_CHUNK)
			n = BLK_MAP_CHUNK;
		for (unsigned i = 0; i < n; i++)
			refs[i] = p->seg[first + i].gref;
		if (blk_map_pages(d, refs, n, &s->map[c])) {
			unmap_data(d, s);
			p->why = "cannot map a data page";
			return LAMINA_BLKIF_RSP_ERROR;
		}
		s->nmap = c + 1;
		for (unsigned i = 0; i < n; i++)
			s->iov[first + i] = (struct iovec){
				.iov_base = (char *)s->map[c].mem + (size_t)i * PG + p->seg[first + i].off,
				.iov_len = p->seg[first + i].len };
	}
	return 0;
}

static struct io_uring_sqe *get_sqe(struct blk_dev *d)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->uring);

	if (!sqe) {
		io_uring_submit(&d->uring);
		sqe = io_uring_get_sqe(&d->uring);
	}
	return sqe;
}

static bool is_rw(unsigned op)
{
	return op == LAMINA_BLKIF_OP_READ || op == LAMINA_BLKIF_OP_WRITE ||
	       op == LAMINA_BLKIF_OP_WRITE_FUA;
}

// A read or write: through a bounce buffer with O_DIRECT (granted pages
// are udmabuf PFN mappings, which O_DIRECT cannot pin), else straight
// between the granted pages and the page cache.
static int prep_rw(struct blk_dev *d, struct blk_slot *s, struct io_uring_sqe *sqe)
{
	struct blk_plan *p = &s->plan;
	bool wr = p->op != LAMINA_BLKIF_OP_READ;

	if (d->fd_direct >= 0 && !s->buffered) {
		if (!s->bounce && posix_memalign(&s->bounce, PG, p->len))
			return -ENOMEM;
		if (wr)
			for (size_t i = 0, o = 0; i < p->nseg; o += s->iov[i++].iov_len)
				memcpy((char *)s->bounce + o, s->iov[i].iov_base, s->iov[i].iov_len);
		if (wr)
			io_uring_prep_write(sqe, d->fd_direct, s->bounce, (unsigned)p->len, p->offset);
		else
			io_uring_prep_read(sqe, d->fd_direct, s->bounce, (unsigned)p->len, p->offset);
	} else if (wr) {
		io_uring_prep_writev(sqe, d->fd_buf, s->iov, p->nseg, p->offset);
	} else {
		io_uring_prep_readv(sqe, d->fd_buf, s->iov, p->nseg, p->offset);
	}
	if (p->op == LAMINA_BLKIF_OP_WRITE_FUA)
		sqe->rw_flags = RWF_DSYNC;
	return 0;
}

static int submit(struct blk_dev *d, struct blk_slot *s)
{
	struct io_uring_sqe *sqe = get_sqe(d);
	struct blk_plan *p = &s->plan;
	int rc = 0;

	if (!sqe)
		return -EBUSY;
	if (is_rw(p->op))
		rc = prep_rw(d, s, sqe);
	else if (p->op == LAMINA_BLKIF_OP_FLUSH)
		io_uring_prep_fsync(sqe, d->fd_buf, IORING_FSYNC_DATASYNC);
	else // DISCARD, WRITE_ZEROES: a hole reads back as zeroes
		io_uring_prep_fallocate(sqe, d->fd_buf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					p->offset, p->len);
	if (rc) {
		io_uring_prep_nop(sqe);
		sqe->user_data = 0;
		return rc;
	}
	io_uring_sqe_set_data(sqe, s);
	d->inflight++;
	return 0;
}

static void refuse(struct blk_dev *d, struct blk_queue *q, struct blk_slot *s, int status)
{
	if (d->verbose)
		fprintf(stderr, "lamina-blkback: request %llu refused: %s\n",
			(unsigned long long)s->plan.id, s->plan.why ? s->plan.why : "?");
	unmap_data(d, s);
	answer(d, q, s->plan.id, s->plan.ring_op, status);
}

// One request, privately copied: check, map, submit; or answer at once.
static void start(struct blk_dev *d, struct blk_queue *q, const struct lamina_blkif_request *rq)
{
	struct blk_slot *s = free_slot(q);
	struct blk_plan *p;
	int st;

	if (!s) // the ring accounting makes this impossible; be safe anyway
		return corrupt(d, (unsigned)(q - d->q));
	p = &s->plan;
	st = blk_check_request(rq, &d->disk, p);
	if (!st && id_in_flight(q, p->id))
		st = LAMINA_BLKIF_RSP_ERROR, p->why = "id already in flight";
	if (!st && p->nind)
		st = read_indirect(d, s);
	if (!st && p->nseg)
		st = map_data(d, s);
	s->q = q;
	s->buffered = false;
	if (!st && submit(d, s))
		st = LAMINA_BLKIF_RSP_ERROR, p->why = "cannot queue the I/O";
	if (st)
		return refuse(d, q, s, st);
	s->busy = true;
	q->busy++;
}

static int take_queue(struct blk_dev *d, unsigned qi)
{
	struct blk_queue *q = &d->q[qi];
	struct lamina_blkif_request rq;
	unsigned n = 0;
	int rc;

	while (n < BLK_TAKE_BUDGET && (rc = lamina_blkif_take_request(&q->ring, &rq)) == 1) {
		start(d, q, &rq);
		n++;
	}
	if (n < BLK_TAKE_BUDGET && rc == 0)
		rc = lamina_blkif_final_check_requests(&q->ring);
	if (rc < 0)
		corrupt(d, qi);
	return rc > 0 && !d->corrupt;
}

int blk_take(struct blk_dev *d)
{
	int more = 0;

	for (unsigned i = 0; i < d->nq && !d->corrupt; i++)
		more |= take_queue(d, i);
	io_uring_submit(&d->uring);
	return more;
}

static void complete(struct blk_dev *d, struct blk_slot *s, int res)
{
	struct blk_plan *p = &s->plan;
	int st = LAMINA_BLKIF_RSP_OKAY;

	if (is_rw(p->op) && res == -EINVAL && !s->buffered) {
		// O_DIRECT refused this alignment: once more, buffered.
		s->buffered = true;
		if (!submit(d, s))
			return;
	}
	if (res < 0 || (is_rw(p->op) && (uint64_t)res != p->len)) {
		st = LAMINA_BLKIF_RSP_ERROR;
		fprintf(stderr, "lamina-blkback: %s: op %u at %llu: %s\n", d->path, p->op,
			(unsigned long long)p->offset, res < 0 ? strerror(-res) : "short transfer");
	} else if (p->op == LAMINA_BLKIF_OP_READ && s->bounce && !s->buffered) {
		for (size_t i = 0, o = 0; i < p->nseg; o += s->iov[i++].iov_len)
			memcpy(s->iov[i].iov_base, (char *)s->bounce + o, s->iov[i].iov_len);
	}
	unmap_data(d, s);
	answer(d, s->q, p->id, p->ring_op, st);
	s->busy = false;
	s->q->busy--;
}

int blk_reap(struct blk_dev *d, bool wait)
{
	struct io_uring_cqe *cqe;
	int n = 0;

	while (n < (int)BLK_REAP_BUDGET && d->inflight) {
		int rc = n == 0 && wait ? io_uring_wait_cqe(&d->uring, &cqe)
					: io_uring_peek_cqe(&d->uring, &cqe);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return rc == -EINTR ? n : rc;
		struct blk_slot *s = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&d->uring, cqe);
		if (!s)
			continue;
		d->inflight--;
		complete(d, s, res);
		n++;
	}
	io_uring_submit(&d->uring); // any buffered retries
	return n;
}

void blk_flush_responses(struct blk_dev *d)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < d->nq; i++) {
		struct blk_queue *q = &d->q[i];
		if (!q->push || d->corrupt)
			continue;
		q->push = false;
		if (lamina_blkif_push_responses(&q->ring) && write(q->kick, &one, sizeof(one)) != sizeof(one))
			fprintf(stderr, "lamina-blkback: cannot kick ring %u: %s\n", i, strerror(errno));
	}
}

void blk_drain(struct blk_dev *d)
{
	while (d->inflight)
		if (blk_reap(d, true) < 0)
			break;
	blk_flush_responses(d);
}
