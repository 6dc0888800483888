// SPDX-License-Identifier: MIT
// hv_api.c: toolstack helpers of libhv: hypercall trace hook, shutdown request, memory target, stop.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <lamina/sched.h>
#include <lamina/shared_info.h>
#include "clock.h"
#include "hcall.h"
#include "hv_int.h"
#include "vcpu.h"

/* d->trace when a toolstack callback is installed: pass its context along. */
static void trace_shim(struct domain *d, int vcpu, const uint64_t a[6], int64_t ret)
{
	hv_trace_fn *fn = __atomic_load_n(&d->trace_fn, __ATOMIC_ACQUIRE);

	if (fn)
		fn(__atomic_load_n(&d->trace_ctx, __ATOMIC_ACQUIRE), vcpu, a, ret);
}

/* Once installed, the shim stays: hcall.c tests d->trace and then calls it,
 * so it must never become NULL under a running vCPU; turning tracing off
 * clears only trace_fn, which the shim tests once. */
void hv_set_trace(struct domain *d, hv_trace_fn *fn, void *ctx)
{
	if (!fn) {
		__atomic_store_n(&d->trace_fn, NULL, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&d->trace_fn, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&d->trace_ctx, ctx, __ATOMIC_RELEASE);
	__atomic_store_n(&d->trace_fn, fn, __ATOMIC_RELEASE);
	__atomic_store_n(&d->trace, trace_shim, __ATOMIC_RELEASE);
}

const char *hv_hypercall_name(unsigned nr)
{
	return nr < hc_table_len ? hc_table[nr].name : NULL;
}

/* Write key (relative to d's store home) = val as domain 0. */
static int home_write(struct domain *d, const char *key, const char *val)
{
	char path[96];

	snprintf(path, sizeof(path), "/local/domain/%u/%s", d->id, key);
	return hv_store_write(d->hv, path, val);
}

int hv_request_shutdown(struct domain *d, int reason)
{
	if (reason != LAMINA_SHUTDOWN_POWEROFF && reason != LAMINA_SHUTDOWN_REBOOT)
		return -EINVAL;
	return home_write(d, "control/shutdown",
			  reason == LAMINA_SHUTDOWN_REBOOT ? "reboot" : "poweroff");
}

int hv_set_mem_target(struct domain *d, uint64_t kib)
{
	char val[24];

	if (kib % (HV_PAGE / 1024) || kib > d->max_pages * (HV_PAGE / 1024))
		return -EINVAL;
	snprintf(val, sizeof(val), "%llu", (unsigned long long)kib);
	return home_write(d, "memory/target", val);
}

void hv_stop(struct domain *d)
{
	dom_shutdown(d, LAMINA_SHUTDOWN_POWEROFF);
}

/* Pin vCPU `vcpu` of d to the CPUs set in mask (ncpus bits), now if its
 * thread runs, else when hv_start() creates it. 0 or -EINVAL. */
int hv_vcpu_pin(struct domain *d, int vcpu, const uint64_t *mask, unsigned ncpus)
{
	cpu_set_t set;

	if (vcpu < 0 || vcpu >= d->nr_vcpus || ncpus == 0)
		return -EINVAL;
	CPU_ZERO(&set);
	for (unsigned c = 0; c < ncpus && c < CPU_SETSIZE; c++)
		if (mask[c / 64] >> (c % 64) & 1)
			CPU_SET(c, &set);
	if (CPU_COUNT(&set) == 0)
		return -EINVAL;
	struct vcpu *v = &d->vcpu[vcpu];
	pthread_mutex_lock(&d->lock);
	if (!v->affinity)
		v->affinity = malloc(sizeof(cpu_set_t));
	int rc = v->affinity ? 0 : ENOMEM;
	if (v->affinity)
		*(cpu_set_t *)v->affinity = set;
	if (!rc && v->started)
		rc = pthread_setaffinity_np(v->thread, sizeof(set), &set);
	pthread_mutex_unlock(&d->lock);
	return -rc;
}

/* Exits of every kind v has made. */
static uint64_t vcpu_exits(struct vcpu *v)
{
	uint64_t t = 0;

	for (int k = 0; k < HV_EXIT_KINDS; k++)
		t += atomic_load(&v->exits[k]);
	return t;
}

/* A running vCPU with no exit since the last look spins in the guest:
 * kick it out once, so that the next look's rip says where. */
static const char *kick_if_silent(struct vcpu *v, int state)
{
	uint64_t t = vcpu_exits(v);
	bool silent = state == LAMINA_RUNSTATE_RUNNING && t == v->where_exits;

	v->where_exits = t;
	if (!silent)
		return "";
	vcpu_kick_out(v);
	return " (no exit since the last look: kicked)";
}

/* Where each vCPU is, for a domain that seems hung: "vCPU 0 blocked,
 * last exit at rip 0x...; vCPU 1 ...". Only one caller at a time. */
void hv_vcpu_where(struct domain *d, char *buf, size_t n)
{
	static const char *const state[] = { "running", "runnable", "blocked", "offline" };
	size_t at = 0;

	buf[0] = 0;
	for (int i = 0; i < d->nr_vcpus && at < n; i++) {
		struct vcpu *v = &d->vcpu[i];
		pthread_mutex_lock(&v->rs_lock);
		int s = v->rs_state;
		pthread_mutex_unlock(&v->rs_lock);
		int k = snprintf(buf + at, n - at, "%svCPU %d %s, last exit at rip %#llx%s, ",
				 i ? "; " : "", i, s >= 0 && s < 4 ? state[s] : "?",
				 (unsigned long long)__atomic_load_n(&v->last_rip, __ATOMIC_RELAXED),
				 kick_if_silent(v, s));
		if (k < 0 || (size_t)k >= n - at)
			break;
		at += (size_t)k;
		if ((k = clock_describe(v, buf + at, n - at)) < 0 || (size_t)k >= n - at)
			break;
		at += (size_t)k;
	}
}
