/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the vcpu_op hypercall (vCPU up/down, vcpu_info, upcall vector, timers, runstate). */
#ifndef LAMINA_VCPU_H
#define LAMINA_VCPU_H

#include "types.h"
#include "shared_info.h"

/**
 * ## Hypercall `vcpu_op` (5)
 *
 * `long vcpu_op(cmd, vcpuid, arg)`
 *
 * Acts on vCPU `vcpuid` of the calling domain (0 .. `nr_vcpus` - 1, see
 * shared_info). Common errors: `-LAMINA_ENOENT` (no such vCPU),
 * `-LAMINA_EFAULT` (arg).
 *
 * - `LAMINA_VCPUOP_UP`: starts a vCPU that is down. arg is 0, or a pointer
 *   to `struct lamina_vcpu_up`. With a context, the vCPU starts at `rip`
 *   in 64-bit mode with `rsp`, `cr3` and `rdi` from the context, RFLAGS =
 *   0x2 (interrupts off), and CR0, CR4, EFER, GDTR, IDTR and the CS, SS, DS,
 *   ES selectors and descriptors copied from the calling vCPU at the time
 *   of the call; FS/GS bases, LDTR and TR are 0 (the new vCPU loads its
 *   own). With arg 0, a vCPU stopped by `DOWN` continues where it stopped,
 *   its `DOWN` call returning 0. Returns 0. Errors: `-LAMINA_EALREADY`
 *   (already up), `-LAMINA_EINVAL` (arg 0 for a vCPU that never ran, or a
 *   context whose `cr3` is outside RAM; since ABI 1.1).
 * - `LAMINA_VCPUOP_DOWN`: stops a vCPU. On the calling vCPU the call
 *   returns only when another vCPU brings it up with arg 0. On another vCPU
 *   it returns 0 once that vCPU has stopped. Timers of a down vCPU keep
 *   running; events bound to it stay pending. Errors: `-LAMINA_EALREADY`
 *   (already down), `-LAMINA_EBUSY` (it is the last vCPU up).
 * - `LAMINA_VCPUOP_IS_UP`: arg ignored. Returns 1 if up, 0 if down.
 * - `LAMINA_VCPUOP_REGISTER_VCPU_INFO`: arg points to
 *   `struct lamina_vcpu_register_info`. Moves the vCPU's vcpu_info out of
 *   shared_info to guest RAM at `gpa` (guest-physical, 64-byte aligned;
 *   the hypervisor uses it until the domain is destroyed). The current
 *   contents are copied there first. Once per vCPU; register before the vCPU
 *   is brought up or from the vCPU itself. Returns 0. Errors:
 *   `-LAMINA_EINVAL` (misaligned, or not RAM), `-LAMINA_EEXIST` (already
 *   registered).
 * - `LAMINA_VCPUOP_SET_UPCALL_VECTOR`: arg points to
 *   `struct lamina_vcpu_upcall_vector`. The hypervisor delivers event
 *   upcalls to this vCPU as a fixed, edge-triggered interrupt with this
 *   vector through its local APIC; the guest's handler ends with a normal
 *   APIC EOI. 0 turns upcalls off (events still wake `BLOCK`), which is the
 *   state at boot. Returns 0. Errors: `-LAMINA_EINVAL` (vector 1..0x1f).
 * - `LAMINA_VCPUOP_SET_SINGLESHOT_TIMER`: arg points to
 *   `struct lamina_vcpu_singleshot_timer`. The `set_timer_op` timer of that
 *   vCPU: at `deadline_ns` (absolute PV-clock ns) raise `LAMINA_VIRQ_TIMER`
 *   on it; 0 cancels. With `LAMINA_VCPU_SSHOT_FUTURE` in flags, a deadline
 *   not in the future fails with `-LAMINA_ETIME` and arms nothing; without
 *   it such a deadline fires at once. Returns 0.
 * - `LAMINA_VCPUOP_STOP_SINGLESHOT_TIMER`: arg ignored. Cancels it. Returns 0.
 * - `LAMINA_VCPUOP_SET_PERIODIC_TIMER`: arg points to
 *   `struct lamina_vcpu_periodic_timer`. Raises `LAMINA_VIRQ_TIMER` every
 *   `period_ns`, first one period from now. Returns 0. Errors:
 *   `-LAMINA_EINVAL` (period below `LAMINA_VCPU_PERIOD_MIN_NS`).
 * - `LAMINA_VCPUOP_STOP_PERIODIC_TIMER`: arg ignored. Returns 0.
 * - `LAMINA_VCPUOP_GET_RUNSTATE_INFO`: OUT `struct
 *   lamina_vcpu_runstate_info` at arg, a consistent snapshot. Returns 0.
 * - `LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA`: arg points to
 *   `struct lamina_vcpu_register_info`; `gpa` (guest-physical, 8-byte
 *   aligned, not crossing a page; 0 unregisters) receives a
 *   `struct lamina_vcpu_runstate_info` that the hypervisor updates on every
 *   state change, with the update protocol of shared_info.h. Returns 0.
 *   Errors: `-LAMINA_EINVAL` (misaligned, crosses a page, or not RAM).
 */
