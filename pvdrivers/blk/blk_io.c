// SPDX-License-Identifier: MIT
// blk_io: take block requests off the rings (copied, then checked), map their pages, hand them to the image engine, answer in batches.
#include "blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PG 4096u
#define BLK_PARK 1 // not a status: no room to map the request's pages now; try again later

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
	int rc = blk_map_pages(d, p->ind, p->nind, &m);

	if (rc == -ENOSPC)
		return BLK_PARK;
	if (rc) {
		p->why = "cannot map an indirect page";
		return LAMINA_BLKIF_RSP_ERROR;
	}
	memcpy(segs, m.mem, p->nseg * sizeof(segs[0]));
	blk_unmap_pages(d, &m);
	s->segs_read = true;
	return blk_check_indirect(p, segs, &d->disk);
}

// Map the data pages, BLK_MAP_CHUNK per udmabuf, and point iov at the
// segments. 0, BLK_PARK (nothing left mapped), or ERROR.
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
		int rc = blk_map_pages(d, refs, n, &s->map[c]);
		if (rc) {
			unmap_data(d, s);
			if (rc == -ENOSPC)
				return BLK_PARK;
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

static void refuse(struct blk_dev *d, struct blk_queue *q, struct blk_slot *s, int status)
{
	if (d->verbose)
		fprintf(stderr, "lamina-blkback: request %llu refused: %s\n",
			(unsigned long long)s->plan.id, s->plan.why ? s->plan.why : "?");
	unmap_data(d, s);
	answer(d, q, s->plan.id, s->plan.ring_op, status);
}

// Map what s needs and queue its I/O: 0, BLK_PARK or a LAMINA_BLKIF_RSP_* error.
static int launch(struct blk_dev *d, struct blk_slot *s)
{
	struct blk_plan *p = &s->plan;
	int st = 0;

	if (p->nind && !s->segs_read)
		st = read_indirect(d, s);
	if (!st && p->nseg)
		st = map_data(d, s);
	if (!st && d->eng->submit(d, s))
		st = LAMINA_BLKIF_RSP_ERROR, p->why = "cannot queue the I/O";
	return st;
}

// No room to map s now: it keeps its slot and id, and waits for room.
static void park(struct blk_dev *d, struct blk_slot *s)
{
	s->busy = true;
	s->q->busy++;
	d->parked = s;
	d->parked_ns = blk_now_ns();
	d->room = false;
	if (!d->parks++ && d->verbose) // the first one says why; the rest are counted
		fprintf(stderr, "lamina-blkback: request %llu parked: %s\n",
			(unsigned long long)s->plan.id, d->b.err);
}

// One request, privately copied: check, map, submit; or park; or answer at once.
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
	s->q = q;
	s->dev = d;
	s->buffered = false;
	s->segs_read = false;
	if (!st)
		st = launch(d, s);
	if (st == BLK_PARK)
		return park(d, s);
	if (st)
		return refuse(d, q, s, st);
	s->busy = true;
	q->busy++;
}

// The parked request leaves the park: started, or answered st.
static void unpark_as(struct blk_dev *d, struct blk_slot *s, int st)
{
	d->parked = NULL;
	if (!st)
		return;
	s->busy = false;
	s->q->busy--;
	refuse(d, s->q, s, st);
}

int blk_unpark(struct blk_dev *d)
{
	struct blk_slot *s = d->parked;
	int st;

	if (!s || d->corrupt || (d->inflight && !d->room))
		return s != NULL; // nothing freed since the last try: it would fail again
	d->room = false;
	st = launch(d, s);
	if (st == BLK_PARK && d->inflight)
		d->parked_ns = blk_now_ns(); // our own I/O holds the room: it will free it
	if (st == BLK_PARK && blk_now_ns() - d->parked_ns < BLK_PARK_MAX_NS)
		return 1;
	if (st == BLK_PARK) // others hold the room, or it can never fit: say so, do not hang
		st = LAMINA_BLKIF_RSP_ERROR, s->plan.why = "no room to map its pages";
	unpark_as(d, s, st);
	d->eng->push(d);
	return 0;
}

static int take_queue(struct blk_dev *d, unsigned qi)
{
	struct blk_queue *q = &d->q[qi];
	struct lamina_blkif_request rq;
	unsigned n = 0;
	int rc;

	while (!d->parked && n < BLK_TAKE_BUDGET &&
	       (rc = lamina_blkif_take_request(&q->ring, &rq)) == 1) {
		start(d, q, &rq);
		n++;
	}
	if (n < BLK_TAKE_BUDGET && rc == 0)
		rc = lamina_blkif_final_check_requests(&q->ring);
	if (rc < 0)
		corrupt(d, qi);
	return rc > 0 && !d->corrupt && !d->parked;
}

int blk_take(struct blk_dev *d)
{
	unsigned first = d->first_q < d->nq ? d->first_q : 0;
	int more = 0;

	d->first_q = (first + 1) % d->nq; // whichever ring parks, the next turn begins elsewhere
	for (unsigned k = 0; k < d->nq && !d->corrupt && !d->parked; k++)
		more |= take_queue(d, (first + k) % d->nq);
	d->eng->push(d);
	return more;
}

void blk_complete(struct blk_dev *d, struct blk_slot *s, int res)
{
	struct blk_plan *p = &s->plan;
	int st = LAMINA_BLKIF_RSP_OKAY;

	if (res < 0 || (blk_is_rw(p->op) && (uint64_t)res != p->len)) {
		st = LAMINA_BLKIF_RSP_ERROR;
		fprintf(stderr, "lamina-blkback: %s: op %u at %llu: %s\n", d->path, p->op,
			(unsigned long long)p->offset, res < 0 ? strerror(-res) : "short transfer");
	} else if (p->op == LAMINA_BLKIF_OP_READ && s->bounce && !s->buffered) {
		for (size_t i = 0, o = 0; i < p->nseg; o += s->iov[i++].iov_len)
			memcpy(s->iov[i].iov_base, (char *)s->bounce + o, s->iov[i].iov_len);
	}
	unmap_data(d, s);
	d->room = true;
	answer(d, s->q, p->id, p->ring_op, st);
	s->busy = false;
	s->q->busy--;
}

int blk_reap(struct blk_dev *d, bool wait)
{
	return d->eng->reap(d, wait);
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

// A parked request never started: it is dropped unanswered, like one still
// on the ring, and the front re-sends it after reconnecting (io/blkif.h).
void blk_drain(struct blk_dev *d)
{
	struct blk_slot *s = d->parked;

	while (d->inflight)
		if (blk_reap(d, true) < 0)
			break;
	if (s) {
		s->busy = false;
		s->q->busy--;
		d->parked = NULL;
	}
	blk_flush_responses(d);
}
