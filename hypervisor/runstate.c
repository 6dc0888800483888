// SPDX-License-Identifier: MIT
// runstate.c: per-vCPU time in running/runnable/blocked/offline (steal time), and its guest copy.
#include <string.h>
#include <lamina/shared_info.h>
#include "hv_int.h"
#include "mem.h"

static void snapshot_locked(struct vcpu *v, struct lamina_vcpu_runstate_info *ri, int64_t now)
{
	memset(ri, 0, sizeof(*ri));
	ri->state = (uint32_t)v->rs_state;
	ri->state_entry_time = (uint64_t)v->rs_entry;
	for (int i = 0; i < 4; i++)
		ri->time[i] = (uint64_t)v->rs_time[i];
	ri->time[v->rs_state] += (uint64_t)(now - v->rs_entry);
}

void runstate_snapshot(struct vcpu *v, struct lamina_vcpu_runstate_info *ri)
{
	pthread_mutex_lock(&v->rs_lock);
	snapshot_locked(v, ri, dom_time_ns(v->d));
	pthread_mutex_unlock(&v->rs_lock);
}

/* Copy the runstate to the guest's registered area with the UPDATE-bit protocol. */
void runstate_publish(struct vcpu *v)
{
	struct lamina_vcpu_runstate_info ri, *g;
	uint64_t gpa = __atomic_load_n(&v->runstate_gpa, __ATOMIC_ACQUIRE);

	if (!gpa || !(g = mem_gpa(v->d, gpa, sizeof(*g))))
		return;
	runstate_snapshot(v, &ri);
	__atomic_store_n(&g->state_entry_time, ri.state_entry_time | LAMINA_RUNSTATE_UPDATE,
			 __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	g->state = ri.state;
	memcpy(g->time, ri.time, sizeof(ri.time));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&g->state_entry_time, ri.state_entry_time, __ATOMIC_RELEASE);
}

void runstate_set(struct vcpu *v, int state)
{
	int64_t now = dom_time_ns(v->d);

	pthread_mutex_lock(&v->rs_lock);
	if (v->rs_state != state) {
		v->rs_time[v->rs_state] += now - v->rs_entry;
		v->rs_state = state;
		v->rs_entry = now;
	}
	pthread_mutex_unlock(&v->rs_lock);
	runstate_publish(v);
}
