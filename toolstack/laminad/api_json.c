// SPDX-License-Identifier: MIT
// laminad's JSON protocol (docs/laminad-api.md): one request object per line, one reply line each.
//
// A JSON request is turned into the binary request the CLI would send and
// goes through the same checks and handlers; the handler's binary reply is
// turned back into JSON by conn_send (json_reply below).  So both protocols
// always mean the same thing.
#include "laminad.h"
#include "proto_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8

struct jreq {
	uint16_t type;
	uint8_t *buf; // binary payload
	size_t len;
};

static const char *str_param(struct json_object *params, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool u64_param(struct json_object *params, const char *key, uint64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	if (json_object_get_int64(v) < 0)
		return false;
	*out = (uint64_t)json_object_get_int64(v);
	return true;
}

// The name every named request carries at its start (struct lp_name layout).
static int put_name(struct json_object *params, struct jreq *r, size_t size, char *why,
		    size_t wlen)
{
	const char *name = str_param(params, "name");

	if (!name || !*name || strlen(name) >= LP_NAME_MAX) {
		snprintf(why, wlen, "params.name: a %s of 1 to %d characters is required",
			 r->type >= LP_NETWORK_DEFINE && r->type <= LP_NETWORK_AUTOSTART
				 ? "network name" : "domain name or id", LP_NAME_MAX - 1);
		return -1;
	}
	r->buf = calloc(1, size);
	if (!r->buf)
		return -1;
	r->len = size;
	memcpy(r->buf, name, strlen(name));
	return 0;
}

static int build_create(struct json_object *params, struct jreq *r, char *why, size_t wlen)
{
	const char *xml = str_param(params, "xml");
	struct json_object *v;
	struct lp_create rq = { 0 };
	size_t n;

	if (!xml || !*xml) {
		snprintf(why, wlen, "params.xml: the %s XML document (a string) is required",
			 r->type == LP_NETWORK_DEFINE ? "network" : "domain");
		return -1;
	}
	if (json_object_object_get_ex(params, "paused", &v) && json_object_get_boolean(v))
		rq.flags |= LP_CREATE_PAUSED;
	n = strlen(xml);
	r->buf = malloc(sizeof(rq) + n);
	if (!r->buf)
		return -1;
	memcpy(r->buf, &rq, sizeof(rq));
	memcpy(r->buf + sizeof(rq), xml, n);
	r->len = sizeof(rq) + n;
	return 0;
}

static int build_number(struct json_object *params, struct jreq *r, const char *key,
			char *why, size_t wlen)
{
	uint64_t val;

	if (!u64_param(params, key, &val)) {
		snprintf(why, wlen, "params.%s: a whole number is required", key);
		return -1;
	}
	if (r->type == LP_MEMSET) {
		if (put_name(params, r, sizeof(struct lp_memset), why, wlen))
			return -1;
		((struct lp_memset *)r->buf)->kib = val;
		return 0;
	}
	if (val > UINT32_MAX || put_name(params, r, sizeof(struct lp_vcpuset), why, wlen)) {
		if (!*why)
			snprintf(why, wlen, "params.%s is out of range", key);
		return -1;
	}
	((struct lp_vcpuset *)r->buf)->count = (uint32_t)val;
	return 0;
}

static const struct {
	const char *method;
	uint16_t type;
} methods[] = {
	{ "version", LP_GET_VERSION }, { "create", LP_CREATE },	   { "list", LP_LIST },
	{ "info", LP_INFO },	       { "dumpxml", LP_DUMPXML },  { "destroy", LP_DESTROY },
	{ "shutdown", LP_SHUTDOWN },   { "reboot", LP_REBOOT },	   { "pause", LP_PAUSE },
	{ "unpause", LP_UNPAUSE },     { "mem-set", LP_MEMSET },   { "vcpu-set", LP_VCPUSET },
	{ "define", LP_DEFINE },       { "start", LP_START },	   { "undefine", LP_UNDEFINE },
	{ "autostart", LP_AUTOSTART },
	{ "net-define", LP_NETWORK_DEFINE }, { "net-undefine", LP_NETWORK_UNDEFINE },
	{ "net-start", LP_NETWORK_START },   { "net-destroy", LP_NETWORK_DESTROY },
	{ "net-list", LP_NETWORK_LIST },     { "net-dumpxml", LP_NETWORK_DUMPXML },
	{ "net-autostart", LP_NETWORK_AUTOSTART },
};

static int build(const char *method, struct json_object *params, struct jreq *r, char *why,
		 size_t wlen)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].method, method))
			break;
	if (i == sizeof(methods) / sizeof(methods[0])) {
		snprintf(why, wlen, "unknown method '%.64s' (console and trace streams are "
			 "served on the binary protocol only)", method);
		return -1;
	}
	r->type = methods[i].type;
	switch (r->type) {
	case LP_GET_VERSION: case LP_LIST: case LP_NETWORK_LIST:
		return 0;
	case LP_CREATE: case LP_DEFINE: case LP_NETWORK_DEFINE:
		return build_create(params, r, why, wlen);
	case LP_MEMSET:
		return build_number(params, r, "kib", why, wlen);
	case LP_VCPUSET:
		return build_number(params, r, "count", why, wlen);
	case LP_AUTOSTART: case LP_NETWORK_AUTOSTART: {
		struct json_object *v;
		if (put_name(params, r, sizeof(struct lp_autostart), why, wlen))
			return -1;
		((struct lp_autostart *)r->buf)->enable =
			!json_object_object_get_ex(params, "enable", &v) || json_object_get_boolean(v);
		return 0;
	}
	default:
		return put_name(params, r, sizeof(struct lp_name), why, wlen);
	}
}

