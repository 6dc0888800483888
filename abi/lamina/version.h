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
 * owner (store.h); 1.4, the block protocol's WRITE_FUA, WRITE_ZEROES and
 * INDIRECT ops, multi-page rings and multi-queue keys (io/blkif.h).
 */
#define LAMINA_ABI_MAJOR 1u
#define LAMINA_ABI_MINOR 4u  /* 1.4: block FUA, write-zeroes, indirect, multi-page/multi-queue */
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

#endif /* LAMINA_VERSION_H */
