// SPDX-License-Identifier: MIT
// store.c: the store of a hypervisor instance: service thread, domain connections and keys, the hv_store_* host API.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "evtchn.h"
#include "hv_int.h"
#include "store.h"
#include "store_svc.h"

#define KICK_ID UINT64_MAX      /* epoll data of the kick eventfd */

/* A watch of domain 0 made with hv_store_watch(): the db watch's priv. */
struct host_watch {
	hv_store_watch_fn *fn;
	void *arg;
	char *path, *token;
	struct host_watch *next;
};

/* A watch event for domain 0, delivered by the thread without the lock. */
struct host_event {
	hv_store_watch_fn *fn;
	void *arg;
	struct host_event *next;
	char *token;
	char path[];
};

/* A guest's connection. */
struct conn_ent {
	struct domain *d;           /* NULL: slot free */
	struct store_conn *conn;    /* NULL once released */
	uint32_t port;              /* the guest's store port */
	int efd;                    /* the host end's eventfd */
	uint32_t seq;               /* tells stale epoll events apart */
	bool dirty;                 /* output queued: flush before unlocking */
	bool logged;                /* the connection's end was logged */
	bool drops_logged;          /* dropped watch events were logged */
	bool more;                  /* requests may wait: serve it next round */
};

struct store {
	struct hv *hv;
	struct store *next;         /* registry (reg_lock) */
	int epfd, kick;             /* constant while the store exists */
	pthread_t thread;
	pthread_mutex_t lock;       /* guards everything below */
	atomic_int host_waiting;    /* callers other than the thread waiting for lock */
	struct store_db *db;
	struct store_host_ops ops;
	struct conn_ent ent[HV_MAX_DOMID];   /* by domain id */
	uint32_t seq;
	struct host_watch *watches;
	struct host_event *evq, **evtail;   /* for the thread to deliver */
	bool stop;
	uint8_t rsp[LAMINA_STORE_PAYLOAD_MAX];  /* host API replies */
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *stores;    /* (reg_lock) */

/* Lock s from outside the store thread. While a flood keeps the thread
 * busy it lets such callers (domain creation, the toolstack) in between
 * its rounds (store_main). */
static void lock_host(struct store *s)
{
	atomic_fetch_add(&s->host_waiting, 1);
	pthread_mutex_lock(&s->lock);
	atomic_fetch_sub(&s->host_waiting, 1);
}

/* ---- events ---- */

static void kick(struct store *s)
{
	uint64_t one = 1;

	if (write(s->kick, &one, sizeof(one)) != sizeof(one))
		return;   /* saturated: the thread is due to wake anyway */
}

/* Queue an event for a domain 0 watch. s->lock held. */
static void host_event(struct store *s, struct host_watch *w, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1;
	struct host_event *e = malloc(sizeof(*e) + pl + strlen(token) + 1);

	if (!e)
		return;
	e->fn = w->fn;
	e->arg = w->arg;
	e->next = NULL;
	memcpy(e->path, path, pl);
	e->token = e->path + pl;
	strcpy(e->token, token);
	*s->evtail = e;
	s->evtail = &e->next;
}

/* The database's store_fire_fn. s->lock held. */
static void fire(void *arg, uint16_t dom, const char *path, const char *token, void *priv)
{
	struct store *s = arg;

	if (dom == 0) {
		if (priv)
			host_event(s, priv, path, token);
		return;
	}
	struct conn_ent *e = dom < HV_MAX_DOMID ? &s->ent[dom] : NULL;
	if (e && e->conn && store_conn_event(e->conn, path, token) == 0)
		e->dirty = true;
}

/* Log a connection's end, and its first dropped events, once. s->lock held. */
static void check_dead(struct conn_ent *e)
{
	const char *why = e->conn ? store_conn_error(e->conn) : NULL;

	if (e->conn && store_conn_dropped(e->conn) && !e->drops_logged) {
		e->drops_logged = true;
		dom_log(e->d, "lamina: store: domain %u does not read its watch events; dropping some",
			e->d->id);
	}
	if (why && !e->logged) {
		e->logged = true;
		dom_log(e->d, "lamina: store: dropped the connection of domain %u: %s", e->d->id, why);
	}
}

/* Send queued output of every connection. s->lock held. */
static void flush_dirty(struct store *s)
{
	for (unsigned i = 1; i < HV_MAX_DOMID; i++) {
		struct conn_ent *e = &s->ent[i];
		if (!e->dirty)
			continue;
		e->dirty = false;
		if (e->conn)
			store_conn_flush(e->conn);
		check_dead(e);
	}
}

/* Flush, and wake the thread if domain 0 has events; then unlock. */
static void unlock(struct store *s)
{
	bool pending = s->evq != NULL;

	flush_dirty(s);
	pthread_mutex_unlock(&s->lock);
	if (pending)
		kick(s);
}

static void deliver(struct host_event *e)
{
	while (e) {
		struct host_event *n = e->next;
		e->fn(e->arg, e->path, e->token);
		free(e);
		e = n;
	}
}

/* ---- the thread ---- */

/* The guest of ent id sent an event on its store port. s->lock held. */
static void service(struct store *s, uint64_t data)
{
	unsigned id = (unsigned)(data & 0xffff);
	struct conn_ent *e = id < HV_MAX_DOMID ? &s->ent[id] : NULL;
	uint64_t n;

	if (!e || !e->d || e->seq != (uint32_t)(data >> 16))
		return;   /* stale: the connection went away */
	if (read(e->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	e->more = e->conn != NULL;
}

/*
 * One round: every domain with requests waiting gets one turn of at most
 * STORE_TURN requests, in domain order. True if any still has some, so a
 * flooding domain costs the others at most one turn per round. s->lock held.
 */
#define STORE_TURN 16

static bool serve_round(struct store *s)
{
	bool any = false;

	for (unsigned i = 1; i < HV_MAX_DOMID; i++) {
		struct conn_ent *e = &s->ent[i];
		if (!e->more)
			continue;
		e->more = e->conn && store_conn_service(e->conn, STORE_TURN) > 0;
		check_dead(e);
		any |= e->more;
	}
	return any;
}

static void *store_main(void *arg)
{
	struct store *s = arg;
	struct epoll_event ev[16];
	bool stop = false, busy = false;

	while (!stop) {
		int n = epoll_wait(s->epfd, ev, 16, busy ? 0 : -1);
		uint64_t k;
		if (n < 0 && errno != EINTR)
			break;
		while (atomic_load(&s->host_waiting))
			sched_yield();   /* a caller from outside goes first (lock_host) */
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == KICK_ID && read(s->kick, &k, sizeof(k)) < 0)
				continue;
			if (ev[i].data.u64 != KICK_ID)
				service(s, ev[i].data.u64);
		}
		busy = serve_round(s);
		flush_dirty(s);
		struct host_event *q = s->evq;
		s->evq = NULL;
		s->evtail = &s->evq;
		stop = s->stop;
		pthread_mutex_unlock(&s->lock);
		deliver(q);
	}
	return NULL;
}

/* ---- instances ---- */

static int host_introduce(void *arg, unsigned domid, uint64_t gfn, uint32_t port);
static int host_release(void *arg, unsigned domid);

static void store_free(struct store *s)
{
	struct host_event *q = s->evq;

	while (q) {
		struct host_event *n = q->next;
		free(q);
		q = n;
	}
	while (s->watches) {
		struct host_watch *w = s->watches;
		s->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	store_db_free(s->db);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->kick >= 0)
		close(s->kick);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static struct store *store_new(struct hv *hv)
{
	struct store *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = KICK_ID };

	if (!s)
		return NULL;
	s->hv = hv;
	s->evtail = &s->evq;
	s->ops = (struct store_host_ops){ host_introduce, host_release, s };
	pthread_mutex_init(&s->lock, NULL);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->db = store_db_new(fire, s);
	if (s->epfd < 0 || s->kick < 0 || !s->db || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->kick, &ev) ||
	    pthread_create(&s->thread, NULL, store_main, s)) {
		store_free(s);
		return NULL;
	}
	return s;
}

