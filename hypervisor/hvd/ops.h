// SPDX-License-Identifier: MIT
// lamina-hvd request handling internals: field access with error replies, and the op handlers.
#ifndef LAMINA_HVD_OPS_H
#define LAMINA_HVD_OPS_H

#include "hvd.h"

// A handler answers one request: a reply body ({"ok": true, ...}) or an error
// (ops_error); ops_handle() adds "reply" and "tag".
typedef json_object *hvd_op_fn(struct hvd *h, struct hvd_conn *c, const char *op,
			       json_object *rq);

json_object *ops_ok(void);
const char *ops_errname(int code); // "EINVAL", ...
// Field accessors: 0 (absent and optional: *out untouched), or -1 with *err set.
int ops_uint(const char *op, json_object *rq, const char *key, bool required, uint64_t min,
	     uint64_t max, uint64_t *out, json_object **err);
int ops_str(const char *op, json_object *rq, const char *key, bool required, size_t max,
	    const char **out, json_object **err);
int ops_bool(const char *op, json_object *rq, const char *key, bool *out, json_object **err);
// The domain named by field "id", or NULL with *err (EINVAL, ENOENT).
struct hvd_dom *ops_dom(struct hvd *h, const char *op, json_object *rq, json_object **err);

// ops_dom.c: domain control; ops_io.c: console, trace, events, queries.
hvd_op_fn op_create, op_destroy, op_pause, op_unpause, op_shutdown, op_mem_target, op_vcpus,
	op_pin, op_stop_all;
hvd_op_fn op_hello, op_list, op_get, op_stats, op_console_write, op_console_backlog,
	op_subscribe, op_trace;
// ops_backend.c: back-end connections (backend.h).
hvd_op_fn op_backend_attach, op_store_read, op_store_write, op_store_watch, op_map, op_unmap,
	op_bind, op_unbind, op_backend_detach;

#endif
