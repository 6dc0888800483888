// SPDX-License-Identifier: MIT
// timer.c: one thread per domain fires vCPU timers (one-shot and periodic) as VIRQ_TIMER.
#include <errno.h>
#include <time.h>
#include <lamina/event_channel.h>
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

static void *timer_main(void *arg)
{
	struct domain *d = arg;

	pthread_mutex_lock(&d->lock);
	while (d->state != HV_DOM_SHUTDOWN && d->state != HV_DOM_CRASHED) {
		unsigned due = 0;
		int64_t next = take_due(d, dom_time_ns(d), &due);
		if (due) {   /* raise outside d->lock: delivery takes it */
			pthread_mutex_unlock(&d->lock);
			for (int i = 0; i < d->nr_vcpus; i++)
				if (due & (1u << i))
					evt_raise_virq(d, i, LAMINA_VIRQ_TIMER);
			pthread_mutex_lock(&d->lock);
			continue;
		}
		if (next == INT64_MAX) {
			pthread_cond_wait(&d->wake, &d->lock);
			continue;
		}
		int64_t abs = next + d->boot_ns;
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
