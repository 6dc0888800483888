// SPDX-License-Identifier: MIT
// The interface (vif) device kind: an <interface> is served by one lamina-netback process (pvdrivers/net).
//
// An interface's key is its MAC address as text and its number on the bus
// its index among the domain's interfaces.  On an internal network its
// back-end connects to the network's lamina-netswitch; on the others it
// opens a TAP that laminad makes first (lmDOMID.DEVID, joined to the
// network's bridge) and deletes when the back-end stops for good.
#include "devices.h"
#include "laminad.h"
#include "net.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define KEY_SLOTS 8

static size_t vif_count(const struct dom_config *cfg)
{
	return cfg->nnics;
}

// The MAC as text, in one of KEY_SLOTS rotating buffers: valid until
// KEY_SLOTS more calls (callers use a key at once or copy it).
static const char *vif_key(const struct dom_config *cfg, size_t i)
{
	static char keys[KEY_SLOTS][18];
	static unsigned next;
	char *k = keys[next++ % KEY_SLOTS];

	mac_format(cfg->nics[i].mac, k);
	return k;
}

static long vif_devid(const struct dom_config *cfg, size_t i)
{
	return cfg->nics[i].has_mac ? (long)i : -1;
}

// "--name" then its value, as two arguments (in that order).
static int opt(struct dev_argv *av, const char *name, const char *value)
{
	return dev_argv_add(av, "%s", name) || dev_argv_add(av, "%s", value) ? -1 : 0;
}

// A <bandwidth> average (KiB/s, 0: none) as lamina-netback's bytes a second.
static int rate_opt(struct dev_argv *av, const char *name, uint32_t kibps)
{
	char num[24];

	if (!kibps)
		return 0;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)kibps * 1024);
	return opt(av, name, num);
}

static int vif_args(const struct dom_config *cfg, size_t i, const struct dev_ctx *ctx,
		    struct dev_argv *av)
{
	const char *net = net_of_nic(cfg->nics[i].network);
	char mac[18], path[PATH_MAX], tap[NET_IFNAME_MAX], num[16];
	struct net_state st;
	int rc = 0;

	if (net_state_load(net, &st) || !st.up)
		return -1;
	mac_format(cfg->nics[i].mac, mac);
	rc |= opt(av, "--mac", mac);
	snprintf(num, sizeof(num), "%d", ctx->ready_fd);
	rc |= opt(av, "--ready-fd", num);
	if (ctx->socket)
		rc |= opt(av, "--socket", ctx->socket);
	if (st.mode == NET_INTERNAL) {
		net_path(net, "sock", path, sizeof(path));
		rc |= opt(av, "--switch", path);
		snprintf(num, sizeof(num), "%u", st.vlan);
		if (st.vlan)
			rc |= opt(av, "--vlan", num);
	} else {
		net_tap_name(ctx->domid, ctx->devid, tap);
		rc |= opt(av, "--tap", tap);
	}
	// libvirt's directions are the guest's: outbound is what it transmits
	rc |= rate_opt(av, "--tx-rate", cfg->nics[i].out_kibps);
	rc |= rate_opt(av, "--rx-rate", cfg->nics[i].in_kibps);
	rc |= dev_argv_add(av, "%u", ctx->domid);
	rc |= dev_argv_add(av, "%u", ctx->devid);
	return rc ? -1 : 0;
}

static const char *vif_problem(const struct dom_config *cfg, size_t i,
			       const struct dom_config *const *others, size_t nothers, char *buf,
			       size_t len)
{
	const struct dom_nic *nic = &cfg->nics[i];
	const char *net = net_of_nic(nic->network);
	struct net_state st;

	(void)others;
	(void)nothers;
	if (!nic->has_mac || (nic->mac[0] & 1))
		return "the interface needs a unicast MAC address";
	if (net_state_load(net, &st) == 0 && st.up) {
		if (st.mode == NET_BRIDGE && !net_link_is_bridge(st.bridge)) {
			snprintf(buf, len, "the host bridge %s of network '%s' is gone", st.bridge, net);
			return buf;
		}
		return NULL;
	}
	if (net_defined(net))
		snprintf(buf, len, "network '%s' is not started ('lamina net-start %s' starts it)",
			 net, net);
	else
		snprintf(buf, len, "network '%s' is not defined ('lamina net-define FILE' defines "
			 "it, 'lamina net-start %s' starts it)", net, net);
	return buf;
}

static void vif_describe(const struct dom_config *cfg, size_t i, struct lp_dev *out)
{
	snprintf(out->source, sizeof(out->source), "%s", net_of_nic(cfg->nics[i].network));
}

static int vif_sim_attach(struct daemon *dm, struct hv_dom *hd, const struct dom_config *cfg,
			  size_t i)
{
	return HVCALL(dm, nic_attach, hd, &cfg->nics[i]);
}

static int vif_sim_detach(struct daemon *dm, struct hv_dom *hd, const char *key)
{
	uint8_t mac[6];

	if (mac_parse(key, mac))
		return -EINVAL;
	return HVCALL(dm, nic_detach, hd, mac);
}

// A TAP for interfaces on host-only, nat and bridge networks.
static int vif_host_setup(const struct dom_config *cfg, size_t i, const struct dev_ctx *ctx,
			  char *err, size_t len)
{
	const char *net = net_of_nic(cfg->nics[i].network);
	struct net_state st;

	if (net_state_load(net, &st) || !st.up) {
		snprintf(err, len, "network '%s' is not started", net);
		return -1;
	}
	if (st.mode == NET_INTERNAL)
		return 0;
	return net_tap_create(net, ctx->domid, ctx->devid, err, len);
}

const struct dev_kind dev_kind_vif = {
	.type = "vif",
	.what = "interface",
	.exe = "lamina-netback",
	.build_dir = "pvdrivers/net",
	.count = vif_count,
	.key = vif_key,
	.devid = vif_devid,
	.args = vif_args,
	.problem = vif_problem,
	.describe = vif_describe,
	.sim_attach = vif_sim_attach,
	.sim_detach = vif_sim_detach,
	.sim_unchecked = true,
	.host_setup = vif_host_setup,
	.host_teardown = net_tap_delete,
};
