// SPDX-License-Identifier: MIT
// The lamina-hvd back-end's queries: stats, trace subscription and reading, recovering running domains, stop-all.
#include "hvif_hvd_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum hv_state state;
} states[] = {
	{ "running", HV_RUNNING }, { "paused", HV_PAUSED }, { "shutting-down", HV_SHUTTING_DOWN },
	{ "shutoff", HV_SHUTOFF }, { "crashed", HV_CRASHED },
};

static enum hv_reason reason_of(const char *r)
{
	return !r ? HV_REASON_NONE
	       : !strcmp(r, "reboot") ? HV_REASON_REBOOT
	       : !strcmp(r, "crash") ? HV_REASON_CRASH
				      : HV_REASON_POWEROFF;
}

static uint64_t u64(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

// [[name, count], ...] into at most max hv_counts.
static unsigned counts(json_object *o, const char *key, struct hv_count *out, unsigned max)
{
	json_object *a;
	unsigned n = 0;

	if (!json_object_object_get_ex(o, key, &a))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
		json_object *p = json_object_array_get_idx(a, i);
		snprintf(out[n].what, sizeof(out[n].what), "%s",
			 json_object_get_string(json_object_array_get_idx(p, 0)));
		out[n++].count = (uint64_t)json_object_get_int64(json_object_array_get_idx(p, 1));
	}
	return n;
}

// Gone with lamina-hvd: crashed, as the domains are.  Destroyed in
// lamina-hvd by another client: shut off (reason none).
int hh_stats(struct hv_dom *hd, struct hv_stats *st)
{
	json_object *rep;
	const char *s;
	int rc;

	*st = (struct hv_stats){ .state = HV_CRASHED, .reason = HV_REASON_CRASH };
	if (hd->be->gone)
		return 0;
	if ((rc = hh_call(hd->be, hh_req("stats", hd->id), &rep))) {
		if (rc == -ENOENT)
			*st = (struct hv_stats){ .state = HV_SHUTOFF, .reason = HV_REASON_NONE };
		return hd->be->gone || rc == -ENOENT ? 0 : -EIO;
	}
	s = str(rep, "state");
	for (size_t i = 0; s && i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(s, states[i].name))
			st->state = states[i].state;
	st->reason = reason_of(str(rep, "reason"));
	st->vcpus = (unsigned)u64(rep, "vcpus");
	st->max_vcpus = (unsigned)u64(rep, "max_vcpus");
	st->mem_kib = u64(rep, "mem_kib");
	st->maxmem_kib = u64(rep, "maxmem_kib");
	st->cpu_ns = u64(rep, "cpu_ns");
	st->hypercalls = u64(rep, "hypercalls");
	st->nexits = counts(rep, "exits", st->exits, HV_MAX_EXIT_REASONS);
	st->nhcalls = counts(rep, "calls", st->hcalls, HV_MAX_HCALL_KINDS);
	json_object_put(rep);
	// lamina-hvd sent the domain's output up to its end before this reply:
	// queue it now, before laminad acts on the end.
	if (st->state == HV_SHUTOFF || st->state == HV_CRASHED)
		hh_events(hd->be);
	return 0;
}

// The subscription belongs to the event connection, where the calls arrive.
int hh_trace_subscribe(struct hv_dom *hd, bool on)
{
	json_object *rq = hh_req("trace", hd->id);

	if (on == hd->tracing)
		return 0;
	if (on && !hd->tq && !(hd->tq = calloc(HH_TRACE_MAX, sizeof(*hd->tq)))) {
		json_object_put(rq);
		return -ENOMEM;
	}
	json_object_object_add(rq, "on", json_object_new_boolean(on));
	if (hh_send_ev(hd->be, rq))
		return -EIO;
	hd->tracing = on;
	hd->tq_len = hd->tq_head = 0;
	hd->tq_dropped = 0;
	return 0;
}

int hh_trace_read(struct hv_dom *hd, struct hv_trace_event *ev)
{
	if (!hd->tracing)
		return 0;
	if (hd->tq_dropped) {
		*ev = (struct hv_trace_event){ .nr = ~0u };
		snprintf(ev->text, sizeof(ev->text), "(%llu calls not traced: the trace ring was "
			 "full)", (unsigned long long)hd->tq_dropped);
		hd->tq_dropped = 0;
		return 1;
	}
	if (!hd->tq_len)
		return 0;
	*ev = hd->tq[hd->tq_head];
	hd->tq_head = (hd->tq_head + 1) % HH_TRACE_MAX;
	hd->tq_len--;
	return 1;
}

// One running domain: its config, then its console backlog; output after
// the backlog arrives as events (the event connection subscribed first).
static int recover_one(struct hv_backend *be, unsigned id, hvif_found_fn *fn, void *ctx)
{
	json_object *get, *bl;
	struct hvif_found f = { .id = id };
	struct hv_dom *hd;
	char *con = NULL;
	ssize_t n = 0;

	if (hh_call(be, hh_req("get", id), &get))
		return be->gone ? -EIO : 0; // destroyed meanwhile
	if (hh_call(be, hh_req("console-backlog", id), &bl) == 0) {
		const char *b = str(bl, "data");
		con = b ? malloc(strlen(b) / 4 * 3 + 3) : NULL;
		n = con ? hvd_b64_decode(b, strlen(b), con) : 0;
	}
	if (!(hd = hh_new_dom(be, id))) {
		json_object_put(get);
		json_object_put(bl);
		free(con);
		return -ENOMEM;
	}
	hd->con_seen = bl ? u64(bl, "end") : u64(get, "console_end");
	f.hd = hd;
	f.name = str(get, "name");
	f.config = str(get, "config");
	f.console = con;
	f.console_len = n > 0 ? (size_t)n : 0;
	fn(ctx, &f);
	json_object_put(get);
	json_object_put(bl);
	free(con);
	return 0;
}

int hh_recover(struct hv_backend *be, hvif_found_fn *fn, void *ctx)
{
	json_object *rep, *a;
	int rc = hh_call(be, hh_req("list", 0), &rep);

	if (rc)
		return rc;
	json_object_object_get_ex(rep, "domains", &a);
	for (size_t i = 0; !rc && a && i < json_object_array_length(a); i++)
		rc = recover_one(be, (unsigned)u64(json_object_array_get_idx(a, i), "id"), fn, ctx);
	json_object_put(rep);
	return rc;
}

int hh_stop_all(struct hv_backend *be)
{
	json_object *rep;
	int rc = hh_call(be, hh_req("stop-all", 0), &rep);

	if (rc)
		return rc;
	rc = (int)u64(rep, "destroyed");
	json_object_put(rep);
	be->gone = true; // as asked: no message
	return rc;
}

bool hh_alive(struct hv_backend *be)
{
	return !be->gone;
}
