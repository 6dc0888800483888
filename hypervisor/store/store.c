// SPDX-License-Identifier: MIT
// store.c: the store of a hypervisor instance: service thread, domain connections and keys.
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
#include "store_int.h"

#define KICK_ID UINT64_MAX      /* epoll data of the kick eventfd */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *stores;    /* (reg_lock) */

/* Lock s from outside the store thread. While a flood keeps the thread
 * busy it lets such callers (domain creation, the toolstack) in between
 * its rounds (store_main). */
void store_lock_host(struct store *s)
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
void store_unlock(struct store *s)
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
struct store *store_instance(struct hv *hv, bool create)
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
	struct store *s = store_instance(hv, false);

	if (!s)
		return;
	store_lock_host(s);
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
	struct store *s = store_instance(d->hv, true);
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
	store_lock_host(s);
	rc = s->ent[d->id].d ? -1 : connect_dom(s, d, port, efd);
	store_unlock(s);
	if (rc)
		evt_host_close(d->hv, efd);
	return rc;
}

void store_domain_free(struct domain *d)
{
	struct store *s = store_instance(d->hv, false);
	char home[32];

	if (!s || d->id >= HV_MAX_DOMID)
		return;
	store_lock_host(s);
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
	store_unlock(s);
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
