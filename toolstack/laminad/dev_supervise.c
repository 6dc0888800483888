// SPDX-License-Identifier: MIT
// laminad's back-ends of a domain: start them all, hot-plug one, restart the dead, describe them.
#include "devices.h"
#include "laminad.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

static bool procs_enabled(const struct daemon *dm)
{
	return dm->bk_socket[0] != 0;
}

static struct dev_proc *find_proc(struct domain *d, const struct dev_kind *k, const char *key)
{
	for (size_t j = 0; j < d->ndevs; j++)
		if (d->devs[j].kind == k && !strcmp(d->devs[j].key, key))
			return &d->devs[j];
	return NULL;
}

static void drop_proc(struct domain *d, struct dev_proc *p)
{
	*p = d->devs[--d->ndevs];
}

// Every other running domain's configuration, for the kinds' problem().
static size_t others(const struct daemon *dm, const struct domain *d,
		     const struct dom_config **out)
{
	size_t n = 0;

	for (size_t j = 0; j < dm->reg.n; j++)
		if (dm->reg.doms[j] != d)
			out[n++] = &dm->reg.doms[j]->cfg;
	return n;
}

static int check(const struct daemon *dm, const struct domain *d, const struct dev_kind *k,
		 size_t i, char *err, size_t len)
{
	static const struct dom_config *oth[REG_MAX_DOMAINS];
	size_t n = others(dm, d, oth);
	char buf[512];
	const char *why = k->problem(&d->cfg, i, oth, n, buf, sizeof(buf));

	if (why)
		snprintf(err, len, "%s", why);
	return why ? -1 : 0;
}

static bool devid_taken(const struct domain *d, const struct dev_kind *k, long devid)
{
	for (size_t j = 0; j < d->ndevs; j++)
		if (d->devs[j].kind == k && d->devs[j].devid == (unsigned long)devid)
			return true;
	return false;
}

// A new process slot for device i of kind k; NULL (err) when the key is bad.
// Its number is the kind's, or (a device hot-plugged after another of its
// kind was detached) the lowest one no back-end of d uses.
struct dev_proc *dev_new_proc(struct domain *d, const struct dev_kind *k, size_t i,
				 char *err, size_t len)
{
	const char *key = k->key(&d->cfg, i);
	long devid = k->devid(&d->cfg, i);
	struct dev_proc *p;

	if (devid < 0 || d->ndevs == DEV_MAX || strlen(key) >= sizeof(p->key)) {
		snprintf(err, len, "%s '%s' cannot be given a back-end", k->what, key);
		return NULL;
	}
	if (devid_taken(d, k, devid))
		for (devid = 0; devid_taken(d, k, devid); devid++)
			;
	p = &d->devs[d->ndevs++];
	*p = (struct dev_proc){ .kind = k, .devid = (unsigned)devid, .pidfd = -1 };
	snprintf(p->key, sizeof(p->key), "%s", key);
	return p;
}

static int start_one(struct daemon *dm, struct domain *d, const struct dev_kind *k, size_t i,
		     char *err, size_t len)
{
	char why[512];
	struct dev_proc *p;

	if (check(dm, d, k, i, why, sizeof(why)) || !(p = dev_new_proc(d, k, i, why, sizeof(why))))
		goto fail;
	if (dev_spawn(dm, d, p, i, why, sizeof(why)) == 0)
		return 0;
	if (k->host_teardown)
		k->host_teardown(d->id, p->devid);
	drop_proc(d, p);
fail:
	snprintf(err, len, "%s %s (%s): %s", k->what, k->key(&d->cfg, i),
		 k->type, why);
	return -1;
}

int dev_start_all(struct daemon *dm, struct domain *d, char *err, size_t errlen)
{
	if (!procs_enabled(dm))
		return 0; // simulated: the hypervisor interface took them at create
	for (size_t k = 0; dev_kinds[k]; k++)
		for (size_t i = 0; i < dev_kinds[k]->count(&d->cfg); i++)
			if (start_one(dm, d, dev_kinds[k], i, err, errlen)) {
				dev_stop_all(dm, d);
				return -1;
			}
	return 0;
}

int dev_attach(struct daemon *dm, struct domain *d, const struct dev_kind *k, size_t i,
	       char *err, size_t errlen)
{
	int rc;

	if (procs_enabled(dm))
		return start_one(dm, d, k, i, err, errlen);
	if (!k->sim_unchecked && check(dm, d, k, i, err, errlen))
		return -1;
	rc = k->sim_attach ? k->sim_attach(dm, d->hd, &d->cfg, i) : -ENOSYS;
	if (rc)
		snprintf(err, errlen, "%s", rc == -ENOSYS ? "not supported by this back-end"
							  : strerror(-rc));
	return rc ? -1 : 0;
}

int dev_detach(struct daemon *dm, struct domain *d, const struct dev_kind *k, const char *key,
	       char *err, size_t errlen)
{
	struct dev_proc *p = find_proc(d, k, key);
	int rc;

	if (procs_enabled(dm)) {
		if (p) {
			dev_stop_procs(dm, d, &p, 1);
			drop_proc(d, p);
		}
		return 0;
	}
	rc = k->sim_detach ? k->sim_detach(dm, d->hd, key) : -ENOSYS;
	if (rc)
		snprintf(err, errlen, "%s", rc == -ENOSYS ? "not supported by this back-end"
							  : strerror(-rc));
	return rc ? -1 : 0;
}

