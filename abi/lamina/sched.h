/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the sched_op hypercall (yield, block, poll, shutdown). */
#ifndef LAMINA_SCHED_H
#define LAMINA_SCHED_H

#include "types.h"

/**
 * ## Hypercall `sched_op` (3)
 *
 * `long sched_op(cmd, arg)`
 *
 * Gives up the calling vCPU's physical CPU, or ends the domain.
 *
 * - `LAMINA_SCHEDOP_YIELD`: arg ignored. Lets other runnable vCPUs run;
 *   returns 0.
 * - `LAMINA_SCHEDOP_BLOCK`: arg ignored. Atomically clears this vCPU's
 *   `evtchn_upcall_mask` (see shared_info.h) and sleeps until an event is
 *   pending for it (`evtchn_upcall_pending` set). If one is already pending
 *   it returns at once. Because "unmask" and "check" are one step in the
 *   hypervisor, an event that arrives after the guest last looked at its
 *   queues, but before the call, still wakes it: no wake-up is lost.
 *   The usual idle loop is: disable interrupts (or set the upcall mask),
 *   check for work, `BLOCK`. The timer (timer.h) also ends a block, because
 *   it raises `LAMINA_VIRQ_TIMER`. Returns 0; the upcall is delivered on
 *   return if the vCPU's interrupt flag allows it.
 * - `LAMINA_SCHEDOP_POLL`: arg points to `struct lamina_sched_poll`.
 *   Sleeps until one of the listed ports is pending (pending bit set,
 *   whatever its mask bit) or the timeout passes. Does not touch the upcall
 *   mask, so it can wait for one port with events masked. Returns 0 if a
 *   port is pending, `-LAMINA_ETIMEDOUT` if the timeout passed first.
 *   Errors: `-LAMINA_EINVAL` (`nr_ports` is 0 or > `LAMINA_SCHED_POLL_MAX`),
 *   `-LAMINA_EBADF` (a port is not open in the caller), `-LAMINA_EFAULT`.
 * - `LAMINA_SCHEDOP_SHUTDOWN`: arg points to `struct lamina_sched_shutdown`.
 *   Stops every vCPU of the domain and reports `reason` to the toolstack.
 *   Does not return, except for `SUSPEND`: then it returns 0 when the
 *   domain is resumed (all other vCPUs must be down before the call), or
 *   `-LAMINA_EOPNOTSUPP` if the hypervisor cannot suspend (see
 *   `LAMINA_FEAT_SUSPEND`). Errors: `-LAMINA_EINVAL` (unknown reason),
 *   `-LAMINA_EBUSY` (`SUSPEND` with other vCPUs up), `-LAMINA_EFAULT`.
 */
#define LAMINA_SCHEDOP_YIELD    0
#define LAMINA_SCHEDOP_BLOCK    1
#define LAMINA_SCHEDOP_POLL     2
#define LAMINA_SCHEDOP_SHUTDOWN 3

/** Most ports one poll may wait on. */
#define LAMINA_SCHED_POLL_MAX 128u

struct lamina_sched_poll {
	lamina_u64 ports;    /* IN: pointer to nr_ports lamina_port_t */
	lamina_u32 nr_ports; /* IN: 1..LAMINA_SCHED_POLL_MAX */
	lamina_u32 pad;
	lamina_u64 timeout;  /* IN: absolute PV-clock ns; 0 = wait forever */
};
LAMINA_CHECK_SIZE(sched_poll, struct lamina_sched_poll, 24);

/** Shutdown reasons. */
#define LAMINA_SHUTDOWN_POWEROFF 0 /* clean stop; destroy the domain */
#define LAMINA_SHUTDOWN_REBOOT   1 /* clean stop; toolstack restarts it */
#define LAMINA_SHUTDOWN_SUSPEND  2 /* save state; may resume later */
#define LAMINA_SHUTDOWN_CRASH    3 /* guest panic; keep for inspection */

struct lamina_sched_shutdown {
	lamina_u32 reason; /* IN: LAMINA_SHUTDOWN_* */
};
LAMINA_CHECK_SIZE(sched_shutdown, struct lamina_sched_shutdown, 4);

#endif /* LAMINA_SCHED_H */
