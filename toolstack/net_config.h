// SPDX-License-Identifier: MIT
// Virtual network definitions: the parsed form of a network XML file (docs/network.rng) and its loader.
#ifndef LAMINA_NET_CONFIG_H
#define LAMINA_NET_CONFIG_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_NAME_MAX DOM_NET_MAX // 1 to 32 characters, as <interface><source network>
#define NET_IFNAME_MAX 16 // a Linux interface name: at most 15 characters
#define NET_VLAN_MAX 4094

enum net_mode {
	NET_INTERNAL, // a lamina-netswitch joins the interfaces; nothing on the host
	NET_HOST_ONLY, // a bridge Lamina creates, with the host's address on it
	NET_NAT, // host-only, masqueraded out of the host, dnsmasq for DHCP and DNS
	NET_BRIDGE, // an existing host bridge
};

struct net_config {
	char name[NET_NAME_MAX];
	enum net_mode mode;
	char bridge[NET_IFNAME_MAX]; // "" for internal; host-only and nat default to lm-NAME
	bool has_ip; // host-only and nat: the host's address on the bridge
	uint32_t addr; // host byte order
	unsigned prefix;
	bool has_dhcp;
	uint32_t dhcp_start, dhcp_end; // host byte order, inside the subnet
	unsigned vlan; // internal only; 0 = untagged
};

// Load, validate against docs/network.rng and check a network file; 0, or
// -1 with `err` filled ("LABEL:LINE:COL: message" lines, as for domains).
int net_config_load_file(const char *path, struct net_config *nc, struct config_err *err);
int net_config_load_mem(const char *buf, size_t len, const char *label, struct net_config *nc,
			struct config_err *err);
// The definition as a network XML document (malloc'd), defaults spelled out.
char *net_config_to_xml(const struct net_config *nc);

const char *net_mode_name(enum net_mode m); // "internal", "host-only", "nat", "bridge"
// A network name usable as a file name: what the schema allows.
bool net_name_ok(const char *name);
// The bridge Lamina creates for a host-only or nat network: "lm-NAME" cut to 15 characters.
void net_bridge_default(const char *name, char out[NET_IFNAME_MAX]);
// Dotted quad of a host-order address.
void net_ip_format(uint32_t addr, char out[16]);
// The network part of addr under prefix.
uint32_t net_ip_mask(unsigned prefix);

#endif
