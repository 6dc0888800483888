// SPDX-License-Identifier: MIT
// lamina-hvd request dispatch: find the op, run it, wrap the reply with "reply" and the request's "tag".
#include "ops.h"
#include "backend.h"

#include <errno.h>
#include <string.h>

enum { CONTROL, BACKEND, ATTACH }; // ATTACH: any connection (bk_attach says no twice)

static const struct {
	const char *name;
	hvd_op_fn *fn;
	bool needs_kvm; // refused with ENODEV when hvd has no KVM (unit tests)
	int kind; // CONTROL: any connection but a back-end's; BACKEND: an attached back-end's only
} ops[] = {
	{ "hello", op_hello, false, CONTROL },
	{ "list", op_list, false, CONTROL },
	{ "get", op_get, false, CONTROL },
	{ "stats", op_stats, true, CONTROL },
	{ "create", op_create, false, CONTROL },
	{ "destroy", op_destroy, true, CONTROL },
	{ "pause", op_pause, true, CONTROL },
	{ "unpause", op_unpause, true, CONTROL },
	{ "shutdown", op_shutdown, true, CONTROL },
	{ "mem-target", op_mem_target, true, CONTROL },
	{ "vcpus", op_vcpus, true, CONTROL },
	{ "pin", op_pin, true, CONTROL },
	{ "console-write", op_console_write, true, CONTROL },
	{ "console-backlog", op_console_backlog, true, CONTROL },
	{ "subscribe", op_subscribe, false, CONTROL },
	{ "trace", op_trace, true, CONTROL },
	{ "stop-all", op_stop_all, false, CONTROL },
	{ "backend-attach", op_backend_attach, true, ATTACH },
	{ "backend-detach", op_backend_detach, true, CONTROL },
	{ "store-read", op_store_read, true, BACKEND },
	{ "store-write", op_store_write, true, BACKEND },
	{ "store-watch", op_store_watch, true, BACKEND },
	{ "map", op_map, true, BACKEND },
	{ "unmap", op_unmap, true, BACKEND },
	{ "bind", op_bind, true, BACKEND },
	{ "unbind", op_unbind, true, BACKEND },
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
		else if (ops[i].kind == BACKEND && !c->bk)
			rep = ops_error(op, EPERM, "%s: only a back-end connection (after "
					"backend-attach) may use it", op);
		else if (ops[i].kind == CONTROL && c->bk && strcmp(op, "hello"))
			rep = ops_error(op, EPERM, "%s: a back-end connection may use only hello "
					"and the back-end ops", op);
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
