// SPDX-License-Identifier: MIT
// evtchn.c: the per-domain event channel port table: allocation, binding, linking and closing ports (no KVM, no guest memory).
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "evtchn.h"

/* What each VIRQ is; 0 = no such VIRQ. */
#define VIRQ_PER_VCPU 1u
#define VIRQ_GLOBAL   2u
#define VIRQ_HOST     4u   /* domain 0 only */
static const uint8_t virq_kind[LAMINA_NR_VIRQS] = {
	[LAMINA_VIRQ_TIMER] = VIRQ_PER_VCPU,
	[LAMINA_VIRQ_DEBUG] = VIRQ_PER_VCPU,
	[LAMINA_VIRQ_CONSOLE] = VIRQ_GLOBAL | VIRQ_HOST,
	[LAMINA_VIRQ_DOM_EXC] = VIRQ_GLOBAL | VIRQ_HOST,
};

struct evtchn_table *evtchn_table_new(uint16_t domid, uint32_t nports,
				      uint32_t nr_vcpus, struct domain *owner)
{
	struct evtchn_table *t = calloc(1, sizeof(*t));

	if (!nports)
		nports = LAMINA_EVTCHN_DEFAULT_LIMIT;
	if (nports > LAMINA_EVTCHN_PORTS_MAX - 1)
		nports = LAMINA_EVTCHN_PORTS_MAX - 1;
	if (!t || !nr_vcpus)
		goto fail;
	t->domid = domid;
	t->limit = nports + 1;
	t->nr_vcpus = nr_vcpus;
	t->owner = owner;
	t->virq = calloc(nr_vcpus, sizeof(*t->virq));
	t->port = calloc(t->limit, sizeof(*t->port));
	if (!t->virq || !t->port)
		goto fail;
	for (uint32_t p = 0; p < t->limit; p++)
		t->port[p].efd = -1;
	pthread_mutex_init(&t->lock, NULL);
	return t;
fail:
	evtchn_table_free(t);
	return NULL;
}

void evtchn_table_free(struct evtchn_table *t)
{
	if (!t)
		return;
	free(t->virq);
	free(t->port);
	free(t);
}

/* Two tables, lower domain id first (once if they are the same table). */
void evtchn_lock2(struct evtchn_table *a, struct evtchn_table *b)
{
	if (a != b && b->domid < a->domid) {
		struct evtchn_table *x = a;
		a = b;
		b = x;
	}
	pthread_mutex_lock(&a->lock);
	if (b != a)
		pthread_mutex_lock(&b->lock);
}

void evtchn_unlock2(struct evtchn_table *a, struct evtchn_table *b)
{
	if (b != a)
		pthread_mutex_unlock(&b->lock);
	pthread_mutex_unlock(&a->lock);
}

unsigned evtchn_state(struct evtchn_table *t, uint32_t p)
{
	if (p == 0 || p >= t->limit)
		return LAMINA_EVTCHNSTAT_CLOSED;
	return __atomic_load_n(&t->port[p].state, __ATOMIC_ACQUIRE);
}

uint32_t evtchn_vcpu(struct evtchn_table *t, uint32_t p)
{
	return p < t->limit ? __atomic_load_n(&t->port[p].vcpu, __ATOMIC_RELAXED) : 0;
}

struct evtchn_port *evtchn_get(struct evtchn_table *t, uint32_t p)
{
	return evtchn_state(t, p) == LAMINA_EVTCHNSTAT_CLOSED ? NULL : &t->port[p];
}

static void set_state(struct evtchn_port *pt, unsigned state)
{
	__atomic_store_n(&pt->state, (uint8_t)state, __ATOMIC_RELEASE);
}

/* Lowest closed port, reset to "unbound, for nobody, on vCPU 0", or -ENOSPC. */
static int alloc_port(struct evtchn_table *t, unsigned state)
{
	for (uint32_t p = 1; p < t->limit; p++) {
		struct evtchn_port *pt = &t->port[p];
		if (pt->state != LAMINA_EVTCHNSTAT_CLOSED)
			continue;
		memset(pt, 0, sizeof(*pt));
		pt->efd = -1;
		set_state(pt, state);
		return (int)p;
	}
	return -LAMINA_ENOSPC;
}

bool evtchn_virq_global(unsigned virq)
{
	return virq < LAMINA_NR_VIRQS && (virq_kind[virq] & VIRQ_GLOBAL);
}

int evtchn_alloc_unbound(struct evtchn_table *t, uint16_t rdom)
{
	int p = alloc_port(t, LAMINA_EVTCHNSTAT_UNBOUND);

	if (p > 0)
		t->port[p].rdom = rdom;
	return p;
}

static void link_end(struct evtchn_table *t, uint32_t p, struct evtchn_table *r, uint32_t rp)
{
	struct evtchn_port *pt = &t->port[p];

	pt->rdom = r->domid;
	pt->rport = rp;
	pt->rtab = r;
	set_state(pt, LAMINA_EVTCHNSTAT_INTERDOMAIN);
}

