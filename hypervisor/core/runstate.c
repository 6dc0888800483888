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

/* Copy the runstate to the guest's registered area with the UPDATE-bit
 * protocol. v->rs_lock held: the area cannot be unregistered meanwhile, so
 * once REGISTER_RUNSTATE_AREA returns nothing writes the old one. */
static void publish_locked(struct vcpu *v)
{
	struct lamina_vcpu_runstate_info ri, *g;
	uint64_t gpa = v->runstate_gpa;

	if (!gpa || !(g = mem_gpa(v->d, gpa, sizeof(*g))))
		return;
	snapshot_locked(v, &ri, dom_time_ns(v->d));
	__atomic_store_n(&g->state_entry_time, ri.state_entry_time | LAMINA_RUNSTATE_UPDATE,
			 __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	g->state = ri.state;
	memcpy(g->time, ri.time, sizeof(ri.time));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&g->state_entry_time, ri.state_entry_time, __ATOMIC_RELEASE);
}

void runstate_publish(struct vcpu *v)
{
	pthread_mutex_lock(&v->rs_lock);
	publish_locked(v);
	pthread_mutex_unlock(&v->rs_lock);
}

/* Register (gpa) or unregister (0) v's runstate area, and fill a new one. */
void runstate_set_area(struct vcpu *v, uint64_t gpa)
{
	pthread_mutex_lock(&v->rs_lock);
	v->runstate_gpa = gpa;
	publish_locked(v);
	pthread_mutex_unlock(&v->rs_lock);
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
	publish_locked(v);
	pthread_mutex_unlock(&v->rs_lock);
}
