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
		c->memory_node = n;
		return read_size(c, n, &cfg->memory_kib);
	} else if (cfg_is(n, "maxMemory")) {
		c->maxmem_node = n;
		return read_size(c, n, &cfg->maxmem_kib);
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
	if (!c->maxmem_node)
		c->cfg->maxmem_kib = c->cfg->memory_kib;
	return rc ? -1 : 0;
}
