/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the ABI version constant, its bump rule, and the version hypercall. */
#ifndef LAMINA_VERSION_H
#define LAMINA_VERSION_H

#include "types.h"

/**
 * @part discovery
 * ## The ABI version
 *
 * `LAMINA_ABI_VERSION` is `major << 16 | minor`.
 * - Bump **minor** for a compatible addition: a new hypercall, sub-op,
 *   feature bit, store key or error return that old guests never see.
 * - Bump **major** (and reset minor) for any incompatible change: a changed
 *   number, structure layout, field meaning, or removed operation.
 *
 * A guest built against major M works on any hypervisor reporting major M
 * and a minor >= the one it needs; it refuses any other major.
 *
 * History: 1.1, vcpu_op UP checks the context's cr3; 1.2, each vCPU's PV
 * clock record is kept for its own TSC and `LAMINA_PVCLOCK_TSC_STABLE` may
 * be clear (shared_info.h); 1.3, only domain 0 may change a store node's
 * owner (store.h); 1.4, `LAMINA_FEAT_GUEST_IPI` and
 * `LAMINA_FEAT_TSC_DEADLINE` (below), and the block protocol's WRITE_FUA,
 * WRITE_ZEROES and INDIRECT ops, multi-page rings and multi-queue keys
 * (io/blkif.h); 1.5, a frame the guest does not own is unmapped for it
 * (touching one crashes the domain) and `LAMINA_MEM_MAX_RUNS` bounds how
 * scattered those frames may be (memory.h); 1.6, the network protocol's
 * buffer pools, offload header and split event channels (io/netif.h);
 * 1.7, a device detached on the toolstack's request leaves the guest's
 * store, and a front-end writes its state only while `backend` exists
 * (io/bus.h, Unplug).
 */
#define LAMINA_ABI_MAJOR 1u
#define LAMINA_ABI_MINOR 7u  /* 1.7: unplug (io/bus.h) */
#define LAMINA_ABI_VERSION ((LAMINA_ABI_MAJOR << 16) | LAMINA_ABI_MINOR)
#define LAMINA_ABI_VERSION_MAJOR(v) ((lamina_u32)(v) >> 16)
#define LAMINA_ABI_VERSION_MINOR(v) ((lamina_u32)(v) & 0xffffu)

/**
 * ## Hypercall `null` (0)
 *
 * `long null(void)`
 *
 * Does nothing and returns 0. It exists to measure the cost of one
 * hypercall round trip. Never fails.
 *
 * ## Hypercall `version` (1)
 *
 * `long version(cmd, arg)`
 *
 * - `LAMINA_VERSION_GET`: arg ignored. Returns `LAMINA_ABI_VERSION`
 *   (the same value as CPUID leaf 0x40000001).
 * - `LAMINA_VERSION_FEATURES`: arg is a pointer to
 *   `struct lamina_version_features`. IN `index`; OUT `bits`, the feature
 *   word `index`. Returns 0. Words beyond the last defined one read as 0.
 *   Errors: `-LAMINA_EFAULT`.
 */
#define LAMINA_VERSION_GET      0
#define LAMINA_VERSION_FEATURES 1

struct lamina_version_features {
	lamina_u32 index; /* IN: which 32-bit feature word */
	lamina_u32 bits;  /* OUT: LAMINA_FEAT_* bits of that word */
};
LAMINA_CHECK_SIZE(version_features, struct lamina_version_features, 8);

/** Feature word 0. A set bit means the hypervisor implements the item. */
#define LAMINA_FEAT_EVENT_DOORBELL (1u << 0) /* event_send takes the ioeventfd fast path */
#define LAMINA_FEAT_RUNSTATE       (1u << 1) /* vcpu_op runstate area */
#define LAMINA_FEAT_BALLOON        (1u << 2) /* decrease_reservation/populate_physmap */
#define LAMINA_FEAT_GRANT_MAP      (1u << 3) /* grant_table_op map/unmap */
#define LAMINA_FEAT_SUSPEND        (1u << 4) /* sched_op shutdown(SUSPEND) resumes */

/**
 * `LAMINA_FEAT_GUEST_IPI` (1.4): a guest may raise an event on one of its
 * own IPI ports itself, with no hypercall, and may idle in `hlt`:
 * - Upcalls are MSIs to the vCPU's in-kernel local APIC (x2APIC mode
 *   available, CPUID leaf 1 ecx bit 21); the vCPU's APIC ID is its vCPU
 *   id. So a guest IPI with the upcall vector the target registered
 *   (`LAMINA_VCPUOP_SET_UPCALL_VECTOR`) is an upcall like the hypervisor's.
 * - To raise IPI port p, bound to vCPU t of the sender's domain, the sender
 *   does the delivery steps of event_channel.h itself, with atomic
 *   operations, in this order: if bit p of `evtchn_mask` is set, use
 *   `event_send` instead (a masked port may be polled by a vCPU in
 *   `SCHEDOP_POLL`, which only the hypervisor wakes); set bit p in
 *   `evtchn_pending` (stop if it was set); set bit p / 64 in t's
 *   `evtchn_pending_sel`; exchange t's `evtchn_upcall_pending` with 1; if
 *   it was 0 and t's `evtchn_upcall_mask` is 0, send t an IPI with t's
 *   upcall vector. If it was 1, whoever set it delivers (the hypervisor
 *   always injects when it sets it; a guest sender as above).
 * - Only IPI ports: other ports have ends or sources the guest does not
 *   own. A guest that raises any other port, or sends the upcall vector
 *   at will, confuses only itself.
 * - Who clears what is unchanged: only the target's upcall handler clears
 *   `evtchn_upcall_pending`, selector and pending bits. The hypervisor
 *   sets these bits only with atomic operations and keeps no copy of
 *   them, so bits set by the guest are never lost or undone.
 * - `hlt` with interrupts enabled sleeps in KVM (with its halt polling:
 *   `lamina-hv -P` sets the most it polls) and any upcall, guest IPI or
 *   local APIC timer interrupt ends it, with no exit to the hypervisor's
 *   user space. `SCHEDOP_BLOCK` works as before.
 * A guest that does none of this sees no difference.
 *
 * `LAMINA_FEAT_TSC_DEADLINE` (1.4): the local APIC timer has TSC-deadline
 * mode (CPUID leaf 1 ecx bit 24; `IA32_TSC_DEADLINE`, MSR 0x6e0), run in
 * KVM. The deadline is in the vCPU's TSC, whose rate is the one in its PV
 * clock record (shared_info.h); the interrupt is the vector the guest put
 * in its LVT timer entry, not an event. `set_timer_op` and the vCPU timers
 * work as before, independently of it.
 */
#define LAMINA_FEAT_GUEST_IPI      (1u << 5) /* guest raises its IPI ports; hlt idles in KVM */
#define LAMINA_FEAT_TSC_DEADLINE   (1u << 6) /* local APIC TSC-deadline timer */

#endif /* LAMINA_VERSION_H */