int evtchn_bind_interdomain(struct evtchn_table *l, struct evtchn_table *r, uint32_t rp)
{
	struct evtchn_port *rpt = evtchn_get(r, rp);

	if (!rpt || rpt->state != LAMINA_EVTCHNSTAT_UNBOUND || rpt->rdom != l->domid)
		return -LAMINA_EINVAL;
	int p = alloc_port(l, LAMINA_EVTCHNSTAT_UNBOUND);
	if (p < 0)
		return p;
	link_end(l, (uint32_t)p, r, rp);
	link_end(r, rp, l, (uint32_t)p);
	return p;
}

int evtchn_bind_virq(struct evtchn_table *t, uint32_t virq, uint32_t vcpu)
{
	unsigned kind = virq < LAMINA_NR_VIRQS ? virq_kind[virq] : 0;

	if (!kind || ((kind & VIRQ_GLOBAL) && vcpu != 0) ||
	    ((kind & VIRQ_HOST) && t->domid != LAMINA_DOMID_HOST))
		return -LAMINA_EINVAL;
	if (vcpu >= t->nr_vcpus)
		return -LAMINA_ENOENT;
	if (t->virq[vcpu][virq])
		return -LAMINA_EEXIST;
	int p = alloc_port(t, LAMINA_EVTCHNSTAT_VIRQ);
	if (p < 0)
		return p;
	t->port[p].virq = (uint8_t)virq;
	t->port[p].vcpu = vcpu;
	t->virq[vcpu][virq] = (uint32_t)p;
	return p;
}

int evtchn_bind_ipi(struct evtchn_table *t, uint32_t vcpu)
{
	if (vcpu >= t->nr_vcpus)
		return -LAMINA_ENOENT;
	int p = alloc_port(t, LAMINA_EVTCHNSTAT_IPI);
	if (p > 0)
		__atomic_store_n(&t->port[p].vcpu, vcpu, __ATOMIC_RELAXED);
	return p;
}

int evtchn_bind_vcpu(struct evtchn_table *t, uint32_t p, uint32_t vcpu)
{
	struct evtchn_port *pt = evtchn_get(t, p);

	if (!pt)
		return -LAMINA_EBADF;
	if (vcpu >= t->nr_vcpus)
		return -LAMINA_ENOENT;
	if (pt->state == LAMINA_EVTCHNSTAT_IPI ||
	    (pt->state == LAMINA_EVTCHNSTAT_VIRQ && !evtchn_virq_global(pt->virq)))
		return -LAMINA_EINVAL;
	__atomic_store_n(&pt->vcpu, vcpu, __ATOMIC_RELAXED);
	return 0;
}

uint32_t evtchn_virq_port(struct evtchn_table *t, uint32_t vcpu, uint32_t virq)
{
	if (virq >= LAMINA_NR_VIRQS)
		return 0;
	if (evtchn_virq_global(virq))
		vcpu = 0;
	return vcpu < t->nr_vcpus ? t->virq[vcpu][virq] : 0;
}

int evtchn_close(struct evtchn_table *t, uint32_t p)
{
	struct evtchn_port *pt = evtchn_get(t, p);

	if (!pt)
		return -LAMINA_EBADF;
	if (pt->state == LAMINA_EVTCHNSTAT_INTERDOMAIN) {
		struct evtchn_port *peer = &pt->rtab->port[pt->rport];
		peer->rdom = t->domid;
		peer->rport = 0;
		peer->rtab = NULL;
		peer->fast = false;
		set_state(peer, LAMINA_EVTCHNSTAT_UNBOUND);
	}
	if (pt->state == LAMINA_EVTCHNSTAT_VIRQ)
		t->virq[evtchn_virq_global(pt->virq) ? 0 : pt->vcpu][pt->virq] = 0;
	set_state(pt, LAMINA_EVTCHNSTAT_CLOSED);
	pt->efd = -1;
	pt->fast = false;
	return 0;
}

void evtchn_status(struct evtchn_table *t, uint32_t p, struct lamina_evtchn_status *st)
{
	struct evtchn_port *pt = evtchn_get(t, p);

	memset(&st->u, 0, sizeof(st->u));
	st->status = pt ? pt->state : LAMINA_EVTCHNSTAT_CLOSED;
	st->vcpu = pt ? pt->vcpu : 0;
	if (!pt)
		return;
	if (pt->state == LAMINA_EVTCHNSTAT_UNBOUND)
		st->u.unbound.dom = pt->rdom;
	if (pt->state == LAMINA_EVTCHNSTAT_INTERDOMAIN) {
		st->u.interdomain.dom = pt->rdom;
		st->u.interdomain.port = pt->rport;
	}
	if (pt->state == LAMINA_EVTCHNSTAT_VIRQ)
		st->u.virq = pt->virq;
}