/* hv's store, created if create is set; NULL if none (or out of memory). */
static struct store *store_of(struct hv *hv, bool create)
{
	struct store *s;

	pthread_mutex_lock(&reg_lock);
	for (s = stores; s && s->hv != hv; s = s->next)
		;
	if (!s && create && (s = store_new(hv))) {
		s->next = stores;
		stores = s;
	}
	pthread_mutex_unlock(&reg_lock);
	return s;
}

/* Stop the thread first (a watch callback on it may still use the store),
 * then forget the store. */
void store_hv_close(struct hv *hv)
{
	struct store *s = store_of(hv, false);

	if (!s)
		return;
	lock_host(s);
	s->stop = true;
	pthread_mutex_unlock(&s->lock);
	kick(s);
	pthread_join(s->thread, NULL);
	pthread_mutex_lock(&reg_lock);
	for (struct store **pp = &stores; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	store_free(s);
}

/* ---- domains ---- */

/* Write path = printf(fmt, ...) as domain 0. s->lock held. */
__attribute__((format(printf, 3, 4)))
static int put_key(struct store *s, const char *path, const char *fmt, ...)
{
	char v[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(v))
		return -LAMINA_E2BIG;
	return store_db_write(s->db, 0, 0, path, v, (size_t)n);
}

/*
 * The keys of a new domain, all in its home /local/domain/<id>, which it
 * owns with access 'n' for everyone else: name, domid, vcpus,
 * memory/target and memory/static-max (KiB), and the empty directories
 * device/ and control/. s->lock held.
 */
static int write_keys(struct store *s, struct domain *d)
{
	char home[32], p[64], perm[8];
	int pl = snprintf(perm, sizeof(perm), "n%u", d->id) + 1;
	uint64_t kib = atomic_load(&d->cur_pages) * (HV_PAGE / 1024);
	int rc;

	store_home(d->id, home, sizeof(home));
	store_db_rm(s->db, 0, 0, home);    /* anything left by an earlier domain of this id */
	if ((rc = store_db_mkdir(s->db, 0, 0, home)) ||
	    (rc = store_db_set_perms(s->db, 0, 0, home, perm, (size_t)pl)))
		return rc;
#define KEY(name, ...) (snprintf(p, sizeof(p), "%s/" name, home), put_key(s, p, __VA_ARGS__))
	if ((rc = KEY("name", "%s", d->name)) || (rc = KEY("domid", "%u", d->id)) ||
	    (rc = KEY("vcpus", "%d", d->nr_vcpus)) ||
	    (rc = KEY("memory/target", "%llu", (unsigned long long)kib)) ||
	    (rc = KEY("memory/static-max", "%llu",
		      (unsigned long long)(d->max_pages * (HV_PAGE / 1024)))))
		return rc;
#undef KEY
	snprintf(p, sizeof(p), "%s/device", home);
	if ((rc = store_db_mkdir(s->db, 0, 0, p)))
		return rc;
	snprintf(p, sizeof(p), "%s/control", home);
	return store_db_mkdir(s->db, 0, 0, p);
}

static void notify_guest(void *arg)
{
	struct conn_ent *e = arg;

	evt_host_notify(e->d, e->port);
}

/* Drop e's connection and the domain's watches and transactions. s->lock held. */
static void conn_drop(struct store *s, struct conn_ent *e)
{
	if (!e->conn)
		return;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, e->efd, NULL);
	store_conn_free(e->conn);
	e->conn = NULL;
	e->dirty = false;
	store_db_release(s->db, e->d->id);
}