void dev_stop_all(struct daemon *dm, struct domain *d)
{
	struct dev_proc *ps[DEV_MAX];

	for (size_t j = 0; j < d->ndevs; j++)
		ps[j] = &d->devs[j];
	dev_stop_procs(dm, d, ps, d->ndevs);
	d->ndevs = 0;
}

void dev_forget_all(struct domain *d)
{
	for (size_t j = 0; j < d->ndevs; j++)
		dev_release(&d->devs[j]);
	d->ndevs = 0;
}

// p's back-end is gone unasked (`how` says why): restart it later or give up.
void dev_died(struct domain *d, struct dev_proc *p, const char *how)
{
	uint64_t now = dev_now_ms();

	if (now - p->started_ms >= DEV_STABLE_MS)
		p->fails = 0;
	if (++p->fails > DEV_MAX_FAILS) {
		p->state = DEV_FAILED;
		snprintf(p->note, sizeof(p->note), "%s; it died %u times in a row and is left "
			 "dead (detach and attach it to try again)", how, p->fails);
	} else {
		unsigned ms = DEV_BACKOFF_MS << (p->fails - 1);
		p->state = DEV_BACKOFF;
		p->restart_at_ms = now + ms;
		snprintf(p->note, sizeof(p->note), "%s; restarting in %u s", how, ms / 1000);
	}
	domlog(d, "%s %s: back-end %s: %s", p->kind->what, p->key, p->kind->exe, p->note);
}

// p's process ended: reap it and forget its pid.
static void ended_now(struct daemon *dm, struct domain *d, struct dev_proc *p)
{
	char how[128];
	int n = snprintf(how, sizeof(how), "pid %d ", (int)p->pid); // "pid 7 exited with ..."

	dev_reap(p, how + n, sizeof(how) - (size_t)n);
	dev_pidfile_remove(dm, d, p);
	dev_release(p);
	dev_died(d, p, how);
}

static void restart_one(struct daemon *dm, struct domain *d, struct dev_proc *p)
{
	int i = dev_index(p->kind, &d->cfg, p->key);
	char err[512], how[600];

	if (i < 0 || dev_spawn(dm, d, p, (size_t)i, err, sizeof(err))) {
		snprintf(how, sizeof(how), "could not be restarted (%s)",
			 i < 0 ? "it is no longer configured" : err);
		p->started_ms = dev_now_ms();
		dev_died(d, p, how); // counts as one more death in a row
		return;
	}
	p->restarts++;
	snprintf(p->note, sizeof(p->note), "restarted %u time%s", p->restarts,
		 p->restarts == 1 ? "" : "s");
}

static bool ended(const struct dev_proc *p)
{
	struct pollfd pf = { .fd = p->pidfd, .events = POLLIN };

	return p->pidfd >= 0 && poll(&pf, 1, 0) == 1;
}

void dev_tick(struct daemon *dm)
{
	uint64_t now = dev_now_ms();

	for (size_t j = 0; j < dm->reg.n; j++) {
		struct domain *d = dm->reg.doms[j];
		for (size_t k = 0; k < d->ndevs; k++) {
			struct dev_proc *p = &d->devs[k];
			if ((p->state == DEV_RUNNING || p->state == DEV_STARTING) && ended(p))
				ended_now(dm, d, p);
			if (p->state == DEV_BACKOFF && now >= p->restart_at_ms)
				restart_one(dm, d, p);
		}
	}
}

int dev_timeout_ms(const struct daemon *dm)
{
	uint64_t now = dev_now_ms(), best = UINT64_MAX;

	for (size_t j = 0; j < dm->reg.n; j++)
		for (size_t k = 0; k < dm->reg.doms[j]->ndevs; k++) {
			const struct dev_proc *p = &dm->reg.doms[j]->devs[k];
			if (p->state == DEV_BACKOFF && p->restart_at_ms < best)
				best = p->restart_at_ms;
		}
	if (best == UINT64_MAX)
		return -1;
	return best <= now ? 0 : (int)(best - now);
}

static void describe_one(const struct daemon *dm, const struct domain *d,
			 const struct dev_kind *k, size_t i, struct lp_dev *out)
{
	const struct dev_proc *p = find_proc((struct domain *)d, k, k->key(&d->cfg, i));

	*out = (struct lp_dev){ 0 };
	snprintf(out->type, sizeof(out->type), "%s", k->type);
	snprintf(out->key, sizeof(out->key), "%s", k->key(&d->cfg, i));
	k->describe(&d->cfg, i, out);
	if (!procs_enabled(dm)) {
		snprintf(out->state, sizeof(out->state), "simulated");
		return;
	}
	snprintf(out->state, sizeof(out->state), "%s", p ? dev_state_name(p->state) : "none");
	if (p) {
		out->pid = (uint32_t)p->pid;
		out->restarts = p->restarts;
		snprintf(out->note, sizeof(out->note), "%s", p->note);
	}
}

size_t dev_describe(const struct daemon *dm, const struct domain *d, struct lp_dev *out,
		    size_t max)
{
	size_t n = 0;

	for (size_t k = 0; dev_kinds[k]; k++)
		for (size_t i = 0; i < dev_kinds[k]->count(&d->cfg) && n < max; i++)
			describe_one(dm, d, dev_kinds[k], i, &out[n++]);
	return n;
}
