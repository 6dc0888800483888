/* SPDX-License-Identifier: MIT */
/* Lamina ABI: memory shared between hypervisor and guest: shared_info, vcpu_info, PV clock, wallclock, runstate. */
#ifndef LAMINA_SHARED_INFO_H
#define LAMINA_SHARED_INFO_H

#include "types.h"
#include "barrier.h"

/**
 * @part shared 10
 * The hypervisor and a guest share a few pages that both read and write
 * without a hypercall. All of them hold hypervisor-owned frames mapped at a
 * gfn the guest picks inside the physmap hole (memory.h), except vcpu_info
 * and the runstate area, which live in guest RAM at an address the guest
 * registers (vcpu.h).
 */

/**
 * ## The PV clock
 *
 * Each vCPU has a `struct lamina_vcpu_time_info`, written only by the
 * hypervisor (Lamina has KVM keep it: it is KVM's kvmclock record, in the
 * common pvclock layout). "System time" is nanoseconds since an unspecified
 * moment before the domain started, at the rate of the host's clock. Each
 * vCPU's record is for that vCPU's own TSC: read it on the vCPU it belongs
 * to, as a guest reads kvmclock. The hypervisor rewrites a record whenever
 * its vCPU's TSC offset, TSC rate or host CPU changes, so the TSC values of
 * two vCPUs need not agree. To read it:
 *
 *     do {
 *         v = t->version;   rmb();
 *         copy tsc_timestamp, system_time, tsc_to_system_mul, tsc_shift;
 *         rmb();
 *     } while ((v & 1) || v != t->version);
 *     delta = rdtsc() - tsc_timestamp;
 *     delta = tsc_shift >= 0 ? delta << tsc_shift : delta >> -tsc_shift;
 *     now   = system_time + ((delta * tsc_to_system_mul) >> 32);
 *
 * The multiply is 64 x 32 bits into 96, keeping bits 95..32. The hypervisor
 * makes `version` odd, then `wmb()`, writes the fields, `wmb()`, and makes
 * it even again, so an odd or changed version means a torn read: retry.
 * `lamina_pvclock_read()` below does all of this.
 *
 * When `flags` has `LAMINA_PVCLOCK_TSC_STABLE`, every vCPU's TSC runs at
 * one constant rate and all records describe one clock: a reading on one
 * vCPU is never later than a reading taken after it on another. Without
 * the flag (a host whose TSC is not reliable, or vCPUs whose TSC offsets
 * differ) two vCPUs' readings may disagree by a little and a record may be
 * rewritten slightly behind the extrapolated time: a guest that needs one
 * monotonic clock keeps the largest value it has read on any vCPU and
 * returns that instead of anything smaller (`lamina_pvclock_read_mono()`),
 * as Linux's pvclock code does. The flag may change whenever a record is
 * rewritten. (ABI 1.2; before it the flag was always set.)
 */
struct lamina_vcpu_time_info {
	lamina_u32 version;           /* odd while the hypervisor updates */
	lamina_u32 pad0;
	lamina_u64 tsc_timestamp;     /* TSC value when system_time was taken */
	lamina_u64 system_time;       /* ns at tsc_timestamp */
	lamina_u32 tsc_to_system_mul; /* ns per tick, as a 0.32 fixed-point value */
	lamina_s8  tsc_shift;         /* scale ticks by 2^tsc_shift before the multiply */
	lamina_u8  flags;             /* LAMINA_PVCLOCK_* */
	lamina_u8  pad1[2];
};
LAMINA_CHECK_SIZE(vcpu_time_info, struct lamina_vcpu_time_info, 32);
LAMINA_CHECK_OFFSET(vti_system_time, struct lamina_vcpu_time_info, system_time, 16);
LAMINA_CHECK_OFFSET(vti_mul, struct lamina_vcpu_time_info, tsc_to_system_mul, 24);
LAMINA_CHECK_OFFSET(vti_shift, struct lamina_vcpu_time_info, tsc_shift, 28);

/** Every vCPU's TSC runs at one constant rate and all records agree: no
 * guard against readings going backwards across vCPUs is needed. */
#define LAMINA_PVCLOCK_TSC_STABLE (1u << 0)