/* Connect d, whose store port is (port, efd). s->lock held. */
static int connect_dom(struct store *s, struct domain *d, uint32_t port, int efd)
{
	struct conn_ent *e = &s->ent[d->id];
	struct epoll_event ev = { .events = EPOLLIN };
	int rc = write_keys(s, d);

	if (rc) {
		dom_log(d, "lamina: store: writing the domain's keys: %s", store_err_name(-rc));
		return -1;
	}
	*e = (struct conn_ent){ .d = d, .port = port, .efd = efd, .seq = ++s->seq };
	e->conn = store_conn_new(s->db, d->id, d->store_page, &s->ops, notify_guest, e);
	ev.data.u64 = (uint64_t)e->seq << 16 | d->id;
	if (!e->conn || epoll_ctl(s->epfd, EPOLL_CTL_ADD, efd, &ev)) {
		dom_log(d, "lamina: store: cannot connect the store ring");
		store_conn_free(e->conn);
		memset(e, 0, sizeof(*e));
		return -1;
	}
	store_db_fire_special(s->db, "@introduceDomain");
	return 0;
}

int store_domain_init(struct domain *d)
{
	struct store *s = store_of(d->hv, true);
	uint32_t port;
	int efd, rc;

	if (!s || d->id == 0 || d->id >= HV_MAX_DOMID) {
		dom_log(d, "lamina: store: no store for domain %u", d->id);
		return -1;
	}
	if ((rc = evt_host_alloc(d, &port, &efd)) < 0) {
		dom_log(d, "lamina: store: allocating the store port: error %d", rc);
		return -1;
	}
	__atomic_store_n(&((struct lamina_shared_info *)d->shinfo)->store_port, port,
			 __ATOMIC_RELEASE);
	lock_host(s);
	rc = s->ent[d->id].d ? -1 : connect_dom(s, d, port, efd);
	unlock(s);
	if (rc)
		evt_host_close(d->hv, efd);
	return rc;
}

