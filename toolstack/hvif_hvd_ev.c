// SPDX-License-Identifier: MIT
// The lamina-hvd back-end's event stream: console output and hypercall traces queued per domain.
#include "hvif_hvd_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static unsigned ev_id(json_object *ev)
{
	json_object *v;

	return json_object_object_get_ex(ev, "id", &v) ? (unsigned)json_object_get_int(v) : 0;
}

static void on_console(struct hv_dom *hd, json_object *ev)
{
	json_object *off, *data;
	char *buf;
	ssize_t n;

	if (!json_object_object_get_ex(ev, "offset", &off) ||
	    !json_object_object_get_ex(ev, "data", &data))
		return;
	buf = malloc((size_t)json_object_get_string_len(data) / 4 * 3 + 3);
	if (!buf)
		return;
	n = hvd_b64_decode(json_object_get_string(data), (size_t)json_object_get_string_len(data), buf);
	if (n > 0)
		hh_console_add(hd, (uint64_t)json_object_get_int64(off), buf, (size_t)n);
	free(buf);
}

static void trace_push(struct hv_dom *hd, const struct hv_trace_event *e)
{
	if (hd->tq_len == HH_TRACE_MAX) {
		hd->tq_dropped++;
		return;
	}
	hd->tq[(hd->tq_head + hd->tq_len++) % HH_TRACE_MAX] = *e;
}

static void one_call(struct hv_dom *hd, json_object *o)
{
	struct hv_trace_event e = { 0 };
	json_object *v, *args;

	if (json_object_object_get_ex(o, "ts_ns", &v))
		e.ts_ns = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "vcpu", &v))
		e.vcpu = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(o, "nr", &v))
		e.nr = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(o, "ret", &v))
		e.ret = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "text", &v))
		snprintf(e.text, sizeof(e.text), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "args", &args))
		for (size_t i = 0; i < 5 && i < json_object_array_length(args); i++)
			e.args[i] = (uint64_t)json_object_get_int64(json_object_array_get_idx(args, i));
	trace_push(hd, &e);
}

static void on_trace(struct hv_dom *hd, json_object *ev)
{
	json_object *a, *v;

	if (!hd->tracing)
		return; // unsubscribed while these were on their way
	if (json_object_object_get_ex(ev, "dropped", &v))
		hd->tq_dropped += (uint64_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(ev, "events", &a))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		one_call(hd, json_object_array_get_idx(a, i));
}

// A reply on ev (to "trace"): only a refusal is worth a word.
static void on_reply(json_object *rep)
{
	json_object *ok, *msg;

	if (json_object_object_get_ex(rep, "ok", &ok) && json_object_get_boolean(ok))
		return;
	json_object_object_get_ex(rep, "message", &msg);
	fprintf(stderr, "laminad: lamina-hvd: %s\n", msg ? json_object_get_string(msg) : "error");
}

static void dispatch(struct hv_backend *be, json_object *m)
{
	json_object *kind;
	struct hv_dom *hd;
	const char *k;

	if (!json_object_object_get_ex(m, "event", &kind)) {
		on_reply(m);
		return;
	}
	k = json_object_get_string(kind);
	hd = hh_find(be, ev_id(m));
	if (!hd)
		return; // not ours (yet): created by another client
	if (!strcmp(k, "console"))
		on_console(hd, m);
	else if (!strcmp(k, "trace"))
		on_trace(hd, m);
	// "ended", "created", "destroyed": laminad reads the state through stats()
}

void hh_events(struct hv_backend *be)
{
	static char buf[HVD_MSG_MAX + 1];
	bool trunc;
	ssize_t n;

	while (!be->gone) {
		n = hvd_recv(be->ev, buf, HVD_MSG_MAX, NULL, NULL, &trunc, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			if (hh_reconnect_ev(be))
				hh_lost(be, n ? strerror((int)-n) : "it closed the connection");
			return;
		}
		json_object *m = trunc ? NULL : json_tokener_parse(buf);
		if (m)
			dispatch(be, m);
		json_object_put(m);
	}
}
