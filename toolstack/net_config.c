// SPDX-License-Identifier: MIT
// Network definition loader: a network XML file in, checked struct net_config out.
#include "config_int.h"
#include "net_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_MAX_FILE (1 << 16)
#define IPV4_RE "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}"
#define IPV4 "an IPv4 address such as 10.0.7.1"

static const struct cfg_hint hints[] = {
	{ "name", NULL, 1, NULL,
	  "1 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit" },
	{ "forward", "mode", 1, "internal|host-only|nat|bridge", "internal, host-only, nat or bridge" },
	{ "bridge", "name", 1, "[A-Za-z0-9_.-]{1,15}",
	  "an interface name of 1 to 15 letters, digits, '_', '.' or '-'" },
	{ "ip", "address", 1, IPV4_RE, IPV4 },
	{ "ip", "prefix", 1, "[0-9]{1,2}|1[0-9]{2}|2[0-4][0-9]|25[0-5]", "a prefix length such as 24" },
	{ "range", "start", 1, IPV4_RE, IPV4 },
	{ "range", "end", 1, IPV4_RE, IPV4 },
	{ "vlan", "tag", 1, "[0-9]{1,4}", "a VLAN tag 1-4094" },
};

static const struct cfg_order orders[] = {
	{ "network", "name, forward, bridge?, ip?, vlan?" },
	{ "ip", "dhcp?" },
};

static const struct cfg_schema net_schema = {
	.what = "network", .rng = lamina_network_rng,
	.hints = hints, .nhints = sizeof(hints) / sizeof(hints[0]),
	.orders = orders, .norders = sizeof(orders) / sizeof(orders[0]),
};

// Where things were written, for the semantic checks' messages.
struct net_nodes {
	xmlNodePtr root, forward, bridge, ip, range, vlan;
};

const char *net_mode_name(enum net_mode m)
{
	static const char *const names[] = { "internal", "host-only", "nat", "bridge" };

	return (unsigned)m < 4 ? names[m] : "?";
}

bool net_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= NET_NAME_MAX || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789", name[0]))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

void net_bridge_default(const char *name, char out[NET_IFNAME_MAX])
{
	snprintf(out, NET_IFNAME_MAX, "lm-%s", name);
}

void net_ip_format(uint32_t addr, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", addr >> 24, addr >> 16 & 255, addr >> 8 & 255, addr & 255);
}

uint32_t net_ip_mask(unsigned prefix)
{
	return prefix ? ~0u << (32 - (prefix > 32 ? 32 : prefix)) : 0;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (cfg_is(n, name))
			return n;
	return NULL;
}

// An IPv4 attribute into *out (host order); -1 after an error at it.
static int read_ip(struct cfg_ctx *c, xmlNodePtr n, const char *attr, uint32_t *out)
{
	char *v = cfg_prop(n, attr);
	struct in_addr a;
	int rc = v && inet_pton(AF_INET, v, &a) == 1 ? 0 : -1;

	if (rc)
		cfg_error(c, n, attr, "invalid IPv4 address '%s' for attribute '%s' of <%s>",
			  v ? v : "", attr, n->name);
	else
		*out = ntohl(a.s_addr);
	free(v);
	return rc;
}

static unsigned read_uint_attr(xmlNodePtr n, const char *attr)
{
	char *v = cfg_prop(n, attr);
	unsigned long x = v ? strtoul(v, NULL, 10) : 0;

	free(v);
	return x > 65535 ? 65535 : (unsigned)x;
}

static int read_mode(xmlNodePtr fwd, enum net_mode *mode)
{
	char *m = cfg_prop(fwd, "mode");
	static const enum net_mode modes[] = { NET_INTERNAL, NET_HOST_ONLY, NET_NAT, NET_BRIDGE };
	int rc = -1;

	for (size_t i = 0; m && i < 4; i++)
		if (!strcmp(m, net_mode_name(modes[i]))) {
			*mode = modes[i];
			rc = 0;
		}
	free(m);
	return rc;
}

