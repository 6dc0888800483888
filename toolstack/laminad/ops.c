// SPDX-License-Identifier: MIT
// laminad request handlers: lifecycle, queries, and the dispatch table.
#include "laminad.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct domain *op_domain(struct daemon *dm, struct conn *c, const char *name)
{
	struct domain *d = reg_find(&dm->reg, name);

	if (!d)
		conn_error(c, ENOENT, "no domain named '%s'", name);
	return d;
}

bool op_result(struct daemon *dm, struct conn *c, struct domain *d, int rc, const char *what)
{
	if (rc == -ENOSYS)
		conn_error(c, ENOTSUP, "%s is not supported by the '%s' back-end", what,
			   dm->ops->name);
	else if (rc < 0)
		conn_error(c, -rc, "%s of '%s' failed: %s", what, d->cfg.name, strerror(-rc));
	else
		domlog(d, "%s", what);
	return rc >= 0;
}

static enum hv_state state_of(struct daemon *dm, struct domain *d)
{
	struct hv_stats st;

	return dm->ops->stats(d->hd, &st) ? HV_SHUTOFF : st.state;
}

static void op_version(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	struct lp_version v = { .proto = LP_VERSION };

	(void)p;
	(void)len;
	snprintf(v.daemon, sizeof(v.daemon), "%s", LAMINAD_VERSION);
	snprintf(v.backend, sizeof(v.backend), "%s", dm->ops->name);
	conn_send(c, LP_REPLY_VERSION, &v, sizeof(v), NULL, 0);
}

static void op_create(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const struct lp_create *rq = p;
	struct dom_config cfg;
	struct config_err cerr;
	struct domain *d;
	char err[512];

	if (config_load_mem((const char *)(rq + 1), len - sizeof(*rq), "<request>", &dm->env,
			    &cfg, &cerr)) {
		conn_error(c, EINVAL, "%s", cerr.msg);
		return;
	}
	d = dom_create(dm, &cfg, rq->flags & LP_CREATE_PAUSED, err, sizeof(err));
	config_free(&cfg);
	if (d)
		conn_ok(c, d->id);
	else
		conn_error(c, EINVAL, "%s", err);
}

