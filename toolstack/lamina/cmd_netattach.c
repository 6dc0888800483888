// SPDX-License-Identifier: MIT
// lamina network-attach: attach a network interface to a domain.
#include "lamina.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse(const struct cmd *self, int argc, char **argv, struct lp_net *rq)
{
	static const struct option lo[] = { { "network", required_argument, NULL, 'N' },
					    { "mac", required_argument, NULL, 'm' },
					    { "rate", required_argument, NULL, 'R' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	int ch;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "", lo)) != -1) {
		if (ch == 'N' && strlen(optarg) < sizeof(rq->network)) {
			strcpy(rq->network, optarg);
		} else if (ch == 'm' && mac_parse(optarg, rq->mac) == 0) {
			rq->has_mac = 1;
		} else if (ch == 'R' && atoi(optarg) > 0) {
			rq->in_kibps = rq->out_kibps = (uint32_t)atoi(optarg);
		} else {
			err_msg("network-attach: invalid value '%s'", optarg);
			return -1;
		}
	}
	return want_args(self, argc, argv, 1);
}

int cmd_netattach(const struct cmd *self, int argc, char **argv)
{
	struct lp_net rq = { 0 };
	struct lp_msg m;
	int fd, rc;

	if (parse(self, argc, argv, &rq) < 0)
		return EXIT_USAGE;
	copy_name(rq.name, argv[optind]);
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_NET_ATTACH, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	if (m.hdr.type == LP_REPLY_TEXT)
		printf("Attached interface %s to '%s'.\n", (const char *)m.payload, rq.name);
	else
		printf("Attached an interface to '%s'.\n", rq.name);
	lp_msg_free(&m);
	return EXIT_OK;
}
