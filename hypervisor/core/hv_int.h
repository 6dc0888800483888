// SPDX-License-Identifier: MIT
// hv_int.h: the hypervisor instance (all domains of one process) and cross-file helpers.
#ifndef HV_HV_INT_H
#define HV_HV_INT_H
#include "dom.h"

#define HV_MAX_DOMS 64      /* domains at once */
#define HV_MAX_DOMID 1024   /* domain ids are 1..HV_MAX_DOMID-1; tables are indexed by id */

struct hv {
	int kvm;                          /* /dev/kvm */
	pthread_mutex_t lock;             /* guards doms[] */
	struct domain *doms[HV_MAX_DOMS]; /* slots 1.. hold domains (any id); 0 unused */
};

struct domain *hv_domain_get(struct hv *hv, unsigned id);  /* NULL if none */
void dom_shutdown(struct domain *d, int reason);
void vcpu_set_deadline(struct vcpu *v, int64_t deadline);  /* 0 cancels */
void vcpu_retime(struct vcpu *v);     /* v's timers changed; call without d->lock */
void vcpu_upcall(struct vcpu *v);     /* takes d->lock: call without it */
void *hv_page_alloc(void);
void hv_page_free(void *p);
/* A zeroed page of hypervisor memory another process can map: a sealed
 * one-page memfd (it can neither grow nor shrink) in *fd, mapped here.
 * NULL on failure. Free with hv_page_free() and close(*fd). (mem.c) */
void *hv_page_alloc_fd(const char *name, int *fd);
struct lamina_vcpu_runstate_info;
int vcpu_route_upcalls(struct domain *d);   /* d->lock held */
void runstate_set(struct vcpu *v, int state);
void runstate_snapshot(struct vcpu *v, struct lamina_vcpu_runstate_info *ri);
void runstate_publish(struct vcpu *v);
void runstate_set_area(struct vcpu *v, uint64_t gpa);   /* 0 unregisters; none written after */
#endif
