// SPDX-License-Identifier: MIT
// lamina-hvd back-ends: attach to a device, release everything on detach or death, and the loop's relays for them.
#include "backend.h"

#include <errno.h>
#include <hv.h>
#include <lamina/io/bus.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static unsigned next_serial = 1; // loop only

struct hvd_backend *bk_of(struct hvd *h, unsigned domid, const char *type, unsigned devid)
{
	for (unsigned i = 0; i < h->nconns; i++) {
		struct hvd_backend *b = h->conns[i]->bk;
		if (b && b->domid == domid && b->devid == devid && !strcmp(b->type, type))
			return b;
	}
	return NULL;
}

static int store_put(struct hvd *h, const char *dir, const char *key, const char *val)
{
	char path[BK_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return hv_store_write(h->hv, path, val);
}

// The toolstack's part of the handshake (bus.h): both directories and their links.
static int store_setup(struct hvd *h, struct hvd_backend *b)
{
	char perms[32], id[16];
	int rc;

	snprintf(perms, sizeof(perms), "n0 r%u", b->domid);
	snprintf(id, sizeof(id), "%u", b->domid);
	rc = hv_store_mkdir(h->hv, b->be);
	if (rc >= 0)
		rc = hv_store_set_perms(h->hv, b->be, perms); // children copy it
	if (rc >= 0)
		rc = store_put(h, b->be, LAMINA_BUS_KEY_FRONTEND, b->fe);
	if (rc >= 0)
		rc = store_put(h, b->be, LAMINA_BUS_KEY_FRONTEND_ID, id);
	if (rc >= 0)
		rc = store_put(h, b->be, LAMINA_BUS_KEY_STATE, "1"); // INITIALISING
	// The front directory appears with both links at once: the guest's bus
	// probes a device as soon as its directory shows (the guest owns device/)
	if (rc >= 0)
		rc = hv_store_write_all(h->hv, b->fe, (const char *const[]){ LAMINA_BUS_KEY_BACKEND,
				       LAMINA_BUS_KEY_BACKEND_ID }, (const char *const[]){ b->be, "0" }, 2);
	return rc < 0 ? rc : 0;
}

int bk_attach(struct hvd *h, struct hvd_conn *c, struct hvd_dom *hd, const char *type,
	      unsigned devid, char *msg, size_t len)
{
	struct hvd_backend *b;
	unsigned domid = (unsigned)hv_dom_id(hd->d);
	int rc;

	if (c->bk || c->subscribed) {
		snprintf(msg, len, "this connection is already %s", c->bk ? "attached to a device"
							     : "an event subscriber");
		return -EALREADY;
	}
	if (bk_check_type(type)) {
		snprintf(msg, len, "device type '%s' is not 1 to %d of [a-z0-9_-]", type, BK_TYPE_MAX - 1);
		return -EINVAL;
	}
	if (bk_of(h, domid, type, devid)) {
		snprintf(msg, len, "device %s/%u of domain %u has a back-end already", type, devid, domid);
		return -EBUSY;
	}
	if (!(b = calloc(1, sizeof(*b))))
		return -ENOMEM;
	*b = (struct hvd_backend){ .c = c, .hd = hd, .domid = domid, .devid = devid,
				   .serial = next_serial++ };
	snprintf(b->type, sizeof(b->type), "%s", type);
	bk_dirs(domid, type, devid, b->fe, b->be);
	if ((rc = store_setup(h, b)) < 0) {
		snprintf(msg, len, "store: cannot set up %s and %s: error %d", b->fe, b->be, -rc);
		free(b);
		return -EIO;
	}
	c->bk = b;
	return 0;
}

static void drop_map(struct hvd *h, struct hvd_backend *b, unsigned i)
{
	struct bk_map *m = b->map[i];

	for (unsigned j = 0; j < m->n; j++)
		hv_bk_grant_unpin(h->hv, m->pin[j]);
	b->npages -= m->n;
	b->nmaps--;
	b->map[i] = NULL;
	free(m);
}

static void drop_port(struct hvd *h, struct hvd_backend *b, unsigned i)
{
	hv_bk_evt_close(h->hv, b->port[i].efd);
	close(b->port[i].kick);
	b->port[i] = b->port[--b->nports];
}

void bk_release(struct hvd *h, struct hvd_backend *b, bool dom_alive)
{
	char state[4];

	bk_unwatch_all(h, b);
	while (b->nports)
		drop_port(h, b, b->nports - 1);
	for (unsigned i = 0; i < BK_MAPS; i++)
		if (b->map[i])
			drop_map(h, b, i);
	if (dom_alive && b->detach_by && !b->cut_off) {
		// asked to go, and it went (hot-unplug): the device leaves the
		// guest's store, and its bus removes it (io/bus.h, Unplug)
		hv_store_rm(h->hv, b->fe);
		hv_store_rm(h->hv, b->be);
	} else if (dom_alive) { // it died or quit: Closed, for the next back-end
		snprintf(state, sizeof(state), "%d", LAMINA_BUS_CLOSED);
		store_put(h, b->be, LAMINA_BUS_KEY_STATE, state);
	}
	b->c->bk = NULL;
	free(b);
}

static void tell_detach(struct hvd_backend *b, const char *why)
{
	json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string("detach"));
	json_object_object_add(ev, "reason", json_object_new_string(why));
	conn_queue_json(b->c, ev);
}

