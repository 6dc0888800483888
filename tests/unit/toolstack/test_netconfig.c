// SPDX-License-Identifier: MIT
// Toolstack unit tests: network definitions (docs/network.rng): good files, and each bad one's exact error with line and column.
#include "suites.h"

#include "net_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N TEST_DATA_DIR "/net/"

// Each bad file and the exact text the loader must give for it.
static const struct {
	const char *file, *msg;
} bad[] = {
	{ "bad-malformed.xml", "bad-malformed.xml:4:11: Opening and ending tag mismatch: forward "
			       "line 3 and network" },
	{ "bad-root.xml", "bad-root.xml:1:1: expected element <network>, found <domain>" },
	{ "bad-no-forward.xml", "bad-no-forward.xml:1:1: <network> lacks the required element "
				"<forward>" },
	{ "bad-unknown.xml", "bad-unknown.xml:4:3: unexpected element <uuid>; <network> takes (in "
			     "any order) name, forward, bridge?, ip?, vlan?" },
	{ "bad-mode.xml", "bad-mode.xml:3:12: invalid value 'routed' for attribute 'mode' of "
			  "<forward>: expected internal, host-only, nat or bridge" },
	{ "bad-name.xml", "bad-name.xml:2:3: invalid value '-lab' for <name>: expected 1 to 32 "
			  "letters, digits, '_', '.' or '-', starting with a letter or digit" },
	{ "bad-bridge-name.xml", "bad-bridge-name.xml:4:11: invalid value 'this-name-is-too-long' "
				 "for attribute 'name' of <bridge>: expected an interface name "
				 "of 1 to 15 letters, digits, '_', '.' or '-'" },
	{ "bad-vlan-text.xml", "bad-vlan-text.xml:4:9: invalid value 'ten' for attribute 'tag' of "
			       "<vlan>: expected a VLAN tag 1-4094" },
	{ "bad-address.xml", "bad-address.xml:4:7: invalid IPv4 address '10.0.7.300' for "
			     "attribute 'address' of <ip>" },
	{ "bad-address-network.xml", "bad-address-network.xml:4:7: 10.0.7.0 is the network "
				     "address of 10.0.7.0/24, not a host address" },
	{ "bad-address-broadcast.xml", "bad-address-broadcast.xml:4:7: 10.0.7.255 is the "
				       "broadcast address of 10.0.7.0/24, not a host address" },
	{ "bad-prefix.xml", "bad-prefix.xml:4:26: prefix 31 is out of range 8-30" },
	{ "bad-range-outside.xml", "bad-range-outside.xml:5:18: DHCP range start 10.0.8.100 is "
				   "outside the network 10.0.7.0/24" },
	{ "bad-range-order.xml", "bad-range-order.xml:5:37: DHCP range end 10.0.7.100 comes "
				 "before its start 10.0.7.199" },
	{ "bad-range-host.xml", "bad-range-host.xml:5:11: DHCP range 10.0.7.1-10.0.7.99 holds the "
				"host's address 10.0.7.1" },
	{ "bad-range-broadcast.xml", "bad-range-broadcast.xml:5:37: DHCP range end 10.0.7.255 is "
				     "the broadcast address of 10.0.7.0/24" },
	{ "bad-nat-no-ip.xml", "bad-nat-no-ip.xml:3:12: a nat network needs <ip address='...' "
			       "prefix='...'/>: the host's address on its bridge" },
	{ "bad-bridge-no-bridge.xml", "bad-bridge-no-bridge.xml:3:12: a bridge network joins an "
				      "existing host bridge: <bridge name='...'/> naming it is "
				      "required" },
	{ "bad-bridge-ip.xml", "bad-bridge-ip.xml:5:3: <ip> is not used by a bridge network: the "
			       "host bridge keeps its own addresses" },
	{ "bad-internal-ip.xml", "bad-internal-ip.xml:4:3: <ip> is not used by an internal "
				 "network: the host is not on it" },
	{ "bad-internal-bridge.xml", "bad-internal-bridge.xml:4:3: <bridge> is not used by an "
				     "internal network (its interfaces meet in a switch process, "
				     "not on a host bridge)" },
	{ "bad-vlan-nat.xml", "bad-vlan-nat.xml:5:3: <vlan> is for internal networks only (this "
			      "one is nat)" },
	{ "bad-vlan-range.xml", "bad-vlan-range.xml:4:9: VLAN tag 5000 is out of range 1-4094" },
};

