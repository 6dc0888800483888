// SPDX-License-Identifier: MIT
// hc_sched.c: sched_op (yield, block, poll, shutdown) and set_timer_op.
#include <sched.h>
#include <time.h>
#include <lamina/errno.h>
#include <lamina/event_channel.h>
#include <lamina/sched.h>
#include <lamina/shared_info.h>
#include "event.h"
#include "gmem.h"
#include "hcall.h"
#include "hv_int.h"
#include "timer.h"

static bool dom_live(struct domain *d)
{
	return d->state == HV_DOM_RUNNING || d->state == HV_DOM_PAUSED;
}

/* The earlier of two PV times, where 0 means "never". */
static int64_t earlier(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/*
 * Halt polling, as KVM does for hlt: before sleeping, spin for up to
 * v->poll_ns watching for an event, since a wakeup that comes soon costs
 * far less caught this way than through a sleep. The window doubles
 * (from POLL_MIN_NS, up to d->halt_poll_max) while blocks end within the
 * maximum, and halves when they last longer.
 */
#define POLL_MIN_NS 10000

static bool poll_for_event(struct vcpu *v, int64_t until)
{
	for (unsigned i = 1;; i++) {
		if (evt_upcall_pending(v))
			return true;
		__builtin_ia32_pause();
		if (i % 64 == 0) {
			if (dom_time_ns(v->d) >= until)
				return false;
			sched_yield();   /* a runnable thread on this CPU goes first */
		}
	}
}

/* After a block that began at t0. */
static void poll_adapt(struct vcpu *v, int64_t t0)
{
	int64_t max = v->d->halt_poll_max;

	if (!max)
		return;
	if (dom_time_ns(v->d) - t0 <= max)
		v->poll_ns = v->poll_ns ? (v->poll_ns * 2 < max ? v->poll_ns * 2 : max) : POLL_MIN_NS;
	else
		v->poll_ns = v->poll_ns / 2 >= POLL_MIN_NS ? v->poll_ns / 2 : 0;
	if (v->poll_ns > max)
		v->poll_ns = max;
}

/* Until an event is pending for v, or one of its timers fires (whether or
 * not the guest bound VIRQ_TIMER: timer.h). */
static int64_t sched_block(struct vcpu *v)
{
	struct lamina_vcpu_info *vi = evt_vcpu_info(v);
	struct domain *d = v->d;
	int64_t t0 = d->halt_poll_max ? dom_time_ns(d) : 0;   /* polling off: no clock reads */

	if (vi)
		__atomic_store_n(&vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
	runstate_set(v, LAMINA_RUNSTATE_BLOCKED);
	bool hit = false;
	if (v->poll_ns) {
		pthread_mutex_lock(&d->lock);
		int64_t next = timer_next(v);
		pthread_mutex_unlock(&d->lock);
		hit = poll_for_event(v, earlier(t0 + v->poll_ns, next));
	}
	if (!hit) {
		pthread_mutex_lock(&d->lock);
		while (dom_live(d) && !evt_upcall_pending(v) && !timer_fire_due(v))
			timer_wait(d, timer_next(v));
		pthread_mutex_unlock(&d->lock);
	}
	poll_adapt(v, t0);
	runstate_set(v, LAMINA_RUNSTATE_RUNNING);
	return 0;
}

/* 1 if any listed port is pending, else 0; -EBADF for a port not open. */
static int any_pending(struct domain *d, const lamina_port_t *p, unsigned n)
{
	int hit = 0;

	for (unsigned i = 0; i < n; i++) {
		int r = evt_port_pending(d, p[i]);
		if (r < 0)
			return r;
		hit |= r;
	}
	return hit;
}

static int64_t sched_poll(struct vcpu *v, uint64_t arg)
{
	struct lamina_sched_poll sp;
	lamina_port_t ports[LAMINA_SCHED_POLL_MAX];
	struct domain *d = v->d;
	int r;

	if (gmem_read(v, arg, &sp, sizeof(sp)))
		return -LAMINA_EFAULT;
	if (sp.nr_ports == 0 || sp.nr_ports > LAMINA_SCHED_POLL_MAX || sp.pad)
		return -LAMINA_EINVAL;
	if (gmem_read(v, sp.ports, ports, sp.nr_ports * sizeof(ports[0])))
		return -LAMINA_EFAULT;
	int64_t timeout = sp.timeout > INT64_MAX ? INT64_MAX : (int64_t)sp.timeout;
	runstate_set(v, LAMINA_RUNSTATE_BLOCKED);
	pthread_mutex_lock(&d->lock);
	while ((r = any_pending(d, ports, sp.nr_ports)) == 0 && dom_live(d)) {
		if (timer_fire_due(v))
			continue;   /* VIRQ_TIMER may be one of the ports */
		if (timeout && dom_time_ns(d) >= timeout) {
			r = -LAMINA_ETIMEDOUT;
			break;
		}
		timer_wait(d, earlier(timeout, timer_next(v)));
	}
	pthread_mutex_unlock(&d->lock);
	runstate_set(v, LAMINA_RUNSTATE_RUNNING);
	return r < 0 ? r : 0;
}

static int others_up(struct vcpu *v)
{
	int n = 0;

	pthread_mutex_lock(&v->d->lock);
	for (int i = 0; i < v->d->nr_vcpus; i++)
		n += i != v->id && v->d->vcpu[i].up;
	pthread_mutex_unlock(&v->d->lock);
	return n;
}

static int64_t sched_shutdown(struct vcpu *v, uint64_t arg)
{
	struct lamina_sched_shutdown s;

	if (gmem_read(v, arg, &s, sizeof(s)))
		return -LAMINA_EFAULT;
	switch (s.reason) {
	case LAMINA_SHUTDOWN_POWEROFF:
	case LAMINA_SHUTDOWN_REBOOT:
	case LAMINA_SHUTDOWN_CRASH:
		dom_shutdown(v->d, (int)s.reason);
		return 0;
	case LAMINA_SHUTDOWN_SUSPEND:
		return others_up(v) ? -LAMINA_EBUSY : -LAMINA_EOPNOTSUPP;
	default:
		return -LAMINA_EINVAL;
	}
}

int64_t hc_sched_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case LAMINA_SCHEDOP_YIELD:
		sched_yield();
		return 0;
	case LAMINA_SCHEDOP_BLOCK:
		return sched_block(v);
	case LAMINA_SCHEDOP_POLL:
		return sched_poll(v, a[1]);
	case LAMINA_SCHEDOP_SHUTDOWN:
		return sched_shutdown(v, a[1]);
	default:
		return -LAMINA_ENOSYS;
	}
}

/* Arm (or with 0, cancel) v's one-shot timer; v's own thread fires it (timer.h). */
void vcpu_set_deadline(struct vcpu *v, int64_t deadline)
{
	pthread_mutex_lock(&v->d->lock);
	v->timer_deadline = deadline;
	pthread_mutex_unlock(&v->d->lock);
	vcpu_retime(v);
}

int64_t hc_set_timer_op(struct vcpu *v, const uint64_t a[5])
{
	vcpu_set_deadline(v, (int64_t)(a[0] > INT64_MAX ? INT64_MAX : a[0]));
	return 0;
}
