// SPDX-License-Identifier: MIT
// Config reader: a schema-valid domain document into struct dom_config.
#include "config_int.h"
#include "units.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

char *cfg_text(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = strdup(v ? (const char *)v : "");

	xmlFree(v);
	return s;
}

char *cfg_prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static int read_uint(struct cfg_ctx *c, xmlNodePtr n, unsigned long long *out)
{
	char *s = cfg_text(n);
	char *end;

	errno = 0;
	*out = s ? strtoull(s, &end, 10) : 0;
	if (!s || errno) {
		cfg_error(c, n, NULL, "value of <%s> is too large", n->name);
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

static int read_size(struct cfg_ctx *c, xmlNodePtr n, uint64_t *kib)
{
	unsigned long long v;
	uint64_t bytes;
	char *unit = cfg_prop(n, "unit");
	int rc = read_uint(c, n, &v);

	if (!rc && size_to_bytes(v, unit ? unit : "KiB", &bytes)) {
		cfg_error(c, n, NULL, "<%s> of %llu %s is too large", n->name, v,
			  unit ? unit : "KiB");
		rc = -1;
	} else if (!rc && bytes % 4096) {
		cfg_error(c, n, NULL, "<%s> must be a whole number of 4 KiB pages "
			  "(%llu %s is not)", n->name, v, unit ? unit : "KiB");
		rc = -1;
	}
	*kib = rc ? 0 : bytes / 1024;
	free(unit);
	return rc;
}

int cfg_abs_path(struct cfg_ctx *c, xmlNodePtr n, const char *attr, char *value,
		 char **out)
{
	char buf[PATH_MAX * 2];

	if (!value)
		return -1;
	if (value[0] == '/') {
		*out = value;
		return 0;
	}
	if (!c->base_dir) {
		cfg_error(c, n, attr, "path '%s' must be absolute", value);
		free(value);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s/%s", c->base_dir, value);
	free(value);
	*out = strdup(buf);
	return *out ? 0 : -1;
}

static enum dom_action read_action(xmlNodePtr n)
{
	char *s = cfg_text(n);
	enum dom_action a = DOM_ACT_DESTROY;

	if (s && !strcmp(s, "restart"))
		a = DOM_ACT_RESTART;
	else if (s && !strcmp(s, "preserve"))
		a = DOM_ACT_PRESERVE;
	free(s);
	return a;
}

static int read_vcpu(struct cfg_ctx *c, xmlNodePtr n)
{
	unsigned long long v, cur;
	char *s = cfg_prop(n, "current");
	int rc = read_uint(c, n, &v);

	cur = s ? strtoull(s, NULL, 10) : v;
	free(s);
	c->vcpu_node = n;
	c->cfg->vcpus = v > UINT_MAX ? UINT_MAX : (unsigned)v;
	c->cfg->vcpus_current = cur > UINT_MAX ? UINT_MAX : (unsigned)cur;
	return rc;
}

static int read_os(struct cfg_ctx *c, xmlNodePtr os)
{
	struct dom_config *cfg = c->cfg;
	int rc = 0;

	for (xmlNodePtr n = os->children; n; n = n->next) {
		if (cfg_is(n, "kernel")) {
			c->kernel_node = n;
			rc |= cfg_abs_path(c, n, NULL, cfg_text(n), &cfg->kernel);
		} else if (cfg_is(n, "initrd")) {
			c->initrd_node = n;
			rc |= cfg_abs_path(c, n, NULL, cfg_text(n), &cfg->initrd);
		} else if (cfg_is(n, "cmdline")) {
			cfg->cmdline = cfg_text(n);
		}
	}
	return rc;
}

static int read_limits(struct cfg_ctx *c, xmlNodePtr lim)
{
	unsigned long long v;
	int rc = 0;

	for (xmlNodePtr n = lim->children; n; n = n->next) {
		if (!cfg_is(n, "eventChannels") && !cfg_is(n, "grantFrames"))
			continue;
		rc |= read_uint(c, n, &v);
		unsigned max = cfg_is(n, "grantFrames") ? DOM_MAX_GRANT_FRAMES : DOM_MAX_EVTCHN;
		if (!rc && (v < 1 || v > max)) {
			cfg_error(c, n, NULL, "<%s> of %llu is out of range 1-%u",
				  n->name, v, max);
			rc = -1;
		} else if (!rc && cfg_is(n, "grantFrames")) {
			c->cfg->max_grant_frames = (unsigned)v;
		} else if (!rc) {
			c->cfg->max_evtchn = (unsigned)v;
		}
	}
	return rc;
}



// libvirt's meanings: <memory> the ceiling, <currentMemory> the boot size.
// Lamina's old <memory> + <maxMemory> is read with a deprecation note.
static int read_memory(struct cfg_ctx *c)
{
	struct dom_config *cfg = c->cfg;

	if (c->oldmax_elem && c->curmem_elem) {
		cfg_error(c, c->oldmax_elem, NULL, "<maxMemory> (Lamina's old ceiling) cannot be "
			  "mixed with <currentMemory>: write <memory> as the ceiling and "
			  "<currentMemory> as the boot size");
		return -1;
	}
	if (c->oldmax_elem) {
		cfg_note(c, c->oldmax_elem, NULL, "deprecated: <memory> with <maxMemory> is "
			 "Lamina's old spelling; write <memory> as the ceiling (now <maxMemory>) and "
			 "<currentMemory> as the boot size (now <memory>), as libvirt does");
		c->memory_node = c->mem_elem, cfg->memory_kib = c->mem_elem_kib;
		c->maxmem_node = c->oldmax_elem, cfg->maxmem_kib = c->oldmax_kib;
		return 0;
	}
	c->maxmem_node = c->mem_elem, cfg->maxmem_kib = c->mem_elem_kib;
	c->memory_node = c->curmem_elem ? c->curmem_elem : c->mem_elem;
	cfg->memory_kib = c->curmem_elem ? c->curmem_kib : c->mem_elem_kib;
	return 0;
}

// libvirt attributes that mean nothing here are accepted with a note.
static void libvirt_notes(struct cfg_ctx *c, xmlNodePtr root)
{
	static const struct {
		const char *elem, *attr, *why;
	} ignored[] = {
		{ "vcpu", "placement", "Lamina places vCPU threads on any host CPU" },
		{ "vcpu", "cpuset", "use 'lamina vcpu-pin' after creating the domain" },
		{ "type", "arch", "Lamina guests are x86_64" },
		{ "type", "machine", "Lamina has no machine types" },
	};
	char *t = cfg_prop(root, "type");

	if (t && strcmp(t, "lamina"))
		cfg_note(c, root, "type", "type='%s' is read as type='lamina' (a PV domain)", t);
	free(t);
	for (xmlNodePtr n = root->children; n; n = n->next) {
		xmlNodePtr list[2] = { n, NULL };
		if (cfg_is(n, "os"))
			for (xmlNodePtr k = n->children; k; k = k->next)
				if (cfg_is(k, "type"))
					list[1] = k;
		for (int j = 0; j < 2 && list[j]; j++)
			for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
				if (cfg_is(list[j], ignored[i].elem) &&
				    xmlHasProp(list[j], (const xmlChar *)ignored[i].attr))
					cfg_note(c, list[j], ignored[i].attr, "%s='...' ignored: %s",
						 ignored[i].attr, ignored[i].why);
		if (list[1] && (t = cfg_text(list[1])) && strcmp(t, "linux"))
			cfg_note(c, list[1], NULL, "<type>%s</type> is read as <type>linux</type>: "
				 "the kernel boots as a Lamina PV guest", t);
		if (list[1])
			free(t);
	}
}

static int read_child(struct cfg_ctx *c, xmlNodePtr n)
{
	struct dom_config *cfg = c->cfg;
	char *s;

	if (cfg_is(n, "name")) {
		c->name_node = n;
		s = cfg_text(n);
		snprintf(cfg->name, sizeof(cfg->name), "%s", s ? s : "");
		free(s);
	} else if (cfg_is(n, "description")) {
		cfg->description = cfg_text(n);
	} else if (cfg_is(n, "memory")) {
		c->mem_elem = n;
		return read_size(c, n, &c->mem_elem_kib);
	} else if (cfg_is(n, "currentMemory")) {
		c->curmem_elem = n;
		return read_size(c, n, &c->curmem_kib);
	} else if (cfg_is(n, "maxMemory")) {
		c->oldmax_elem = n;
		return read_size(c, n, &c->oldmax_kib);
	} else if (cfg_is(n, "vcpu")) {
		return read_vcpu(c, n);
	} else if (cfg_is(n, "os")) {
		return read_os(c, n);
	} else if (cfg_is(n, "on_poweroff")) {
		cfg->on_poweroff = read_action(n);
	} else if (cfg_is(n, "on_reboot")) {
		cfg->on_reboot = read_action(n);
	} else if (cfg_is(n, "on_crash")) {
		cfg->on_crash = read_action(n);
	} else if (cfg_is(n, "limits")) {
		return read_limits(c, n);
	} else if (cfg_is(n, "devices")) {
		return cfg_read_devices(c, n);
	}
	return 0;
}

int cfg_read(struct cfg_ctx *c)
{
	xmlNodePtr root = xmlDocGetRootElement(c->doc);
	int rc = 0;

	c->cfg->on_poweroff = DOM_ACT_DESTROY;
	c->cfg->on_reboot = DOM_ACT_RESTART;
	c->cfg->on_crash = DOM_ACT_DESTROY;
	for (xmlNodePtr n = root->children; n; n = n->next)
		rc |= read_child(c, n);
	rc |= read_memory(c);
	libvirt_notes(c, root);
	return rc ? -1 : 0;
}