static int cmp_id(const void *a, const void *b)
{
	const struct lp_dom_stats *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

#define LIST_MAX (LP_MAX_PAYLOAD / sizeof(struct lp_dom_stats))

// Running domains by id, then defined ones that are not running.
static void op_list(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	size_t cap = LIST_MAX, n = dm->reg.n < cap ? dm->reg.n : cap;
	struct lp_dom_stats *st = calloc(cap, sizeof(*st));

	(void)p;
	(void)len;
	if (!st) {
		conn_error(c, ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		dom_stats(dm, dm->reg.doms[i], &st[i]);
	qsort(st, n, sizeof(*st), cmp_id);
	n = persist_list(dm, st, n, cap);
	conn_send(c, LP_REPLY_LIST, st, n * sizeof(*st), NULL, 0);
	free(st);
}

// A defined domain that is not running: state shut off, id 0, no devices
// serving, its configuration from the state dir. False (error sent) if none.
static bool defined_info(struct daemon *dm, struct conn *c, const char *name, struct lp_info *in,
			 char **xml)
{
	struct dom_config cfg;
	char err[256];

	if (!persist_defined(dm, name)) {
		conn_error(c, ENOENT, "no domain named '%s'", name);
		return false;
	}
	if (persist_load(dm, name, false, &cfg, err, sizeof(err))) {
		conn_error(c, EIO, "%s", err);
		return false;
	}
	snprintf(in->st.name, sizeof(in->st.name), "%s", cfg.name);
	in->st.state = LP_STATE_SHUTOFF;
	*xml = config_to_xml(&cfg);
	config_free(&cfg);
	return true;
}

// A running domain's state, devices and configuration; a defined one's
// configuration (state shut off).
static void op_info(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	struct domain *d = reg_find(&dm->reg, p);
	struct lp_info *in = calloc(1, sizeof(*in));
	char *xml = NULL;

	(void)len;
	if (!in) {
		conn_error(c, ENOMEM, "out of memory");
		return;
	}
	if (d) {
		xml = config_to_xml(&d->cfg);
		dom_stats(dm, d, &in->st);
		in->ndevs = (uint32_t)dev_describe(dm, d, in->devs, LP_MAX_DEVS);
	} else if (!defined_info(dm, c, p, in, &xml)) {
		free(in);
		return;
	}
	if (!xml)
		conn_error(c, ENOMEM, "out of memory");
	else
		conn_send(c, LP_REPLY_INFO, in, sizeof(*in), xml, strlen(xml) + 1);
	free(in);
	free(xml);
}

static void op_dumpxml(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	struct domain *d = op_domain(dm, c, p);
	char *xml = d ? config_to_xml(&d->cfg) : NULL;

	(void)len;
	if (xml)
		conn_send(c, LP_REPLY_TEXT, xml, strlen(xml) + 1, NULL, 0);
	free(xml);
}

static void op_destroy(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	struct domain *d = op_domain(dm, c, p);

	(void)len;
	if (!d)
		return;
	conn_ok(c, d->id);
	dom_destroy(dm, d, "destroyed by request");
}

static void op_pause(struct daemon *dm, struct conn *c, const void *p, uint32_t len, bool on)
{
	struct domain *d = op_domain(dm, c, p);
	enum hv_state s;

	(void)len;
	if (!d)
		return;
	s = state_of(dm, d);
	if (on && s == HV_PAUSED)
		conn_error(c, EINVAL, "domain '%s' is already paused", d->cfg.name);
	else if (!on && s != HV_PAUSED)
		conn_error(c, EINVAL, "domain '%s' is not paused", d->cfg.name);
	else if (s == HV_SHUTOFF || s == HV_CRASHED)
		conn_error(c, EINVAL, "domain '%s' is not running", d->cfg.name);
	else if (op_result(dm, c, d, on ? HVCALL(dm, pause, d->hd) : HVCALL(dm, unpause, d->hd),
			   on ? "pause" : "unpause"))
		conn_ok(c, d->id);
}

static void op_pause_on(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	op_pause(dm, c, p, len, true);
}

static void op_pause_off(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	op_pause(dm, c, p, len, false);
}

static void op_shutdown(struct daemon *dm, struct conn *c, const void *p, enum hv_reason why)
{
	struct domain *d = op_domain(dm, c, p);
	enum hv_state s;

	if (!d)
		return;
	s = state_of(dm, d);
	if (s == HV_SHUTOFF || s == HV_CRASHED)
		conn_error(c, EINVAL, "domain '%s' is not running", d->cfg.name);
	else if (op_result(dm, c, d, HVCALL(dm, shutdown, d->hd, why),
			   why == HV_REASON_REBOOT ? "reboot request" : "shutdown request"))
		conn_ok(c, d->id);
}

static void op_poweroff(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	(void)len;
	op_shutdown(dm, c, p, HV_REASON_POWEROFF);
}

static void op_reboot(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	(void)len;
	op_shutdown(dm, c, p, HV_REASON_REBOOT);
}

#define WRAP(fn)                                                                        \
	static void fn##_any(struct daemon *dm, struct conn *c, const void *p, uint32_t len) \
	{                                                                               \
		(void)len;                                                              \
		fn(dm, c, p);                                                           \
	}
WRAP(op_memset)
WRAP(op_vcpuset)
WRAP(op_vcpupin)
WRAP(op_block_attach)
WRAP(op_block_detach)
WRAP(op_net_attach)
WRAP(op_net_detach)
WRAP(op_console)
WRAP(op_trace)

static const struct {
	uint16_t type;
	void (*fn)(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
} handlers[] = {
	{ LP_GET_VERSION, op_version },
	{ LP_CREATE, op_create },
	{ LP_LIST, op_list },
	{ LP_INFO, op_info },
	{ LP_DUMPXML, op_dumpxml },
	{ LP_DESTROY, op_destroy },
	{ LP_SHUTDOWN, op_poweroff },
	{ LP_REBOOT, op_reboot },
	{ LP_PAUSE, op_pause_on },
	{ LP_UNPAUSE, op_pause_off },
	{ LP_MEMSET, op_memset_any },
	{ LP_VCPUSET, op_vcpuset_any },
	{ LP_VCPUPIN, op_vcpupin_any },
	{ LP_BLOCK_ATTACH, op_block_attach_any },
	{ LP_BLOCK_DETACH, op_block_detach_any },
	{ LP_NET_ATTACH, op_net_attach_any },
	{ LP_NET_DETACH, op_net_detach_any },
	{ LP_CONSOLE, op_console_any },
	{ LP_TRACE, op_trace_any },
	{ LP_DEFINE, op_define },
	{ LP_START, op_start },
	{ LP_UNDEFINE, op_undefine },
	{ LP_AUTOSTART, op_autostart },
	{ LP_NETWORK_DEFINE, op_net_define },
	{ LP_NETWORK_UNDEFINE, op_net_undefine },
	{ LP_NETWORK_START, op_net_start },
	{ LP_NETWORK_DESTROY, op_net_destroy },
	{ LP_NETWORK_LIST, op_net_list },
	{ LP_NETWORK_DUMPXML, op_net_dumpxml },
	{ LP_NETWORK_AUTOSTART, op_net_autostart },
};

void ops_dispatch(struct daemon *dm, struct conn *c, const struct lp_hdr *h,
		  const uint8_t *payload)
{
	if (c->mode == CONN_CONSOLE && h->type == LP_CONSOLE_DATA) {
		op_console_data(dm, c, payload, h->len);
		return;
	}
	for (size_t i = 0; c->mode == CONN_REQUEST && i < sizeof(handlers) / sizeof(handlers[0]);
	     i++)
		if (handlers[i].type == h->type) {
			handlers[i].fn(dm, c, payload, h->len);
			return;
		}
	conn_error(c, EPROTO, "laminad: unexpected %s message", lp_type_name(h->type));
	c->closing = true;
}
