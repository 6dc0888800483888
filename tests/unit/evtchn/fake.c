// SPDX-License-Identifier: MIT
// fake.c: test doubles for what event.c, event_link.c and hc_evtchn.c call outside themselves (upcalls, guest memory, KVM), and fake domains.
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "fake.h"
#include "hcall.h"
#include "kvm.h"
#include "mem.h"

struct fake_log fake;

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake_gmem_reset();
}

/* ---- Doubles ---- */

/* Records the upcall; event.h forbids calling it with d->lock held, which
 * single-threaded tests see as a busy lock. */
void vcpu_upcall(struct vcpu *v)
{
	if (pthread_mutex_trylock(&v->d->lock) == 0) {
		dom_wake_all(v->d);
		pthread_mutex_unlock(&v->d->lock);
	} else if (!fake.threads) {
		ck_abort_msg("vcpu_upcall() called with d->lock held");
	}
	__atomic_fetch_add(&fake.upcalls[v->d->id][v->id], 1, __ATOMIC_RELAXED);
}

void dom_wake_all(struct domain *d)
{
	__atomic_fetch_add(&fake.wakes[d->id], 1, __ATOMIC_RELAXED);
}

void *mem_gpa(struct domain *d, uint64_t gpa, size_t len)
{
	if (!d->ram || len == 0 || gpa >= d->ram_bytes || len > d->ram_bytes - gpa)
		return NULL;
	return d->ram + gpa;
}

int fake_ioev_find(int vm, uint32_t match)
{
	for (int i = 0; i < fake.nr_ioev; i++)
		if (fake.ioev[i].vm == vm && fake.ioev[i].match == match)
			return i;
	return -1;
}

/* Like KVM: one registration per (vm, port, datamatch). */
int kvm_ioeventfd(int vm, int efd, uint16_t port, uint32_t match, int deassign)
{
	int i = fake_ioev_find(vm, match);

	ck_assert_uint_eq(port, HC_DOORBELL);
	if (fake.ioev_fail || (deassign ? i < 0 : i >= 0) || fake.nr_ioev == FAKE_MAX_IOEV) {
		errno = deassign ? ENOENT : EEXIST;
		return -1;
	}
	if (deassign) {
		ck_assert_int_eq(fake.ioev[i].efd, efd);
		fake.ioev[i] = fake.ioev[--fake.nr_ioev];
		return 0;
	}
	fake.ioev[fake.nr_ioev].vm = vm;
	fake.ioev[fake.nr_ioev].efd = efd;
	fake.ioev[fake.nr_ioev++].match = match;
	return 0;
}

/* ---- Fake domains ---- */

void fake_hv_free(struct hv *hv) { free(hv); }

static struct domain *dom_common(struct hv *hv, uint16_t id, int vcpus)
{
	struct domain *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	d->hv = hv;
	d->id = id;
	d->nr_vcpus = vcpus;
	d->vmfd = 1000 + id;
	d->shinfo_gfn = ~0ull;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	for (int i = 0; i < vcpus; i++) {
		d->vcpu[i].d = d;
		d->vcpu[i].id = i;
		d->vcpu[i].irq_efd = -1;
		d->vcpu[i].vcpu_info_gpa = ~0ull;
		pthread_mutex_init(&d->vcpu[i].info_lock, NULL);
	}
	hv->doms[id] = d;
	return d;
}

/* Shared_info as dom.c leaves it, but with upcalls unmasked. */
struct domain *fake_dom(struct hv *hv, uint16_t id, int vcpus, unsigned evtchns)
{
	struct domain *d = dom_common(hv, id, vcpus);

	d->lim.evtchns = evtchns;
	d->shinfo = aligned_alloc(4096, 4096);
	d->ram = aligned_alloc(4096, FAKE_RAM);
	ck_assert(d->shinfo && d->ram);
	memset(d->shinfo, 0, 4096);
	memset(d->ram, 0, FAKE_RAM);
	d->ram_bytes = FAKE_RAM;
	memset(si_of(d)->evtchn_mask, 0xff, sizeof(si_of(d)->evtchn_mask));
	si_of(d)->domid = id;
	ck_assert_int_eq(evt_domain_init(d), 0);
	ck_assert_ptr_nonnull(d->evt);
	return d;
}

struct domain *fake_dom0(struct hv *hv) { return dom_common(hv, 0, 1); }

void fake_dom_free(struct domain *d)
{
	if (d->evt)
		evt_domain_free(d);
	ck_assert_ptr_null(d->evt);
	d->hv->doms[d->id] = NULL;
	free(d->shinfo);
	free(d->ram);
	free(d);
}

struct lamina_shared_info *si_of(struct domain *d) { return (void *)d->shinfo; }

/* ---- Hypercall helpers ---- */

int64_t eop(struct domain *d, int vcpu, unsigned cmd, void *arg)
{
	const uint64_t a[5] = { cmd, (uint64_t)(uintptr_t)arg, 0, 0, 0 };

	return hc_event_channel_op(&d->vcpu[vcpu], a);
}

int64_t eop_va(struct domain *d, unsigned cmd, uint64_t va)
{
	const uint64_t a[5] = { cmd, va, 0, 0, 0 };

	return hc_event_channel_op(&d->vcpu[0], a);
}

int64_t alloc_unbound(struct domain *d, lamina_domid_t dom, lamina_domid_t remote)
{
	struct lamina_evtchn_alloc_unbound op = { .dom = dom, .remote_dom = remote, .port = 0 };
	int64_t rc = eop(d, 0, LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op);

	return rc < 0 ? rc : op.port;
}

int64_t bind_interdomain(struct domain *d, lamina_domid_t rdom, uint32_t rport)
{
	struct lamina_evtchn_bind_interdomain op = { .remote_dom = rdom, .remote_port = rport };
	int64_t rc = eop(d, 0, LAMINA_EVTCHNOP_BIND_INTERDOMAIN, &op);

	return rc < 0 ? rc : op.local_port;
}

int64_t bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu)
{
	struct lamina_evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	int64_t rc = eop(d, 0, LAMINA_EVTCHNOP_BIND_VIRQ, &op);

	return rc < 0 ? rc : op.port;
}

int64_t bind_ipi(struct domain *d, uint32_t vcpu)
{
	struct lamina_evtchn_bind_ipi op = { .vcpu = vcpu };
	int64_t rc = eop(d, 0, LAMINA_EVTCHNOP_BIND_IPI, &op);

	return rc < 0 ? rc : op.port;
}

int64_t port_op(struct domain *d, unsigned cmd, uint32_t port)
{
	struct lamina_evtchn_port op = { .port = port };

	return eop(d, 0, cmd, &op);
}

int64_t status_of(struct domain *d, lamina_domid_t dom, uint32_t port,
		  struct lamina_evtchn_status *st)
{
	memset(st, 0xa5, sizeof(*st));
	st->dom = dom;
	st->pad = 0;
	st->port = port;
	return eop(d, 0, LAMINA_EVTCHNOP_STATUS, st);
}

bool pending(struct domain *d, uint32_t port)
{
	return si_of(d)->evtchn_pending[port / 64] >> (port % 64) & 1;
}

bool masked(struct domain *d, uint32_t port)
{
	return si_of(d)->evtchn_mask[port / 64] >> (port % 64) & 1;
}

void unmask_bits(struct domain *d, uint32_t port)
{
	si_of(d)->evtchn_mask[port / 64] &= ~(1ull << (port % 64));
}

int64_t doorbell(struct vcpu *v, uint32_t port)
{
	const uint64_t a[5] = { port, 0, 0, 0, 0 };

	return hc_event_send(v, a);
}
