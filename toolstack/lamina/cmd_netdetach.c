// SPDX-License-Identifier: MIT
// lamina network-detach: detach a domain's network interface by MAC address.
#include "lamina.h"
#include "config.h"

#include <stdio.h>
#include <unistd.h>

int cmd_netdetach(const struct cmd *self, int argc, char **argv)
{
	struct lp_net rq = { 0 };
	struct lp_msg m;
	int fd, rc;

	if (simple_args(self, argc, argv, 2) < 0)
		return EXIT_USAGE;
	if (mac_parse(argv[optind + 1], rq.mac)) {
		err_msg("network-detach: invalid MAC address '%s'", argv[optind + 1]);
		return EXIT_USAGE;
	}
	rq.has_mac = 1;
	copy_name(rq.name, argv[optind]);
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_NET_DETACH, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	lp_msg_free(&m);
	printf("Detached %s from '%s'.\n", argv[optind + 1], rq.name);
	return EXIT_OK;
}