void store_domain_free(struct domain *d)
{
	struct store *s = store_of(d->hv, false);
	char home[32];

	if (!s || d->id >= HV_MAX_DOMID)
		return;
	lock_host(s);
	struct conn_ent *e = &s->ent[d->id];
	if (e->d != d) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	int efd = e->efd;
	conn_drop(s, e);
	store_home(d->id, home, sizeof(home));
	store_db_rm(s->db, 0, 0, home);
	memset(e, 0, sizeof(*e));
	store_db_fire_special(s->db, "@releaseDomain");
	unlock(s);
	evt_host_close(d->hv, efd);
}

/* INTRODUCE from domain 0: every domain is connected at creation, so this
 * only confirms that domid is. s->lock held. */
static int host_introduce(void *arg, unsigned domid, uint64_t gfn, uint32_t port)
{
	struct store *s = arg;

	(void)gfn;
	if (domid >= HV_MAX_DOMID || !s->ent[domid].conn)
		return -LAMINA_ENOENT;
	return port == s->ent[domid].port ? 0 : -LAMINA_EINVAL;
}

/* RELEASE from domain 0. s->lock held. */
static int host_release(void *arg, unsigned domid)
{
	struct store *s = arg;

	if (domid >= HV_MAX_DOMID || !s->ent[domid].conn)
		return -LAMINA_ENOENT;
	conn_drop(s, &s->ent[domid]);
	store_db_fire_special(s->db, "@releaseDomain");
	return 0;
}

/* ---- the host API (hv.h) ---- */

int hv_store_request(struct hv *hv, unsigned type, uint32_t tx_id, const void *req, size_t len,
		     void *rsp, size_t size)
{
	struct store *s = store_of(hv, true);
	struct lamina_store_msg h = { type, 0, tx_id, (uint32_t)len };
	uint32_t rlen;

	if (!s)
		return -LAMINA_EIO;
	if (len > LAMINA_STORE_PAYLOAD_MAX)
		return -LAMINA_E2BIG;
	lock_host(s);
	uint32_t rtype = store_dispatch(s->db, 0, &s->ops, &h, req, s->rsp, &rlen);
	int rc = (int)rlen;
	if (rtype == LAMINA_STORE_ERROR)
		rc = -(store_err_number((char *)s->rsp) ? store_err_number((char *)s->rsp) : LAMINA_EIO);
	else if (rlen > size)
		rc = -LAMINA_E2BIG;
	else if (rlen)
		memcpy(rsp, s->rsp, rlen);
	unlock(s);
	return rc;
}

