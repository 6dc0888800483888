// SPDX-License-Identifier: MIT
// The JSON form of laminad's replies: binary reply payloads to json-c objects.
#include "proto_json.h"

#include <string.h>

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *counts(const struct lp_count *c, uint32_t n)
{
	struct json_object *o = json_object_new_object();

	for (uint32_t i = 0; i < n; i++)
		add(o, c[i].what, json_object_new_uint64(c[i].count));
	return o;
}

struct json_object *lpj_stats(const struct lp_dom_stats *st)
{
	struct json_object *o = json_object_new_object();

	add(o, "name", json_object_new_string(st->name));
	add(o, "id", st->id ? json_object_new_int64(st->id) : NULL);
	add(o, "state", json_object_new_string(lp_state_name(st->state)));
	add(o, "persistent", json_object_new_boolean(st->flags & LP_DOM_PERSISTENT));
	add(o, "autostart", json_object_new_boolean(st->flags & LP_DOM_AUTOSTART));
	add(o, "vcpus", json_object_new_int64(st->vcpus));
	add(o, "max_vcpus", json_object_new_int64(st->max_vcpus));
	add(o, "memory_kib", json_object_new_uint64(st->mem_kib));
	add(o, "max_memory_kib", json_object_new_uint64(st->maxmem_kib));
	add(o, "cpu_ns", json_object_new_uint64(st->cpu_ns));
	add(o, "hypercalls", json_object_new_uint64(st->hypercalls));
	add(o, "exits_by_kind", counts(st->exits, st->nexits));
	add(o, "hypercalls_by_name", counts(st->hcalls, st->nhcalls));
	return o;
}

// The disks of an info reply, each with its back-end process.
static struct json_object *disks(const struct lp_info *in)
{
	struct json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < in->ndevs && i < LP_MAX_DEVS; i++) {
		const struct lp_dev *dv = &in->devs[i];
		struct json_object *o = json_object_new_object(), *bk = json_object_new_object();
		if (strcmp(dv->type, "vbd")) {
			json_object_put(o);
			json_object_put(bk);
			continue;
		}
		add(o, "target", json_object_new_string(dv->key));
		add(o, "source", json_object_new_string(dv->source));
		add(o, "readonly", json_object_new_boolean(dv->readonly));
		add(o, "virtual_bytes", json_object_new_uint64(dv->virtual_bytes));
		add(o, "allocated_bytes", json_object_new_uint64(dv->allocated_bytes));
		add(bk, "state", json_object_new_string(dv->state));
		add(bk, "pid", dv->pid ? json_object_new_int64(dv->pid) : NULL);
		add(bk, "restarts", json_object_new_int64(dv->restarts));
		add(bk, "note", json_object_new_string(dv->note));
		add(o, "backend", bk);
		json_object_array_add(a, o);
	}
	return a;
}

// The interfaces of an info reply, each with its back-end process.
static struct json_object *interfaces(const struct lp_info *in)
{
	struct json_object *a = json_object_new_array();

	for (uint32_t i = 0; i < in->ndevs && i < LP_MAX_DEVS; i++) {
		const struct lp_dev *dv = &in->devs[i];
		struct json_object *o, *bk;
		if (strcmp(dv->type, "vif"))
			continue;
		o = json_object_new_object();
		bk = json_object_new_object();
		add(o, "mac", json_object_new_string(dv->key));
		add(o, "network", json_object_new_string(dv->source));
		add(bk, "state", json_object_new_string(dv->state));
		add(bk, "pid", dv->pid ? json_object_new_int64(dv->pid) : NULL);
		add(bk, "restarts", json_object_new_int64(dv->restarts));
		add(bk, "note", json_object_new_string(dv->note));
		add(o, "backend", bk);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *networks(const uint8_t *p, uint32_t len)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	const struct lp_net_info *ni = (const void *)p;

	for (size_t i = 0; i < len / sizeof(*ni); i++) {
		struct json_object *n = json_object_new_object();
		add(n, "name", json_object_new_string(ni[i].name));
		add(n, "mode", json_object_new_string(ni[i].mode));
		add(n, "state", json_object_new_string(ni[i].flags & LP_NET_ACTIVE ? "active"
										     : "inactive"));
		add(n, "persistent", json_object_new_boolean(ni[i].flags & LP_NET_PERSISTENT));
		add(n, "autostart", json_object_new_boolean(ni[i].flags & LP_NET_AUTOSTART));
		add(n, "bridge", ni[i].bridge[0] ? json_object_new_string(ni[i].bridge) : NULL);
		add(n, "address", ni[i].address[0] ? json_object_new_string(ni[i].address) : NULL);
		add(n, "vlan", ni[i].vlan ? json_object_new_int64(ni[i].vlan) : NULL);
		add(n, "interfaces", json_object_new_int64(ni[i].nifs));
		add(n, "note", json_object_new_string(ni[i].note));
		json_object_array_add(a, n);
	}
	add(o, "networks", a);
	return o;
}

static struct json_object *list(const uint8_t *p, uint32_t len)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	const struct lp_dom_stats *st = (const void *)p;

	for (size_t i = 0; i < len / sizeof(*st); i++)
		json_object_array_add(a, lpj_stats(&st[i]));
	add(o, "domains", a);
	return o;
}

struct json_object *lpj_result(uint16_t type, const uint8_t *p, uint32_t len)
{
	struct json_object *o;

	switch (type) {
	case LP_REPLY_OK:
		o = json_object_new_object();
		add(o, "id", json_object_new_int64(((const struct lp_ok *)p)->id));
		return o;
	case LP_REPLY_VERSION: {
		const struct lp_version *v = (const void *)p;
		o = json_object_new_object();
		add(o, "protocol", json_object_new_int64(v->proto));
		add(o, "daemon", json_object_new_string(v->daemon));
		add(o, "backend", json_object_new_string(v->backend));
		return o;
	}
	case LP_REPLY_LIST:
		return list(p, len);
	case LP_REPLY_INFO:
		o = json_object_new_object();
		add(o, "domain", lpj_stats((const void *)p));
		add(o, "disks", disks((const void *)p));
		add(o, "interfaces", interfaces((const void *)p));
		add(o, "xml", json_object_new_string((const char *)p + sizeof(struct lp_info)));
		return o;
	case LP_REPLY_NETWORK_LIST:
		return networks(p, len);
	case LP_REPLY_TEXT:
		o = json_object_new_object();
		add(o, "text", json_object_new_string((const char *)p));
		return o;
	default:
		return NULL;
	}
}

struct json_object *lpj_error(int code, const char *msg)
{
	struct json_object *o = json_object_new_object();
	const char *name = strerrorname_np(code);

	add(o, "code", json_object_new_string(name ? name : "EIO"));
	add(o, "errno", json_object_new_int(code));
	add(o, "message", json_object_new_string(msg));
	return o;
}
