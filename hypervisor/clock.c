// SPDX-License-Identifier: MIT
// clock.c: the PV clock: publish (TSC, system time, scale) in each vCPU's vcpu_info.
#include <sys/ioctl.h>
#include <time.h>
#include <lamina/shared_info.h>
#include "clock.h"
#include "event.h"

#define MSR_IA32_TSC 0x10

/* The guest's TSC now, read on v's own thread. */
static int guest_tsc(struct vcpu *v, uint64_t *tsc)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {
		.h.nmsrs = 1, .e.index = MSR_IA32_TSC };

	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
		return -1;
	*tsc = m.e.data;
	return 0;
}

/* mul/shift so that ns = ((ticks << shift) * mul) >> 32 for a tsc_hz clock. */
static void scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift)
{
	uint64_t base = tsc_hz;
	int s = 0;

	while (base > 2000000000ull) { base >>= 1; s++; }      /* scaled rate <= 2 GHz */
	while (base <= 1000000000ull / 2) { base <<= 1; s--; }
	*mul = (uint32_t)((1000000000ull << 32) / base);
	*shift = (int8_t)-s;
}

int clock_init(struct vcpu *v)
{
	int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

	if (khz <= 0)
		return -1;
	scale((uint64_t)khz * 1000, &v->tsc_mul, &v->tsc_shift);
	return 0;
}

/* Re-anchor v's PV clock; call from v's thread. */
void clock_sync(struct vcpu *v)
{
	struct lamina_vcpu_info *vi = evt_vcpu_info(v);
	uint64_t tsc;

	if (guest_tsc(v, &tsc) < 0)
		return;
	v->tsc_at_sync = tsc;
	v->ns_at_sync = dom_time_ns(v->d);
	if (!vi)
		return;
	struct lamina_vcpu_time_info *t = &vi->time;
	__atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE);  /* odd */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->tsc_timestamp = tsc;
	t->system_time = (uint64_t)v->ns_at_sync;
	t->tsc_to_system_mul = v->tsc_mul;
	t->tsc_shift = v->tsc_shift;
	t->flags = LAMINA_PVCLOCK_TSC_STABLE;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&t->version, t->version + 1, __ATOMIC_RELEASE);  /* even */
}

/* Cheap check on every exit: re-anchor once a second. */
void clock_maybe_sync(struct vcpu *v)
{
	if (dom_time_ns(v->d) - v->ns_at_sync > 1000000000)
		clock_sync(v);
}
