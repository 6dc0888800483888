// SPDX-License-Identifier: MIT
// libvirt domain XML import: the document and its top-level elements (devices in libvirt_devices.c).
//
// Each element libvirt defines is converted, dropped with a note saying why
// that loses nothing a Lamina guest could use, or refused with an error
// naming it and why; an element this file does not know is refused, never
// silently dropped.
#include "libvirt_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

xmlNodePtr lv_add(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

void lv_set(xmlNodePtr n, const char *attr, const char *value)
{
	xmlNewProp(n, (const xmlChar *)attr, (const xmlChar *)value);
}

char *lv_prop(xmlNodePtr n, const char *attr)
{
	return (char *)xmlGetProp(n, (const xmlChar *)attr);
}

bool lv_prop_in(xmlNodePtr n, const char *attr, const char *values)
{
	char *v = lv_prop(n, attr);
	size_t len = v ? strlen(v) : 0;
	bool in = !v;

	for (const char *t = values; v && !in && *t; t += strcspn(t, "|"), t += *t == '|')
		in = strcspn(t, "|") == len && !strncmp(t, v, len);
	xmlFree(v);
	return in;
}

const char *lv_attr(xmlNodePtr n, const char *attr)
{
	xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)attr);

	return a && a->children && a->children->content ? (const char *)a->children->content : "";
}

xmlNodePtr lv_child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr k = n->children; k; k = k->next)
		if (cfg_is(k, name))
			return k;
	return NULL;
}

// Elements dropped because they mean nothing to a Lamina PV guest.
static const struct {
	const char *name, *why;
} dropped[] = {
	{ "uuid", "Lamina names domains by <name>" },
	{ "genid", "Lamina has no VM generation ID device" },
	{ "title", "use <description>" },
	{ "metadata", "Lamina keeps no application metadata" },
	{ "features", "a Lamina PV guest has no ACPI, APIC or other emulated platform features" },
	{ "cpu", "a Lamina guest sees the host's CPU model" },
	{ "clock", "a Lamina guest's clock is the host's (PV time)" },
	{ "pm", "a Lamina guest has no ACPI sleep states" },
	{ "on_lockfailure", "Lamina has no disk lock manager" },
	{ "memoryBacking", "Lamina backs guest memory with ordinary host pages" },
	{ "memtune", "Lamina sets no memory cgroup limits" },
	{ "blkiotune", "Lamina has no block I/O tuning" },
	{ "cputune", "use 'lamina vcpu-pin' after creating the domain" },
	{ "numatune", "Lamina places guest memory on any NUMA node" },
	{ "iothreads", "Lamina has no I/O threads to configure" },
	{ "resource", "Lamina does not place domains in cgroup partitions" },
	{ "sysinfo", "a Lamina PV guest has no SMBIOS tables" },
	{ "vcpus", "vCPUs are all alike; <vcpu> gives their number" },
	{ "maxMemory", "memory hot-plug is not supported; <memory> is the ceiling" },
	{ "perf", "Lamina has no perf event configuration" },
};

static void copy_size(struct lv_ctx *x, xmlNodePtr n)
{
	char *unit = lv_prop(n, "unit"), *text = (char *)xmlNodeGetContent(n);
	xmlNodePtr o = lv_add(x->out, (const char *)n->name, text);

	if (unit)
		lv_set(o, "unit", unit);
	if (xmlHasProp(n, (const xmlChar *)"dumpCore"))
		cfg_note(&x->cc, n, "dumpCore", "dumpCore dropped: Lamina writes no core dumps");
	xmlFree(unit);
	xmlFree(text);
}

static void vcpu(struct lv_ctx *x, xmlNodePtr n)
{
	char *text = (char *)xmlNodeGetContent(n), *cur = lv_prop(n, "current");
	xmlNodePtr o = lv_add(x->out, "vcpu", text);

	if (cur)
		lv_set(o, "current", cur);
	if (xmlHasProp(n, (const xmlChar *)"cpuset"))
		cfg_note(&x->cc, n, "cpuset", "cpuset dropped: use 'lamina vcpu-pin'");
	if (!lv_prop_in(n, "placement", "static"))
		cfg_note(&x->cc, n, "placement", "placement dropped: Lamina places vCPUs freely");
	xmlFree(text);
	xmlFree(cur);
}

static void os_child(struct lv_ctx *x, xmlNodePtr k, xmlNodePtr o)
{
	char *text = (char *)xmlNodeGetContent(k);

	if (cfg_is(k, "type")) {
		if (text && strcmp(text, "linux"))
			lv_drop(x, k, "<type>%s</type> becomes <type>linux</type>: the kernel boots "
				"as a Lamina PV guest, so it must be built for Lamina", text);
	} else if (cfg_is(k, "kernel") || cfg_is(k, "initrd") || cfg_is(k, "cmdline")) {
		lv_add(o, (const char *)k->name, text);
	} else if (cfg_is(k, "boot") || cfg_is(k, "loader") || cfg_is(k, "nvram") ||
		   cfg_is(k, "bootmenu") || cfg_is(k, "smbios") || cfg_is(k, "bios") ||
		   cfg_is(k, "acpi") || cfg_is(k, "firmware")) {
		if (x->kernel)
			lv_drop(x, k, "dropped <%s>: Lamina boots <kernel> directly, without "
				"firmware", k->name);
	} else {
		lv_refuse(x, k, "<os> element <%s> is not known to Lamina's importer", k->name);
	}
	xmlFree(text);
}

