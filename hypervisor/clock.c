// SPDX-License-Identifier: MIT
// clock.c: the PV clock: publish (TSC, system time, scale) in each vCPU's vcpu_info.
#include <sys/ioctl.h>
#include <time.h>
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

/* What the guest computes at guest TSC tsc from m's parameters. */
static uint64_t extrapolate(struct vcpu *m, uint64_t tsc)
{
	return (uint64_t)m->ns_at_sync +
	       lamina_pvclock_scale(tsc - m->tsc_at_sync, m->tsc_mul, m->tsc_shift);
}

/*
 * One set of parameters per domain, kept in vCPU 0's fields (under its
 * clk_lock) and published to every vCPU at once: the guest TSC is the same
 * on all vCPUs, so all of them compute the same time (shared_info.h).
 * Per-vCPU anchors disagreed by tens of microseconds, enough for a reading
 * on one vCPU to be later than a subsequent one on another.
 */
#define MARGIN_NS 1000000    /* anchor this far back: the TSC offset is an estimate */
#define SLACK_NS  10000000   /* readers may use the old parameters this long after */
#define SLEW_MAX  1000000    /* ns per second the clock may slow down to catch up */

static uint64_t ns_to_ticks(struct vcpu *m, int64_t ns)
{
	return (uint64_t)((__int128)ns * m->tsc_hz / 1000000000);
}

/* Re-anchor m (vCPU 0) at host TSC now, guest TSC = host + offset. The rate is
 * recalibrated against CLOCK_MONOTONIC since the first anchor; time never steps
 * back, and a clock ahead of the hypervisor's is slowed until it agrees. */
static void anchor_locked(struct vcpu *m, int64_t offset)
{
	uint64_t tsc = __rdtsc() + (uint64_t)offset;
	int64_t now = dom_time_ns(m->d);
	uint64_t back = ns_to_ticks(m, MARGIN_NS);

	if (tsc <= back)
		return;
	tsc -= back;
	now -= MARGIN_NS;
	if (!m->anchor_tsc) {
		m->anchor_tsc = m->tsc_at_sync = tsc;
		m->anchor_ns = m->ns_at_sync = now;
		return;
	}
	if (tsc <= m->tsc_at_sync)
		return;
	uint32_t mul = m->tsc_mul;
	int8_t shift = m->tsc_shift;
	if (now - m->anchor_ns > 1000000000)
		scale((uint64_t)((__int128)(tsc - m->anchor_tsc) * 1000000000 / (now - m->anchor_ns)),
		      &mul, &shift);
	int64_t ns = now, old = (int64_t)extrapolate(m, tsc);
	if (old > ns) {
		int64_t ahead = old - ns < SLEW_MAX ? old - ns : SLEW_MAX;
		mul -= (uint32_t)((uint64_t)mul * (uint64_t)ahead / 1000000000);
		ns = old;
	}
	/* A reader still on the old parameters a little after tsc must not
	 * read later than one on the new parameters. */
	uint64_t slack = ns_to_ticks(m, SLACK_NS);
	int64_t need = (int64_t)(extrapolate(m, tsc + slack) - lamina_pvclock_scale(slack, mul, shift));
	if (need > ns)
		ns = need;
	m->tsc_at_sync = tsc;
	m->ns_at_sync = ns;
	m->tsc_mul = mul;
	m->tsc_shift = shift;
}

/* The wallclock: UTC at system time 0. Rewritten when it moves by over 1 ms
 * (first use, host clock stepped). m->clk_lock held. */
static void wallclock_locked(struct vcpu *m, int64_t offset)
{
	struct lamina_wallclock *wc = &((struct lamina_shared_info *)(void *)m->d->shinfo)->wc;
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	int64_t sys = (int64_t)extrapolate(m, __rdtsc() + (uint64_t)offset);
	int64_t boot = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec - sys;
	int64_t cur = (int64_t)wc->sec * 1000000000 + wc->nsec;
	if (boot < 0 || (wc->sec && boot - cur < 1000000 && cur - boot < 1000000))
		return;
	uint32_t ver = wc->version | 1;
	__atomic_store_n(&wc->version, ver, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wc->sec = (uint64_t)(boot / 1000000000);
	wc->nsec = (uint32_t)(boot % 1000000000);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&wc->version, ver + 1, __ATOMIC_RELEASE);
}

/* Re-anchor the domain's clock using v's TSC offset and publish it on every vCPU. */
static void sync_from(struct domain *d, struct vcpu *v)
{
	struct vcpu *m = &d->vcpu[0];

	pthread_mutex_lock(&m->clk_lock);
	anchor_locked(m, v->tsc_offset);
	for (int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *o = &d->vcpu[i];
		if (o != m) {
			pthread_mutex_lock(&o->clk_lock);
			o->tsc_at_sync = m->tsc_at_sync;
			o->ns_at_sync = m->ns_at_sync;
			o->tsc_mul = m->tsc_mul;
			o->tsc_shift = m->tsc_shift;
		}
		clock_publish_locked(o);
		if (o != m)
			pthread_mutex_unlock(&o->clk_lock);
	}
	if (d->shinfo && m->anchor_tsc)
		wallclock_locked(m, v->tsc_offset);
	pthread_mutex_unlock(&m->clk_lock);
}

/* Any thread. A vCPU that has not learned its TSC offset yet borrows another's. */
void clock_sync(struct vcpu *v)
{
	if (__atomic_load_n(&v->tsc_offset, __ATOMIC_ACQUIRE))
		sync_from(v->d, v);
	else
		clock_sync_all(v->d);
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
	if (dom_time_ns(v->d) - __atomic_load_n(&v->d->vcpu[0].ns_at_sync, __ATOMIC_RELAXED) >
	    1000000000)
		clock_sync(v);
}

/* From any thread: anchor with the first vCPU that knows its TSC offset. */
void clock_sync_all(struct domain *d)
{
	for (int i = 0; i < d->nr_vcpus; i++)
		if (__atomic_load_n(&d->vcpu[i].tsc_offset, __ATOMIC_ACQUIRE)) {
			sync_from(d, &d->vcpu[i]);
			return;
		}
}
