// SPDX-License-Identifier: MIT
// blk_conn: lamina-blkback's side of the store handshake: publish the disk's facts, map the front's rings, bind its channels, undo it all.
#include "blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096u

int blk_publish(struct blk_dev *d)
{
	const struct blk_disk *k = &d->disk;
	const struct { const char *key; unsigned long v; } kv[] = {
		{ LAMINA_BLKIF_KEY_SECTORS, k->sectors },
		{ LAMINA_BLKIF_KEY_SECTOR_SIZE, k->sector_size },
		{ LAMINA_BLKIF_KEY_INFO, k->ro ? LAMINA_BLKIF_INFO_READONLY : 0 },
		{ LAMINA_BLKIF_KEY_FLUSH, k->flush },
		{ LAMINA_BLKIF_KEY_FUA, k->fua },
		{ LAMINA_BLKIF_KEY_DISCARD, k->discard },
		{ LAMINA_BLKIF_KEY_DISCARD_GRAN, PG },
		{ LAMINA_BLKIF_KEY_WRITE_ZEROES, k->zeroes },
		{ LAMINA_BLKIF_KEY_MAX_INDIRECT, k->max_indirect },
		{ LAMINA_BLKIF_KEY_MAX_RING_ORDER, LAMINA_BLKIF_MAX_RING_ORDER },
		{ LAMINA_BLKIF_KEY_MAX_QUEUES, LAMINA_BLKIF_MAX_QUEUES },
		{ LAMINA_BUS_KEY_STATE, LAMINA_BUS_INITWAIT }, // last: the facts are there
	};
	int rc;

	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if ((rc = lbk_write_uint(&d->b, kv[i].key, kv[i].v)))
			return rc;
	return 0;
}

// A front key as a number; absent keys take dflt (if dflt >= 0).
static int fe_uint(struct blk_dev *d, const char *key, long dflt, unsigned long max, unsigned long *v)
{
	int rc = lbk_read_uint(&d->b, lbk_fe(&d->b, key), v);

	if (rc == -ENOENT && dflt >= 0) {
		*v = (unsigned long)dflt;
		return 0;
	}
	if (rc) {
		blk_fail(d, "front-end key %s: %s", key, rc == -ENOENT ? "missing" : d->b.err);
		return rc;
	}
	if (*v > max) {
		blk_fail(d, "front-end key %s is %lu, more than %lu", key, *v, max);
		return -ERANGE;
	}
	return 0;
}

// Map pages refs[0..n) as one udmabuf.
int blk_map_pages(struct blk_dev *d, const uint32_t *refs, unsigned n, struct blk_map *m)
{
	int fd, rc = lbk_map(&d->b, refs, n, &m->handle, &fd);

	if (rc)
		return rc;
	m->mem = mmap(NULL, (size_t)n * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		lbk_unmap(&d->b, m->handle);
		return -errno;
	}
	m->pages = n;
	return 0;
}

void blk_unmap_pages(struct blk_dev *d, struct blk_map *m)
{
	if (!m->mem)
		return;
	munmap(m->mem, (size_t)m->pages * PG);
	lbk_unmap(&d->b, m->handle);
	m->mem = NULL;
}

// Ring q: its refs, its pages, its slots, its channel.
static int connect_queue(struct blk_dev *d, unsigned qi, struct blk_queue *q)
{
	unsigned n = 1u << d->order;
	uint32_t refs[1u << LAMINA_BLKIF_MAX_RING_ORDER];
	unsigned long v;
	char key[64], pre[16] = "";
	int rc;

	if (d->nq > 1)
		snprintf(pre, sizeof(pre), "queue-%u/", qi);
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), d->order ? "%sring-ref%u" : "%sring-ref", pre, i);
		if ((rc = fe_uint(d, key, -1, UINT32_MAX, &v)))
			return rc;
		refs[i] = (uint32_t)v;
	}
	snprintf(key, sizeof(key), "%sevent-channel", pre);
	if ((rc = fe_uint(d, key, -1, UINT32_MAX, &v)))
		return rc;
	q->port = (uint32_t)v;
	if ((rc = blk_map_pages(d, refs, n, &q->rmap))) {
		blk_fail(d, "ring %u: cannot map its %u page(s): %s", qi, n, d->b.err);
		return rc;
	}
	lamina_blkif_back_init(&q->ring, q->rmap.mem, n * PG);
	q->nslots = q->ring.nr_ents;
	if (!(q->slots = calloc(q->nslots, sizeof(*q->slots))))
		return -ENOMEM;
	if ((rc = lbk_bind(&d->b, q->port, &q->bell, &q->kick))) {
		blk_fail(d, "ring %u: cannot bind port %u: %s", qi, q->port, d->b.err);
		return rc;
	}
	return 0;
}

int blk_connect(struct blk_dev *d)
{
	unsigned long nq, order;
	int rc;

	for (unsigned i = 0; i < LAMINA_BLKIF_MAX_QUEUES; i++)
		d->q[i] = (struct blk_queue){ .bell = -1, .kick = -1 };
	d->nq = 0;
	d->corrupt = false;
	if ((rc = fe_uint(d, LAMINA_BLKIF_KEY_NUM_QUEUES, 1, LAMINA_BLKIF_MAX_QUEUES, &nq)) ||
	    (rc = fe_uint(d, LAMINA_BLKIF_KEY_RING_ORDER, 0, LAMINA_BLKIF_MAX_RING_ORDER, &order)))
		return rc;
	if (nq == 0) {
		blk_fail(d, "front-end key %s is 0", LAMINA_BLKIF_KEY_NUM_QUEUES);
		return -ERANGE;
	}
	d->nq = (unsigned)nq;
	d->order = (unsigned)order;
	for (unsigned i = 0; i < d->nq; i++)
		if ((rc = connect_queue(d, i, &d->q[i])))
			return rc;
	return 0;
}

static void unbind(struct blk_dev *d, struct blk_queue *q)
{
	char rq[64], rep[256];

	if (q->bell < 0)
		return;
	snprintf(rq, sizeof(rq), "{\"op\":\"unbind\",\"port\":%u}", q->port);
	lbk_raw(&d->b, rq, rep, sizeof(rep), NULL, NULL);
	close(q->bell);
	close(q->kick);
	q->bell = q->kick = -1;
}

void blk_disconnect(struct blk_dev *d)
{
	for (unsigned i = 0; i < LAMINA_BLKIF_MAX_QUEUES; i++) {
		struct blk_queue *q = &d->q[i];
		unbind(d, q);
		blk_unmap_pages(d, &q->rmap);
		free(q->slots);
		q->slots = NULL;
		q->nslots = q->busy = 0;
	}
	d->nq = 0;
}
