// SPDX-License-Identifier: MIT
// evtchn.h: event channel internals: the pure per-domain port table (evtchn.c) and the locked operations on it (event.c, event_link.c).
#ifndef HV_EVTCHN_H
#define HV_EVTCHN_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <lamina/event_channel.h>

struct domain;
struct hv;

/*
 * Locks, outermost first:
 * 1. the instance's link lock (event_link.c): held by every operation that
 *    links or unlinks two tables, frees a table, or reaches a table of
 *    another domain by id, so a table reached through a link or the
 *    registry cannot be freed while it is in use;
 * 2. table locks, two at a time only in evtchn_lock2() order (domain id);
 * 3. a domain's d->lock (vcpu_upcall() takes it during delivery).
 * Sending takes only the sender's table lock: while the sender's port is
 * linked, the peer table cannot be unlinked or freed (that needs the
 * sender's lock), so delivery into the peer needs no lock of its own.
 */

/* One port. state and vcpu are written under the table lock with atomic
 * stores and may be read without it (atomic loads); the rest is t->lock. */
struct evtchn_port {
	uint8_t state;              /* LAMINA_EVTCHNSTAT_* */
	uint8_t virq;               /* VIRQ: which LAMINA_VIRQ_* */
	bool fast;                  /* linked to a host port: doorbell ioeventfd registered */
	uint16_t rdom;              /* UNBOUND: who may connect; INTERDOMAIN: peer's domain */
	uint32_t vcpu;              /* vCPU events are delivered to */
	uint32_t rport;             /* INTERDOMAIN: peer's port */
	struct evtchn_table *rtab;  /* INTERDOMAIN: peer's table (valid while linked) */
	int efd;                    /* host table: eventfd signalled on events, else -1 */
};

/* A domain's ports 1..limit-1. Fields without a lock note are constant. */
struct evtchn_table {
	pthread_mutex_t lock;
	uint16_t domid;
	uint32_t limit;             /* one past the highest port */
	uint32_t nr_vcpus;
	struct domain *owner;       /* guest domain delivered to; NULL for the host (domain 0) */
	uint32_t (*virq)[LAMINA_NR_VIRQS]; /* [vcpu][virq] -> port, 0 = not bound (lock) */
	struct evtchn_port *port;   /* [limit] (lock, see struct evtchn_port) */
};

/* Pure table logic (evtchn.c). Unless noted, callers hold t->lock; ops
 * that link two tables need both locks (evtchn_lock2). Each returns a port
 * or 0 on success, or -LAMINA_E*. */

/* nports ports (1..nports; 0 = LAMINA_EVTCHN_DEFAULT_LIMIT, capped at the
 * bitmap size). NULL if out of memory. No lock needed. */
struct evtchn_table *evtchn_table_new(uint16_t domid, uint32_t nports,
				      uint32_t nr_vcpus, struct domain *owner);
void evtchn_table_free(struct evtchn_table *t);   /* memory only */
void evtchn_lock2(struct evtchn_table *a, struct evtchn_table *b);
void evtchn_unlock2(struct evtchn_table *a, struct evtchn_table *b);

/* The open port p of t, or NULL (p == 0, p >= limit, or closed). */
struct evtchn_port *evtchn_get(struct evtchn_table *t, uint32_t p);
/* State of p without the lock (CLOSED for p out of range). */
unsigned evtchn_state(struct evtchn_table *t, uint32_t p);
uint32_t evtchn_vcpu(struct evtchn_table *t, uint32_t p);  /* lock-free */

bool evtchn_virq_global(unsigned virq);
int evtchn_alloc_unbound(struct evtchn_table *t, uint16_t rdom);
/* New port of l linked to r's unbound port rp, which must be allocated for
 * l's domain (-LAMINA_EINVAL otherwise). Both locks held. */
