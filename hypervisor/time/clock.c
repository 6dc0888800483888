// SPDX-License-Identifier: MIT
// clock.c: the PV clock, kept by KVM: kvmclock written onto each vCPU's vcpu_info time record.
//
// Lamina's `struct lamina_vcpu_time_info` has the pvclock layout, so KVM
// itself keeps it up to date (MSR_KVM_SYSTEM_TIME_NEW pointed at it): KVM
// rewrites a vCPU's record whenever that vCPU's TSC offset, rate or host CPU
// changes, and on a host whose TSC KVM trusts it also sets the TSC_STABLE
// flag. No estimate of a TSC offset, no re-anchoring thread, and on a host
// with an unreliable TSC (where KVM moves each vCPU's TSC offset on every
// entry) each record stays right for the TSC of its own vCPU.
//
// System time is KVM's clock for the VM (KVM_GET_CLOCK): the same value the
// guest computes, so the hypervisor's "now" and the guest's agree.
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <lamina/shared_info.h>
#include "clock.h"
#include "mem.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u

/* CLOCK_MONOTONIC in ns. */
int64_t hv_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* KVM's clock for d (PV-clock system time); before d has a VM, time since creation. */
int64_t dom_time_ns(struct domain *d)
{
	struct kvm_clock_data c = { 0 };

	if (d->vmfd < 0 || ioctl(d->vmfd, KVM_GET_CLOCK, &c) < 0)
		return hv_now_ns() - d->boot_ns;
	return (int64_t)c.clock;
}

/* One vCPU device attribute of the TSC group: get (set false) or set it. */
static int tsc_attr(struct vcpu *v, uint64_t attr, int64_t *val, bool set)
{
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = attr,
				     .addr = (uint64_t)(uintptr_t)val };

	if (ioctl(v->fd, KVM_HAS_DEVICE_ATTR, &a) < 0)
		return -1;
	return ioctl(v->fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

/*
 * At creation, before any vCPU runs: give every vCPU exactly vCPU 0's TSC
 * offset (KVM_VCPU_TSC_OFFSET), plus i * skew_us of ticks for vCPU i (a
 * test's deliberate skew; 0 normally). Kernels without the attribute
 * (before 5.16) keep KVM's own synchronisation at vCPU creation.
 */
int clock_align_tsc(struct domain *d, int skew_us, char *err, size_t n)
{
	int64_t off0;

	if (tsc_attr(&d->vcpu[0], KVM_VCPU_TSC_OFFSET, &off0, false) < 0) {
		if (skew_us) {
			snprintf(err, n, "--tsc-skew-us needs KVM's vCPU TSC offset attribute: %s",
				 strerror(errno));
			return -1;
		}
		dom_log(d, "lamina: KVM has no vCPU TSC offset attribute: TSC offsets left to KVM");
		return 0;
	}
	int khz = ioctl(d->vcpu[0].fd, KVM_GET_TSC_KHZ, 0);
	int64_t step = khz > 0 ? (int64_t)skew_us * khz / 1000 : 0;
	for (int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
		v->tsc_offset = off0 + step * i;
		if (i && tsc_attr(v, KVM_VCPU_TSC_OFFSET, &v->tsc_offset, true) < 0) {
			snprintf(err, n, "vCPU %d: setting its TSC offset: %s", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Guest-physical address of v's time record now, or 0 if it has none yet. */
static uint64_t time_gpa(struct vcpu *v)
{
	uint64_t gpa = __atomic_load_n(&v->vcpu_info_gpa, __ATOMIC_ACQUIRE);

	if (gpa == ~0ull) {   /* still the slot in shared_info */
		uint64_t gfn = __atomic_load_n(&v->d->shinfo_gfn, __ATOMIC_ACQUIRE);
		if (gfn == ~0ull || v->id >= (int)LAMINA_SHINFO_VCPUS)
			return 0;
		gpa = gfn * HV_PAGE + (uint64_t)v->id * sizeof(struct lamina_vcpu_info);
	}
	return gpa + offsetof(struct lamina_vcpu_info, time);
}

/*
 * On v's own thread, before it enters the guest: point KVM's clock for v at
 * v's time record if it moved (shared_info mapped or moved, vcpu_info
 * registered). KVM writes the record before the vCPU next runs guest code.
 */
void clock_vcpu_poll(struct vcpu *v)
{
	uint64_t gpa = time_gpa(v);

	if (gpa == v->clock_gpa)
		return;
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {
		.h.nmsrs = 1, .e.index = MSR_KVM_SYSTEM_TIME_NEW, .e.data = gpa ? gpa | 1 : 0 };
	if (ioctl(v->fd, KVM_SET_MSRS, &m) != 1) {
		dom_crash(v->d, "vCPU %d: KVM refused to keep the PV clock at %#llx: %s", v->id,
			  (unsigned long long)gpa, strerror(errno));
		return;
	}
	v->clock_gpa = gpa;
}

/*
 * The wallclock in shared_info: UTC at system time 0. Rewritten when it
 * moved by over 1 ms (first use, host clock stepped). Any thread.
 */
void clock_wallclock(struct domain *d)
{
	struct lamina_wallclock *wc = &((struct lamina_shared_info *)(void *)d->shinfo)->wc;
	struct timespec rt;

	pthread_mutex_lock(&d->wc_lock);
	int64_t sys = dom_time_ns(d);
	clock_gettime(CLOCK_REALTIME, &rt);
	int64_t boot = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec - sys;
	int64_t cur = (int64_t)wc->sec * 1000000000 + wc->nsec;
	if (boot >= 0 && !(wc->sec && boot - cur < 1000000 && cur - boot < 1000000)) {
		uint32_t ver = wc->version | 1;
		__atomic_store_n(&wc->version, ver, __ATOMIC_RELEASE);   /* odd */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		wc->sec = (uint64_t)(boot / 1000000000);
		wc->nsec = (uint32_t)(boot % 1000000000);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(&wc->version, ver + 1, __ATOMIC_RELEASE);   /* even */
	}
	pthread_mutex_unlock(&d->wc_lock);
}

/* v's time record as the guest sees it (where time_gpa() says), or NULL. */
static const struct lamina_vcpu_time_info *time_record(struct vcpu *v)
{
	uint64_t gpa = time_gpa(v);
	uint64_t shinfo = __atomic_load_n(&v->d->shinfo_gfn, __ATOMIC_ACQUIRE) * HV_PAGE;

	if (!gpa)
		return NULL;
	if (__atomic_load_n(&v->vcpu_info_gpa, __ATOMIC_ACQUIRE) == ~0ull)   /* in shared_info */
		return gpa - shinfo < HV_PAGE ? (const void *)(v->d->shinfo + (gpa - shinfo)) : NULL;
	return mem_gpa(v->d, gpa, sizeof(struct lamina_vcpu_time_info));
}

/* A stall report's view of v's clock: its record's fields and KVM's clock now. */
int clock_describe(struct vcpu *v, char *buf, size_t n)
{
	const struct lamina_vcpu_time_info *t = time_record(v);

	if (!t)
		return snprintf(buf, n, "no clock record; KVM clock %lld",
				(long long)dom_time_ns(v->d));
	return snprintf(buf, n, "clock record v%u system %llu stamp %llu mul %u shift %d flags %u; "
			"KVM clock %lld", t->version, (unsigned long long)t->system_time,
			(unsigned long long)t->tsc_timestamp, t->tsc_to_system_mul, t->tsc_shift,
			t->flags, (long long)dom_time_ns(v->d));
}
