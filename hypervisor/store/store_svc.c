// SPDX-License-Identifier: MIT
// store_svc.c: the store's ring service: request parsing and dispatch, byte rings, reply/event queue, request quota.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/barrier.h>
#include <lamina/errno.h>
#include "store_svc.h"

#define HDR ((uint32_t)sizeof(struct lamina_store_msg))
#define RING LAMINA_STORE_RING_BYTES

/* ---- request payloads ---- */

/* A request being handled: its private header and payload. */
struct req {
	struct store_db *db;
	uint16_t dom;
	const struct store_host_ops *host;
	const struct lamina_store_msg *h;
	const uint8_t *pl;
	uint8_t *rsp;
};

/*
 * Split the payload into n NUL-terminated strings s[0..n). With rest NULL
 * the last string must end the payload; else the bytes after the n-th
 * string go to *rest / *rlen.
 */
static int split(const struct req *r, unsigned n, const char **s, const uint8_t **rest,
		 uint32_t *rlen)
{
	uint32_t len = r->h->len, pos = 0;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *nul = pos < len ? memchr(r->pl + pos, 0, len - pos) : NULL;
		if (!nul)
			return -LAMINA_EINVAL;
		s[i] = (const char *)r->pl + pos;
		pos = (uint32_t)(nul - r->pl) + 1;
	}
	if (!rest)
		return pos == len ? 0 : -LAMINA_EINVAL;
	*rest = r->pl + pos;
	*rlen = len - pos;
	return 0;
}

/* One string that is a decimal number <= max. */
static long long one_number(const struct req *r, unsigned long long max)
{
	const char *s;

	return split(r, 1, &s, NULL, NULL) ? -1 : store_parse_uint(s, max);
}

static int ok(const struct req *r, int rc)
{
	if (rc < 0)
		return rc;
	memcpy(r->rsp, "OK", 3);
	return 3;
}

/* A request whose payload is one path. */
static int path_op(const struct req *r)
{
	const char *p;
	int rc = split(r, 1, &p, NULL, NULL);
	struct store_db *db = r->db;
	uint32_t tx = r->h->tx_id;

	if (rc)
		return rc;
	switch (r->h->type) {
	case LAMINA_STORE_READ:
		return store_db_read(db, r->dom, tx, p, r->rsp, LAMINA_STORE_PAYLOAD_MAX);
	case LAMINA_STORE_MKDIR:
		return ok(r, store_db_mkdir(db, r->dom, tx, p));
	case LAMINA_STORE_RM:
		return ok(r, store_db_rm(db, r->dom, tx, p));
	case LAMINA_STORE_DIRECTORY:
		return store_db_directory(db, r->dom, tx, p, r->rsp, LAMINA_STORE_PAYLOAD_MAX);
	default:
		return store_db_get_perms(db, r->dom, tx, p, r->rsp, LAMINA_STORE_PAYLOAD_MAX);
	}
}

/* WRITE and SET_PERMS: a path, then the value or permission list. */
static int path_data_op(const struct req *r)
{
	const char *p;
	const uint8_t *data;
	uint32_t len;
	int rc = split(r, 1, &p, &data, &len);

	if (rc)
		return rc;
	if (r->h->type == LAMINA_STORE_WRITE)
		return ok(r, store_db_write(r->db, r->dom, r->h->tx_id, p, data, len));
	return ok(r, store_db_set_perms(r->db, r->dom, r->h->tx_id, p, data, len));
}

static int watch_op(const struct req *r)
{
	const char *s[2];
	int rc = split(r, 2, s, NULL, NULL);

	if (rc)
		return rc;
	if (r->h->type == LAMINA_STORE_WATCH)
		return ok(r, store_db_watch(r->db, r->dom, s[0], s[1], NULL));
	return ok(r, store_db_unwatch(r->db, r->dom, s[0], s[1]));
}

static int tx_start(const struct req *r)
{
	uint32_t id;
	int rc;

	if (r->h->len > 1 || (r->h->len == 1 && r->pl[0]))
		return -LAMINA_EINVAL;
	if ((rc = store_db_tx_start(r->db, r->dom, &id)))
		return rc;
	return snprintf((char *)r->rsp, LAMINA_STORE_PAYLOAD_MAX, "%u", id) + 1;
}

