// SPDX-License-Identifier: MIT
// Config schema validation: RelaxNG (docs/domain.rng, docs/network.rng) with readable messages.
#include "config_int.h"

#include <libxml/relaxng.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#define RAW_MAX 32

struct raw_err {
	xmlNodePtr node;
	int code;
	char s1[64];
	char msg[200];
};

struct raw_list {
	struct raw_err e[RAW_MAX];
	unsigned n;
};

#define NUM "[0-9]+"
#define UNITS_RE "b|bytes|KB|k|KiB|MB|M|MiB|GB|G|GiB|TB|T|TiB"
#define UNITS "one of b, bytes, KB, k, KiB, MB, M, MiB, GB, G, GiB, TB, T, TiB"

static const struct cfg_hint hints[] = {
	{ "name", NULL, 1, NULL,
	  "1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit" },
	{ "domain", "type", 0, "lamina|kvm|qemu", "lamina (kvm and qemu are read as lamina)" },
	{ "currentMemory", NULL, 1, NULL, "a whole number" },
	{ "currentMemory", "unit", 0, UNITS_RE, UNITS },
	{ "vcpu", "placement", 0, "static|auto", "static or auto" },
	{ "vcpu", "cpuset", 0, ".*", "a CPU list" },
	{ "os/type", "arch", 0, "x86_64", "x86_64" },
	{ "os/type", "machine", 0, ".*", "a machine name" },
	{ "memory", NULL, 1, NULL, "a whole number" },
	{ "memory", "unit", 0, UNITS_RE, UNITS },
	{ "maxMemory", NULL, 1, NULL, "a whole number" },
	{ "maxMemory", "unit", 0, UNITS_RE, UNITS },
	{ "vcpu", NULL, 1, NULL, "a whole number" },
	{ "vcpu", "current", 0, NUM, "a whole number" },
	{ "on_poweroff", NULL, 1, NULL, "destroy, restart or preserve" },
	{ "on_reboot", NULL, 1, NULL, "destroy, restart or preserve" },
	{ "on_crash", NULL, 1, NULL, "destroy, restart or preserve" },
	{ "os/type", NULL, 1, NULL, "linux (hvm and xen are read as linux)" },
	{ "eventChannels", NULL, 1, NULL, "a whole number" },
	{ "grantFrames", NULL, 1, NULL, "a whole number" },
	{ "disk", "type", 0, "file", "file" },
	{ "disk", "device", 0, "disk", "disk" },
	{ "driver", "name", 0, "lamina", "lamina" },
	{ "driver", "type", 1, "raw|qcow2|qed|vmdk|vhdx|vdi|vpc", "raw, qcow2, qed, vmdk, vhdx, vdi or vpc" },
	{ "disk/source", "file", 1, ".+", "a path" },
	{ "target", "dev", 1, "xvd[a-z]{1,2}", "xvd and one or two letters, such as xvda" },
	{ "target", "bus", 0, "xen", "xen" },
	{ "interface", "type", 0, "network", "network" },
	{ "interface/source", "network", 1, "[A-Za-z0-9][A-Za-z0-9_.-]{0,31}",
	  "a network name of 1 to 32 letters, digits, '_', '.' or '-'" },
	{ "mac", "address", 1, ".+", "a MAC address such as 52:54:00:12:34:56" },
	{ "inbound", "average", 1, NUM, "a whole number of KiB/s" },
	{ "outbound", "average", 1, NUM, "a whole number of KiB/s" },
	{ "console", "type", 1, "pty|null", "pty or null" },
};

// Children of each element, in the order the schema wants them (files may
// use any order: cfg_reorder sorts them first).
static const struct cfg_order orders[] = {
	{ "domain", "name, description?, memory, currentMemory?, maxMemory?, vcpu, os, "
		    "on_poweroff?, on_reboot?, on_crash?, limits?, devices?" },
	{ "os", "type?, kernel, initrd?, cmdline?" },
	{ "limits", "eventChannels?, grantFrames?" },
	{ "devices", "disk*, interface*, console?" },
	{ "disk", "driver?, source, target, readonly?" },
	{ "interface", "source?, mac?, bandwidth?" },
	{ "bandwidth", "inbound?, outbound?" },
};

static int key_match(const char *key, xmlNodePtr node)
{
	const char *slash = strchr(key, '/');
	xmlNodePtr p = node->parent;

	if (!slash)
		return !strcmp(key, (const char *)node->name);
	return p && p->type == XML_ELEMENT_NODE &&
	       !strncmp(key, (const char *)p->name, (size_t)(slash - key)) &&
	       strlen((const char *)p->name) == (size_t)(slash - key) &&
	       !strcmp(slash + 1, (const char *)node->name);
}

const struct cfg_schema cfg_domain_schema = {
	.what = "domain", .rng = lamina_domain_rng,
	.hints = hints, .nhints = sizeof(hints) / sizeof(hints[0]),
	.orders = orders, .norders = sizeof(orders) / sizeof(orders[0]),
};

