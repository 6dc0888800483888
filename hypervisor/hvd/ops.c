// SPDX-License-Identifier: MIT
// lamina-hvd request dispatch: find the op, run it, wrap the reply with "reply" and the request's "tag".
#include "ops.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	hvd_op_fn *fn;
	bool needs_kvm; // refused with ENODEV when hvd has no KVM (unit tests)
} ops[] = {
	{ "hello", op_hello, false },
	{ "list", op_list, false },
	{ "get", op_get, false },
	{ "stats", op_stats, true },
	{ "create", op_create, false },
	{ "destroy", op_destroy, true },
	{ "pause", op_pause, true },
	{ "unpause", op_unpause, true },
	{ "shutdown", op_shutdown, true },
	{ "mem-target", op_mem_target, true },
	{ "vcpus", op_vcpus, true },
	{ "pin", op_pin, true },
	{ "console-write", op_console_write, true },
	{ "console-backlog", op_console_backlog, true },
	{ "subscribe", op_subscribe, false },
	{ "trace", op_trace, true },
	{ "stop-all", op_stop_all, false },
};

json_object *ops_handle(struct hvd *h, struct hvd_conn *c, json_object *rq, unsigned nfds)
{
	json_object *v, *tag = NULL, *rep = NULL;
	const char *op = NULL;

	json_object_object_get_ex(rq, "tag", &tag);
	if (!json_object_object_get_ex(rq, "op", &v) || !json_object_is_type(v, json_type_string))
		rep = ops_error(NULL, EINVAL, "a request needs \"op\", a string");
	else
		op = json_object_get_string(v);
	for (size_t i = 0; op && !rep && i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, op))
			continue;
		if (nfds)
			rep = ops_error(op, EBADF, "%s: takes no file descriptors (%u sent)", op, nfds);
		else if (ops[i].needs_kvm && !h->hv)
			rep = ops_error(op, ENODEV, "%s: no KVM in this lamina-hvd", op);
		else
			rep = ops[i].fn(h, c, op, rq);
	}
	if (!rep)
		rep = ops_error(op, ENOTSUP, "unknown op '%s'", op ? op : "");
	json_object_object_add(rep, "reply", op ? json_object_new_string(op) : NULL);
	if (tag)
		json_object_object_add(rep, "tag", json_object_get(tag));
	json_object_put(rq);
	return rep;
}
