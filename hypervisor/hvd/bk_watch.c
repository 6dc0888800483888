// SPDX-License-Identifier: MIT
// lamina-hvd back-end store watches: the store's thread queues events, the loop hands them to their back-ends.
//
// A watch's token is "bk<serial>.<slot>": the loop finds the back-end by
// serial, so an event that arrives after its back-end went away is dropped.
#include "backend.h"

#include <errno.h>
#include <hv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

// Store thread: queue one event (or count it dropped) and wake the loop.
static void on_watch(void *arg, const char *path, const char *token)
{
	struct bk_watchq *q = arg;
	struct bk_wev *e = malloc(sizeof(*e));
	uint64_t one = 1;

	if (e) {
		e->next = NULL;
		e->path = strdup(path);
		e->token = strdup(token);
	}
	pthread_mutex_lock(&q->lock);
	if (!e || !e->path || !e->token || q->len >= BK_WQ_MAX) {
		q->dropped++;
		if (e) {
			free(e->path);
			free(e->token);
			free(e);
		}
	} else {
		*(q->tail ? &q->tail->next : &q->head) = e;
		q->tail = e;
		q->len++;
	}
	pthread_mutex_unlock(&q->lock);
	if (write(q->efd, &one, sizeof(one)) != sizeof(one))
		return; // saturated: the loop is woken already
}

static struct bk_watchq *queue(struct hvd *h)
{
	struct bk_watchq *q;

	if (h->wq)
		return h->wq;
	if (!(q = calloc(1, sizeof(*q))))
		return NULL;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	return h->wq = q;
}

static void token(const struct hvd_backend *b, unsigned slot, char *out, size_t len)
{
	snprintf(out, len, "bk%u.%u", b->serial, slot);
}

int bk_watch(struct hvd *h, struct hvd_backend *b, const char *path)
{
	struct bk_watchq *q = queue(h);
	char tok[32];
	int slot = -1, rc;

	for (int i = BK_WATCHES - 1; i >= 0; i--) {
		if (b->watch[i] && !strcmp(b->watch[i], path))
			return -EEXIST;
		if (!b->watch[i])
			slot = i;
	}
	if (slot < 0)
		return -ENOSPC;
	if (!q || !(b->watch[slot] = strdup(path)))
		return -ENOMEM;
	token(b, (unsigned)slot, tok, sizeof(tok));
	if ((rc = hv_store_watch(h->hv, path, tok, on_watch, q)) < 0) {
		free(b->watch[slot]);
		b->watch[slot] = NULL;
		return rc;
	}
	return 0;
}

static void drop(struct hvd *h, struct hvd_backend *b, unsigned slot)
{
	char tok[32];

	token(b, slot, tok, sizeof(tok));
	hv_store_unwatch(h->hv, b->watch[slot], tok);
	free(b->watch[slot]);
	b->watch[slot] = NULL;
}

int bk_unwatch(struct hvd *h, struct hvd_backend *b, const char *path)
{
	for (unsigned i = 0; i < BK_WATCHES; i++)
		if (b->watch[i] && !strcmp(b->watch[i], path)) {
			drop(h, b, i);
			return 0;
		}
	return -ENOENT;
}

void bk_unwatch_all(struct hvd *h, struct hvd_backend *b)
{
	for (unsigned i = 0; i < BK_WATCHES; i++)
		if (b->watch[i])
			drop(h, b, i);
}

static struct hvd_backend *by_serial(struct hvd *h, unsigned serial)
{
	for (unsigned i = 0; i < h->nconns; i++)
		if (h->conns[i]->bk && h->conns[i]->bk->serial == serial)
			return h->conns[i]->bk;
	return NULL;
}

static void deliver(struct hvd *h, const struct bk_wev *e)
{
	unsigned serial, slot;
	struct hvd_backend *b;
	json_object *ev;

	if (sscanf(e->token, "bk%u.%u", &serial, &slot) != 2 || slot >= BK_WATCHES ||
	    !(b = by_serial(h, serial)) || !b->watch[slot])
		return; // its back-end or watch went away meanwhile
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("watch"));
	json_object_object_add(ev, "watch", json_object_new_string(b->watch[slot]));
	json_object_object_add(ev, "path", json_object_new_string(e->path));
	conn_queue_json(b->c, ev);
}

void bk_watch_drain(struct hvd *h)
{
	struct bk_watchq *q = h->wq;
	struct bk_wev *e;
	uint64_t v;
	unsigned n;

	if (!q || read(q->efd, &v, sizeof(v)) != sizeof(v))
		return;
	for (n = 0; n < BK_WQ_TURN; n++) {
		pthread_mutex_lock(&q->lock);
		if ((e = q->head) && !(q->head = e->next))
			q->tail = NULL;
		q->len -= e != NULL;
		pthread_mutex_unlock(&q->lock);
		if (!e)
			return;
		deliver(h, e);
		free(e->path);
		free(e->token);
		free(e);
	}
	v = 1; // more wait: come back next turn
	if (write(q->efd, &v, sizeof(v)) != sizeof(v))
		return;
}

void bk_watchq_free(struct hvd *h)
{
	struct bk_watchq *q = h->wq;

	if (!q)
		return;
	while (q->head) {
		struct bk_wev *e = q->head;
		q->head = e->next;
		free(e->path);
		free(e->token);
		free(e);
	}
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q);
	h->wq = NULL;
}