/* "T" or "F", with or without its NUL. */
static int tx_end(const struct req *r)
{
	uint32_t len = r->h->len;
	char c = len ? (char)r->pl[0] : 0;

	if (len < 1 || len > 2 || (len == 2 && r->pl[1]) || (c != 'T' && c != 'F'))
		return -LAMINA_EINVAL;
	return ok(r, store_db_tx_end(r->db, r->dom, r->h->tx_id, c == 'T'));
}

static int domain_path(const struct req *r)
{
	long long d = one_number(r, 65535);

	if (d < 0)
		return -LAMINA_EINVAL;
	return store_home((unsigned)d, (char *)r->rsp, LAMINA_STORE_PAYLOAD_MAX) + 1;
}

static int introduce(const struct req *r)
{
	const char *s[3];
	long long d, gfn, port;

	if (r->dom != 0)
		return -LAMINA_EPERM;
	if (split(r, 3, s, NULL, NULL))
		return -LAMINA_EINVAL;
	d = store_parse_uint(s[0], LAMINA_DOMID_MAX);
	gfn = store_parse_uint(s[1], 9999999999ull);
	port = store_parse_uint(s[2], UINT32_MAX);
	if (d < 0 || gfn < 0 || port < 0 || !r->host || !r->host->introduce)
		return -LAMINA_EINVAL;
	return ok(r, r->host->introduce(r->host->arg, (unsigned)d, (uint64_t)gfn, (uint32_t)port));
}

static int release(const struct req *r)
{
	long long d;

	if (r->dom != 0)
		return -LAMINA_EPERM;
	d = one_number(r, LAMINA_DOMID_MAX);
	if (d < 0 || !r->host || !r->host->release)
		return -LAMINA_EINVAL;
	return ok(r, r->host->release(r->host->arg, (unsigned)d));
}

/* The reply payload's length, or -LAMINA_E*. */
static int handle(const struct req *r)
{
	switch (r->h->type) {
	case LAMINA_STORE_READ:
	case LAMINA_STORE_MKDIR:
	case LAMINA_STORE_RM:
	case LAMINA_STORE_DIRECTORY:
	case LAMINA_STORE_GET_PERMS:         return path_op(r);
	case LAMINA_STORE_WRITE:
	case LAMINA_STORE_SET_PERMS:         return path_data_op(r);
	case LAMINA_STORE_WATCH:
	case LAMINA_STORE_UNWATCH:           return watch_op(r);
	case LAMINA_STORE_TRANSACTION_START: return tx_start(r);
	case LAMINA_STORE_TRANSACTION_END:   return tx_end(r);
	case LAMINA_STORE_GET_DOMAIN_PATH:   return domain_path(r);
	case LAMINA_STORE_INTRODUCE:         return introduce(r);
	case LAMINA_STORE_RELEASE:           return release(r);
	default:                             return -LAMINA_EINVAL;
	}
}

uint32_t store_dispatch(struct store_db *db, uint16_t dom, const struct store_host_ops *host,
			const struct lamina_store_msg *h, const uint8_t *payload,
			uint8_t *rsp, uint32_t *rlen)
{
	const struct req r = { db, dom, host, h, payload, rsp };
	int rc = handle(&r);

	if (rc >= 0) {
		*rlen = (uint32_t)rc;
		return h->type;
	}
	const char *name = store_err_name(-rc);
	*rlen = (uint32_t)strlen(name) + 1;
	memcpy(rsp, name, *rlen);
	return LAMINA_STORE_ERROR;
}

/* ---- connections ---- */

struct store_conn {
	struct store_db *db;
	const struct store_host_ops *host;
	uint16_t dom;
	struct lamina_store_ring *ring;   /* shared with the domain: see store_svc.h */
	void (*notify)(void *arg);
	void *arg;
	/* The rest is private, serialised by the caller. */
	uint32_t req_cons;                /* next request byte to read */
	uint32_t rsp_prod;                /* next reply byte to write */
	uint32_t in_len;                  /* bytes of the current request in in[] */
	bool hdr_ok;                      /* hdr holds its checked header */
	struct lamina_store_msg hdr;
	uint8_t in[HDR + LAMINA_STORE_PAYLOAD_MAX];
	uint8_t rsp[LAMINA_STORE_PAYLOAD_MAX];
	uint8_t *out;                     /* output not yet in the ring: rsp stream [rsp_prod, +out_len) */
	size_t out_len, out_cap;
	size_t mark;                      /* where the reply of the request being handled goes */
	uint32_t reply_end[LAMINA_STORE_QUOTA_REQUESTS]; /* rsp stream index after each outstanding reply */
	unsigned nreply;
	unsigned long dropped;
	bool dead;
	char why[160];
};

