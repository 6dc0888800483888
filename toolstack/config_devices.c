// SPDX-License-Identifier: MIT
// Config reader for <devices>: disks, network interfaces and the console.
#include "config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int read_disk(struct cfg_ctx *c, xmlNodePtr disk)
{
	struct dom_config *cfg = c->cfg;
	struct dom_disk *d;
	int rc = 0;

	if (cfg->ndisks == DOM_MAX_DISKS) {
		cfg_error(c, disk, NULL, "too many disks (at most %d)", DOM_MAX_DISKS);
		return -1;
	}
	c->disk_nodes[cfg->ndisks] = disk;
	d = &cfg->disks[cfg->ndisks++];
	for (xmlNodePtr n = disk->children; n; n = n->next) {
		if (cfg_is(n, "source")) {
			rc |= cfg_abs_path(c, n, "file", cfg_prop(n, "file"), &d->source);
		} else if (cfg_is(n, "target")) {
			char *dev = cfg_prop(n, "dev");
			snprintf(d->target, sizeof(d->target), "%s", dev ? dev : "");
			free(dev);
		} else if (cfg_is(n, "readonly")) {
			d->readonly = true;
		} else if (cfg_is(n, "driver")) { // the schema allows only known formats
			char *fmt = cfg_prop(n, "type");
			snprintf(d->format, sizeof(d->format), "%s", fmt && strcmp(fmt, "raw") ? fmt : "");
			free(fmt);
		}
	}
	return rc;
}

static void read_rate(xmlNodePtr bw, struct dom_nic *nic)
{
	for (xmlNodePtr n = bw->children; n; n = n->next) {
		char *avg = cfg_prop(n, "average");
		unsigned long long v = avg ? strtoull(avg, NULL, 10) : 0;
		uint32_t kibps = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;

		if (cfg_is(n, "inbound"))
			nic->in_kibps = kibps;
		else if (cfg_is(n, "outbound"))
			nic->out_kibps = kibps;
		free(avg);
	}
}

static int read_mac(struct cfg_ctx *c, xmlNodePtr n, struct dom_nic *nic)
{
	char *addr = cfg_prop(n, "address");
	int rc = 0;

	if (!addr || mac_parse(addr, nic->mac)) {
		cfg_error(c, n, "address", "invalid MAC address '%s': expected six "
			  "pairs of hex digits such as 52:54:00:12:34:56",
			  addr ? addr : "");
		rc = -1;
	} else if (nic->mac[0] & 1) {
		cfg_error(c, n, "address", "MAC address %s is a multicast address "
			  "(the first byte must be even)", addr);
		rc = -1;
	}
	nic->has_mac = rc == 0;
	free(addr);
	return rc;
}

static int read_nic(struct cfg_ctx *c, xmlNodePtr iface)
{
	struct dom_config *cfg = c->cfg;
	struct dom_nic *nic;
	int rc = 0;

	if (cfg->nnics == DOM_MAX_NICS) {
		cfg_error(c, iface, NULL, "too many interfaces (at most %d)", DOM_MAX_NICS);
		return -1;
	}
	c->nic_nodes[cfg->nnics] = iface;
	nic = &cfg->nics[cfg->nnics++];
	for (xmlNodePtr n = iface->children; n; n = n->next) {
		if (cfg_is(n, "source")) {
			char *net = cfg_prop(n, "network");
			snprintf(nic->network, sizeof(nic->network), "%s", net ? net : "");
			free(net);
		} else if (cfg_is(n, "mac")) {
			rc |= read_mac(c, n, nic);
		} else if (cfg_is(n, "bandwidth")) {
			read_rate(n, nic);
		}
	}
	return rc;
}

int cfg_read_devices(struct cfg_ctx *c, xmlNodePtr devs)
{
	int rc = 0;

	for (xmlNodePtr n = devs->children; n; n = n->next) {
		if (cfg_is(n, "disk")) {
			rc |= read_disk(c, n);
		} else if (cfg_is(n, "interface")) {
			rc |= read_nic(c, n);
		} else if (cfg_is(n, "console")) {
			char *t = cfg_prop(n, "type");
			c->cfg->console = t && !strcmp(t, "null") ? DOM_CONSOLE_NULL
								  : DOM_CONSOLE_PTY;
			free(t);
		}
	}
	return rc;
}
