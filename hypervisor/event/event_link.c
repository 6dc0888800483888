// SPDX-License-Identifier: MIT
// event_link.c: event channel connections: the registry of tables, binding and closing ports, the doorbell fast path, host (domain 0) ends, domain life cycle.
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "event.h"
#include "evtchn.h"
#include "hv_ports.h"
#include "hv_int.h"
#include "kvm.h"

/*
 * Every hv instance gets a registry of its domains' tables, with the host
 * (domain 0) table in slot 0. The registry lives here rather than in
 * struct hv so that it can appear and disappear with the domains that use
 * it: it is created by the first evt_domain_init() and freed once no guest
 * table and no open host port is left.
 */
struct evt_hv {
	struct hv *hv;
	struct evtchn_table *tab[HV_MAX_DOMID];  /* by domain id; [0] = host (link_lock) */
	struct evt_hv *next;                    /* (link_lock) */
};

/* Lock 1 of evtchn.h, for all instances: guards the registries and every
 * link, unlink or free of a table. Topology changes are rare. */
static pthread_mutex_t link_lock = PTHREAD_MUTEX_INITIALIZER;
static struct evt_hv *instances;            /* (link_lock) */

/* hv's registry, created if create is set; NULL if none. link_lock held. */
static struct evt_hv *registry(struct hv *hv, bool create)
{
	struct evt_hv *h;

	for (h = instances; h; h = h->next)
		if (h->hv == hv)
			return h;
	if (!create || !(h = calloc(1, sizeof(*h))))
		return NULL;
	h->tab[0] = evtchn_table_new(LAMINA_DOMID_HOST, LAMINA_EVTCHN_PORTS_MAX, 1, NULL);
	if (!h->tab[0]) {
		free(h);
		return NULL;
	}
	h->hv = hv;
	h->next = instances;
	instances = h;
	return h;
}

