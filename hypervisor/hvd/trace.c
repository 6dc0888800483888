// SPDX-License-Identifier: MIT
// lamina-hvd hypercall trace: libhv's per-domain hook into a bounded ring, sent decoded to subscribers.
#include "hvd.h"

#include <errno.h>
#include <hv.h>
#include <lamina/hypercall.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const console_ops[] = { "write", "read" };
static const char *const sched_ops[] = { "yield", "block", "poll", "shutdown" };
static const char *const vcpu_ops[] = {
	"up", "down", "is_up", "register_vcpu_info", "set_upcall_vector",
	"set_singleshot_timer", "stop_singleshot_timer", "set_periodic_timer",
	"stop_periodic_timer", "get_runstate_info", "register_runstate_area",
};
static const char *const memory_ops[] = {
	"memory_map", "current_reservation", "maximum_reservation",
	"decrease_reservation", "populate_physmap", "add_to_physmap",
};
static const char *const evtchn_ops[] = {
	"alloc_unbound", "bind_interdomain", "bind_virq", "bind_ipi", "bind_vcpu",
	"send", "close", "status", "unmask", "reset",
};
static const char *const grant_ops[] = { "setup_table", "query_size", "map_grant_ref",
					 "unmap_grant_ref", "copy" };

// "cmd=name" (or "cmd=N" for one without a name).
static void cmd_text(char *buf, size_t len, const char *const *names, size_t n, uint64_t cmd)
{
	if (cmd < n)
		snprintf(buf, len, "cmd=%s", names[cmd]);
	else
		snprintf(buf, len, "cmd=%llu", (unsigned long long)cmd);
}

#define CMD(names) (cmd_text(cmd, sizeof(cmd), names, N(names), a[1]), cmd)

void trace_decode(const uint64_t a[6], char *out, size_t len)
{
	const char *name = hv_hypercall_name((unsigned)a[0]);
	unsigned long long x = a[1], y = a[2], z = a[3];
	char cmd[48];

	switch (a[0]) {
	case LAMINA_HC_console_io:
		snprintf(out, len, "console_io(%s, count=%llu)", CMD(console_ops), y);
		break;
	case LAMINA_HC_sched_op:
		snprintf(out, len, "sched_op(%s, arg=%#llx)", CMD(sched_ops), y);
		break;
	case LAMINA_HC_set_timer_op:
		snprintf(out, len, "set_timer_op(deadline_ns=%llu)", x);
		break;
	case LAMINA_HC_vcpu_op:
		snprintf(out, len, "vcpu_op(%s, vcpu=%llu, arg=%#llx)", CMD(vcpu_ops), y, z);
		break;
	case LAMINA_HC_memory_op:
		snprintf(out, len, "memory_op(%s, arg=%#llx)", CMD(memory_ops), y);
		break;
	case LAMINA_HC_event_channel_op:
		snprintf(out, len, "event_channel_op(%s, arg=%#llx)", CMD(evtchn_ops), y);
		break;
	case LAMINA_HC_event_send:
		snprintf(out, len, "event_send(port=%llu)", x);
		break;
	case LAMINA_HC_grant_table_op:
		snprintf(out, len, "grant_table_op(%s, arg=%#llx, count=%llu)", CMD(grant_ops), y,
			 z);
		break;
	case LAMINA_HC_multicall:
		snprintf(out, len, "multicall(calls=%#llx, nr=%llu)", x, y);
		break;
	default:
		snprintf(out, len, "%s(%#llx, %#llx, %#llx)", name ? name : "unknown", x, y, z);
	}
}

// libhv's hook, on a vCPU thread: queue the raw call, or count it as dropped.
static void on_hypercall(void *ctx, int vcpu, const uint64_t a[6], int64_t ret)
{
	struct hvd_dom *hd = ctx;
	struct hvd_raw r = { .ts_ns = (uint64_t)(hvd_now_ns() - hd->t0_ns), .vcpu = vcpu,
			     .ret = ret };

	for (int i = 0; i < 6; i++)
		r.a[i] = a[i];
	pthread_mutex_lock(&hd->tr_lock);
	if (hd->tr_len == HVD_TRACE_MAX)
		hd->tr_dropped++;
	else
		hd->ring[(hd->tr_head + hd->tr_len++) % HVD_TRACE_MAX] = r;
	pthread_mutex_unlock(&hd->tr_lock);
}

// The drain timer runs while at least one domain is traced.
static void tick(struct hvd *h, int delta)
{
	struct itimerspec on = { { 0, HVD_TRACE_TICK_NS }, { 0, HVD_TRACE_TICK_NS } };
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };

	h->ntraced += (unsigned)delta;
	if ((delta > 0 && h->ntraced == 1) || h->ntraced == 0)
		timerfd_settime(h->tfd, 0, h->ntraced ? &on : &off, NULL);
}

