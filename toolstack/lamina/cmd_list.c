// SPDX-License-Identifier: MIT
// lamina list: one line per domain with name, id, state, vCPUs, memory and CPU time.
#include "lamina.h"
#include "units.h"

#include <stdio.h>
#include <unistd.h>

int cmd_list(const struct cmd *self, int argc, char **argv)
{
	struct lp_msg m;
	const struct lp_dom_stats *st;
	char mem[32], cpu[32];
	int fd, rc;

	if (simple_args(self, argc, argv, 0) < 0)
		return EXIT_USAGE;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_LIST, NULL, 0, NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	printf("%-24s %5s %-13s %5s %10s %10s\n", "NAME", "ID", "STATE", "VCPUS", "MEMORY",
	       "CPU-TIME");
	st = (const struct lp_dom_stats *)m.payload;
	for (size_t i = 0; i < m.hdr.len / sizeof(*st); i++)
		printf("%-24s %5u %-13s %5u %10s %10s\n", st[i].name, st[i].id,
		       lp_state_name(st[i].state), st[i].vcpus,
		       fmt_kib(st[i].mem_kib, mem, sizeof(mem)),
		       fmt_cpu(st[i].cpu_ns, cpu, sizeof(cpu)));
	lp_msg_free(&m);
	return EXIT_OK;
}