/**
 * ## vcpu_info: per-vCPU event state and clock
 *
 * 64 bytes per vCPU. Event fields (see event_channel.h for the full
 * delivery algorithm):
 * - `evtchn_upcall_pending`: set to 1 by the hypervisor when a port bound
 *   to this vCPU becomes pending and unmasked; cleared by the guest at the
 *   start of its upcall handler.
 * - `evtchn_upcall_mask`: written by the guest. While non-zero the
 *   hypervisor does not inject the upcall vector (events still become
 *   pending). `sched_op BLOCK` clears it. After the guest clears it
 *   itself it must re-check `evtchn_upcall_pending`; any hypercall (`null`
 *   is cheapest) makes the hypervisor inject a pending upcall on return.
 * - `evtchn_pending_sel`: bit i set means word i of `evtchn_pending` in
 *   shared_info may hold pending unmasked ports for this vCPU. The
 *   hypervisor sets bits with atomic OR; the guest takes them with an
 *   atomic exchange to 0.
 */
struct lamina_vcpu_info {
	lamina_u8  evtchn_upcall_pending;
	lamina_u8  evtchn_upcall_mask;
	lamina_u8  pad0[6];
	lamina_u64 evtchn_pending_sel;
	lamina_u64 pad1[2];
	struct lamina_vcpu_time_info time;
};
LAMINA_CHECK_SIZE(vcpu_info, struct lamina_vcpu_info, 64);
LAMINA_CHECK_OFFSET(vi_mask, struct lamina_vcpu_info, evtchn_upcall_mask, 1);
LAMINA_CHECK_OFFSET(vi_sel, struct lamina_vcpu_info, evtchn_pending_sel, 8);
LAMINA_CHECK_OFFSET(vi_time, struct lamina_vcpu_info, time, 32);

/**
 * ## Wallclock
 *
 * The UTC time (since 1970-01-01) at which system time was 0. Wall time
 * now = (`sec`, `nsec`) + PV-clock system time. Same odd/even `version`
 * protocol as the PV clock; the hypervisor updates it when the host clock
 * is stepped.
 */
struct lamina_wallclock {
	lamina_u32 version; /* odd while the hypervisor updates */
	lamina_u32 nsec;    /* 0..999999999 */
	lamina_u64 sec;
};
LAMINA_CHECK_SIZE(wallclock, struct lamina_wallclock, 16);

/**
 * ## shared_info: one page per domain
 *
 * Mapped with `memory_op ADD_TO_PHYSMAP` (space `LAMINA_SPACE_SHARED_INFO`).
 * - `vcpu_info[i]` is vCPU i's vcpu_info until the guest registers another
 *   place for it (vcpu.h); vCPUs >= `LAMINA_SHINFO_VCPUS` must register one.
 * - `evtchn_pending` / `evtchn_mask`: one bit per event channel port, port p
 *   is bit p % 64 of word p / 64. Pending bits are set by the hypervisor and
 *   cleared by the guest; mask bits are owned by the guest. Both sides use
 *   atomic bit operations. Every port starts masked.
 * - `domid`, `nr_vcpus`, `store_port`, `console_port`: written once by the
 *   hypervisor at domain creation. The two ports are already bound to the
 *   store and the console back-end in domain 0 (store.h, io/console.h).
 */
#define LAMINA_SHINFO_VCPUS      32u
#define LAMINA_EVTCHN_WORDS      64u
#define LAMINA_EVTCHN_PORTS_MAX  (LAMINA_EVTCHN_WORDS * 64u) /* bitmap capacity */

struct lamina_shared_info {
	struct lamina_vcpu_info vcpu_info[LAMINA_SHINFO_VCPUS];
	lamina_u64 evtchn_pending[LAMINA_EVTCHN_WORDS];
	lamina_u64 evtchn_mask[LAMINA_EVTCHN_WORDS];
	struct lamina_wallclock wc;
	lamina_domid_t domid;       /* this domain's id */
	lamina_u16 pad0;
	lamina_u32 nr_vcpus;        /* vCPU ids are 0..nr_vcpus-1 */
	lamina_port_t store_port;   /* event channel to the store */
	lamina_port_t console_port; /* event channel of the PV console */
	lamina_u8 pad1[4096 - 3104];
};
LAMINA_CHECK_SIZE(shared_info, struct lamina_shared_info, 4096);
LAMINA_CHECK_OFFSET(si_pending, struct lamina_shared_info, evtchn_pending, 2048);
LAMINA_CHECK_OFFSET(si_mask, struct lamina_shared_info, evtchn_mask, 2560);
LAMINA_CHECK_OFFSET(si_wc, struct lamina_shared_info, wc, 3072);
LAMINA_CHECK_OFFSET(si_domid, struct lamina_shared_info, domid, 3088);
LAMINA_CHECK_OFFSET(si_store_port, struct lamina_shared_info, store_port, 3096);
LAMINA_CHECK_OFFSET(si_console_port, struct lamina_shared_info, console_port, 3100);

