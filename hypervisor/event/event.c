// SPDX-License-Identifier: MIT
// event.c: event channel delivery: pending/mask bits, selectors and upcalls, and the operations that only send (send, unmask, host notify, VIRQs).
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "event.h"
#include "evtchn.h"
#include "hv_int.h"
#include "mem.h"

/* ---- Delivery (event_channel.h "Delivery"); no table lock needed ---- */

static struct lamina_shared_info *shinfo(struct domain *d)
{
	return (struct lamina_shared_info *)d->shinfo;
}

/* Where delivery writes v's selector and flags: the registered vcpu_info,
 * else v's shared_info slot (even before the guest maps the page, so an
 * event raised early is not lost). */
static struct lamina_vcpu_info *vinfo(struct vcpu *v)
{
	uint64_t gpa = __atomic_load_n(&v->vcpu_info_gpa, __ATOMIC_ACQUIRE);

	if (gpa != ~0ull)
		return gpa % 64 ? NULL : mem_gpa(v->d, gpa, sizeof(struct lamina_vcpu_info));
	if (!v->d->shinfo || v->id < 0 || v->id >= (int)LAMINA_SHINFO_VCPUS)
		return NULL;
	return &shinfo(v->d)->vcpu_info[v->id];
}

/* Wake d's sleepers (BLOCK, POLL) without injecting anything. */
static void wake(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	dom_wake_all(d);
	pthread_mutex_unlock(&d->lock);
}

/* Steps 3-4: selector bit word, upcall_pending, wake, inject unless masked. */
static void upcall(struct domain *d, uint32_t vcpu, unsigned word)
{
	if (vcpu >= (uint32_t)d->nr_vcpus)
		return;
	struct vcpu *v = &d->vcpu[vcpu];
	pthread_mutex_lock(&v->info_lock);
	struct lamina_vcpu_info *vi = vinfo(v);
	if (vi) {
		__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << word, __ATOMIC_SEQ_CST);
		__atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	}
	bool masked = vi && __atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&v->info_lock);
	if (masked)
		wake(d);
	else
		vcpu_upcall(v);
}

/* Steps 1-4 for port p of d, delivered to vCPU vcpu. A masked port still
 * wakes d's sleepers so that a POLL on it returns. */