static int read_tree(struct cfg_ctx *c, struct net_nodes *nn, struct net_config *nc)
{
	xmlNodePtr name = child(nn->root, "name");
	char *s = name ? cfg_text(name) : NULL;
	int rc = 0;

	snprintf(nc->name, sizeof(nc->name), "%s", s ? s : "");
	free(s);
	nn->forward = child(nn->root, "forward");
	nn->bridge = child(nn->root, "bridge");
	nn->ip = child(nn->root, "ip");
	nn->range = child(child(nn->ip, "dhcp"), "range");
	nn->vlan = child(nn->root, "vlan");
	if (!nn->forward || read_mode(nn->forward, &nc->mode))
		return -1; // the schema said so already
	if (nn->bridge && (s = cfg_prop(nn->bridge, "name"))) {
		snprintf(nc->bridge, sizeof(nc->bridge), "%s", s);
		free(s);
	}
	if (nn->ip) {
		nc->has_ip = true;
		rc |= read_ip(c, nn->ip, "address", &nc->addr);
		nc->prefix = read_uint_attr(nn->ip, "prefix");
	}
	if (nn->range) {
		nc->has_dhcp = true;
		rc |= read_ip(c, nn->range, "start", &nc->dhcp_start);
		rc |= read_ip(c, nn->range, "end", &nc->dhcp_end);
	}
	if (nn->vlan)
		nc->vlan = read_uint_attr(nn->vlan, "tag");
	return rc;
}

// Which elements each mode takes: 0, or -1 after an error.
static int check_elements(struct cfg_ctx *c, const struct net_nodes *nn, const struct net_config *nc)
{
	const char *m = net_mode_name(nc->mode);

	if (nc->mode == NET_BRIDGE && !nn->bridge)
		cfg_error(c, nn->forward, "mode", "a bridge network joins an existing host bridge: "
			  "<bridge name='...'/> naming it is required");
	else if (nc->mode == NET_INTERNAL && nn->bridge)
		cfg_error(c, nn->bridge, NULL, "<bridge> is not used by an internal network (its "
			  "interfaces meet in a switch process, not on a host bridge)");
	else if ((nc->mode == NET_INTERNAL || nc->mode == NET_BRIDGE) && nn->ip)
		cfg_error(c, nn->ip, NULL, "<ip> is not used by a%s %s network: %s", nc->mode ==
			  NET_INTERNAL ? "n" : "", m, nc->mode == NET_INTERNAL ? "the host is not on it"
			  : "the host bridge keeps its own addresses");
	else if ((nc->mode == NET_HOST_ONLY || nc->mode == NET_NAT) && !nn->ip)
		cfg_error(c, nn->forward, "mode", "a %s network needs <ip address='...' "
			  "prefix='...'/>: the host's address on its bridge", m);
	else if (nc->mode != NET_INTERNAL && nn->vlan)
		cfg_error(c, nn->vlan, NULL, "<vlan> is for internal networks only (this one is %s)",
			  m);
	else
		return 0;
	return -1;
}

static int check_vlan(struct cfg_ctx *c, const struct net_nodes *nn, const struct net_config *nc)
{
	if (!nn->vlan || (nc->vlan >= 1 && nc->vlan <= NET_VLAN_MAX))
		return 0;
	cfg_error(c, nn->vlan, "tag", "VLAN tag %u is out of range 1-%d", nc->vlan, NET_VLAN_MAX);
	return -1;
}

// The host's address: a host of its subnet (not the network or broadcast address).
static int check_address(struct cfg_ctx *c, const struct net_nodes *nn, const struct net_config *nc)
{
	uint32_t mask = net_ip_mask(nc->prefix);
	char a[16], net[16];

	if (nc->prefix < 8 || nc->prefix > 30) {
		cfg_error(c, nn->ip, "prefix", "prefix %u is out of range 8-30", nc->prefix);
		return -1;
	}
	net_ip_format(nc->addr, a);
	net_ip_format(nc->addr & mask, net);
	if ((nc->addr & ~mask) == 0 || (nc->addr & ~mask) == ~mask) {
		cfg_error(c, nn->ip, "address", "%s is the %s address of %s/%u, not a host address",
			  a, (nc->addr & ~mask) ? "broadcast" : "network", net, nc->prefix);
		return -1;
	}
	return 0;
}

static int check_in_subnet(struct cfg_ctx *c, const struct net_nodes *nn,
			   const struct net_config *nc, const char *attr, uint32_t ip)
{
	uint32_t mask = net_ip_mask(nc->prefix);
	char a[16], net[16];

	net_ip_format(ip, a);
	net_ip_format(nc->addr & mask, net);
	if ((ip & mask) != (nc->addr & mask)) {
		cfg_error(c, nn->range, attr, "DHCP range %s %s is outside the network %s/%u", attr,
			  a, net, nc->prefix);
		return -1;
	}
	if ((ip & ~mask) == 0 || (ip & ~mask) == ~mask) {
		cfg_error(c, nn->range, attr, "DHCP range %s %s is the %s address of %s/%u", attr, a,
			  (ip & ~mask) ? "broadcast" : "network", net, nc->prefix);
		return -1;
	}
	return 0;
}