void bk_ask_detach(struct hvd_backend *b, const char *why)
{
	tell_detach(b, why);
	if (!b->detach_by)
		b->detach_by = hvd_now_ns() + BK_DETACH_NS;
}

void bk_domain_gone(struct hvd *h, struct hvd_dom *hd)
{
	for (unsigned i = 0; i < h->nconns; i++) {
		struct hvd_backend *b = h->conns[i]->bk;
		if (!b || b->hd != hd)
			continue;
		tell_detach(b, "destroyed");
		hv_store_rm(h->hv, b->be);
		h->conns[i]->dead = true; // closed at the end of this loop turn
		bk_release(h, b, false);
	}
}

static void relay_kicks(struct hvd_backend *b)
{
	uint64_t v;

	for (unsigned i = 0; i < b->nports; i++)
		if (read(b->port[i].kick, &v, sizeof(v)) == sizeof(v)) // one read: the count is coalesced
			hv_bk_evt_notify(b->hd->d, b->port[i].port);
}

void bk_pump(struct hvd *h)
{
	int64_t now = hvd_now_ns();

	for (unsigned i = 0; i < h->nconns; i++) {
		struct hvd_backend *b = h->conns[i]->bk;
		if (!b || h->conns[i]->dead)
			continue;
		relay_kicks(b);
		if (b->detach_by && now >= b->detach_by) {
			fprintf(stderr, "lamina-hvd: back-end of %s did not detach in time: cut off\n", b->be);
			b->cut_off = true;
			h->conns[i]->dead = true;
		}
	}
	bk_watch_drain(h);
}

size_t bk_fill(struct hvd *h, struct pollfd *pfd)
{
	size_t n = 0;

	if (h->wq)
		pfd[n++] = (struct pollfd){ .fd = h->wq->efd, .events = POLLIN };
	for (unsigned i = 0; i < h->nconns; i++)
		for (unsigned j = 0; h->conns[i]->bk && j < h->conns[i]->bk->nports; j++)
			pfd[n++] = (struct pollfd){ .fd = h->conns[i]->bk->port[j].kick, .events = POLLIN };
	return n;
}

int bk_timeout_ms(struct hvd *h)
{
	int64_t first = 0, now = hvd_now_ns();

	for (unsigned i = 0; i < h->nconns; i++) {
		struct hvd_backend *b = h->conns[i]->bk;
		if (b && b->detach_by && (!first || b->detach_by < first))
			first = b->detach_by;
	}
	if (!first)
		return -1;
	return first <= now ? 0 : (int)((first - now) / 1000000 + 1);
}
