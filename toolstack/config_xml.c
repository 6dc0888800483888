// SPDX-License-Identifier: MIT
// Config writer: struct dom_config back into a domain XML document.
#include "config.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

static void set(xmlNodePtr n, const char *attr, const char *value)
{
	xmlNewProp(n, (const xmlChar *)attr, (const xmlChar *)value);
}

static void add_size(xmlNodePtr parent, const char *name, uint64_t kib)
{
	static const char *const units[] = { "KiB", "MiB", "GiB" };
	char num[32];
	unsigned u = 0;

	while (u < 2 && kib && kib % 1024 == 0) {
		kib /= 1024;
		u++;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)kib);
	set(add(parent, name, num), "unit", units[u]);
}

static void add_uint(xmlNodePtr parent, const char *name, unsigned v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	add(parent, name, num);
}

static void add_os(xmlNodePtr root, const struct dom_config *cfg)
{
	xmlNodePtr os = add(root, "os", NULL);

	add(os, "type", "linux");
	add(os, "kernel", cfg->kernel);
	if (cfg->initrd)
		add(os, "initrd", cfg->initrd);
	if (cfg->cmdline)
		add(os, "cmdline", cfg->cmdline);
}

static void add_limits(xmlNodePtr root, const struct dom_config *cfg)
{
	xmlNodePtr lim;

	if (!cfg->max_evtchn && !cfg->max_grant_frames)
		return;
	lim = add(root, "limits", NULL);
	if (cfg->max_evtchn)
		add_uint(lim, "eventChannels", cfg->max_evtchn);
	if (cfg->max_grant_frames)
		add_uint(lim, "grantFrames", cfg->max_grant_frames);
}

static void add_disk(xmlNodePtr devs, const struct dom_disk *d)
{
	xmlNodePtr disk = add(devs, "disk", NULL);

	set(disk, "type", "file");
	set(disk, "device", "disk");
	set(add(disk, "driver", NULL), "type", d->format[0] ? d->format : "raw");
	set(add(disk, "source", NULL), "file", d->source);
	set(add(disk, "target", NULL), "dev", d->target);
	if (d->readonly)
		add(disk, "readonly", NULL);
}

static void add_rate(xmlNodePtr bw, const char *name, uint32_t kibps)
{
	char num[16];

	if (!kibps)
		return;
	snprintf(num, sizeof(num), "%u", kibps);
	set(add(bw, name, NULL), "average", num);
}

static void add_nic(xmlNodePtr devs, const struct dom_nic *nic)
{
	xmlNodePtr iface = add(devs, "interface", NULL), bw;
	char mac[18];

	set(iface, "type", "network");
	if (nic->network[0])
		set(add(iface, "source", NULL), "network", nic->network);
	if (nic->has_mac) {
		mac_format(nic->mac, mac);
		set(add(iface, "mac", NULL), "address", mac);
	}
	if (nic->in_kibps || nic->out_kibps) {
		bw = add(iface, "bandwidth", NULL);
		add_rate(bw, "inbound", nic->in_kibps);
		add_rate(bw, "outbound", nic->out_kibps);
	}
}

static void add_devices(xmlNodePtr root, const struct dom_config *cfg)
{
	xmlNodePtr devs = add(root, "devices", NULL);

	for (size_t i = 0; i < cfg->ndisks; i++)
		add_disk(devs, &cfg->disks[i]);
	for (size_t i = 0; i < cfg->nnics; i++)
		add_nic(devs, &cfg->nics[i]);
	set(add(devs, "console", NULL), "type",
	    cfg->console == DOM_CONSOLE_NULL ? "null" : "pty");
}

static void add_vcpu(xmlNodePtr root, const struct dom_config *cfg)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", cfg->vcpus);
	xmlNodePtr v = add(root, "vcpu", num);
	if (cfg->vcpus_current != cfg->vcpus) {
		snprintf(num, sizeof(num), "%u", cfg->vcpus_current);
		set(v, "current", num);
	}
}

static char *dump(xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int len = 0;
	char *out;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	out = mem ? strndup((const char *)mem, (size_t)len) : NULL;
	xmlFree(mem);
	return out;
}

char *config_to_xml(const struct dom_config *cfg)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *)"domain");
	char *out;

	xmlDocSetRootElement(doc, root);
	set(root, "type", "lamina");
	add(root, "name", cfg->name);
	if (cfg->description)
		add(root, "description", cfg->description);
	add_size(root, "memory", cfg->maxmem_kib);
	add_size(root, "currentMemory", cfg->memory_kib);
	add_vcpu(root, cfg);
	add_os(root, cfg);
	add(root, "on_poweroff", dom_action_name(cfg->on_poweroff));
	add(root, "on_reboot", dom_action_name(cfg->on_reboot));
	add(root, "on_crash", dom_action_name(cfg->on_crash));
	add_limits(root, cfg);
	add_devices(root, cfg);
	out = dump(doc);
	xmlFreeDoc(doc);
	return out;
}
