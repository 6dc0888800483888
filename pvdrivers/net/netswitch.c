// SPDX-License-Identifier: MIT
// lamina-netswitch: a learning Ethernet switch on a unix socket for lamina-netback's --switch ports (per-VLAN access ports, aging, bounded table).
//
// usage: lamina-netswitch [--verbose] SOCKETPATH (see docs/man/lamina-netswitch.8)
#include "sw_serve.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "verbose", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' },
					      { 0, 0, 0, 0 } };
	bool verbose = false;
	sigset_t block;
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		if (c != 'v') {
			fprintf(stderr, "usage: lamina-netswitch [--verbose] SOCKETPATH\n");
			return c == 'h' ? 0 : 2;
		}
		verbose = true;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: lamina-netswitch [--verbose] SOCKETPATH\n");
		return 2;
	}
	// SIGTERM and SIGINT only while waiting (sw_run's ppoll): never mid-frame
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	return sw_run(argv[optind], verbose);
}
