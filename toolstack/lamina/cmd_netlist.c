// SPDX-License-Identifier: MIT
// lamina net-list: one line per virtual network with its mode, state, bridge, address and interfaces.
#include "lamina.h"

#include <stdio.h>
#include <unistd.h>

int cmd_netlist(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	const struct lp_net_info *ni;
	struct lp_msg m;
	bool json = false;
	int fd, rc, ch;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "j", lo)) != -1)
		json |= ch == 'j';
	if (want_args(self, argc, argv, 0) < 0)
		return EXIT_USAGE;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_NETWORK_LIST, NULL, 0, NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	if (json) {
		rc = print_json(LP_REPLY_NETWORK_LIST, &m);
		lp_msg_free(&m);
		return rc;
	}
	printf("%-20s %-9s %-8s %-15s %-18s %10s %s\n", "NAME", "MODE", "STATE", "BRIDGE",
	       "ADDRESS", "INTERFACES", "PERSISTENT");
	ni = (const struct lp_net_info *)m.payload;
	for (size_t i = 0; i < m.hdr.len / sizeof(*ni); i++) {
		printf("%-20s %-9s %-8s %-15s %-18s %10u %s\n", ni[i].name, ni[i].mode,
		       ni[i].flags & LP_NET_ACTIVE ? "active" : "inactive",
		       ni[i].bridge[0] ? ni[i].bridge : "-", ni[i].address[0] ? ni[i].address : "-",
		       ni[i].nifs, !(ni[i].flags & LP_NET_PERSISTENT) ? "no"
				   : ni[i].flags & LP_NET_AUTOSTART ? "yes, autostart" : "yes");
		if (ni[i].note[0])
			printf("  %s: %s\n", ni[i].name, ni[i].note);
	}
	lp_msg_free(&m);
	return EXIT_OK;
}