/* Unlink h from the instances and free it. link_lock held. */
static void registry_free(struct evt_hv *h)
{
	for (struct evt_hv **pp = &instances; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	evtchn_table_free(h->tab[0]);
	free(h);
}

/* Free h if it holds no guest table and no open host port. link_lock held. */
static void registry_put(struct evt_hv *h)
{
	struct evtchn_table *host = h->tab[0];

	for (unsigned i = 1; i < HV_MAX_DOMID; i++)
		if (h->tab[i])
			return;
	for (uint32_t p = 1; p < host->limit; p++)
		if (evtchn_state(host, p) != LAMINA_EVTCHNSTAT_CLOSED)
			return;
	registry_free(h);
}

/* Table of domain id in c's instance, or NULL. link_lock held. */
static struct evtchn_table *table_of(struct domain *c, unsigned id)
{
	struct evt_hv *h = registry(c->hv, false);

	return h && id < HV_MAX_DOMID ? h->tab[id] : NULL;
}

/* ---- The doorbell fast path: guest port linked to a host port ---- */

/* (Un)register the ioeventfd that turns a doorbell write of guest port gp
 * of g into a signal of efd. A failed registration leaves the slow path. */
static void fast_set(struct evtchn_table *g, uint32_t gp, int efd, bool on)
{
	struct evtchn_port *pt = &g->port[gp];

	if (on == pt->fast || efd < 0)
		return;
	if (kvm_ioeventfd(g->owner->vmfd, efd, HC_DOORBELL, gp, !on) == 0 || !on)
		pt->fast = on;
}

/* Port p of t is interdomain: if one end is the host, set the fast path of
 * the guest end. Both tables locked. */
static void fast_link(struct evtchn_table *t, uint32_t p, bool on)
{
	struct evtchn_port *pt = &t->port[p];
	struct evtchn_table *r = pt->rtab;

	if (t->owner && !r->owner)
		fast_set(t, p, r->port[pt->rport].efd, on);
	else if (!t->owner && r->owner)
		fast_set(r, pt->rport, pt->efd, on);
}

/* ---- Binding and closing (evtchn.h) ---- */

/* Close open port p of t: unlink its peer, drop the fast path, close a host
 * port's eventfd, reset its bits. link_lock held, t not locked. */
static int close_port(struct evtchn_table *t, uint32_t p)
{
	pthread_mutex_lock(&t->lock);
	struct evtchn_port *pt = evtchn_get(t, p);
	struct evtchn_table *peer = pt && pt->state == LAMINA_EVTCHNSTAT_INTERDOMAIN ? pt->rtab : t;
	if (peer != t) {   /* the link cannot change: link_lock is held */
		pthread_mutex_unlock(&t->lock);
		evtchn_lock2(t, peer);
	}
	if (pt && pt->state == LAMINA_EVTCHNSTAT_INTERDOMAIN)
		fast_link(t, p, false);
	if (pt && !t->owner && pt->efd >= 0)
		close(pt->efd);
	int rc = evtchn_close(t, p);
	if (rc == 0)
		evt_bits_reset(t, p);
	evtchn_unlock2(t, peer);
	return rc;
}

/* Table of dom for an operation by c: -ESRCH if none, -EPERM if it is
 * another domain and c is not domain 0. link_lock held. */
static int target(struct domain *c, unsigned dom, struct evtchn_table **t)
{
	*t = table_of(c, dom);
	if (!*t)
		return -LAMINA_ESRCH;
	if (dom != c->id && c->id != LAMINA_DOMID_HOST)
		return -LAMINA_EPERM;
	return 0;
}

int evt_op_alloc_unbound(struct domain *c, unsigned dom, unsigned rdom)
{
	struct evtchn_table *t;

	pthread_mutex_lock(&link_lock);
	int rc = target(c, dom, &t);
	if (rc == 0 && !table_of(c, rdom))
		rc = -LAMINA_ESRCH;
	if (rc == 0) {
		pthread_mutex_lock(&t->lock);
		rc = evtchn_alloc_unbound(t, (uint16_t)rdom);
		if (rc > 0)
			evt_bits_reset(t, (uint32_t)rc);
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&link_lock);
	return rc;
}

/* New port of l linked to unbound port rp of r; r's end is made pending
 * once. link_lock held. */
static int bind_to(struct evtchn_table *l, struct evtchn_table *r, uint32_t rp)
{
	evtchn_lock2(l, r);
	int p = evtchn_bind_interdomain(l, r, rp);
	if (p > 0) {
		evt_bits_reset(l, (uint32_t)p);
		fast_link(l, (uint32_t)p, true);
		evt_notify_end(r, rp);
	}
	evtchn_unlock2(l, r);
	return p;
}

int evt_op_bind_interdomain(struct domain *c, unsigned rdom, uint32_t rport)
{
	pthread_mutex_lock(&link_lock);
	struct evtchn_table *r = table_of(c, rdom);
	int rc = !r ? -LAMINA_ESRCH : c->evt ? bind_to(c->evt, r, rport) : -LAMINA_ENOSPC;
	pthread_mutex_unlock(&link_lock);
	return rc;
}

/* Run a one-table allocation under t->lock; a new port starts masked. */
static int alloc_locked(struct evtchn_table *t, int (*fn)(struct evtchn_table *, uint32_t, uint32_t),
			uint32_t a, uint32_t b)
{
	if (!t)
		return -LAMINA_ENOSPC;   /* a caller without ports of its own */
	pthread_mutex_lock(&t->lock);
	int p = fn(t, a, b);
	if (p > 0)
		evt_bits_reset(t, (uint32_t)p);
	pthread_mutex_unlock(&t->lock);
	return p;
}

static int ipi_fn(struct evtchn_table *t, uint32_t vcpu, uint32_t unused)
{
	(void)unused;
	return evtchn_bind_ipi(t, vcpu);
}

int evt_op_bind_virq(struct domain *c, uint32_t virq, uint32_t vcpu)
{
	return alloc_locked(c->evt, evtchn_bind_virq, virq, vcpu);
}

int evt_op_bind_ipi(struct domain *c, uint32_t vcpu)
{
	return alloc_locked(c->evt, ipi_fn, vcpu, 0);
}

int evt_op_bind_vcpu(struct domain *c, uint32_t port, uint32_t vcpu)
{
	struct evtchn_table *t = c->evt;

	if (!t)
		return -LAMINA_EBADF;
	pthread_mutex_lock(&t->lock);
	int rc = evtchn_bind_vcpu(t, port, vcpu);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int evt_op_close(struct domain *c, uint32_t port)
{
	pthread_mutex_lock(&link_lock);
	int rc = c->evt ? close_port(c->evt, port) : -LAMINA_EBADF;
	pthread_mutex_unlock(&link_lock);
	return rc;
}

int evt_op_status(struct domain *c, unsigned dom, struct lamina_evtchn_status *st)
{
	struct evtchn_table *t;

	pthread_mutex_lock(&link_lock);
	int rc = target(c, dom, &t);
	if (rc == 0 && (st->port == 0 || st->port >= t->limit))
		rc = -LAMINA_EINVAL;   /* port 0 is never a port (event_channel.h) */
	if (rc == 0) {
		pthread_mutex_lock(&t->lock);
		evtchn_status(t, st->port, st);
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&link_lock);
	return rc;
}

/* Close every port of guest table t but the store and console ports.
 * link_lock held. */
static void reset_table(struct evtchn_table *t)
{
	struct lamina_shared_info *si = (struct lamina_shared_info *)t->owner->shinfo;
	uint32_t keep1 = __atomic_load_n(&si->store_port, __ATOMIC_RELAXED);
	uint32_t keep2 = __atomic_load_n(&si->console_port, __ATOMIC_RELAXED);

	for (uint32_t p = 1; p < t->limit; p++)
		if (p != keep1 && p != keep2 && evtchn_state(t, p) != LAMINA_EVTCHNSTAT_CLOSED)
			close_port(t, p);
}

int evt_op_reset(struct domain *c, unsigned dom)
{
	struct evtchn_table *t;

	pthread_mutex_lock(&link_lock);
	int rc = target(c, dom, &t);
	if (rc == 0 && (!t->owner || !t->owner->shinfo))
		rc = -LAMINA_EPERM;   /* the host's ports belong to host code */
	if (rc == 0)
		reset_table(t);
	pthread_mutex_unlock(&link_lock);
	return rc;
}

/* ---- Host (domain 0) ends ---- */

/* Link a host port to guest table g: a new host port bound to g's unbound
 * port gp (gp > 0), or a new pair (gp == 0; *gport gets the guest port).
 * link_lock and both locks held. Returns the host port or -LAMINA_E*. */
static int host_link(struct evtchn_table *host, struct evtchn_table *g, uint32_t gp,
		     uint32_t *gport, int efd)
{
	int hp;

	if (gp) {
		hp = evtchn_bind_interdomain(host, g, gp);
	} else {
		hp = evtchn_alloc_unbound(host, g->domid);
		int p = hp > 0 ? evtchn_bind_interdomain(g, host, (uint32_t)hp) : hp;
		if (p < 0 && hp > 0)
			evtchn_close(host, (uint32_t)hp);
		if (p < 0)
			return p;
		evt_bits_reset(g, (uint32_t)p);
		*gport = (uint32_t)p;
	}
	if (hp > 0) {
		host->port[hp].efd = efd;
		fast_link(host, (uint32_t)hp, true);
	}
	return hp;
}

/* evt_host_alloc (gp == 0) and evt_host_bind (gp = the guest's port). */
static int host_connect(struct domain *guest, uint32_t gp, uint32_t *gport, int *efd)
{
	int e = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), rc;

	if (e < 0)
		return -LAMINA_ENOMEM;
	pthread_mutex_lock(&link_lock);
	struct evt_hv *h = registry(guest->hv, false);
	struct evtchn_table *g = guest->evt;
	if (!h || !g) {
		rc = -LAMINA_ESRCH;
	} else {
		evtchn_lock2(h->tab[0], g);
		rc = host_link(h->tab[0], g, gp, gport, e);
		if (rc > 0 && gp)
			evt_notify_end(g, gp);
		evtchn_unlock2(h->tab[0], g);
	}
	pthread_mutex_unlock(&link_lock);
	if (rc < 0)
		close(e);
	else
		*efd = e;
	return rc < 0 ? rc : 0;
}

int evt_host_alloc(struct domain *guest, uint32_t *guest_port, int *efd)
{
	return host_connect(guest, 0, guest_port, efd);
}

int evt_host_bind(struct domain *guest, uint32_t guest_port, int *efd)
{
	uint32_t unused;

	return guest_port ? host_connect(guest, guest_port, &unused, efd) : -LAMINA_EINVAL;
}

/* The open host port of h that owns efd, or 0. link_lock held. */
static uint32_t host_port_of(struct evt_hv *h, int efd)
{
	struct evtchn_table *host = h->tab[0];
	uint32_t found = 0;

	pthread_mutex_lock(&host->lock);
	for (uint32_t p = 1; p < host->limit && !found; p++)
		if (evtchn_get(host, p) && host->port[p].efd == efd)
			found = p;
	pthread_mutex_unlock(&host->lock);
	return found;
}

void evt_host_close(struct hv *hv, int efd)
{
	pthread_mutex_lock(&link_lock);
	struct evt_hv *h = registry(hv, false);
	uint32_t p = h && efd >= 0 ? host_port_of(h, efd) : 0;
	if (p) {
		close_port(h->tab[0], p);
		registry_put(h);
	}
	pthread_mutex_unlock(&link_lock);
}

/* ---- Domain life cycle ---- */

/* Close the host ports host code left open (their eventfds too; guest ends
 * become unbound) and forget hv, so a later instance at the same address
 * starts clean. A guest table still registered keeps working on its own. */
void evt_hv_close(struct hv *hv)
{
	pthread_mutex_lock(&link_lock);
	struct evt_hv *h = registry(hv, false);
	if (h) {
		for (uint32_t p = 1; p < h->tab[0]->limit; p++)
			if (evtchn_state(h->tab[0], p) != LAMINA_EVTCHNSTAT_CLOSED)
				close_port(h->tab[0], p);
		registry_free(h);
	}
	pthread_mutex_unlock(&link_lock);
}

int evt_domain_init(struct domain *d)
{
	struct evtchn_table *t = evtchn_table_new(d->id, d->lim.evtchns,
						  (uint32_t)d->nr_vcpus, d);
	int rc = -1;

	if (!t)
		return -1;
	pthread_mutex_lock(&link_lock);
	struct evt_hv *h = registry(d->hv, true);
	if (h && d->id != LAMINA_DOMID_HOST && d->id < HV_MAX_DOMID && !h->tab[d->id]) {
		h->tab[d->id] = t;
		d->evt = t;
		rc = 0;
	}
	pthread_mutex_unlock(&link_lock);
	if (rc < 0)
		evtchn_table_free(t);
	return rc;
}

/* Close every port (peers become unbound), then forget the table. */
void evt_domain_free(struct domain *d)
{
	struct evtchn_table *t = d->evt;

	if (!t)
		return;
	pthread_mutex_lock(&link_lock);
	for (uint32_t p = 1; p < t->limit; p++)
		if (evtchn_state(t, p) != LAMINA_EVTCHNSTAT_CLOSED)
			close_port(t, p);
	struct evt_hv *h = registry(d->hv, false);
	if (h && h->tab[d->id] == t) {
		h->tab[d->id] = NULL;
		registry_put(h);
	}
	d->evt = NULL;
	pthread_mutex_unlock(&link_lock);
	evtchn_table_free(t);
}
