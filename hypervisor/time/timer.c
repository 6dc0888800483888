// SPDX-License-Identifier: MIT
// timer.c: vCPU timers (set_timer_op, one-shot, periodic) fired as VIRQ_TIMER on the vCPU's own thread.
//
// Each vCPU thread, before it enters the guest, looks at its timers when
// they changed or its timer signalled (timers_dirty), and arms a
// POSIX timer aimed at itself for the next deadline; the signal makes
// KVM_RUN return (vcpu.c), the thread raises VIRQ_TIMER for itself and goes
// back in. Nothing crosses threads on the tick path: no wakeup of another
// thread, no irqfd kick of a vCPU running on another CPU. The domain's
// thread only refreshes the wallclock once a second (KVM keeps the PV clocks).
//
// Deadlines are in system time, KVM's clock (clock.c); POSIX timers and
// condition waits run on CLOCK_MONOTONIC. The two may differ in rate by a
// few parts per million, so a wait can end a little early: every waiter
// re-checks against system time and waits again.
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <lamina/event_channel.h>
#include "clock.h"
#include "event.h"
#include "timer.h"

/* When v's next timer (one-shot or periodic) fires, or 0 if none. d->lock held. */
int64_t timer_next(struct vcpu *v)
{
	int64_t t = v->timer_deadline;

	if (v->periodic_ns && (!t || v->periodic_next < t))
		t = v->periodic_next;
	return t;
}

/* Consume v's timers due at `now`: true if one fired. d->lock held. */
bool timer_take_due(struct vcpu *v, int64_t now)
{
	bool fire = false;

	if (v->timer_deadline && v->timer_deadline <= now) {
		v->timer_deadline = 0;
		fire = true;
	}
	if (v->periodic_ns && v->periodic_next <= now) {
		while (v->periodic_next <= now)
			v->periodic_next += v->periodic_ns;
		fire = true;
	}
	return fire;
}

/* Raise VIRQ_TIMER for v if one of its timers is due: true if one was.
 * d->lock held, dropped while the event is raised. */
bool timer_fire_due(struct vcpu *v)
{
	if (!timer_take_due(v, dom_time_ns(v->d)))
		return false;
	atomic_store(&v->timers_dirty, true);   /* re-arm before it next runs */
	pthread_mutex_unlock(&v->d->lock);
	evt_raise_virq(v->d, v->id, LAMINA_VIRQ_TIMER);
	pthread_mutex_lock(&v->d->lock);
	return true;
}

/* When CLOCK_MONOTONIC reaches system time t, as of now (saturating). */
static struct timespec mono_at(struct domain *d, int64_t t)
{
	int64_t left = t - dom_time_ns(d), mono = hv_now_ns();
	int64_t abs = left <= 0 ? mono : left > INT64_MAX - mono ? INT64_MAX : mono + left;

	return (struct timespec){ abs / 1000000000, abs % 1000000000 };
}

/* Sleep on d->wake until PV time `until` (0 = no limit) or a wakeup. d->lock held. */
void timer_wait(struct domain *d, int64_t until)
{
	if (!until) {
		pthread_cond_wait(&d->wake, &d->lock);
		return;
	}
	struct timespec ts = mono_at(d, until);
	pthread_cond_timedwait(&d->wake, &d->lock, &ts);
}

/* Point v's POSIX timer at PV time `at` (0 = disarm), unless it already is. */
static void arm(struct vcpu *v, int64_t at)
{
	struct itimerspec its = { 0 };

	if (!v->ptimer_ok || at == v->ptimer_at)
		return;
	if (at)
		its.it_value = mono_at(v->d, at);
	if (timer_settime(v->ptimer, TIMER_ABSTIME, &its, NULL) == 0)
		v->ptimer_at = at;
}

/* v's POSIX timer is armed but has run out. */
static bool expired(struct vcpu *v)
{
	struct itimerspec its;

	return v->ptimer_ok && v->ptimer_at && timer_gettime(v->ptimer, &its) == 0 &&
	       !its.it_value.tv_sec && !its.it_value.tv_nsec;
}

/* On v's own thread: a POSIX timer that signals this thread (sig). */
int timer_vcpu_init(struct vcpu *v, int sig)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sig };

	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, &v->ptimer) < 0)
		return -1;
	v->ptimer_ok = true;
	v->ptimer_at = 0;
	atomic_store(&v->timers_dirty, true);
	return 0;
}

void timer_vcpu_fini(struct vcpu *v)
{
	if (v->ptimer_ok)
		timer_delete(v->ptimer);
	v->ptimer_ok = false;
}

/* On v's own thread, before it enters the guest: raise VIRQ_TIMER if a
 * timer is due, and arm the POSIX timer for the next one. */
void timer_vcpu_poll(struct vcpu *v)
{
	struct domain *d = v->d;

	if (!atomic_exchange(&v->timers_dirty, false))
		return;   /* the hot path: nothing changed, no signal since the last look */
	pthread_mutex_lock(&d->lock);
	int64_t next = timer_next(v);
	bool fire = next && timer_take_due(v, dom_time_ns(d));
	if (fire) {
		next = timer_next(v);
		v->ptimer_at = 0;   /* it expired (or is stale): arm afresh */
	}
	pthread_mutex_unlock(&d->lock);
	if (fire)
		evt_raise_virq(d, v->id, LAMINA_VIRQ_TIMER);
	else if (expired(v))
		v->ptimer_at = 0;   /* it fired a little early: arm it again */
	arm(v, next);
}

#define CLOCK_PERIOD_NS 1000000000   /* look at the host's wallclock this often */

static void *timer_main(void *arg)
{
	struct domain *d = arg;
	int64_t next = dom_time_ns(d) + CLOCK_PERIOD_NS;

	pthread_mutex_lock(&d->lock);
	while (d->state != HV_DOM_SHUTDOWN && d->state != HV_DOM_CRASHED) {
		if (dom_time_ns(d) < next) {
			timer_wait(d, next);
			continue;
		}
		pthread_mutex_unlock(&d->lock);
		if (__atomic_load_n(&d->shinfo_gfn, __ATOMIC_ACQUIRE) != ~0ull)
			clock_wallclock(d);
		pthread_mutex_lock(&d->lock);
		next = dom_time_ns(d) + CLOCK_PERIOD_NS;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int timer_start(struct domain *d)
{
	if (pthread_create(&d->timer_thread, NULL, timer_main, d) != 0)
		return -1;
	d->timer_efd = 1;   /* marks the thread as started */
	return 0;
}

void timer_stop(struct domain *d)
{
	if (d->timer_efd != 1)
		return;
	timer_kick(d);
	pthread_join(d->timer_thread, NULL);
	d->timer_efd = -1;
}

void timer_kick(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	dom_wake_all(d);
	pthread_mutex_unlock(&d->lock);
}
