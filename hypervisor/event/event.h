// SPDX-License-Identifier: MIT
// event.h: event channels: the per-domain port table, pending/mask bits in shared_info, upcalls.
#ifndef HV_EVENT_H
#define HV_EVENT_H
#include <stdbool.h>
#include "dom.h"

int evt_domain_init(struct domain *d);     /* table sized by d->lim.evtchns */
void evt_domain_free(struct domain *d);    /* closes ports, notifies peers */
void evt_hv_close(struct hv *hv);          /* hv_close: host ports left open */

/* Mark port pending in d and deliver an upcall to the vCPU it is bound to if
 * the port is unmasked (sets that vCPU's selector and upcall_pending, then
 * vcpu_upcall()). Safe from any thread that does not hold d->lock.
 * Lock order: the event table's own lock, then d->lock (vcpu_upcall takes
 * it); never the table lock while holding d->lock. */
void evt_set_pending(struct domain *d, uint32_t port);
/* Raise a VIRQ (timer, console, ...) on vCPU vcpu if the guest bound it. */
void evt_raise_virq(struct domain *d, int vcpu, unsigned virq);
/* Port is linked to a host port (its doorbell should never reach user space). */
bool evt_port_fast(struct domain *d, uint32_t port);

/* For sched_op: the vcpu_info of v (shared_info slot or registered). NULL
 * before the guest mapped shared_info and registered nothing. */
struct lamina_vcpu_info *evt_vcpu_info(struct vcpu *v);
/* The next two take no lock: sched_op calls them under d->lock. */
bool evt_upcall_pending(struct vcpu *v);   /* evtchn_upcall_pending set */
/* 1 if port is pending in d, 0 if not, -LAMINA_EBADF if not open. */
int evt_port_pending(struct domain *d, uint32_t port);
#endif