int evtchn_bind_interdomain(struct evtchn_table *l, struct evtchn_table *r, uint32_t rp);
int evtchn_bind_virq(struct evtchn_table *t, uint32_t virq, uint32_t vcpu);
int evtchn_bind_ipi(struct evtchn_table *t, uint32_t vcpu);
int evtchn_bind_vcpu(struct evtchn_table *t, uint32_t p, uint32_t vcpu);
/* Port bound to virq on vcpu (global VIRQs: on vCPU 0), or 0. */
uint32_t evtchn_virq_port(struct evtchn_table *t, uint32_t vcpu, uint32_t virq);
/* Free p; an interdomain peer becomes unbound, allocated for t's domain
 * (the peer's lock must be held too). -LAMINA_EBADF if p is not open. */
int evtchn_close(struct evtchn_table *t, uint32_t p);
void evtchn_status(struct evtchn_table *t, uint32_t p, struct lamina_evtchn_status *st);

/* Delivery shared by event.c (which defines them) and event_link.c. */
/* Make port p of t pending: a guest port (bits, selector, upcall), or a host
 * port's eventfd. The caller holds t->lock or the lock of a port linked to p. */
void evt_notify_end(struct evtchn_table *t, uint32_t p);
/* A port just allocated or closed: masked and not pending. t->lock held. */
void evt_bits_reset(struct evtchn_table *t, uint32_t p);

/* Locked operations with delivery (send, unmask: event.c; the rest:
 * event_link.c), called by hc_evtchn.c with the caller's domain and
 * arguments already decoded (LAMINA_DOMID_SELF replaced by the caller's id). Each returns a port or 0, or -LAMINA_E*. */
int evt_op_alloc_unbound(struct domain *c, unsigned dom, unsigned rdom);
int evt_op_bind_interdomain(struct domain *c, unsigned rdom, uint32_t rport);
int evt_op_bind_virq(struct domain *c, uint32_t virq, uint32_t vcpu);
int evt_op_bind_ipi(struct domain *c, uint32_t vcpu);
int evt_op_bind_vcpu(struct domain *c, uint32_t port, uint32_t vcpu);
int evt_op_send(struct domain *c, uint32_t port);
int evt_op_close(struct domain *c, uint32_t port);
int evt_op_status(struct domain *c, unsigned dom, struct lamina_evtchn_status *st);
int evt_op_unmask(struct domain *c, uint32_t port);
int evt_op_reset(struct domain *c, unsigned dom);

/*
 * Host API: the domain 0 end of a channel belongs to host code (store,
 * console back-end, PV back-ends). Each host port owns an eventfd that is
 * signalled (counter += 1) whenever its guest end sends, whether the
 * guest's doorbell is swallowed by KVM (an ioeventfd with datamatch = the
 * guest port is registered while the ports are linked) or reaches
 * user space (hcall_doorbell()). Host code reads and polls the eventfd, never closes
 * it; evt_host_close() does. Call these without any event or domain lock,
 * and only while the guest domain exists (before hv_destroy()).
 * If the guest closes its end (or is destroyed) the host port stays open,
 * unbound and allocated for the guest, which may reconnect to it with
 * BIND_INTERDOMAIN; host code still calls evt_host_close() to free it.
 * (evt_host_notify: event.c; the rest: event_link.c.)
 */
/* New connected pair: a host port and a guest port (masked, not pending,
 * delivered to vCPU 0). 0 or -LAMINA_ENOSPC / -LAMINA_ENOMEM / -LAMINA_ESRCH. */
int evt_host_alloc(struct domain *guest, uint32_t *guest_port, int *efd);
/* Connect a new host port to guest_port, which the guest allocated with
 * ALLOC_UNBOUND for domain 0; the guest end is made pending once.
 * 0 or -LAMINA_EINVAL (not unbound for domain 0) / -LAMINA_ENOSPC / ... */
int evt_host_bind(struct domain *guest, uint32_t guest_port, int *efd);
/* Host -> guest: make guest_port pending (and upcall) if it is linked to
 * a host port; otherwise nothing. */
void evt_host_notify(struct domain *guest, uint32_t guest_port);
/* Close the host port that owns efd (its guest end becomes unbound,
 * allocated for domain 0) and close efd. Nothing if efd owns no port. */
void evt_host_close(struct hv *hv, int efd);
/* hv_close(), after its domains are gone: close every host port still open
 * (and its eventfd) and free hv's event channel state. (Also in event.h.) */
void evt_hv_close(struct hv *hv);
#endif
