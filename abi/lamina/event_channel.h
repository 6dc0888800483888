/* SPDX-License-Identifier: MIT */
/* Lamina ABI: event channels: the event_channel_op and event_send hypercalls and the delivery protocol. */
#ifndef LAMINA_EVENT_CHANNEL_H
#define LAMINA_EVENT_CHANNEL_H

#include "types.h"

/**
 * ## Event channels
 *
 * An event channel is a one-bit, edge-style doorbell. A domain refers to
 * its end by a *port* (1 .. N for a domain allowed N ports; port 0 is
 * never valid). A port is
 * bound to one source:
 * - *interdomain*: connected to a port of another domain (`send` on either
 *   end makes the other end pending);
 * - *VIRQ*: raised by the hypervisor (timer, console, ...);
 * - *IPI*: `send` on it makes it pending on its own vCPU.
 *
 * **Delivery.** Each port is bound to one vCPU (vCPU 0 unless moved with
 * `BIND_VCPU`). To make port p pending the hypervisor:
 * 1. atomically sets bit p in shared_info `evtchn_pending`; if it was
 *    already set, stops (events coalesce);
 * 2. if bit p in `evtchn_mask` is set, stops;
 * 3. atomically sets bit p / 64 in the vCPU's `evtchn_pending_sel`;
 * 4. sets the vCPU's `evtchn_upcall_pending` to 1, wakes it if it is in
 *    `BLOCK`, and, if its `evtchn_upcall_mask` is 0 and an upcall vector is
 *    set, injects that vector.
 *
 * The guest's upcall handler: write `evtchn_upcall_pending = 0`; take
 * `sel = xchg(&evtchn_pending_sel, 0)`; for each set bit w of sel, for each
 * bit b of `evtchn_pending[w] & ~evtchn_mask[w]`: atomically clear pending
 * bit b *before* handling port w * 64 + b (so a send during handling
 * re-raises it); repeat while `evtchn_upcall_pending` is set again.
 *
 * **Masking.** The guest sets mask bits itself (atomic OR). To unmask it
 * uses `EVTCHNOP_UNMASK`, which clears the bit and, if the port is pending,
 * redoes steps 3-4 so the event is not lost. New ports start masked and not
 * pending.
 *
 * **Limits.** A domain has at most `LAMINA_EVTCHN_DEFAULT_LIMIT` ports
 * (ports 1..1023) unless its configuration says otherwise, and never more
 * than the shared_info bitmaps hold (`LAMINA_EVTCHN_PORTS_MAX`).
 */
#define LAMINA_EVTCHN_DEFAULT_LIMIT 1023u

/** VIRQs. Per-vCPU ones may be bound once on each vCPU; global ones once per domain, on vCPU 0. */
#define LAMINA_VIRQ_TIMER   0 /* per-vCPU: one-shot or periodic timer fired */
#define LAMINA_VIRQ_DEBUG   1 /* per-vCPU: hypervisor asks for a state dump */
#define LAMINA_VIRQ_CONSOLE 2 /* global, domain 0 only: console input waiting */
#define LAMINA_VIRQ_DOM_EXC 3 /* global, domain 0 only: a domain shut down */
#define LAMINA_NR_VIRQS     8

