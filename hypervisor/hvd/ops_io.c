// SPDX-License-Identifier: MIT
// lamina-hvd query and stream ops: hello, list, get, stats, console, subscribe, trace.
#include "ops.h"

#include <errno.h>
#include <hv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_object *op_hello(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *o = ops_ok();

	(void)c;
	(void)op;
	(void)rq;
	json_object_object_add(o, "version", json_object_new_int(HVD_PROTO_VERSION));
	json_object_object_add(o, "hvd", json_object_new_string(HVD_VERSION));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "domains", json_object_new_int((int)h->ndoms));
	json_object_object_add(o, "next_id", json_object_new_int((int)h->next_id));
	json_object_object_add(o, "kvm", json_object_new_boolean(h->hv != NULL));
	return o;
}

static void put_state(json_object *o, struct hvd_dom *hd)
{
	const char *reason, *state = hd->d ? dom_state(hd, &reason) : "unknown";

	json_object_object_add(o, "state", json_object_new_string(state));
	if (hd->d && reason)
		json_object_object_add(o, "reason", json_object_new_string(reason));
}

static json_object *list_entry(struct hvd_dom *hd)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "id", json_object_new_int((int)hd->id));
	json_object_object_add(e, "name", json_object_new_string(hd->name));
	put_state(e, hd);
	return e;
}

// Oldest first (h->doms is newest first), so a client rebuilds its registry in id order.
json_object *op_list(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *o = ops_ok(), *a = json_object_new_array();
	struct hvd_dom *all[HVD_MAX_DOMAINS];
	unsigned n = 0;

	(void)c;
	(void)op;
	(void)rq;
	for (struct hvd_dom *hd = h->doms; hd && n < HVD_MAX_DOMAINS; hd = hd->next)
		all[n++] = hd;
	while (n)
		json_object_array_add(a, list_entry(all[--n]));
	json_object_object_add(o, "domains", a);
	json_object_object_add(o, "next_id", json_object_new_int((int)h->next_id));
	return o;
}

json_object *op_get(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL, *o;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);

	(void)c;
	if (!hd)
		return err;
	o = ops_ok();
	json_object_object_add(o, "id", json_object_new_int((int)hd->id));
	json_object_object_add(o, "name", json_object_new_string(hd->name));
	put_state(o, hd);
	json_object_object_add(o, "created", json_object_new_int64(hd->created));
	json_object_object_add(o, "vcpus", json_object_new_int((int)hd->vcpus));
	json_object_object_add(o, "max_vcpus", json_object_new_int((int)hd->max_vcpus));
	json_object_object_add(o, "console", json_object_new_boolean(hd->con_rd >= 0));
	json_object_object_add(o, "console_end", json_object_new_uint64(hd->con_total));
	json_object_object_add(o, "config", json_object_new_string(hd->config));
	return o;
}

json_object *op_stats(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL, *o, *s;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);

	(void)c;
	if (!hd)
		return err;
	o = ops_ok();
	s = dom_stats_json(hd);
	// The guest's output before the state just read is in its pipe: send it
	// to subscribers now, ahead of this reply, so a client that acts on an
	// end (and destroys the domain) has already been sent its last words.
	dom_console_pump(hd);
	json_object_object_foreach(s, k, v) json_object_object_add(o, k, json_object_get(v));
	json_object_put(s);
	json_object_object_add(o, "id", json_object_new_int((int)hd->id));
	return o;
}

json_object *op_console_write(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL, *o;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	const char *data;
	char buf[HVD_CHUNK + 4]; // what HVD_B64_LEN(HVD_CHUNK) characters can decode to
	ssize_t n;

	(void)c;
	if (!hd || ops_str(op, rq, "data", true, HVD_B64_LEN(HVD_CHUNK) - 1, &data, &err))
		return err;
	if ((n = hvd_b64_decode(data, strlen(data), buf)) < 0)
		return ops_error(op, EINVAL, "%s: field 'data' is not base64", op);
	if (n > HVD_CHUNK)
		return ops_error(op, EINVAL, "%s: field 'data' holds more than %d bytes", op, HVD_CHUNK);
	if (hd->con_rd < 0)
		return ops_error(op, ENOTSUP, "%s: domain %u has no console", op, hd->id);
	o = ops_ok();
	json_object_object_add(o, "taken", json_object_new_int(hv_console_input(hd->d, buf, (size_t)n)));
	return o;
}

json_object *op_console_backlog(struct hvd *h, struct hvd_conn *c, const char *op,
				json_object *rq)
{
	json_object *err = NULL, *o;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	char *raw, *b64;
	size_t n;

	(void)c;
	if (!hd)
		return err;
	dom_console_pump(hd); // up to date: what is in the pipe now is in the backlog
	raw = malloc(HVD_BACKLOG);
	b64 = malloc(HVD_B64_LEN(HVD_BACKLOG));
	if (!raw || !b64) {
		free(raw);
		free(b64);
		return ops_error(op, ENOMEM, "%s: out of memory", op);
	}
	n = dom_backlog(hd, raw);
	n = hvd_b64_encode(raw, n, b64);
	o = ops_ok();
	json_object_object_add(o, "offset", json_object_new_uint64(hd->con_total - hd->bl_len));
	json_object_object_add(o, "end", json_object_new_uint64(hd->con_total));
	json_object_object_add(o, "data", json_object_new_string_len(b64, (int)n));
	free(raw);
	free(b64);
	return o;
}

json_object *op_subscribe(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	bool on = true;

	(void)h;
	if (ops_bool(op, rq, "on", &on, &err))
		return err;
	c->subscribed = on;
	return ops_ok();
}

json_object *op_trace(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	bool on = true;
	int rc;

	if (!hd || ops_bool(op, rq, "on", &on, &err))
		return err;
	if ((rc = trace_subscribe(hd, c, on)))
		return ops_error(op, -rc, rc == -EBUSY ? "%s: domain %u already has %d trace "
				 "subscribers" : "%s: domain %u: out of memory (%d)", op, hd->id,
				 HVD_MAX_TRACERS);
	return ops_ok();
}