static void set_tracing(struct hvd_dom *hd, bool on)
{
	hv_set_trace(hd->d, on ? on_hypercall : NULL, hd);
	pthread_mutex_lock(&hd->tr_lock);
	hd->tracing = on;
	hd->tr_len = hd->tr_head = 0;
	hd->tr_dropped = 0;
	pthread_mutex_unlock(&hd->tr_lock);
	tick(hd->h, on ? 1 : -1);
}

// Add or remove c as a subscriber; libhv's hook is set while any is.
// 0, -ENOMEM, or -EBUSY (HVD_MAX_TRACERS already).
int trace_subscribe(struct hvd_dom *hd, struct hvd_conn *c, bool on)
{
	unsigned i = 0;

	while (i < hd->ntracers && hd->tracers[i] != c)
		i++;
	if (on == (i < hd->ntracers))
		return 0;
	if (!on) {
		hd->tracers[i] = hd->tracers[--hd->ntracers];
		if (!hd->ntracers)
			set_tracing(hd, false);
		return 0;
	}
	if (hd->ntracers == HVD_MAX_TRACERS)
		return -EBUSY;
	if (!hd->ring && !(hd->ring = calloc(HVD_TRACE_MAX, sizeof(*hd->ring))))
		return -ENOMEM;
	hd->tracers[hd->ntracers++] = c;
	if (hd->ntracers == 1)
		set_tracing(hd, true);
	return 0;
}

void trace_drop_conn(struct hvd *h, struct hvd_conn *c)
{
	for (struct hvd_dom *hd = h->doms; hd; hd = hd->next)
		trace_subscribe(hd, c, false);
}

// Take up to max events; *dropped gets the calls lost since the last take.
static unsigned take(struct hvd_dom *hd, struct hvd_raw *out, unsigned max, uint64_t *dropped)
{
	unsigned n = 0;

	pthread_mutex_lock(&hd->tr_lock);
	*dropped = hd->tr_dropped;
	hd->tr_dropped = 0;
	while (n < max && hd->tr_len) {
		out[n++] = hd->ring[hd->tr_head];
		hd->tr_head = (hd->tr_head + 1) % HVD_TRACE_MAX;
		hd->tr_len--;
	}
	pthread_mutex_unlock(&hd->tr_lock);
	return n;
}

// {"ts_ns", "vcpu", "nr", "args": [5], "ret", "text"}
static json_object *event_json(const struct hvd_raw *r)
{
	json_object *o = json_object_new_object(), *args = json_object_new_array();
	char text[128];

	trace_decode(r->a, text, sizeof(text));
	for (int i = 1; i < 6; i++)
		json_object_array_add(args, json_object_new_uint64(r->a[i]));
	json_object_object_add(o, "ts_ns", json_object_new_uint64(r->ts_ns));
	json_object_object_add(o, "vcpu", json_object_new_int(r->vcpu));
	json_object_object_add(o, "nr", json_object_new_uint64(r->a[0]));
	json_object_object_add(o, "args", args);
	json_object_object_add(o, "ret", json_object_new_int64(r->ret));
	json_object_object_add(o, "text", json_object_new_string(text));
	return o;
}

// {"event": "trace", "id", "dropped": calls lost before these, "events": [...]}
static json_object *batch(struct hvd_dom *hd, bool *more)
{
	struct hvd_raw r[HVD_TRACE_BATCH];
	uint64_t dropped;
	unsigned n = take(hd, r, HVD_TRACE_BATCH, &dropped);
	json_object *ev, *a;

	*more = n == HVD_TRACE_BATCH;
	if (!n && !dropped)
		return NULL;
	ev = json_object_new_object();
	a = json_object_new_array();
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(a, event_json(&r[i]));
	json_object_object_add(ev, "event", json_object_new_string("trace"));
	json_object_object_add(ev, "id", json_object_new_int((int)hd->id));
	json_object_object_add(ev, "dropped", json_object_new_uint64(dropped));
	json_object_object_add(ev, "events", a);
	return ev;
}

void trace_drain(struct hvd *h)
{
	uint64_t n;
	bool more = true;

	if (read(h->tfd, &n, sizeof(n)) < 0)
		(void)0; // nothing due: a stray wake-up
	for (struct hvd_dom *hd = h->doms; hd; hd = hd->next) {
		for (int k = 0; hd->ntracers && more && k < HVD_TRACE_MAX / HVD_TRACE_BATCH; k++) {
			json_object *ev = batch(hd, &more);
			if (!ev)
				break;
			for (unsigned t = 0; t < hd->ntracers; t++)
				conn_queue_json(hd->tracers[t], json_object_get(ev));
			json_object_put(ev);
		}
		more = true;
	}
}
