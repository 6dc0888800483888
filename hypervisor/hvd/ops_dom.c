// SPDX-License-Identifier: MIT
// lamina-hvd domain control ops: create, destroy, pause, unpause, shutdown, mem-target, vcpus, pin, stop-all.
#include "ops.h"

#include <errno.h>
#include <hv.h>
#include <lamina/sched.h>
#include <stdio.h>
#include <string.h>

#define MAX_VCPUS 128
#define MIN_MEM_KIB 1024ull
#define MAX_MEM_KIB (1ull << 30)
#define MAX_EVTCHNS 131072
#define MAX_GRANT_FRAMES 1024
#define MAX_CPUS 1024

static json_object *id_reply(unsigned id)
{
	json_object *o = ops_ok();

	json_object_object_add(o, "id", json_object_new_int((int)id));
	return o;
}

static void tell(struct hvd *h, const char *what, struct hvd_dom *hd)
{
	json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string(what));
	json_object_object_add(ev, "id", json_object_new_int((int)hd->id));
	json_object_object_add(ev, "name", json_object_new_string(hd->name));
	conn_broadcast(h, ev);
}

static int check_name(const char *op, const char *name, struct hvd *h, json_object **err)
{
	bool ok = *name != 0;

	for (const char *p = name; *p && ok; p++)
		ok = *p > 0x20 && *p < 0x7f && *p != '/';
	if (!ok) {
		*err = ops_error(op, EINVAL, "%s: name must be 1 to %d printable characters "
				 "without spaces or '/'", op, HVD_NAME_MAX - 1);
		return -1;
	}
	for (struct hvd_dom *hd = h->doms; hd; hd = hd->next)
		if (!strcmp(hd->name, name)) {
			*err = ops_error(op, EEXIST, "%s: domain '%s' already exists (id %u)", op,
					 name, hd->id);
			return -1;
		}
	return 0;
}

// The numeric fields of create, with their ranges.
static int create_numbers(const char *op, json_object *rq, struct hvd_dom_params *p,
			  json_object **err)
{
	uint64_t mem, max = 0, v, on = 0, ev = 0, gf = 0;

	if (ops_uint(op, rq, "mem_kib", true, MIN_MEM_KIB, MAX_MEM_KIB, &mem, err) ||
	    ops_uint(op, rq, "maxmem_kib", false, MIN_MEM_KIB, MAX_MEM_KIB, &max, err) ||
	    ops_uint(op, rq, "vcpus", true, 1, MAX_VCPUS, &v, err) ||
	    ops_uint(op, rq, "vcpus_online", false, 1, MAX_VCPUS, &on, err) ||
	    ops_uint(op, rq, "evtchns", false, 0, MAX_EVTCHNS, &ev, err) ||
	    ops_uint(op, rq, "grant_frames", false, 0, MAX_GRANT_FRAMES, &gf, err))
		return -1;
	if (mem % 4 || (max && max % 4)) {
		*err = ops_error(op, EINVAL, "%s: mem_kib and maxmem_kib must be whole 4 KiB pages", op);
		return -1;
	}
	if (max && max < mem) {
		*err = ops_error(op, EINVAL, "%s: maxmem_kib %llu is below mem_kib %llu", op,
				 (unsigned long long)max, (unsigned long long)mem);
		return -1;
	}
	if (on > v) {
		*err = ops_error(op, EINVAL, "%s: vcpus_online %llu is above vcpus %llu", op,
				 (unsigned long long)on, (unsigned long long)v);
		return -1;
	}
	*p = (struct hvd_dom_params){ .mem_kib = mem, .maxmem_kib = max ? max : mem,
				      .vcpus = (unsigned)v, .vcpus_online = (unsigned)(on ? on : v),
				      .evtchns = (unsigned)ev, .grant_frames = (unsigned)gf,
				      .console = true };
	return 0;
}

static int abs_path(const char *op, const char *key, const char *path, json_object **err)
{
	if (path && path[0] != '/') {
		*err = ops_error(op, EINVAL, "%s: %s must be an absolute path, not '%s'", op, key,
				 path);
		return -1;
	}
	return 0;
}

json_object *op_create(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	struct hvd_dom_params p;
	json_object *err = NULL;
	struct hvd_dom *hd;
	char msg[512];

	(void)c;
	if (create_numbers(op, rq, &p, &err) ||
	    ops_str(op, rq, "name", true, HVD_NAME_MAX - 1, &p.name, &err) ||
	    ops_str(op, rq, "kernel", true, PATH_MAX - 1, &p.kernel, &err) ||
	    ops_str(op, rq, "initrd", false, PATH_MAX - 1, &p.initrd, &err) ||
	    ops_str(op, rq, "cmdline", false, 4095, &p.cmdline, &err) ||
	    ops_str(op, rq, "config", false, HVD_CONFIG_MAX, &p.config, &err) ||
	    ops_bool(op, rq, "console", &p.console, &err) ||
	    ops_bool(op, rq, "paused", &p.paused, &err) ||
	    abs_path(op, "kernel", p.kernel, &err) || abs_path(op, "initrd", p.initrd, &err) ||
	    check_name(op, p.name, h, &err))
		return err;
	if (h->ndoms >= HVD_MAX_DOMAINS)
		return ops_error(op, ENOSPC, "%s: too many domains (at most %d)", op,
				 HVD_MAX_DOMAINS);
	hd = dom_create(h, &p, msg, sizeof(msg));
	if (!hd)
		return ops_error(op, h->hv ? EIO : ENODEV, "%s: %s", op, msg);
	fprintf(stderr, "lamina-hvd: created domain %u (%s)%s\n", hd->id, hd->name,
		p.paused ? ", paused" : "");
	tell(h, "created", hd);
	return id_reply(hd->id);
}

