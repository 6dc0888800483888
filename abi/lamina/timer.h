/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the set_timer_op hypercall, a one-shot timer per vCPU on the PV clock. */
#ifndef LAMINA_TIMER_H
#define LAMINA_TIMER_H

#include "types.h"

/**
 * ## Hypercall `set_timer_op` (4)
 *
 * `long set_timer_op(deadline_ns)`
 *
 * Arms the calling vCPU's one-shot timer. `deadline_ns` is an absolute time
 * on the PV clock (the `system_time` scale of shared_info.h). When the PV
 * clock reaches it, `LAMINA_VIRQ_TIMER` is raised on this vCPU (if the
 * guest bound that VIRQ to a port) and any `BLOCK` ends. A deadline already
 * in the past fires at once. A new call replaces the old deadline;
 * `deadline_ns == 0` cancels it. Returns 0; never fails.
 *
 * This is the same timer as `vcpu_op(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER)`
 * on the calling vCPU. The periodic timer is separate.
 */

#endif /* LAMINA_TIMER_H */