/**
 * ## Hypercall `event_channel_op` (7)
 *
 * `long event_channel_op(cmd, arg)`; arg points to the structure named for
 * each command. Every command returns 0 on success. Common errors:
 * `-LAMINA_EBADF` (a port argument is not open in the caller),
 * `-LAMINA_ENOSPC` (no free port below the limit), `-LAMINA_EFAULT`.
 *
 * - `LAMINA_EVTCHNOP_ALLOC_UNBOUND` (`struct lamina_evtchn_alloc_unbound`):
 *   allocates a port in `dom` that `remote_dom` may later connect to with
 *   `BIND_INTERDOMAIN`. OUT `port`. Errors: `-LAMINA_ESRCH` (no such
 *   remote_dom), `-LAMINA_EPERM` (`dom` is not the caller and the caller is
 *   not domain 0).
 * - `LAMINA_EVTCHNOP_BIND_INTERDOMAIN` (`struct lamina_evtchn_bind_interdomain`):
 *   connects a new local port to `remote_port` of `remote_dom`, which must
 *   be unbound and allocated for the caller. OUT `local_port`. Both ends are
 *   now interdomain; the remote end is made pending once so its owner sees
 *   the connection. Errors: `-LAMINA_ESRCH`, `-LAMINA_EINVAL` (remote port
 *   not unbound, or not allocated for the caller).
 * - `LAMINA_EVTCHNOP_BIND_VIRQ` (`struct lamina_evtchn_bind_virq`): binds
 *   `virq` on vCPU `vcpu` to a new port. OUT `port`. Errors:
 *   `-LAMINA_EINVAL` (no such VIRQ, a global VIRQ with vcpu != 0, or a
 *   domain-0-only VIRQ in another domain), `-LAMINA_ENOENT` (no such vCPU),
 *   `-LAMINA_EEXIST` (already bound there).
 * - `LAMINA_EVTCHNOP_BIND_IPI` (`struct lamina_evtchn_bind_ipi`): new port
 *   that signals vCPU `vcpu` of the caller. OUT `port`. Errors:
 *   `-LAMINA_ENOENT`.
 * - `LAMINA_EVTCHNOP_BIND_VCPU` (`struct lamina_evtchn_bind_vcpu`): from now
 *   on deliver `port` to vCPU `vcpu`. Errors: `-LAMINA_ENOENT`,
 *   `-LAMINA_EINVAL` (per-vCPU VIRQ or IPI ports cannot move).
 * - `LAMINA_EVTCHNOP_SEND` (`struct lamina_evtchn_port`): interdomain: makes
 *   the remote port pending; IPI: makes this port pending; unbound (peer
 *   closed or not connected yet): does nothing. Errors: `-LAMINA_EINVAL`
 *   (a VIRQ port).
 * - `LAMINA_EVTCHNOP_CLOSE` (`struct lamina_evtchn_port`): frees the port;
 *   an interdomain peer's port becomes unbound (allocated for the caller,
 *   so it can be reconnected). The port's pending bit is cleared and its
 *   mask bit set.
 * - `LAMINA_EVTCHNOP_STATUS` (`struct lamina_evtchn_status`): describes port
 *   `port` of `dom`. OUT `status`, `vcpu`, and the member of `u` that the
 *   status names. A port never allocated reads as `LAMINA_EVTCHNSTAT_CLOSED`.
 *   Errors: `-LAMINA_ESRCH`, `-LAMINA_EPERM` (another domain, caller not
 *   domain 0), `-LAMINA_EINVAL` (port 0, or above the domain's highest port).
 * - `LAMINA_EVTCHNOP_UNMASK` (`struct lamina_evtchn_port`): clears the mask
 *   bit and re-delivers the port if it is pending (see Masking).
 * - `LAMINA_EVTCHNOP_RESET` (`struct lamina_evtchn_reset`): closes every
 *   port of `dom` except `store_port` and `console_port`. Errors:
 *   `-LAMINA_ESRCH`, `-LAMINA_EPERM` (another domain, caller not domain 0).
 */
#define LAMINA_EVTCHNOP_ALLOC_UNBOUND    0
#define LAMINA_EVTCHNOP_BIND_INTERDOMAIN 1
#define LAMINA_EVTCHNOP_BIND_VIRQ        2
#define LAMINA_EVTCHNOP_BIND_IPI         3
#define LAMINA_EVTCHNOP_BIND_VCPU        4
#define LAMINA_EVTCHNOP_SEND             5
#define LAMINA_EVTCHNOP_CLOSE            6
#define LAMINA_EVTCHNOP_STATUS           7
#define LAMINA_EVTCHNOP_UNMASK           8
#define LAMINA_EVTCHNOP_RESET            9