json_object *op_destroy(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	unsigned id;

	(void)c;
	if (!hd)
		return err;
	id = hd->id;
	dom_console_pump(hd); // its last output reaches subscribers
	tell(h, "destroyed", hd);
	fprintf(stderr, "lamina-hvd: destroying domain %u (%s)\n", id, hd->name);
	dom_destroy(hd);
	return id_reply(id);
}

static json_object *not_in(const char *op, struct hvd_dom *hd, const char *state)
{
	return ops_error(op, EINVAL, "%s: domain %u is %s", op, hd->id, state);
}

static json_object *pause_op(struct hvd *h, const char *op, json_object *rq, bool on)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	const char *why, *s;
	int rc;

	if (!hd)
		return err;
	s = dom_state(hd, &why);
	if (on ? strcmp(s, "running") && strcmp(s, "shutting-down") : strcmp(s, "paused"))
		return not_in(op, hd, s);
	rc = on ? dom_pause(hd) : dom_unpause(hd);
	if (rc)
		return ops_error(op, -rc, "%s: domain %u: %s", op, hd->id, strerror(-rc));
	return id_reply(hd->id);
}

json_object *op_pause(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	(void)c;
	return pause_op(h, op, rq, true);
}

json_object *op_unpause(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	(void)c;
	return pause_op(h, op, rq, false);
}

json_object *op_shutdown(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	const char *reason = NULL, *why, *s;
	int r, rc;

	(void)c;
	if (!hd || ops_str(op, rq, "reason", true, 16, &reason, &err))
		return err;
	if (!strcmp(reason, "poweroff"))
		r = LAMINA_SHUTDOWN_POWEROFF;
	else if (!strcmp(reason, "reboot"))
		r = LAMINA_SHUTDOWN_REBOOT;
	else
		return ops_error(op, EINVAL, "%s: reason must be \"poweroff\" or \"reboot\", not "
				 "\"%s\"", op, reason);
	s = dom_state(hd, &why);
	if (!strcmp(s, "shutoff") || !strcmp(s, "crashed"))
		return not_in(op, hd, s);
	if ((rc = hv_request_shutdown(hd->d, r)) < 0)
		return ops_error(op, -rc, "%s: domain %u: %s", op, hd->id, strerror(-rc));
	hd->shutdown_asked = true;
	return id_reply(hd->id);
}

json_object *op_mem_target(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	uint64_t kib;
	int rc;

	(void)c;
	if (!hd || ops_uint(op, rq, "kib", true, 4, MAX_MEM_KIB, &kib, &err))
		return err;
	if ((rc = hv_set_mem_target(hd->d, kib)) < 0)
		return ops_error(op, -rc, "%s: domain %u: %s (the ceiling is its maxmem_kib, in "
				 "whole pages)", op, hd->id, strerror(-rc));
	return id_reply(hd->id);
}

json_object *op_vcpus(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	uint64_t n;

	(void)c;
	if (!hd || ops_uint(op, rq, "online", true, 1, MAX_VCPUS, &n, &err))
		return err;
	return ops_error(op, ENOTSUP, "%s: changing the online vCPUs of a running domain is "
			 "not supported by libhv yet", op);
}

// "cpus": an array of CPU numbers into a bit mask.
static int cpu_mask(const char *op, json_object *rq, uint64_t mask[MAX_CPUS / 64],
		    json_object **err)
{
	json_object *a;
	size_t n;

	if (!json_object_object_get_ex(rq, "cpus", &a) || !json_object_is_type(a, json_type_array) ||
	    !(n = json_object_array_length(a))) {
		*err = ops_error(op, EINVAL, "%s: field 'cpus' must be a non-empty array of CPU "
				 "numbers", op);
		return -1;
	}
	memset(mask, 0, MAX_CPUS / 8);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		int64_t cpu = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || cpu < 0 || cpu >= MAX_CPUS) {
			*err = ops_error(op, EINVAL, "%s: cpus[%zu] must be a CPU number from 0 to %d",
					 op, i, MAX_CPUS - 1);
			return -1;
		}
		mask[cpu / 64] |= 1ull << (cpu % 64);
	}
	return 0;
}

json_object *op_pin(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	uint64_t vcpu, mask[MAX_CPUS / 64];
	int rc;

	(void)c;
	if (!hd || ops_uint(op, rq, "vcpu", true, 0, MAX_VCPUS - 1, &vcpu, &err) ||
	    cpu_mask(op, rq, mask, &err))
		return err;
	if ((rc = hv_vcpu_pin(hd->d, (int)vcpu, mask, MAX_CPUS)) < 0)
		return ops_error(op, -rc, "%s: vCPU %llu of domain %u: %s", op,
				 (unsigned long long)vcpu, hd->id, strerror(-rc));
	return id_reply(hd->id);
}

json_object *op_stop_all(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *o = ops_ok();
	unsigned n = 0;

	(void)c;
	(void)op;
	(void)rq;
	while (h->doms) {
		dom_console_pump(h->doms);
		tell(h, "destroyed", h->doms);
		dom_destroy(h->doms);
		n++;
	}
	fprintf(stderr, "lamina-hvd: stop-all: destroyed %u domains; stopping\n", n);
	h->stop = true;
	json_object_object_add(o, "destroyed", json_object_new_int((int)n));
	return o;
}