static void reply_line(struct conn *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	conn_write_raw(c, s, strlen(s));
	conn_write_raw(c, "\n", 1);
}

void json_reply(struct conn *c, uint16_t type, const void *a, size_t alen, const void *b,
		size_t blen)
{
	struct json_object *o = json_object_new_object(), *res;
	uint8_t *p = malloc(alen + blen + 1);

	if (!p) {
		c->dead = true;
		json_object_put(o);
		return;
	}
	if (alen)
		memcpy(p, a, alen);
	if (blen)
		memcpy(p + alen, b, blen);
	p[alen + blen] = 0;
	json_object_object_add(o, "id", json_object_get(c->json_id));
	if (type == LP_REPLY_ERROR) {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error", lpj_error(((struct lp_error *)p)->code,
							      (char *)p + sizeof(struct lp_error)));
	} else if ((res = lpj_result(type, p, (uint32_t)(alen + blen)))) {
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		json_object_object_add(o, "result", res);
	} else {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error", lpj_error(EPROTO, "no JSON form for this reply"));
	}
	reply_line(c, o);
	json_object_put(o);
	free(p);
}

static void run_request(struct daemon *dm, struct conn *c, struct json_object *rq)
{
	struct json_object *m, *params = NULL;
	struct jreq r = { 0 };
	struct lp_hdr h;
	struct lp_err e;
	char why[256] = "";

	json_object_object_get_ex(rq, "id", &c->json_id);
	json_object_object_get_ex(rq, "params", &params);
	if (!json_object_object_get_ex(rq, "method", &m) || !json_object_is_type(m, json_type_string))
		snprintf(why, sizeof(why), "'method' (a string) is required");
	else if (params && !json_object_is_type(params, json_type_object))
		snprintf(why, sizeof(why), "'params' must be an object");
	else if (build(json_object_get_string(m), params, &r, why, sizeof(why)) && !*why)
		snprintf(why, sizeof(why), "out of memory");
	if (!*why && r.len > LP_MAX_PAYLOAD)
		snprintf(why, sizeof(why), "request larger than %u bytes", LP_MAX_PAYLOAD);
	if (!*why && lp_check_payload(r.type, r.buf, (uint32_t)r.len, &e))
		snprintf(why, sizeof(why), "%s", e.msg);
	if (*why) {
		conn_error(c, EINVAL, "%s", why);
	} else {
		lp_header(&h, r.type, (uint32_t)r.len);
		ops_dispatch(dm, c, &h, r.buf);
	}
	free(r.buf);
	c->json_id = NULL;
}

// One line: parse it (bounded depth) and answer it.
static void one_line(struct daemon *dm, struct conn *c, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
	struct json_object *rq = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;

	if (!rq || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(rq, json_type_object))
		conn_error(c, EINVAL, "a request is one JSON object on one line: %s",
			   tok ? json_tokener_error_desc(json_tokener_get_error(tok)) : "no memory");
	else
		run_request(dm, c, rq);
	json_object_put(rq);
	if (tok)
		json_tokener_free(tok);
}

void json_input(struct daemon *dm, struct conn *c, size_t cap)
{
	uint8_t *nl;

	while (!c->closing && !c->dead && (nl = memchr(c->in, '\n', c->in_len))) {
		size_t n = (size_t)(nl - c->in);
		if (n > strspn((const char *)c->in, " \t\r"))
			one_line(dm, c, (const char *)c->in, n);
		memmove(c->in, nl + 1, c->in_len - n - 1);
		c->in_len -= n + 1;
	}
	if (c->in_len == cap) {
		conn_error(c, E2BIG, "a request line is longer than %zu bytes", cap);
		c->closing = true;
	}
}