START_TEST(bad_network_files)
{
	struct net_config nc;
	struct config_err err;
	char path[512], want[1024];

	snprintf(path, sizeof(path), N "%s", bad[_i].file);
	snprintf(want, sizeof(want), N "%s", bad[_i].msg);
	ck_assert_int_eq(net_config_load_file(path, &nc, &err), -1);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(err.count, 1);
	ck_assert_str_eq(nc.name, ""); // nothing half-read
}
END_TEST

static void load_good(const char *file, struct net_config *nc)
{
	struct config_err err;

	ck_assert_msg(net_config_load_file(file, nc, &err) == 0, "%s: %s", file, err.msg);
}

START_TEST(good_nat)
{
	struct net_config nc;
	char a[16];

	load_good(N "good-nat.xml", &nc);
	ck_assert_str_eq(nc.name, "lab");
	ck_assert_int_eq(nc.mode, NET_NAT);
	ck_assert_str_eq(nc.bridge, "br-lab");
	ck_assert(nc.has_ip && nc.has_dhcp);
	net_ip_format(nc.addr, a);
	ck_assert_str_eq(a, "10.0.7.1");
	ck_assert_uint_eq(nc.prefix, 24);
	net_ip_format(nc.dhcp_start, a);
	ck_assert_str_eq(a, "10.0.7.100");
	net_ip_format(nc.dhcp_end, a);
	ck_assert_str_eq(a, "10.0.7.199");
	ck_assert_uint_eq(nc.vlan, 0);
}
END_TEST

START_TEST(good_others)
{
	struct net_config nc;

	load_good(N "good-internal.xml", &nc); // children in any order
	ck_assert_str_eq(nc.name, "backplane.1");
	ck_assert_int_eq(nc.mode, NET_INTERNAL);
	ck_assert_str_eq(nc.bridge, "");
	ck_assert(!nc.has_ip);
	ck_assert_uint_eq(nc.vlan, 42);
	load_good(N "good-host-only.xml", &nc); // the bridge's default name, cut to 15
	ck_assert_int_eq(nc.mode, NET_HOST_ONLY);
	ck_assert_str_eq(nc.bridge, "lm-a-very-long-");
	ck_assert(nc.has_ip && !nc.has_dhcp);
	ck_assert_uint_eq(nc.prefix, 30);
	load_good(N "good-bridge.xml", &nc);
	ck_assert_int_eq(nc.mode, NET_BRIDGE);
	ck_assert_str_eq(nc.bridge, "br0");
}
END_TEST

// What net_config_to_xml writes loads back to the same definition.
START_TEST(round_trip)
{
	static const char *const files[] = { "good-nat.xml", "good-internal.xml",
					     "good-host-only.xml", "good-bridge.xml" };
	struct net_config a, b;
	struct config_err err;
	char path[512], *xml;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), N "%s", files[i]);
		load_good(path, &a);
		xml = net_config_to_xml(&a);
		ck_assert_ptr_nonnull(xml);
		ck_assert_msg(net_config_load_mem(xml, strlen(xml), "<mem>", &b, &err) == 0, "%s: %s",
			      xml, err.msg);
		ck_assert_msg(!memcmp(&a, &b, sizeof(a)), "%s changed in a round trip:\n%s",
			      files[i], xml);
		free(xml);
	}
}
END_TEST

START_TEST(names_and_helpers)
{
	char br[NET_IFNAME_MAX];

	ck_assert(net_name_ok("lab"));
	ck_assert(net_name_ok("a.b-c_d"));
	ck_assert(!net_name_ok(""));
	ck_assert(!net_name_ok(".hidden"));
	ck_assert(!net_name_ok("../x"));
	ck_assert(!net_name_ok("a/b"));
	ck_assert(!net_name_ok("123456789012345678901234567890123")); // 33 characters
	net_bridge_default("lab", br);
	ck_assert_str_eq(br, "lm-lab");
	ck_assert_uint_eq(net_ip_mask(24), 0xffffff00u);
	ck_assert_uint_eq(net_ip_mask(30), 0xfffffffcu);
	ck_assert_str_eq(net_mode_name(NET_HOST_ONLY), "host-only");
}
END_TEST

Suite *netconfig_suite(void)
{
	Suite *s = suite_create("netconfig");
	TCase *tc = tcase_create("files");

	tcase_add_loop_test(tc, bad_network_files, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, good_nat);
	tcase_add_test(tc, good_others);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, names_and_helpers);
	suite_add_tcase(s, tc);
	return s;
}