struct store_conn *store_conn_new(struct store_db *db, uint16_t dom, void *ring_page,
				  const struct store_host_ops *host,
				  void (*notify)(void *arg), void *arg)
{
	struct store_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->db = db;
	c->dom = dom;
	c->ring = ring_page;
	c->host = host;
	c->notify = notify;
	c->arg = arg;
	return c;
}

void store_conn_free(struct store_conn *c)
{
	if (c)
		free(c->out);
	free(c);
}

const char *store_conn_error(const struct store_conn *c) { return c->dead ? c->why : NULL; }
size_t store_conn_queued(const struct store_conn *c) { return c->out_len; }
unsigned long store_conn_dropped(const struct store_conn *c) { return c->dropped; }

/* End the connection for a protocol violation; always -1. */
__attribute__((format(printf, 2, 3)))
static int drop(struct store_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->dead = true;
	c->out_len = 0;
	return -1;
}

/* Room for len more bytes at out[at], moving the bytes from at on. */
static int out_insert(struct store_conn *c, size_t at, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 8192;
		while (cap < c->out_len + len)
			cap *= 2;
		uint8_t *p = realloc(c->out, cap);
		if (!p)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memmove(c->out + at + len, c->out + at, c->out_len - at);
	c->out_len += len;
	return 0;
}

/* Put message (type, req_id, tx_id, payload) into the queue at out[at]. */
static int out_msg(struct store_conn *c, size_t at, const struct lamina_store_msg *h,
		   const void *a, size_t alen, const void *b, size_t blen)
{
	if (out_insert(c, at, HDR + alen + blen))
		return -1;
	memcpy(c->out + at, h, HDR);
	memcpy(c->out + at + HDR, a, alen);
	if (blen)
		memcpy(c->out + at + HDR + alen, b, blen);
	return 0;
}

int store_conn_event(struct store_conn *c, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	struct lamina_store_msg h = { LAMINA_STORE_WATCH_EVENT, 0, 0, (uint32_t)(pl + tl) };

	if (c->dead)
		return -LAMINA_EIO;
	if (pl + tl > LAMINA_STORE_PAYLOAD_MAX)
		return -LAMINA_E2BIG;
	if (c->out_len + HDR + pl + tl > STORE_CONN_EVENT_ROOM) {
		c->dropped++;
		return -LAMINA_ENOSPC;
	}
	if (out_msg(c, c->out_len, &h, path, pl, token, tl))
		return -LAMINA_EIO;
	return 0;
}

/* The domain's rsp_cons, checked against our producer; -1 if corrupt. */
static int rsp_cons(struct store_conn *c, uint32_t *cons)
{
	*cons = LAMINA_READ_ONCE(c->ring->rsp_cons);
	if (c->rsp_prod - *cons > RING)
		return drop(c, "reply consumer index %u is not within %u bytes behind the producer %u",
			    *cons, RING, c->rsp_prod);
	return 0;
}

/* Copy as much queued output into the rsp ring as fits; publish it. */
static void flush(struct store_conn *c, bool *moved)
{
	uint32_t cons, n, i;

	if (c->dead || !c->out_len || rsp_cons(c, &cons))
		return;
	n = RING - (c->rsp_prod - cons);
	if (n > c->out_len)
		n = (uint32_t)c->out_len;
	if (!n)
		return;
	for (i = 0; i < n;) {
		uint32_t at = (c->rsp_prod + i) % RING, k = RING - at < n - i ? RING - at : n - i;
		memcpy(&c->ring->rsp[at], c->out + i, k);
		i += k;
	}
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
	c->rsp_prod += n;
	lamina_wmb();   /* bytes before the index */
	LAMINA_WRITE_ONCE(c->ring->rsp_prod, c->rsp_prod);
	*moved = true;
}