static int check_range(struct cfg_ctx *c, const struct net_nodes *nn, const struct net_config *nc)
{
	char s[16], e[16], h[16];

	if (check_in_subnet(c, nn, nc, "start", nc->dhcp_start) ||
	    check_in_subnet(c, nn, nc, "end", nc->dhcp_end))
		return -1;
	net_ip_format(nc->dhcp_start, s);
	net_ip_format(nc->dhcp_end, e);
	net_ip_format(nc->addr, h);
	if (nc->dhcp_start > nc->dhcp_end)
		cfg_error(c, nn->range, "end", "DHCP range end %s comes before its start %s", e, s);
	else if (nc->addr >= nc->dhcp_start && nc->addr <= nc->dhcp_end)
		cfg_error(c, nn->range, NULL, "DHCP range %s-%s holds the host's address %s", s, e,
			  h);
	else
		return 0;
	return -1;
}

static int check(struct cfg_ctx *c, const struct net_nodes *nn, struct net_config *nc)
{
	if (check_elements(c, nn, nc) || check_vlan(c, nn, nc))
		return -1;
	if (nc->has_ip && check_address(c, nn, nc))
		return -1;
	if (nc->has_dhcp && check_range(c, nn, nc))
		return -1;
	if (!nc->bridge[0] && (nc->mode == NET_HOST_ONLY || nc->mode == NET_NAT))
		net_bridge_default(nc->name, nc->bridge);
	return 0;
}

int net_config_load_mem(const char *buf, size_t len, const char *label, struct net_config *nc,
			struct config_err *err)
{
	struct cfg_ctx c = { .label = label, .src = buf, .srclen = len, .err = err };
	struct net_nodes nn = { 0 };
	int rc = -1;

	memset(err, 0, sizeof(*err));
	memset(nc, 0, sizeof(*nc));
	if (cfg_parse_xml(&c) == 0 && cfg_validate_schema(&c, &net_schema) == 0) {
		nn.root = xmlDocGetRootElement(c.doc);
		if (read_tree(&c, &nn, nc) == 0)
			rc = check(&c, &nn, nc);
	}
	if (rc && !err->count)
		cerr_add(err, label, 0, 0, "not a valid network definition");
	if (rc)
		memset(nc, 0, sizeof(*nc));
	xmlFreeDoc(c.doc);
	return rc;
}

int net_config_load_file(const char *path, struct net_config *nc, struct config_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(NET_MAX_FILE + 1);
	size_t len = 0;
	int rc = -1;

	memset(err, 0, sizeof(*err));
	memset(nc, 0, sizeof(*nc));
	if (f && buf)
		len = fread(buf, 1, NET_MAX_FILE + 1, f);
	if (!f)
		cerr_add(err, path, 0, 0, "cannot open: %s", strerror(errno));
	else if (!buf)
		cerr_add(err, path, 0, 0, "out of memory");
	else if (ferror(f))
		cerr_add(err, path, 0, 0, "cannot read: %s", strerror(errno));
	else if (len > NET_MAX_FILE)
		cerr_add(err, path, 0, 0, "file is larger than %d bytes", NET_MAX_FILE);
	else
		rc = net_config_load_mem(buf, len, path, nc, err);
	if (f)
		fclose(f);
	free(buf);
	return rc;
}

static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

static void set(xmlNodePtr n, const char *attr, const char *value)
{
	xmlNewProp(n, (const xmlChar *)attr, (const xmlChar *)value);
}

static void add_ip(xmlNodePtr root, const struct net_config *nc)
{
	char a[16], num[8];
	xmlNodePtr ip = add(root, "ip", NULL), range;

	net_ip_format(nc->addr, a);
	set(ip, "address", a);
	snprintf(num, sizeof(num), "%u", nc->prefix);
	set(ip, "prefix", num);
	if (!nc->has_dhcp)
		return;
	range = add(add(ip, "dhcp", NULL), "range", NULL);
	net_ip_format(nc->dhcp_start, a);
	set(range, "start", a);
	net_ip_format(nc->dhcp_end, a);
	set(range, "end", a);
}

char *net_config_to_xml(const struct net_config *nc)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *)"network");
	xmlChar *mem = NULL;
	char num[8], *out;
	int len = 0;

	xmlDocSetRootElement(doc, root);
	add(root, "name", nc->name);
	set(add(root, "forward", NULL), "mode", net_mode_name(nc->mode));
	if (nc->bridge[0])
		set(add(root, "bridge", NULL), "name", nc->bridge);
	if (nc->has_ip)
		add_ip(root, nc);
	if (nc->vlan) {
		snprintf(num, sizeof(num), "%u", nc->vlan);
		set(add(root, "vlan", NULL), "tag", num);
	}
	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	out = mem ? strndup((const char *)mem, (size_t)len) : NULL;
	xmlFree(mem);
	xmlFreeDoc(doc);
	return out;
}
