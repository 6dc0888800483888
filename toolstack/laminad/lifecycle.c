// SPDX-License-Identifier: MIT
// laminad domain lifecycle: create, destroy, restart, and on_poweroff/on_reboot/on_crash.
#include "laminad.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static bool mac_in_use(struct daemon *dm, const uint8_t mac[6], const struct dom_config *also)
{
	for (size_t i = 0; also && i < also->nnics; i++)
		if (also->nics[i].has_mac && !memcmp(also->nics[i].mac, mac, 6))
			return true;
	for (size_t i = 0; i < dm->reg.n; i++)
		for (size_t j = 0; j < dm->reg.doms[i]->cfg.nnics; j++)
			if (!memcmp(dm->reg.doms[i]->cfg.nics[j].mac, mac, 6))
				return true;
	return false;
}

static void new_mac(struct daemon *dm, uint8_t mac[6], const struct dom_config *cfg)
{
	do {
		mac[0] = 0x02; // locally administered, unicast
		mac[1] = 0x4c; // 'L'
		mac[2] = 0x4d; // 'M'
		if (getrandom(mac + 3, 3, 0) != 3)
			mac[3] = (uint8_t)rand(), mac[4] = (uint8_t)rand(), mac[5] = (uint8_t)rand();
	} while (mac_in_use(dm, mac, cfg));
}

void dom_assign_mac(struct daemon *dm, uint8_t mac[6])
{
	new_mac(dm, mac, NULL);
}

// Create d in the hypervisor paused, start its device back-ends, then let
// its vCPUs run unless `paused`: the guest finds its back-ends waiting.
// 0, or -1 with err (nothing is left of it in the hypervisor).
static int bring_up(struct daemon *dm, struct domain *d, bool paused, char *err, size_t errlen)
{
	int rc;

	d->hd = dm->ops->create(dm->hv, &d->cfg, d->id, true, err, errlen);
	if (!d->hd)
		return -1;
	if (dm->ops->dom_id)
		reg_set_id(&dm->reg, d, dm->ops->dom_id(d->hd));
	if (d->log_fd < 0 && domlog_open(dm, d)) // before the back-ends: they write to it
		fprintf(stderr, "laminad: cannot open the logs of '%s' in %s\n", d->cfg.name,
			dm->logdir);
	if (dev_start_all(dm, d, err, errlen))
		goto undo;
	if (!paused && (rc = dm->ops->unpause(d->hd))) {
		snprintf(err, errlen, "cannot start its vCPUs: %s", strerror(-rc));
		dev_stop_all(dm, d);
		goto undo;
	}
	return 0;
undo:
	dm->ops->destroy(d->hd);
	d->hd = NULL;
	return -1;
}

struct domain *dom_create(struct daemon *dm, struct dom_config *cfg, bool paused,
			  char *err, size_t errlen)
{
	struct domain *d;

	for (size_t i = 0; i < cfg->nnics; i++)
		if (!cfg->nics[i].has_mac) {
			new_mac(dm, cfg->nics[i].mac, cfg);
			cfg->nics[i].has_mac = true;
		}
	d = reg_add(&dm->reg, cfg, err, errlen);
	if (!d)
		return NULL;
	if (bring_up(dm, d, paused, err, errlen)) {
		domlog(d, "create failed: %s", err);
		domlog_close(d);
		reg_remove(&dm->reg, d); // nothing half-created stays behind
		return NULL;
	}
	domlog(d, "created: id %u, %u vCPUs, %llu KiB%s", d->id, d->cfg.vcpus_current,
	       (unsigned long long)d->cfg.memory_kib, paused ? ", paused" : "");
	return d;
}

void dom_destroy(struct daemon *dm, struct domain *d, const char *why)
{
	streams_end(d, why);
	dev_stop_all(dm, d);
	domlog(d, "destroyed: %s", why);
	dm->ops->destroy(d->hd);
	domlog_close(d);
	reg_remove(&dm->reg, d);
}