struct lamina_evtchn_alloc_unbound {
	lamina_domid_t dom;        /* IN: LAMINA_DOMID_SELF, or any if domain 0 */
	lamina_domid_t remote_dom; /* IN: who may connect */
	lamina_port_t port;        /* OUT */
};
LAMINA_CHECK_SIZE(evtchn_alloc_unbound, struct lamina_evtchn_alloc_unbound, 8);

struct lamina_evtchn_bind_interdomain {
	lamina_domid_t remote_dom; /* IN */
	lamina_u16 pad;
	lamina_port_t remote_port; /* IN */
	lamina_port_t local_port;  /* OUT */
};
LAMINA_CHECK_SIZE(evtchn_bind_interdomain, struct lamina_evtchn_bind_interdomain, 12);

struct lamina_evtchn_bind_virq {
	lamina_u32 virq;    /* IN: LAMINA_VIRQ_* */
	lamina_u32 vcpu;    /* IN */
	lamina_port_t port; /* OUT */
};
LAMINA_CHECK_SIZE(evtchn_bind_virq, struct lamina_evtchn_bind_virq, 12);

struct lamina_evtchn_bind_ipi {
	lamina_u32 vcpu;    /* IN */
	lamina_port_t port; /* OUT */
};
LAMINA_CHECK_SIZE(evtchn_bind_ipi, struct lamina_evtchn_bind_ipi, 8);

struct lamina_evtchn_bind_vcpu {
	lamina_port_t port; /* IN */
	lamina_u32 vcpu;    /* IN */
};
LAMINA_CHECK_SIZE(evtchn_bind_vcpu, struct lamina_evtchn_bind_vcpu, 8);

/** Argument of SEND, CLOSE and UNMASK. */
struct lamina_evtchn_port {
	lamina_port_t port; /* IN */
};
LAMINA_CHECK_SIZE(evtchn_port, struct lamina_evtchn_port, 4);

#define LAMINA_EVTCHNSTAT_CLOSED      0 /* not allocated */
#define LAMINA_EVTCHNSTAT_UNBOUND     1 /* waiting for u.unbound.dom to connect */
#define LAMINA_EVTCHNSTAT_INTERDOMAIN 2 /* connected to u.interdomain */
#define LAMINA_EVTCHNSTAT_VIRQ        3 /* bound to u.virq */
#define LAMINA_EVTCHNSTAT_IPI         4 /* IPI port */

struct lamina_evtchn_status {
	lamina_domid_t dom; /* IN: LAMINA_DOMID_SELF, or any if domain 0 */
	lamina_u16 pad;
	lamina_port_t port; /* IN */
	lamina_u32 status;  /* OUT: LAMINA_EVTCHNSTAT_* */
	lamina_u32 vcpu;    /* OUT: vCPU the port is delivered to */
	union {
		struct {
			lamina_domid_t dom;
			lamina_u16 pad;
		} unbound;
		struct {
			lamina_domid_t dom;
			lamina_u16 pad;
			lamina_port_t port;
		} interdomain;
		lamina_u32 virq;
	} u;                /* OUT */
};
LAMINA_CHECK_SIZE(evtchn_status, struct lamina_evtchn_status, 24);

struct lamina_evtchn_reset {
	lamina_domid_t dom; /* IN: LAMINA_DOMID_SELF, or any if domain 0 */
};
LAMINA_CHECK_SIZE(evtchn_reset, struct lamina_evtchn_reset, 2);

/**
 * ## Hypercall `event_send` (8)
 *
 * `long event_send(port)`
 *
 * The fast path of `EVTCHNOP_SEND`: same meaning and errors, but the port
 * is passed by value, so nothing is read from guest memory. When the port's
 * remote end is a back-end in domain 0 the signal reaches it without a
 * switch to the hypervisor's user space. Returns 0 once the event is
 * posted, or a negative error. Stores the guest made before the call are
 * visible to the receiver before it sees the event.
 */

#endif /* LAMINA_EVENT_CHANNEL_H */