#define LAMINA_VCPUOP_UP                     0
#define LAMINA_VCPUOP_DOWN                   1
#define LAMINA_VCPUOP_IS_UP                  2
#define LAMINA_VCPUOP_REGISTER_VCPU_INFO     3
#define LAMINA_VCPUOP_SET_UPCALL_VECTOR      4
#define LAMINA_VCPUOP_SET_SINGLESHOT_TIMER   5
#define LAMINA_VCPUOP_STOP_SINGLESHOT_TIMER  6
#define LAMINA_VCPUOP_SET_PERIODIC_TIMER     7
#define LAMINA_VCPUOP_STOP_PERIODIC_TIMER    8
#define LAMINA_VCPUOP_GET_RUNSTATE_INFO      9
#define LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA 10

struct lamina_vcpu_up {
	lamina_u64 rip; /* IN: entry point (virtual) */
	lamina_u64 rsp; /* IN: initial stack pointer (virtual) */
	lamina_u64 cr3; /* IN: page-table root (guest-physical) */
	lamina_u64 rdi; /* IN: argument for the entry point */
};
LAMINA_CHECK_SIZE(vcpu_up, struct lamina_vcpu_up, 32);

struct lamina_vcpu_register_info {
	lamina_u64 gpa; /* IN: guest-physical address */
};
LAMINA_CHECK_SIZE(vcpu_register_info, struct lamina_vcpu_register_info, 8);

struct lamina_vcpu_upcall_vector {
	lamina_u32 vector; /* IN: 0x20..0xff, or 0 for none */
};
LAMINA_CHECK_SIZE(vcpu_upcall_vector, struct lamina_vcpu_upcall_vector, 4);

#define LAMINA_VCPU_SSHOT_FUTURE (1u << 0) /* fail with -ETIME if already due */

struct lamina_vcpu_singleshot_timer {
	lamina_u64 deadline_ns; /* IN: absolute PV-clock ns; 0 cancels */
	lamina_u32 flags;       /* IN: LAMINA_VCPU_SSHOT_* */
	lamina_u32 pad;
};
LAMINA_CHECK_SIZE(vcpu_singleshot_timer, struct lamina_vcpu_singleshot_timer, 16);

/** Shortest period the periodic timer accepts (100 microseconds). */
#define LAMINA_VCPU_PERIOD_MIN_NS 100000ull

struct lamina_vcpu_periodic_timer {
	lamina_u64 period_ns; /* IN: >= LAMINA_VCPU_PERIOD_MIN_NS */
};
LAMINA_CHECK_SIZE(vcpu_periodic_timer, struct lamina_vcpu_periodic_timer, 8);

#endif /* LAMINA_VCPU_H */
