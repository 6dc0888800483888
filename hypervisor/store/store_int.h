// SPDX-License-Identifier: MIT
// store_int.h: private to store.c and store_api.c: a hypervisor instance's store and the calls they share.
#ifndef HV_STORE_INT_H
#define HV_STORE_INT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "hv_int.h"
#include "store.h"
#include "store_svc.h"

/* store.c owns the thread, the registry, the domains' connections and the
 * event queue; store_api.c (the hv_store_* host API) reads and changes
 * s->db, s->rsp and s->watches under s->lock through the calls below. */

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
/* The store of hv, created (with its thread) if create and there is none
 * yet; NULL if there is none or it could not be created. */
struct store *store_instance(struct hv *hv, bool create);
/* Lock s from outside the store thread. While a flood keeps the thread
 * busy it lets such callers (domain creation, the toolstack) in between
 * its rounds. */
void store_lock_host(struct store *s);
/* Flush queued output, and wake the thread if domain 0 has events; then
 * unlock s. */
void store_unlock(struct store *s);
#endif
