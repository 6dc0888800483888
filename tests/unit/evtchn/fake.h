// SPDX-License-Identifier: MIT
// fake.h: a KVM-free fake hypervisor instance and domains for the event channel unit tests, and what the test doubles recorded.
#ifndef EVT_TEST_FAKE_H
#define EVT_TEST_FAKE_H
#include <lamina/event_channel.h>
#include <lamina/shared_info.h>
#include "event.h"
#include "evtchn.h"
#include "hcall.h"
#include "hv_int.h"
#include "../fakes.h"

#define FAKE_RAM (16 * 4096)
#define FAKE_MAX_IOEV 64

/* What the doubles saw; reset by fake_reset(). */
struct fake_log {
	int upcalls[HV_MAX_DOMS][HV_MAX_VCPUS]; /* vcpu_upcall() calls */
	int wakes[HV_MAX_DOMS];                 /* dom_wake_all() calls */
	bool threads;                           /* other threads may hold d->lock */
	bool ioev_fail;                         /* make kvm_ioeventfd() fail */
	struct { int vm, efd; uint32_t match; } ioev[FAKE_MAX_IOEV];
	int nr_ioev;                            /* registered ioeventfds */
};
extern struct fake_log fake;

void fake_reset(void);                  /* fake and fake_gmem */
void fake_hv_free(struct hv *hv);
/* A guest with its table (ck_assert that evt_domain_init succeeded). */
struct domain *fake_dom(struct hv *hv, uint16_t id, int vcpus, unsigned evtchns);
/* Domain 0 as a caller: no table, no shared_info. */
struct domain *fake_dom0(struct hv *hv);
void fake_dom_free(struct domain *d);
struct lamina_shared_info *si_of(struct domain *d);
/* Index of the ioeventfd with this datamatch and vm, or -1. */
int fake_ioev_find(int vm, uint32_t match);

/* A doorbell that reached user space, as vcpu.c hands it to the table
 * (hcall_doorbell): event_send(port) by value. */
int64_t doorbell(struct vcpu *v, uint32_t port);
/* Hypercall helpers: event_channel_op(cmd, arg) on vCPU vcpu of d. */
int64_t eop(struct domain *d, int vcpu, unsigned cmd, void *arg);
int64_t eop_va(struct domain *d, unsigned cmd, uint64_t va);
/* Shortcuts returning the OUT port or the error. */
int64_t alloc_unbound(struct domain *d, lamina_domid_t dom, lamina_domid_t remote);
int64_t bind_interdomain(struct domain *d, lamina_domid_t rdom, uint32_t rport);
int64_t bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu);
int64_t bind_ipi(struct domain *d, uint32_t vcpu);
int64_t port_op(struct domain *d, unsigned cmd, uint32_t port);
int64_t status_of(struct domain *d, lamina_domid_t dom, uint32_t port,
		  struct lamina_evtchn_status *st);
bool pending(struct domain *d, uint32_t port);
bool masked(struct domain *d, uint32_t port);
void unmask_bits(struct domain *d, uint32_t port);   /* as the guest would, no hypercall */
#endif
