// SPDX-License-Identifier: MIT
// pvconsole.c: the PV console back-end: ring copying with checked indices, one thread per domain, input kicks.
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <lamina/barrier.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "console.h"
#include "evtchn.h"
#include "pvconsole.h"

#define OUT_BYTES LAMINA_CONSOLE_OUT_BYTES
#define IN_BYTES LAMINA_CONSOLE_IN_BYTES

/* ---- ring steps ---- */

int pvcon_take_output(struct lamina_console_ring *r, uint32_t *cons, char *buf, uint32_t cap,
		      bool *was_full)
{
	uint32_t prod = LAMINA_READ_ONCE(r->out_prod), n, i;

	lamina_rmb();   /* the index before the bytes */
	n = prod - *cons;
	if (n > OUT_BYTES)
		return -LAMINA_EIO;
	*was_full = n == OUT_BYTES;
	if (n > cap)
		n = cap;
	for (i = 0; i < n;) {
		uint32_t at = (*cons + i) % OUT_BYTES, k = OUT_BYTES - at < n - i ? OUT_BYTES - at : n - i;
		memcpy(buf + i, &r->out[at], k);
		i += k;
	}
	if (n) {
		*cons += n;
		lamina_mb();    /* the bytes are copied before the space is handed back */
		LAMINA_WRITE_ONCE(r->out_cons, *cons);
	}
	return (int)n;
}

int pvcon_input_room(struct lamina_console_ring *r, uint32_t prod)
{
	uint32_t used = prod - LAMINA_READ_ONCE(r->in_cons);

	if (used > IN_BYTES)
		return -LAMINA_EIO;
	lamina_mb();    /* the guest's consumption before our writes into the space */
	return (int)(IN_BYTES - used);
}

void pvcon_put_input(struct lamina_console_ring *r, uint32_t *prod, const char *buf, uint32_t n)
{
	for (uint32_t i = 0; i < n;) {
		uint32_t at = (*prod + i) % IN_BYTES, k = IN_BYTES - at < n - i ? IN_BYTES - at : n - i;
		memcpy(&r->in[at], buf + i, k);
		i += k;
	}
	*prod += n;
	lamina_wmb();   /* the bytes before the index */
	LAMINA_WRITE_ONCE(r->in_prod, *prod);
}

/* Mark the ring unusable and say why, once. */
static void ring_dead(struct domain *d, struct pvcon_state *st, const char *what)
{
	st->dead = true;
	dom_log(d, "lamina: pvconsole: domain %u corrupted its console ring (%s); no longer used",
		d->id, what);
}

/* Output bytes one service round takes at most: a guest that keeps
 * writing cannot hold its console thread (input, and the stop request of
 * pvconsole_free(), get a turn between rounds). */
#define OUT_BUDGET (4 * OUT_BYTES)

/* Copy pending output out, up to OUT_BUDGET bytes; *more: some may be
 * left. True if the guest may wait for room. */
static bool pump_output(struct domain *d, struct pvcon_state *st, bool *more)
{
	struct lamina_console_ring *r = d->console_page;
	char buf[OUT_BYTES];
	bool full, any_full = false;
	size_t done = 0;
	int n;

	*more = false;
	while ((n = pvcon_take_output(r, &st->out_cons, buf, sizeof(buf), &full)) > 0) {
		console_output(d, buf, (size_t)n);
		any_full |= full;
		done += (size_t)n;
		if (done >= OUT_BUDGET) {
			*more = true;
			break;
		}
	}
	if (n < 0)
		ring_dead(d, st, "out_prod");
	return any_full;
}

/* Move queued input into the ring; true if any moved. */
static bool pump_input(struct domain *d, struct pvcon_state *st)
{
	struct lamina_console_ring *r = d->console_page;
	char buf[IN_BYTES];
	int room = pvcon_input_room(r, st->in_prod);

	if (room < 0) {
		ring_dead(d, st, "in_cons");
		return false;
	}
	size_t n = room ? console_input_take(d, buf, (size_t)room) : 0;
	if (n)
		pvcon_put_input(r, &st->in_prod, buf, (uint32_t)n);
	return n > 0;
}