static void deliver(struct domain *d, uint32_t p, uint32_t vcpu)
{
	struct lamina_shared_info *si = shinfo(d);
	uint64_t bit = 1ull << (p % 64);

	if (!si || p >= LAMINA_EVTCHN_PORTS_MAX)
		return;
	if (__atomic_fetch_or(&si->evtchn_pending[p / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return;   /* coalesced */
	if (__atomic_load_n(&si->evtchn_mask[p / 64], __ATOMIC_SEQ_CST) & bit) {
		wake(d);   /* no upcall, but sched_op POLL waits on masked ports too */
		return;
	}
	upcall(d, vcpu, p / 64);
}

static void efd_signal(int efd)
{
	uint64_t one = 1;

	if (efd >= 0 && write(efd, &one, sizeof(one)) != sizeof(one))
		return;   /* counter saturated: the reader has an event already */
}

/* Make port p of t pending: a guest port, or a host port's eventfd. The
 * caller holds t->lock or the lock of a port linked to p. */
void evt_notify_end(struct evtchn_table *t, uint32_t p)
{
	if (t->owner)
		deliver(t->owner, p, evtchn_vcpu(t, p));
	else
		efd_signal(t->port[p].efd);
}

/* A port just allocated or closed: masked and not pending. t->lock held. */
void evt_bits_reset(struct evtchn_table *t, uint32_t p)
{
	struct lamina_shared_info *si = t->owner ? shinfo(t->owner) : NULL;
	uint64_t bit = 1ull << (p % 64);

	if (!si)
		return;
	__atomic_fetch_or(&si->evtchn_mask[p / 64], bit, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&si->evtchn_pending[p / 64], ~bit, __ATOMIC_SEQ_CST);
}

/* ---- The interface of event.h ---- */

struct lamina_vcpu_info *evt_vcpu_info(struct vcpu *v)
{
	if (__atomic_load_n(&v->vcpu_info_gpa, __ATOMIC_ACQUIRE) == ~0ull &&
	    __atomic_load_n(&v->d->shinfo_gfn, __ATOMIC_ACQUIRE) == ~0ull)
		return NULL;
	return vinfo(v);
}

bool evt_upcall_pending(struct vcpu *v)
{
	struct lamina_vcpu_info *vi = vinfo(v);

	return vi && __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST);
}

int evt_port_pending(struct domain *d, uint32_t port)
{
	if (!d->evt || !d->shinfo || evtchn_state(d->evt, port) == LAMINA_EVTCHNSTAT_CLOSED)
		return -LAMINA_EBADF;
	uint64_t w = __atomic_load_n(&shinfo(d)->evtchn_pending[port / 64], __ATOMIC_SEQ_CST);
	return (int)(w >> (port % 64) & 1);
}

void evt_set_pending(struct domain *d, uint32_t port)
{
	struct evtchn_table *t = d->evt;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	if (evtchn_get(t, port))
		deliver(d, port, evtchn_vcpu(t, port));
	pthread_mutex_unlock(&t->lock);
}

void evt_raise_virq(struct domain *d, int vcpu, unsigned virq)
{
	struct evtchn_table *t = d->evt;

	if (!t || vcpu < 0)
		return;
	pthread_mutex_lock(&t->lock);
	uint32_t p = evtchn_virq_port(t, (uint32_t)vcpu, virq);
	if (p)
		deliver(d, p, evtchn_vcpu(t, p));
	pthread_mutex_unlock(&t->lock);
}

/* ---- Sending (evtchn.h): the sender's table lock only ---- */

/* Interdomain: peer pending; IPI: this port pending; unbound: nothing. */
int evt_op_send(struct domain *c, uint32_t port)
{
	struct evtchn_table *t = c->evt;
	int rc = 0;

	if (!t)
		return -LAMINA_EBADF;
	pthread_mutex_lock(&t->lock);
	struct evtchn_port *pt = evtchn_get(t, port);
	if (!pt)
		rc = -LAMINA_EBADF;
	else if (pt->state == LAMINA_EVTCHNSTAT_VIRQ)
		rc = -LAMINA_EINVAL;
	else if (pt->state == LAMINA_EVTCHNSTAT_IPI)
		deliver(c, port, pt->vcpu);
	else if (pt->state == LAMINA_EVTCHNSTAT_INTERDOMAIN)
		evt_notify_end(pt->rtab, pt->rport);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* Clear the mask bit; if the port is pending redo steps 3-4. */
int evt_op_unmask(struct domain *c, uint32_t port)
{
	struct evtchn_table *t = c->evt;
	struct lamina_shared_info *si = shinfo(c);
	uint64_t bit = 1ull << (port % 64);
	int rc = 0;

	if (!t || !si)
		return -LAMINA_EBADF;
	pthread_mutex_lock(&t->lock);
	if (!evtchn_get(t, port)) {
		rc = -LAMINA_EBADF;
	} else {
		__atomic_fetch_and(&si->evtchn_mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&si->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & bit)
			upcall(c, evtchn_vcpu(t, port), port / 64);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void evt_host_notify(struct domain *guest, uint32_t guest_port)
{
	struct evtchn_table *t = guest->evt;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	struct evtchn_port *pt = evtchn_get(t, guest_port);
	if (pt && pt->state == LAMINA_EVTCHNSTAT_INTERDOMAIN && !pt->rtab->owner)
		deliver(guest, guest_port, pt->vcpu);
	pthread_mutex_unlock(&t->lock);
}

/* True if port is linked to a host port, so KVM should have swallowed its
 * doorbell (ioeventfd). Lock-free: for counting fast-path misses only. */
bool evt_port_fast(struct domain *d, uint32_t port)
{
	struct evtchn_table *t = d->evt;

	if (!t || evtchn_state(t, port) != LAMINA_EVTCHNSTAT_INTERDOMAIN)
		return false;
	return __atomic_load_n(&t->port[port].fast, __ATOMIC_ACQUIRE);
}