static void restart(struct daemon *dm, struct domain *d)
{
	char err[512];

	dev_stop_all(dm, d);
	dm->ops->destroy(d->hd);
	reg_renumber(&dm->reg, d);
	if (bring_up(dm, d, false, err, sizeof(err))) {
		domlog(d, "restart failed: %s", err);
		streams_end(d, "restart failed");
		domlog_close(d);
		reg_remove(&dm->reg, d);
		return;
	}
	if (d->ntracers)
		HVCALL(dm, trace_subscribe, d->hd, true);
	domlog(d, "restarted as id %u", d->id);
}

static void apply_action(struct daemon *dm, struct domain *d, enum hv_reason why)
{
	static const char *const what[] = { "stopped", "powered off", "rebooted", "crashed" };
	enum dom_action a = why == HV_REASON_REBOOT ? d->cfg.on_reboot
			    : why == HV_REASON_CRASH ? d->cfg.on_crash
						     : d->cfg.on_poweroff;
	char msg[96];

	domlog(d, "guest %s; action %s", what[why], dom_action_name(a));
	snprintf(msg, sizeof(msg), "guest %s", what[why]);
	if (a == DOM_ACT_DESTROY)
		dom_destroy(dm, d, msg);
	else if (a == DOM_ACT_RESTART)
		restart(dm, d);
	else
		d->preserved = true;
}

// The hypervisor process is gone and its domains with it: say so and stop
// (a new laminad starts a new lamina-hvd).
static void hypervisor_lost(struct daemon *dm)
{
	fprintf(stderr, "laminad: lamina-hvd went away, and every domain with it; stopping\n");
	for (size_t i = 0; i < dm->reg.n; i++) {
		dev_forget_all(dm->reg.doms[i]); // they lost their devices too
		streams_end(dm->reg.doms[i], "lamina-hvd went away");
		domlog(dm->reg.doms[i], "lost: lamina-hvd went away");
	}
	laminad_lost = 1;
	laminad_stop = 1;
}

// True (once said so) when the back-end's hypervisor process is gone.
static bool lost(struct daemon *dm)
{
	if (!dm->ops->alive || dm->ops->alive(dm->hv))
		return false;
	if (!laminad_lost)
		hypervisor_lost(dm);
	return true;
}

void dom_after_process(struct daemon *dm)
{
	struct hv_stats st;

	if (lost(dm))
		return;
	for (size_t i = dm->reg.n; i-- > 0;) {
		struct domain *d = dm->reg.doms[i];
		streams_pump(dm, d);
		if (d->preserved || dm->ops->stats(d->hd, &st))
			continue;
		if (lost(dm)) // found out just now: no guest action for a vanished domain
			return;
		if (st.state != HV_SHUTOFF && st.state != HV_CRASHED)
			continue;
		streams_pump(dm, d); // its last output, which stats() may just have fetched
		apply_action(dm, d, st.state == HV_CRASHED ? HV_REASON_CRASH : st.reason);
	}
}

static void copy_counts(struct lp_count *dst, uint32_t *n, const struct hv_count *src,
			unsigned count, unsigned max)
{
	*n = count < max ? count : max;
	for (unsigned i = 0; i < *n; i++) {
		snprintf(dst[i].what, sizeof(dst[i].what), "%s", src[i].what);
		dst[i].count = src[i].count;
	}
}

void dom_stats(struct daemon *dm, struct domain *d, struct lp_dom_stats *out)
{
	struct hv_stats st = { .state = HV_SHUTOFF };

	dm->ops->stats(d->hd, &st);
	*out = (struct lp_dom_stats){
		.id = d->id, .state = st.state, .vcpus = st.vcpus, .max_vcpus = st.max_vcpus,
		.mem_kib = st.mem_kib, .maxmem_kib = st.maxmem_kib, .cpu_ns = st.cpu_ns,
		.hypercalls = st.hypercalls,
	};
	snprintf(out->name, sizeof(out->name), "%s", d->cfg.name);
	copy_counts(out->exits, &out->nexits, st.exits, st.nexits, LP_MAX_EXIT_REASONS);
	copy_counts(out->hcalls, &out->nhcalls, st.hcalls, st.nhcalls, LP_MAX_HCALL_KINDS);
}
