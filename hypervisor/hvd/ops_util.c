// SPDX-License-Identifier: MIT
// lamina-hvd request fields: typed, range-checked access with an error reply naming the field.
#include "ops.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

json_object *ops_error(const char *op, int code, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (op)
		json_object_object_add(o, "reply", json_object_new_string(op));
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(ops_errname(code)));
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

json_object *ops_ok(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

const char *ops_errname(int code)
{
	return hvd_errname(code);
}

int ops_uint(const char *op, json_object *rq, const char *key, bool required, uint64_t min,
	     uint64_t max, uint64_t *out, json_object **err)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(rq, key, &v) || json_object_is_type(v, json_type_null)) {
		if (!required)
			return 0;
		*err = ops_error(op, EINVAL, "%s: field '%s' is missing", op, key);
		return -1;
	}
	errno = 0;
	x = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || x < 0 || errno ||
	    (uint64_t)x < min || (uint64_t)x > max) {
		*err = ops_error(op, EINVAL, "%s: field '%s' must be an integer from %llu to %llu",
				 op, key, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)x;
	return 0;
}

int ops_str(const char *op, json_object *rq, const char *key, bool required, size_t max,
	    const char **out, json_object **err)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(rq, key, &v) || json_object_is_type(v, json_type_null)) {
		if (!required)
			return 0;
		*err = ops_error(op, EINVAL, "%s: field '%s' is missing", op, key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		*err = ops_error(op, EINVAL, "%s: field '%s' must be a string", op, key);
		return -1;
	}
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) > max || strlen(s) != (size_t)json_object_get_string_len(v)) {
		*err = ops_error(op, EINVAL, "%s: field '%s' is longer than %zu bytes or holds a NUL",
				 op, key, max);
		return -1;
	}
	*out = s;
	return 0;
}

int ops_bool(const char *op, json_object *rq, const char *key, bool *out, json_object **err)
{
	json_object *v;

	if (!json_object_object_get_ex(rq, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		*err = ops_error(op, EINVAL, "%s: field '%s' must be true or false", op, key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

struct hvd_dom *ops_dom(struct hvd *h, const char *op, json_object *rq, json_object **err)
{
	uint64_t id;
	struct hvd_dom *hd;

	if (ops_uint(op, rq, "id", true, 1, UINT32_MAX, &id, err))
		return NULL;
	hd = dom_find(h, (unsigned)id);
	if (!hd)
		*err = ops_error(op, ENOENT, "%s: no domain with id %llu", op, (unsigned long long)id);
	return hd;
}