/**
 * ## Runstate (steal time)
 *
 * How long a vCPU has spent in each state, in PV-clock ns. Read with
 * `vcpu_op GET_RUNSTATE_INFO`, or register an area the hypervisor keeps up
 * to date (`REGISTER_RUNSTATE_AREA`). While the hypervisor updates a
 * registered area it sets `LAMINA_RUNSTATE_UPDATE` in `state_entry_time`
 * (with `wmb()` before and after the update); readers retry while it is set
 * or while `state_entry_time` changed during the copy. Steal time is
 * `time[RUNNABLE] + time[OFFLINE]`: time the vCPU wanted to run but did not.
 */
#define LAMINA_RUNSTATE_RUNNING  0 /* on a physical CPU */
#define LAMINA_RUNSTATE_RUNNABLE 1 /* ready, waiting for a physical CPU */
#define LAMINA_RUNSTATE_BLOCKED  2 /* in sched_op BLOCK/POLL or HLT */
#define LAMINA_RUNSTATE_OFFLINE  3 /* down, or descheduled by the hypervisor */
#define LAMINA_RUNSTATE_UPDATE   (1ull << 63)

struct lamina_vcpu_runstate_info {
	lamina_u32 state;            /* LAMINA_RUNSTATE_* */
	lamina_u32 pad;
	lamina_u64 state_entry_time; /* system time of entering state; bit 63: updating */
	lamina_u64 time[4];          /* total ns spent in each state */
};
LAMINA_CHECK_SIZE(runstate_info, struct lamina_vcpu_runstate_info, 48);

/*
 * Scale a TSC delta to ns with the PV clock's parameters, without 128-bit
 * arithmetic. Exact for delta < 2^32 * 2^-shift ticks (seconds of time).
 */
static inline lamina_u64 lamina_pvclock_scale(lamina_u64 delta, lamina_u32 mul,
					       lamina_s8 shift)
{
	if (shift >= 0)
		delta <<= shift;
	else
		delta >>= -shift;
	return ((delta & 0xffffffffu) * mul >> 32) + (delta >> 32) * mul;
}

#if defined(__x86_64__) || defined(__i386__)
/* Read the TSC, ordered after earlier loads (lfence; rdtsc). */
static inline lamina_u64 lamina_rdtsc(void)
{
	lamina_u32 lo, hi;

	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((lamina_u64)hi << 32) | lo;
}

/* Current system time in ns from one vCPU's PV clock, retrying torn reads. */
static inline lamina_u64
lamina_pvclock_read(const struct lamina_vcpu_time_info *t)
{
	lamina_u32 v, mul;
	lamina_u64 stamp, base, tsc;
	lamina_s8 shift;

	do {
		v = LAMINA_READ_ONCE(t->version);
		lamina_rmb();
		stamp = LAMINA_READ_ONCE(t->tsc_timestamp);
		base = LAMINA_READ_ONCE(t->system_time);
		mul = LAMINA_READ_ONCE(t->tsc_to_system_mul);
		shift = LAMINA_READ_ONCE(t->tsc_shift);
		tsc = lamina_rdtsc();
		lamina_rmb();
	} while ((v & 1) || v != LAMINA_READ_ONCE(t->version));
	/* A TSC read before the stamp (a record written where the TSC ran a
	 * little ahead of this vCPU's) counts as the stamp: taken as unsigned,
	 * the difference would be ~2^64 ticks, a time centuries ahead. */
	return base + (tsc > stamp ? lamina_pvclock_scale(tsc - stamp, mul, shift) : 0);
}

/*
 * System time that never goes backwards across vCPUs: lamina_pvclock_read(),
 * raised to the largest value read so far through the same `*last` (one
 * variable shared by every vCPU of the guest) unless the record has
 * LAMINA_PVCLOCK_TSC_STABLE.
 */
static inline lamina_u64
lamina_pvclock_read_mono(const struct lamina_vcpu_time_info *t, lamina_u64 *last)
{
	lamina_u64 now = lamina_pvclock_read(t), seen;

	if (LAMINA_READ_ONCE(t->flags) & LAMINA_PVCLOCK_TSC_STABLE)
		return now;
	seen = __atomic_load_n(last, __ATOMIC_RELAXED);
	do {
		if (now <= seen)
			return seen;
	} while (!__atomic_compare_exchange_n(last, &seen, now, 0, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	return now;
}
#endif

#endif /* LAMINA_SHARED_INFO_H */