/* A request whose payload is path, NUL, then n bytes of data. */
static int path_request(struct hv *hv, unsigned type, const char *path, const void *data,
			size_t n, void *rsp, size_t size)
{
	char pl[LAMINA_STORE_PAYLOAD_MAX];
	size_t l = strlen(path) + 1;

	if (l + n > sizeof(pl))
		return -LAMINA_E2BIG;
	memcpy(pl, path, l);
	if (n)
		memcpy(pl + l, data, n);
	return hv_store_request(hv, type, 0, pl, l + n, rsp, size);
}

int hv_store_read(struct hv *hv, const char *path, char *buf, size_t size)
{
	int n = size ? path_request(hv, LAMINA_STORE_READ, path, NULL, 0, buf, size - 1) : -LAMINA_E2BIG;

	if (n >= 0)
		buf[n] = 0;
	return n;
}

int hv_store_write(struct hv *hv, const char *path, const char *val)
{
	char ok[4];
	int n = path_request(hv, LAMINA_STORE_WRITE, path, val, strlen(val), ok, sizeof(ok));

	return n < 0 ? n : 0;
}

static int path_op(struct hv *hv, unsigned type, const char *path)
{
	char ok[4];
	int n = path_request(hv, type, path, NULL, 0, ok, sizeof(ok));

	return n < 0 ? n : 0;
}

int hv_store_mkdir(struct hv *hv, const char *path) { return path_op(hv, LAMINA_STORE_MKDIR, path); }
int hv_store_rm(struct hv *hv, const char *path) { return path_op(hv, LAMINA_STORE_RM, path); }

int hv_store_directory(struct hv *hv, const char *path, char *buf, size_t size)
{
	return path_request(hv, LAMINA_STORE_DIRECTORY, path, NULL, 0, buf, size);
}

/* perms: entries such as "b5" separated by spaces or commas. */
int hv_store_set_perms(struct hv *hv, const char *path, const char *perms)
{
	char wire[1024], ok[4];
	size_t n = 0;

	for (const char *p = perms; *p; p++) {
		if (n + 2 > sizeof(wire))
			return -LAMINA_E2BIG;
		if (*p != ' ' && *p != ',')
			wire[n++] = *p;
		else if (n && wire[n - 1])
			wire[n++] = 0;
	}
	if (n && wire[n - 1])
		wire[n++] = 0;
	int rc = path_request(hv, LAMINA_STORE_SET_PERMS, path, wire, n, ok, sizeof(ok));
	return rc < 0 ? rc : 0;
}

int hv_store_watch(struct hv *hv, const char *path, const char *token, hv_store_watch_fn *fn,
		   void *arg)
{
	struct store *s = store_of(hv, true);
	struct host_watch *w = calloc(1, sizeof(*w));

	if (!s || !w || !fn || !(w->path = strdup(path)) || !(w->token = strdup(token))) {
		if (w)
			free(w->path);
		free(w);
		return !fn ? -LAMINA_EINVAL : -LAMINA_EIO;
	}
	w->fn = fn;
	w->arg = arg;
	lock_host(s);
	int rc = store_db_watch(s->db, 0, path, token, w);
	if (rc == 0) {
		w->next = s->watches;
		s->watches = w;
	}
	unlock(s);
	if (rc) {
		free(w->path);
		free(w->token);
		free(w);
	}
	return rc;
}

int hv_store_unwatch(struct hv *hv, const char *path, const char *token)
{
	struct store *s = store_of(hv, false);
	int rc;

	if (!s)
		return -LAMINA_ENOENT;
	lock_host(s);
	rc = store_db_unwatch(s->db, 0, path, token);
	for (struct host_watch **pp = &s->watches; rc == 0 && *pp; pp = &(*pp)->next) {
		struct host_watch *w = *pp;
		if (strcmp(w->path, path) || strcmp(w->token, token))
			continue;
		*pp = w->next;
		free(w->path);
		free(w->token);
		free(w);
		break;
	}
	unlock(s);
	return rc;
}