static const struct cfg_hint *hint_for(const struct cfg_schema *s, xmlNodePtr node,
				       const char *attr)
{
	for (size_t i = 0; i < s->nhints; i++) {
		const struct cfg_hint *h = &s->hints[i];
		if (key_match(h->elem, node) &&
		    (attr ? h->attr && !strcmp(h->attr, attr) : !h->attr))
			return h;
	}
	return NULL;
}

static int re_full_match(const char *re, const char *value)
{
	char anchored[256];
	regex_t rx;
	int ok;

	snprintf(anchored, sizeof(anchored), "^(%s)$", re);
	if (regcomp(&rx, anchored, REG_EXTENDED | REG_NOSUB))
		return 1;
	ok = regexec(&rx, value, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

static void raw_handler(void *data, xmlErrorPtr e)
{
	struct raw_list *l = data;
	struct raw_err *r;

	if (l->n >= RAW_MAX)
		return;
	r = &l->e[l->n++];
	r->node = e->node;
	r->code = e->code;
	snprintf(r->s1, sizeof(r->s1), "%s", e->str1 ? e->str1 : "");
	snprintf(r->msg, sizeof(r->msg), "%s", e->message ? e->message : "invalid");
	size_t n = strlen(r->msg);
	while (n && (r->msg[n - 1] == '\n' || r->msg[n - 1] == ' '))
		r->msg[--n] = 0;
}

static int report_attr(struct cfg_ctx *c, xmlNodePtr node, const struct cfg_hint *h);

// A bad value: one of node's attributes (the first its hint finds bad), else its text.
static void report_value(struct cfg_ctx *c, xmlNodePtr node)
{
	const struct cfg_schema *s = c->schema;
	const struct cfg_hint *h = hint_for(s, node, NULL);
	xmlChar *v;

	for (size_t i = 0; i < s->nhints; i++)
		if (s->hints[i].attr && key_match(s->hints[i].elem, node) &&
		    xmlHasProp(node, (const xmlChar *)s->hints[i].attr) &&
		    report_attr(c, node, &s->hints[i]))
			return;
	v = xmlNodeGetContent(node);

	if (h)
		cfg_error(c, node, NULL, "invalid value '%s' for <%s>: expected %s",
			  v ? (char *)v : "", node->name, h->expect);
	else
		cfg_error(c, node, NULL, "invalid value '%s' for <%s>",
			  v ? (char *)v : "", node->name);
	xmlFree(v);
}

static int report_attr(struct cfg_ctx *c, xmlNodePtr node, const struct cfg_hint *h)
{
	xmlChar *v = xmlGetProp(node, (const xmlChar *)h->attr);
	int bad = v ? !re_full_match(h->re, (char *)v) : h->required;

	if (bad && v)
		cfg_error(c, node, h->attr,
			  "invalid value '%s' for attribute '%s' of <%s>: expected %s",
			  (char *)v, h->attr, node->name, h->expect);
	else if (bad)
		cfg_error(c, node, NULL, "<%s> lacks the required attribute '%s' (%s)",
			  node->name, h->attr, h->expect);
	xmlFree(v);
	return bad;
}

static void report_attrs(struct cfg_ctx *c, xmlNodePtr node, const char *unknown)
{
	const struct cfg_schema *s = c->schema;
	const struct cfg_hint *h = unknown ? hint_for(s, node, unknown) : NULL;

	if (unknown && !h) {
		cfg_error(c, node, unknown, "unknown attribute '%s' on <%s>",
			  unknown, node->name);
		return;
	}
	for (size_t i = 0; i < s->nhints; i++)
		if (s->hints[i].attr && key_match(s->hints[i].elem, node) &&
		    report_attr(c, node, &s->hints[i]))
			return;
	cfg_error(c, node, NULL, "invalid attributes on <%s>", node->name);
}

static int has_child(xmlNodePtr p, const char *name, size_t len)
{
	for (xmlNodePtr n = p->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strlen((const char *)n->name) == len &&
		    !strncmp((const char *)n->name, name, len))
			return 1;
	return 0;
}

// A required child that is absent explains an "unexpected" one better.
static int report_missing(struct cfg_ctx *c, xmlNodePtr p, const char *order)
{
	for (const char *t = order; *t; t += strspn(t, ", ")) {
		size_t len = strcspn(t, "?*, ");
		if (t[len] != '?' && t[len] != '*' && !has_child(p, t, len)) {
			cfg_error(c, p, NULL, "<%s> lacks the required element <%.*s>",
				  p->name, (int)len, t);
			return 1;
		}
		t += strcspn(t, ", ");
	}
	return 0;
}

static void report_unexpected(struct cfg_ctx *c, xmlNodePtr node)
{
	const struct cfg_schema *s = c->schema;
	xmlNodePtr p = node->parent;

	for (size_t i = 0; p && i < s->norders; i++) {
		if (strcmp(s->orders[i].elem, (const char *)p->name))
			continue;
		if (!report_missing(c, p, s->orders[i].order))
			cfg_error(c, node, NULL, "unexpected element <%s>; <%s> takes (in any "
				  "order) %s", node->name, p->name, s->orders[i].order);
		return;
	}
	cfg_error(c, node, NULL, "unexpected element <%s>", node->name);
}

static void report_one(struct cfg_ctx *c, const struct raw_err *r)
{
	switch (r->code) {
	case XML_RELAXNG_ERR_TYPEVAL:
	case XML_RELAXNG_ERR_DATATYPE:
	case XML_RELAXNG_ERR_VALUE:
	case XML_RELAXNG_ERR_LIST:
		report_value(c, r->node);
		break;
	case XML_RELAXNG_ERR_ATTRVALID:
		report_attrs(c, r->node, NULL);
		break;
	case XML_RELAXNG_ERR_INVALIDATTR:
		report_attrs(c, r->node, r->s1);
		break;
	case XML_RELAXNG_ERR_ELEMWRONG:
		report_unexpected(c, r->node);
		break;
	case XML_RELAXNG_ERR_NOELEM:
		cfg_error(c, r->node, NULL, "<%s> lacks the required element <%s>",
			  r->node->name, r->s1);
		break;
	case XML_RELAXNG_ERR_ELEMNAME:
		cfg_error(c, r->node, NULL, "expected element <%s>, found <%s>",
			  c->schema->what, r->node->name);
		break;
	case XML_RELAXNG_ERR_TEXTWRONG:
		cfg_error(c, r->node, NULL, "<%s> must be empty", r->node->name);
		break;
	default:
		cfg_error(c, r->node, NULL, "%s", r->msg);
	}
}

static int is_fallout(int code)
{
	return code == XML_RELAXNG_ERR_CONTENTVALID || code == XML_RELAXNG_ERR_EXTRACONTENT ||
	       code == XML_RELAXNG_ERR_INTERSEQ || code == XML_RELAXNG_ERR_INTERNODATA;
}

static void report(struct cfg_ctx *c, const struct raw_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		const struct raw_err *r = &l->e[i];
		int seen = 0;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = l->e[j].node == r->node && !is_fallout(l->e[j].code);
		if (seen || is_fallout(r->code))
			continue;
		if (r->node)
			report_one(c, r);
		else
			cerr_add(c->err, c->label, 0, 0, "%s", r->msg);
	}
	if (!c->err->count)
		cerr_add(c->err, c->label, 1, 1, "document does not match the %s schema",
			 c->schema->what);
}

// Move p's children named in `order` to its end in that order; children it
// does not name go last, where the schema reports them.
static void reorder(xmlNodePtr p, const char *order)
{
	xmlNodePtr keep[256];
	size_t n = 0;

	for (const char *t = order; *t; t += strspn(t, ", ")) {
		size_t len = strcspn(t, "?*, ");
		for (xmlNodePtr k = p->children, next; k && n < 256; k = next) {
			next = k->next;
			if (k->type == XML_ELEMENT_NODE && strlen((const char *)k->name) == len &&
			    !strncmp((const char *)k->name, t, len)) {
				xmlUnlinkNode(k);
				keep[n++] = k;
			}
		}
		t += strcspn(t, ", ");
	}
	for (xmlNodePtr k = p->children, next; k && n < 256; k = next) {
		next = k->next;
		xmlUnlinkNode(k);
		keep[n++] = k;
	}
	for (size_t i = 0; i < n; i++)
		xmlAddChild(p, keep[i]);
}

// Child elements in any order, as in libvirt: sorted into the schema's.
// Elements deeper than the known ones are not visited.
static void cfg_reorder(const struct cfg_schema *s, xmlNodePtr n, int depth)
{
	for (; n && depth < 4; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (size_t i = 0; i < s->norders; i++)
			if (!strcmp(s->orders[i].elem, (const char *)n->name))
				reorder(n, s->orders[i].order);
		cfg_reorder(s, n->children, depth + 1);
	}
}

static xmlRelaxNGPtr load_schema(const char *rng)
{
	xmlRelaxNGParserCtxtPtr pc;
	xmlRelaxNGPtr s;

	pc = xmlRelaxNGNewMemParserCtxt(rng, (int)strlen(rng));
	if (!pc)
		return NULL;
	s = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	return s;
}

int cfg_validate_schema(struct cfg_ctx *c, const struct cfg_schema *s)
{
	struct raw_list raw;
	xmlRelaxNGPtr schema = load_schema(s->rng);
	xmlRelaxNGValidCtxtPtr vc = schema ? xmlRelaxNGNewValidCtxt(schema) : NULL;
	int rc;

	c->schema = s;
	if (!vc) {
		cerr_add(c->err, c->label, 0, 0, "internal error: cannot load the %s schema",
			 s->what);
		xmlRelaxNGFree(schema);
		return -1;
	}
	raw.n = 0;
	cfg_reorder(s, xmlDocGetRootElement(c->doc), 0);
	xmlRelaxNGSetValidStructuredErrors(vc, raw_handler, &raw);
	rc = xmlRelaxNGValidateDoc(vc, c->doc);
	if (rc)
		report(c, &raw);
	xmlRelaxNGFreeValidCtxt(vc);
	xmlRelaxNGFree(schema);
	return rc ? -1 : 0;
}

int cfg_validate(struct cfg_ctx *c)
{
	return cfg_validate_schema(c, &cfg_domain_schema);
}
