// SPDX-License-Identifier: MIT
// lamina vcpu-pin: pin one vCPU of a domain to a set of host CPUs.
#include "lamina.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// "all" or "0-3,6": set the bits; 0 or -1.
static int parse_cpus(const char *s, uint64_t *cpus)
{
	char *end;

	if (!strcmp(s, "all")) {
		long n = sysconf(_SC_NPROCESSORS_CONF);
		for (long c = 0; c < n && c < LP_MAX_CPUS; c++)
			cpus[c / 64] |= 1ull << (c % 64);
		return 0;
	}
	do {
		unsigned long lo = strtoul(s, &end, 10), hi = lo;
		if (end == s)
			return -1;
		if (*end == '-' && (s = end + 1, hi = strtoul(s, &end, 10), end == s))
			return -1;
		if (hi < lo || hi >= LP_MAX_CPUS)
			return -1;
		for (unsigned long c = lo; c <= hi; c++)
			cpus[c / 64] |= 1ull << (c % 64);
		s = end + 1;
	} while (*end == ',');
	return *end ? -1 : 0;
}

int cmd_vcpupin(const struct cmd *self, int argc, char **argv)
{
	struct lp_vcpupin rq = { 0 };
	struct lp_msg m;
	char *end;
	int fd, rc;

	if (simple_args(self, argc, argv, 3) < 0)
		return EXIT_USAGE;
	rq.vcpu = (uint32_t)strtoul(argv[optind + 1], &end, 10);
	if (*end || !*argv[optind + 1]) {
		err_msg("vcpu-pin: invalid vCPU number '%s'", argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (parse_cpus(argv[optind + 2], rq.cpus)) {
		err_msg("vcpu-pin: invalid CPU list '%s' (examples: 0-3,6 or all)", argv[optind + 2]);
		return EXIT_USAGE;
	}
	copy_name(rq.name, argv[optind]);
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_VCPUPIN, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc == 0)
		lp_msg_free(&m);
	return rc;
}
