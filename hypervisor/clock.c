// SPDX-License-Identifier: MIT
// clock.c: the PV clock: publish (TSC, system time, scale) in each vCPU's vcpu_info.
#include <sys/ioctl.h>
#include <x86intrin.h>
#include <lamina/shared_info.h>
#include "clock.h"
#include "event.h"

#define MSR_IA32_TSC 0x10

/* mul/shift so that ns = ((ticks << shift) * mul) >> 32 for a tsc_hz clock. */
static void scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift)
{
	uint64_t base = tsc_hz;
	int s = 0;

	while (base > 2000000000ull) { base >>= 1; s++; }      /* scaled rate in (0.5, 2] GHz */
	while (base <= 1000000000ull / 2) { base <<= 1; s--; }
	*mul = (uint32_t)((1000000000ull << 32) / base);
	*shift = (int8_t)-s;
}

int clock_init(struct vcpu *v)
{
	int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

	if (khz <= 0)
		return -1;
	v->tsc_hz = (uint64_t)khz * 1000;
	scale(v->tsc_hz, &v->tsc_mul, &v->tsc_shift);
	return 0;
}

/* On v's own thread, before it first runs: guest TSC = host TSC + offset. */
void clock_learn_offset(struct vcpu *v)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {
		.h.nmsrs = 1, .e.index = MSR_IA32_TSC };
	uint64_t before = __rdtsc();

	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
		return;
	v->tsc_offset = (int64_t)(m.e.data - (before + (__rdtsc() - before) / 2));
}

/* What the guest computes now from the published parameters. */
static uint64_t extrapolate(struct vcpu *v, uint64_t tsc)
{
	return (uint64_t)v->ns_at_sync +
	       lamina_pvclock_scale(tsc - v->tsc_at_sync, v->tsc_mul, v->tsc_shift);
}

/* Re-anchor v's clock (any thread; serialised by clk_lock). The rate is
 * recalibrated from the first anchor, and time never steps back. */
void clock_sync(struct vcpu *v)
{
	pthread_mutex_lock(&v->clk_lock);
	uint64_t tsc = __rdtsc() + (uint64_t)v->tsc_offset;
	int64_t ns = dom_time_ns(v->d);
	if (v->tsc_at_sync) {
		uint64_t prev = extrapolate(v, tsc);
		if ((int64_t)prev > ns)
			ns = (int64_t)prev;
	}
	if (v->anchor_tsc && ns - v->anchor_ns > 1000000000 && tsc > v->anchor_tsc)
		scale((uint64_t)((__int128)(tsc - v->anchor_tsc) * 1000000000 /
				 (ns - v->anchor_ns)), &v->tsc_mul, &v->tsc_shift);
	if (!v->anchor_tsc) {
		v->anchor_tsc = tsc;
		v->anchor_ns = ns;
	}
	v->tsc_at_sync = tsc;
	v->ns_at_sync = ns;
	clock_publish_locked(v);
	pthread_mutex_unlock(&v->clk_lock);
}

void clock_publish_locked(struct vcpu *v)
{
	struct lamina_vcpu_info *vi = evt_vcpu_info(v);

	if (!vi)
		return;
	struct lamina_vcpu_time_info *t = &vi->time;
	uint32_t ver = t->version | 1;
	__atomic_store_n(&t->version, ver, __ATOMIC_RELEASE);  /* odd */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->tsc_timestamp = v->tsc_at_sync;
	t->system_time = (uint64_t)v->ns_at_sync;
	t->tsc_to_system_mul = v->tsc_mul;
	t->tsc_shift = v->tsc_shift;
	t->flags = LAMINA_PVCLOCK_TSC_STABLE;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&t->version, ver + 1, __ATOMIC_RELEASE);  /* even */
}

/* Cheap check: re-anchor once a second. */
void clock_maybe_sync(struct vcpu *v)
{
	if (dom_time_ns(v->d) - v->ns_at_sync > 1000000000)
		clock_sync(v);
}

void clock_sync_all(struct domain *d)
{
	for (int i = 0; i < d->nr_vcpus; i++)
		clock_sync(&d->vcpu[i]);
}