bool pvcon_service(struct domain *d, struct pvcon_state *st, bool input)
{
	bool notify = false, more = false;

	if (!st->dead)
		notify |= pump_output(d, st, &more);
	if (!st->dead && input)
		notify |= pump_input(d, st);
	if (notify && !st->dead)
		evt_host_notify(d, st->port);
	return more && !st->dead;
}

/* ---- the per-domain back-end ---- */

struct pvcon {
	struct domain *d;
	struct pvcon_state st;      /* the thread's (pvconsole_free's after the join) */
	int efd;                    /* the host end of the console port */
	int kick;                   /* eventfd: input queued, or stop */
	pthread_t thread;
	bool stop;                  /* (atomic) */
	struct pvcon *next;         /* (reg_lock) */
};

/* Every running back-end; pvconsole_kick finds its domain's here. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pvcon *reg;       /* (reg_lock) */

/* The guest has mapped its console ring: input may go there. */
static bool ring_mapped(struct domain *d)
{
	bool mapped = false;

	pthread_mutex_lock(&d->lock);
	for (int i = 0; i < PHYSMAP_MAX && !mapped; i++)
		mapped = d->pm[i].used && d->pm[i].host == d->console_page;
	pthread_mutex_unlock(&d->lock);
	return mapped;
}

static void drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;   /* EAGAIN: nothing to take */
}

static void *pvcon_main(void *arg)
{
	struct pvcon *pc = arg;
	struct pollfd p[2] = { { .fd = pc->efd, .events = POLLIN }, { .fd = pc->kick, .events = POLLIN } };

	bool more = false;   /* the last round left output: do not wait for an event */

	while (!__atomic_load_n(&pc->stop, __ATOMIC_ACQUIRE)) {
		if (poll(p, 2, more ? 0 : -1) < 0)
			continue;   /* EINTR */
		drain(pc->efd);
		drain(pc->kick);
		if (!__atomic_load_n(&pc->stop, __ATOMIC_ACQUIRE))
			more = pvcon_service(pc->d, &pc->st, ring_mapped(pc->d));
	}
	return NULL;
}

static void pvcon_destroy(struct pvcon *pc)
{
	if (pc->efd >= 0)
		evt_host_close(pc->d->hv, pc->efd);
	if (pc->kick >= 0)
		close(pc->kick);
	free(pc);
}

int pvconsole_init(struct domain *d)
{
	struct pvcon *pc = calloc(1, sizeof(*pc));
	int rc;

	if (!pc)
		return -1;
	pc->d = d;
	pc->efd = -1;
	pc->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pc->kick < 0 || (rc = evt_host_alloc(d, &pc->st.port, &pc->efd)) < 0 ||
	    pthread_create(&pc->thread, NULL, pvcon_main, pc)) {
		dom_log(d, "lamina: pvconsole: cannot start the console back-end");
		pvcon_destroy(pc);
		return -1;
	}
	__atomic_store_n(&((struct lamina_shared_info *)d->shinfo)->console_port, pc->st.port,
			 __ATOMIC_RELEASE);
	pthread_mutex_lock(&reg_lock);
	pc->next = reg;
	reg = pc;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

static void kick(struct pvcon *pc)
{
	uint64_t one = 1;

	if (write(pc->kick, &one, sizeof(one)) != sizeof(one))
		return;   /* saturated: a wake-up is due anyway */
}

void pvconsole_free(struct domain *d)
{
	struct pvcon *pc = NULL;

	pthread_mutex_lock(&reg_lock);
	for (struct pvcon **pp = &reg; *pp; pp = &(*pp)->next)
		if ((*pp)->d == d) {
			pc = *pp;
			*pp = pc->next;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	if (!pc)
		return;
	__atomic_store_n(&pc->stop, true, __ATOMIC_RELEASE);
	kick(pc);
	pthread_join(pc->thread, NULL);
	pvcon_service(d, &pc->st, false);   /* output written just before the end */
	pvcon_destroy(pc);
}

void pvconsole_kick(struct domain *d)
{
	pthread_mutex_lock(&reg_lock);
	for (struct pvcon *pc = reg; pc; pc = pc->next)
		if (pc->d == d)
			kick(pc);
	pthread_mutex_unlock(&reg_lock);
}