/* Forget replies the domain has consumed; the number still outstanding. */
static unsigned prune(struct store_conn *c)
{
	uint32_t cons, k = 0;

	if (!c->nreply || rsp_cons(c, &cons))
		return c->nreply;
	while (k < c->nreply && (int32_t)(c->reply_end[k] - cons) <= 0)
		k++;
	memmove(c->reply_end, c->reply_end + k, (c->nreply - k) * sizeof(c->reply_end[0]));
	c->nreply -= k;
	return c->nreply;
}

/* Copy n request bytes from the ring into in[]. */
static void copy_in(struct store_conn *c, uint32_t n)
{
	for (uint32_t i = 0; i < n;) {
		uint32_t at = (c->req_cons + i) % RING, k = RING - at < n - i ? RING - at : n - i;
		memcpy(c->in + c->in_len + i, &c->ring->req[at], k);
		i += k;
	}
	c->in_len += n;
	c->req_cons += n;
}

/* Check the header just completed in in[]. */
static int take_header(struct store_conn *c)
{
	memcpy(&c->hdr, c->in, HDR);
	c->hdr_ok = true;
	if (c->hdr.len > LAMINA_STORE_PAYLOAD_MAX)
		return drop(c, "request %u (type %u) has a %u-byte payload, more than %u",
			    c->hdr.req_id, c->hdr.type, c->hdr.len, LAMINA_STORE_PAYLOAD_MAX);
	return 0;
}

/* Gather request bytes until in[] holds a whole message: 1 if it does, 0 if
 * the ring ran dry first, -1 if the connection ended. */
static int read_msg(struct store_conn *c, bool *moved)
{
	uint32_t prod = LAMINA_READ_ONCE(c->ring->req_prod), avail, start = c->req_cons;
	int r = 0;

	lamina_rmb();   /* the index before the bytes */
	avail = prod - c->req_cons;
	if (avail > RING)
		return drop(c, "request producer index %u is more than %u bytes past the consumer %u",
			    prod, RING, c->req_cons);
	for (;;) {
		if (!c->hdr_ok && c->in_len == HDR && take_header(c)) {
			r = -1;
			break;
		}
		uint32_t want = (c->hdr_ok ? HDR + c->hdr.len : HDR) - c->in_len;
		if (!want && c->hdr_ok) {
			r = 1;
			break;
		}
		if (!avail)
			break;
		uint32_t n = want < avail ? want : avail;
		copy_in(c, n);
		avail -= n;
	}
	if (c->req_cons != start && !c->dead) {
		lamina_mb();    /* the bytes are copied before the space is handed back */
		LAMINA_WRITE_ONCE(c->ring->req_cons, c->req_cons);
		*moved = true;
	}
	return r;
}

/* Dispatch the request in in[] and queue its reply before any events it
 * caused for this connection. */
static void answer(struct store_conn *c)
{
	struct lamina_store_msg h = c->hdr, rh;
	uint32_t rlen;

	c->mark = c->out_len;
	rh.type = store_dispatch(c->db, c->dom, c->host, &h, c->in + HDR, c->rsp, &rlen);
	rh.req_id = h.req_id;
	rh.tx_id = h.tx_id;
	rh.len = rlen;
	c->in_len = 0;
	c->hdr_ok = false;
	if (out_msg(c, c->mark, &rh, c->rsp, rlen, NULL, 0)) {
		drop(c, "out of memory queueing a reply");
		return;
	}
	c->reply_end[c->nreply++] = c->rsp_prod + (uint32_t)(c->mark + HDR + rlen);
}

int store_conn_service(struct store_conn *c, unsigned budget)
{
	bool moved = false, more = false;

	while (!c->dead) {
		flush(c, &moved);
		if (c->dead || prune(c) >= LAMINA_STORE_QUOTA_REQUESTS)
			break;
		if (!budget) {
			more = true;   /* maybe more requests: the caller serves others first */
			break;
		}
		if (read_msg(c, &moved) <= 0)
			break;
		answer(c);
		budget--;
	}
	flush(c, &moved);
	if (moved && !c->dead)
		c->notify(c->arg);
	return c->dead ? -LAMINA_EIO : more;
}

int store_conn_flush(struct store_conn *c)
{
	bool moved = false;

	flush(c, &moved);
	if (moved && !c->dead)
		c->notify(c->arg);
	return c->dead ? -LAMINA_EIO : 0;
}
