// SPDX-License-Identifier: MIT
// lamina-hvd back-end ops: attach, scoped store access, map/unmap of granted pages, event channel binding, detach.
#include "backend.h"
#include "ops.h"

#include <errno.h>
#include <hv.h>
#include <stdio.h>
#include <string.h>

#define STORE_VALUE_MAX 4096

json_object *op_backend_attach(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL, *rep;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	const char *type = NULL;
	uint64_t devid = 0;
	char msg[256];
	int rc;

	if (!hd || ops_str(op, rq, "type", true, BK_TYPE_MAX, &type, &err) ||
	    ops_uint(op, rq, "devid", true, 0, BK_DEVID_MAX, &devid, &err))
		return err;
	if ((rc = bk_attach(h, c, hd, type, (unsigned)devid, msg, sizeof(msg))))
		return ops_error(op, -rc, "%s: %s", op, msg);
	rep = ops_ok();
	json_object_object_add(rep, "domid", json_object_new_int64(c->bk->domid));
	json_object_object_add(rep, "frontend", json_object_new_string(c->bk->fe));
	json_object_object_add(rep, "backend", json_object_new_string(c->bk->be));
	return rep;
}

// The request's "path", in this back-end's two directories, or NULL with *err.
static const char *scoped_path(struct hvd_conn *c, const char *op, json_object *rq,
			       json_object **err)
{
	const char *path = NULL;
	int rc;

	if (ops_str(op, rq, "path", true, BK_PATH_MAX * 2, &path, err))
		return NULL;
	if ((rc = bk_check_path(path, c->bk->fe, c->bk->be))) {
		*err = ops_error(op, -rc, rc == -EACCES ? "%s: '%s' is outside %s and %s"
			: "%s: '%s' is not a clean absolute path", op, path, c->bk->fe, c->bk->be);
		return NULL;
	}
	return path;
}

static json_object *store_error(const char *op, int rc, const char *path)
{
	return ops_error(op, rc == -ENOENT ? ENOENT : rc == -E2BIG ? E2BIG : EIO,
			 "%s: store error %d on '%s'", op, -rc, path);
}

json_object *op_store_read(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL, *rep;
	const char *path = scoped_path(c, op, rq, &err);
	char val[STORE_VALUE_MAX + 1];
	int rc;

	if (!path)
		return err;
	if ((rc = hv_store_read(h->hv, path, val, sizeof(val))) < 0)
		return store_error(op, rc, path);
	rep = ops_ok();
	json_object_object_add(rep, "value", json_object_new_string_len(val, rc));
	return rep;
}

json_object *op_store_write(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	const char *path = scoped_path(c, op, rq, &err), *val = NULL;
	int rc;

	if (!path || ops_str(op, rq, "value", true, STORE_VALUE_MAX, &val, &err))
		return err;
	if ((rc = hv_store_write(h->hv, path, val)) < 0)
		return store_error(op, rc, path);
	return ops_ok();
}

json_object *op_store_watch(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	const char *path = scoped_path(c, op, rq, &err);
	bool on = true;
	int rc;

	if (!path || ops_bool(op, rq, "on", &on, &err))
		return err;
	rc = on ? bk_watch(h, c->bk, path) : bk_unwatch(h, c->bk, path);
	if (rc == -EEXIST || rc == -ENOENT)
		return ops_error(op, -rc, "%s: '%s' is %s watched", op, path, on ? "already" : "not");
	if (rc == -ENOSPC)
		return ops_error(op, ENOSPC, "%s: a back-end has at most %d watches", op, BK_WATCHES);
	return rc < 0 ? store_error(op, rc, path) : ops_ok();
}

json_object *op_map(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	uint32_t refs[BK_MAP_PAGES], handle;
	json_object *v = NULL, *rep;
	unsigned n;
	char msg[256];
	int fd, rc;

	json_object_object_get_ex(rq, "refs", &v);
	if (bk_parse_refs(v, refs, &n, msg, sizeof(msg)))
		return ops_error(op, EINVAL, "%s: %s", op, msg);
	if ((rc = bk_map(h, c->bk, refs, n, &handle, &fd, msg, sizeof(msg))))
		return ops_error(op, -rc, "%s: %s", op, msg);
	c->rfd[c->nrfd++] = fd;
	rep = ops_ok();
	json_object_object_add(rep, "handle", json_object_new_int64(handle));
	json_object_object_add(rep, "pages", json_object_new_int64(n));
	return rep;
}

json_object *op_unmap(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	uint64_t handle;

	if (ops_uint(op, rq, "handle", true, 1, UINT32_MAX, &handle, &err))
		return err;
	if (bk_unmap(h, c->bk, (uint32_t)handle))
		return ops_error(op, ENOENT, "%s: no map with handle %llu", op,
				 (unsigned long long)handle);
	return ops_ok();
}

json_object *op_bind(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL, *rep;
	uint64_t port;
	char msg[256];
	int rc;

	if (ops_uint(op, rq, "port", true, 1, UINT32_MAX, &port, &err))
		return err;
	if ((rc = bk_bind(h, c->bk, (uint32_t)port, c->rfd, msg, sizeof(msg))))
		return ops_error(op, -rc, "%s: %s", op, msg);
	c->nrfd = 2; // doorbell (guest to back-end), kick (back-end to guest)
	rep = ops_ok();
	json_object_object_add(rep, "port", json_object_new_int64((int64_t)port));
	return rep;
}

json_object *op_unbind(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	uint64_t port;

	if (ops_uint(op, rq, "port", true, 1, UINT32_MAX, &port, &err))
		return err;
	if (bk_unbind(h, c->bk, (uint32_t)port))
		return ops_error(op, ENOENT, "%s: port %llu is not bound", op,
				 (unsigned long long)port);
	return ops_ok();
}

json_object *op_backend_detach(struct hvd *h, struct hvd_conn *c, const char *op, json_object *rq)
{
	json_object *err = NULL;
	struct hvd_dom *hd = ops_dom(h, op, rq, &err);
	const char *type = NULL;
	uint64_t devid = 0;
	struct hvd_backend *b;

	(void)c;
	if (!hd || ops_str(op, rq, "type", true, BK_TYPE_MAX, &type, &err) ||
	    ops_uint(op, rq, "devid", true, 0, BK_DEVID_MAX, &devid, &err))
		return err;
	if (!(b = bk_of(h, (unsigned)hv_dom_id(hd->d), type, (unsigned)devid)))
		return ops_error(op, ENOENT, "%s: device %s/%llu of domain %u has no back-end", op,
				 type, (unsigned long long)devid, hd->id);
	bk_ask_detach(b, "asked");
	return ops_ok();
}
