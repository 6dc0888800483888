// SPDX-License-Identifier: MIT
// timer.c: one thread per domain fires vCPU timers (one-shot and periodic) as VIRQ_TIMER.
#include <errno.h>
#include <time.h>
#include <lamina/event_channel.h>
#include "clock.h"
#include "event.h"
#include "timer.h"

/* Collect due vCPUs in *due; return the next deadline (PV ns) or INT64_MAX. d->lock held. */
static int64_t take_due(struct domain *d, int64_t now, unsigned *due)
{
	int64_t next = INT64_MAX;

	for (int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
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
		if (fire)
			*due |= 1u << i;
		if (v->timer_deadline && v->timer_deadline < next)
			next = v->timer_deadline;
		if (v->periodic_ns && v->periodic_next < next)
			next = v->periodic_next;
	}
	return next;
}

#define CLOCK_PERIOD_NS 1000000000   /* re-anchor every vCPU's PV clock this often */

/* Run f on d outside d->lock (event delivery and clock sync take other locks). */
static void unlocked(struct domain *d, void (*f)(struct domain *, unsigned), unsigned arg)
{
	pthread_mutex_unlock(&d->lock);
	f(d, arg);
	pthread_mutex_lock(&d->lock);
}

static void raise_due(struct domain *d, unsigned due)
{
	for (int i = 0; i < d->nr_vcpus; i++)
		if (due & (1u << i))
			evt_raise_virq(d, i, LAMINA_VIRQ_TIMER);
}

static void sync_clocks(struct domain *d, unsigned unused)
{
	(void)unused;
	clock_sync_all(d);
}

static void *timer_main(void *arg)
{
	struct domain *d = arg;
	int64_t next_clock = dom_time_ns(d) + CLOCK_PERIOD_NS;

	pthread_mutex_lock(&d->lock);
	while (d->state != HV_DOM_SHUTDOWN && d->state != HV_DOM_CRASHED) {
		unsigned due = 0;
		int64_t now = dom_time_ns(d), next = take_due(d, now, &due);
		if (due) {
			unlocked(d, raise_due, due);
			continue;
		}
		if (now >= next_clock) {
			next_clock = now + CLOCK_PERIOD_NS;
			unlocked(d, sync_clocks, 0);
			continue;
		}
		int64_t abs = (next < next_clock ? next : next_clock) + d->boot_ns;
		struct timespec ts = { abs / 1000000000, abs % 1000000000 };
		pthread_cond_timedwait(&d->wake, &d->lock, &ts);
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
