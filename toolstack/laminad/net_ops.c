// SPDX-License-Identifier: MIT
// laminad request handlers for virtual networks: net-define, -undefine, -start, -destroy, -list, -dumpxml, -autostart.
#include "laminad.h"
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_LIST_MAX 256

// The request's name as a network's, or answer why not (NULL).
static const char *net_name(struct conn *c, const char *name)
{
	if (net_name_ok(name))
		return name;
	conn_error(c, EINVAL, "'%s' is not a network name (1 to 32 letters, digits, '_', '.' or "
		   "'-', starting with a letter or digit)", name);
	return NULL;
}

void op_net_define(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const struct lp_create *rq = p;
	struct config_err cerr;
	struct net_config nc;
	char err[512];

	(void)dm;
	if (net_config_load_mem((const char *)(rq + 1), len - sizeof(*rq), "<request>", &nc, &cerr))
		conn_error(c, EINVAL, "%s", cerr.msg);
	else if (net_def_save(&nc, err, sizeof(err)))
		conn_error(c, EIO, "%s", err);
	else
		conn_ok(c, 0);
}

void op_net_undefine(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const char *name = net_name(c, ((const struct lp_name *)p)->name);

	(void)dm;
	(void)len;
	if (!name)
		return;
	if (!net_defined(name))
		conn_error(c, ENOENT, "no defined network named '%s'", name);
	else if (net_def_remove(name))
		conn_error(c, EIO, "cannot remove network '%s': %s", name, strerror(errno));
	else
		conn_ok(c, 0);
}

void op_net_start(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const char *name = net_name(c, ((const struct lp_name *)p)->name);
	struct net_config nc;
	char err[1024];

	(void)len;
	if (!name)
		return;
	if (!net_defined(name))
		conn_error(c, ENOENT, "no defined network named '%s' (lamina net-define FILE first)",
			   name);
	else if (net_active(name))
		conn_error(c, EEXIST, "network '%s' is already active", name);
	else if (net_def_load(name, &nc, err, sizeof(err)))
		conn_error(c, EIO, "%s", err);
	else if (net_start(dm, &nc, err, sizeof(err)))
		conn_error(c, EIO, "cannot start network '%s': %s", name, err);
	else
		conn_ok(c, 0);
}

void op_net_destroy(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const char *name = net_name(c, ((const struct lp_name *)p)->name);
	struct net_state st;
	char users[512], err[1024];
	size_t n;

	(void)len;
	if (!name)
		return;
	if (net_state_load(name, &st)) {
		conn_error(c, ENOENT, "network '%s' is not active", name);
		return;
	}
	if ((n = net_users(dm, name, users, sizeof(users)))) {
		conn_error(c, EBUSY, "network '%s' is in use by %zu interface%s of running domain%s "
			   "%s; detach them or destroy the domains first", name, n, n == 1 ? "" : "s",
			   strchr(users, ',') ? "s" : "", users);
		return;
	}
	if (net_teardown(name, err, sizeof(err)))
		conn_error(c, EIO, "network '%s' is not wholly removed: %s", name, err);
	else
		conn_ok(c, 0);
}

static void fill_from_state(const struct net_state *st, struct lp_net_info *ni)
{
	char a[16];

	snprintf(ni->mode, sizeof(ni->mode), "%s", net_mode_name(st->mode));
	snprintf(ni->bridge, sizeof(ni->bridge), "%s", st->bridge);
	if (st->addr) {
		net_ip_format(st->addr, a);
		snprintf(ni->address, sizeof(ni->address), "%s/%u", a, st->prefix);
	}
	ni->vlan = st->vlan;
	if (!st->up)
		snprintf(ni->note, sizeof(ni->note), "not wholly started or destroyed: "
			 "net-destroy removes what is left");
}

static void fill_from_def(const struct net_config *nc, struct lp_net_info *ni)
{
	char a[16];

	snprintf(ni->mode, sizeof(ni->mode), "%s", net_mode_name(nc->mode));
	snprintf(ni->bridge, sizeof(ni->bridge), "%s", nc->bridge);
	if (nc->has_ip) {
		net_ip_format(nc->addr, a);
		snprintf(ni->address, sizeof(ni->address), "%s/%u", a, nc->prefix);
	}
	ni->vlan = nc->vlan;
}

struct list_ctx {
	const struct daemon *dm;
	struct lp_net_info *ni;
	size_t n;
};

static void list_one(const char *name, void *arg)
{
	struct list_ctx *l = arg;
	struct net_state st;
	struct net_config nc;
	struct lp_net_info *ni;
	char err[512], users[8];

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->ni[i].name, name))
			return; // active and defined: listed once
	if (l->n == NET_LIST_MAX)
		return;
	ni = &l->ni[l->n];
	*ni = (struct lp_net_info){ 0 };
	snprintf(ni->name, sizeof(ni->name), "%s", name);
	if (net_state_load(name, &st) == 0) {
		ni->flags |= st.up ? LP_NET_ACTIVE : 0;
		fill_from_state(&st, ni);
	} else if (net_def_load(name, &nc, err, sizeof(err)) == 0) {
		fill_from_def(&nc, ni);
	} else {
		snprintf(ni->note, sizeof(ni->note), "%.120s", err);
	}
	ni->flags |= (net_defined(name) ? LP_NET_PERSISTENT : 0) |
		     (net_autostart_marked(name) ? LP_NET_AUTOSTART : 0);
	ni->nifs = (uint32_t)net_users(l->dm, name, users, sizeof(users));
	l->n++;
}

void op_net_list(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	struct list_ctx l = { .dm = dm, .ni = calloc(NET_LIST_MAX, sizeof(struct lp_net_info)) };

	(void)p;
	(void)len;
	if (!l.ni) {
		conn_error(c, ENOMEM, "out of memory");
		return;
	}
	net_state_each(list_one, &l);
	net_each_defined(false, list_one, &l);
	conn_send(c, LP_REPLY_NETWORK_LIST, l.ni, l.n * sizeof(*l.ni), NULL, 0);
	free(l.ni);
}

void op_net_dumpxml(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const char *name = net_name(c, ((const struct lp_name *)p)->name);
	struct net_config nc;
	char err[1024], *xml;

	(void)dm;
	(void)len;
	if (!name)
		return;
	if (!net_defined(name)) {
		conn_error(c, ENOENT, "no defined network named '%s'", name);
		return;
	}
	if (net_def_load(name, &nc, err, sizeof(err))) {
		conn_error(c, EIO, "%s", err);
		return;
	}
	if (!(xml = net_config_to_xml(&nc))) {
		conn_error(c, ENOMEM, "out of memory");
		return;
	}
	conn_send(c, LP_REPLY_TEXT, xml, strlen(xml) + 1, NULL, 0);
	free(xml);
}

void op_net_autostart(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const struct lp_autostart *rq = p;
	const char *name = net_name(c, rq->name);

	(void)dm;
	(void)len;
	if (!name)
		return;
	if (!net_defined(name))
		conn_error(c, ENOENT, "no defined network named '%s'", name);
	else if (net_set_autostart(name, rq->enable))
		conn_error(c, EIO, "cannot change autostart of network '%s': %s", name,
			   strerror(errno));
	else
		conn_ok(c, 0);
}