static void os(struct lv_ctx *x, xmlNodePtr n)
{
	xmlNodePtr o = lv_add(x->out, "os", NULL);

	x->kernel = lv_child(n, "kernel") != NULL;
	lv_add(o, "type", "linux");
	if (!x->kernel)
		lv_refuse(x, n, "<os> has no <kernel>: Lamina boots a Linux kernel built for it "
			  "directly and has no firmware to boot a disk (<boot dev=...>); add "
			  "<kernel> (and <initrd>, <cmdline>)");
	for (xmlNodePtr k = n->children; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE)
			os_child(x, k, o);
}

// on_poweroff, on_reboot, on_crash: libvirt's extra actions mapped down.
static void action(struct lv_ctx *x, xmlNodePtr n)
{
	static const char *const map[][2] = {
		{ "destroy", "destroy" },	   { "restart", "restart" },
		{ "preserve", "preserve" },	   { "rename-restart", "restart" },
		{ "coredump-destroy", "destroy" }, { "coredump-restart", "restart" },
	};
	char *v = (char *)xmlNodeGetContent(n);
	size_t i;

	for (i = 0; v && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(v, map[i][0]))
			break;
	if (!v || i == sizeof(map) / sizeof(map[0]))
		lv_refuse(x, n, "<%s>%s</%s> is not an action Lamina knows (destroy, restart, "
			  "preserve)", n->name, v ? v : "", n->name);
	else if (strcmp(map[i][0], map[i][1]))
		lv_drop(x, n, "<%s>%s</%s> becomes %s: Lamina writes no core dumps and renames "
			"no domains", n->name, v, n->name, map[i][1]);
	if (v && i < sizeof(map) / sizeof(map[0]))
		lv_add(x->out, (const char *)n->name, map[i][1]);
	xmlFree(v);
}

static bool top_dropped(struct lv_ctx *x, xmlNodePtr n)
{
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (cfg_is(n, dropped[i].name)) {
			lv_drop(x, n, "dropped <%s>: %s", n->name, dropped[i].why);
			return true;
		}
	return false;
}

static void top(struct lv_ctx *x, xmlNodePtr n)
{
	char *text;

	if (n->ns && n->ns->prefix) {
		lv_refuse(x, n, "<%s:%s>: passes options to another hypervisor (%s)",
			  n->ns->prefix, n->name, n->ns->href);
	} else if (cfg_is(n, "name") || cfg_is(n, "description")) {
		text = (char *)xmlNodeGetContent(n);
		lv_add(x->out, (const char *)n->name, text);
		xmlFree(text);
	} else if (cfg_is(n, "memory") || cfg_is(n, "currentMemory")) {
		copy_size(x, n);
	} else if (cfg_is(n, "vcpu")) {
		vcpu(x, n);
	} else if (cfg_is(n, "os")) {
		os(x, n);
	} else if (cfg_is(n, "on_poweroff") || cfg_is(n, "on_reboot") || cfg_is(n, "on_crash")) {
		action(x, n);
	} else if (cfg_is(n, "devices")) {
		lv_devices(x, n);
	} else if (cfg_is(n, "seclabel") && lv_prop_in(n, "type", "none")) {
		lv_drop(x, n, "dropped <seclabel type='none'>: no label was asked for");
	} else if (cfg_is(n, "seclabel")) {
		lv_refuse(x, n, "<seclabel>: Lamina applies no SELinux or AppArmor label, so the "
			  "domain would run less confined than written; remove it to accept that");
	} else if (!top_dropped(x, n)) {
		lv_refuse(x, n, "<%s> is not known to Lamina's importer", n->name);
	}
}

static char *dump(xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int len = 0;
	char *s;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	s = mem ? strndup((const char *)mem, (size_t)len) : NULL;
	xmlFree(mem);
	return s;
}

static void convert(struct lv_ctx *x, xmlNodePtr root)
{
	char *type = lv_prop(root, "type");

	if (!cfg_is(root, "domain")) {
		lv_refuse(x, root, "expected a libvirt <domain>, found <%s>", root->name);
		xmlFree(type);
		return;
	}
	if (type && strcmp(type, "lamina"))
		cfg_note(&x->cc, root, "type", "type='%s' becomes type='lamina' (a PV domain)", type);
	if (xmlHasProp(root, (const xmlChar *)"id"))
		cfg_note(&x->cc, root, "id", "id dropped: lamina-hvd gives domain ids");
	xmlFree(type);
	for (xmlNodePtr n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			top(x, n);
}

int libvirt_import(const char *buf, size_t len, const char *label, char **out,
		   struct config_err *err)
{
	struct lv_ctx x = { .cc = { .label = label, .src = buf, .srclen = len, .err = err } };
	xmlDocPtr odoc;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (cfg_parse_xml(&x.cc))
		return -1;
	odoc = xmlNewDoc((const xmlChar *)"1.0");
	x.out = xmlNewNode(NULL, (const xmlChar *)"domain");
	xmlDocSetRootElement(odoc, x.out);
	lv_set(x.out, "type", "lamina");
	convert(&x, xmlDocGetRootElement(x.cc.doc));
	if (!err->count)
		*out = dump(odoc);
	xmlFreeDoc(odoc);
	xmlFreeDoc(x.cc.doc);
	return *out ? 0 : -1;
}
