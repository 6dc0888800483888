// SPDX-License-Identifier: MIT
// lamina list: one line per domain with name, id, state, vCPUs, memory and CPU time.
#include "lamina.h"
#include "proto_json.h"
#include "units.h"

#include <stdio.h>
#include <unistd.h>

// The same object laminad's JSON protocol answers to "list".
int print_json(uint16_t type, const struct lp_msg *m)
{
	struct json_object *o = lpj_result(type, m->payload, m->hdr.len);

	if (!o)
		return EXIT_FAIL;
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(o);
	return EXIT_OK;
}

static const char *id_of(const struct lp_dom_stats *st, char *buf, size_t len)
{
	if (!st->id)
		return "-";
	snprintf(buf, len, "%u", st->id);
	return buf;
}

int cmd_list(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "all", no_argument, NULL, 'a' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	struct lp_msg m;
	const struct lp_dom_stats *st;
	char mem[32], cpu[32], id[16];
	bool json = false;
	int fd, rc, ch;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "ja", lo)) != -1)
		json |= ch == 'j';
	if (want_args(self, argc, argv, 0) < 0)
		return EXIT_USAGE;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_LIST, NULL, 0, NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	if (json) {
		rc = print_json(LP_REPLY_LIST, &m);
		lp_msg_free(&m);
		return rc;
	}
	printf("%-24s %5s %-13s %5s %10s %10s %s\n", "NAME", "ID", "STATE", "VCPUS", "MEMORY",
	       "CPU-TIME", "PERSISTENT");
	st = (const struct lp_dom_stats *)m.payload;
	for (size_t i = 0; i < m.hdr.len / sizeof(*st); i++)
		printf("%-24s %5s %-13s %5u %10s %10s %s\n", st[i].name,
		       id_of(&st[i], id, sizeof(id)), lp_state_name(st[i].state), st[i].vcpus,
		       fmt_kib(st[i].mem_kib, mem, sizeof(mem)),
		       fmt_cpu(st[i].cpu_ns, cpu, sizeof(cpu)),
		       !(st[i].flags & LP_DOM_PERSISTENT) ? "no"
		       : st[i].flags & LP_DOM_AUTOSTART   ? "yes, autostart"
							  : "yes");
	lp_msg_free(&m);
	return EXIT_OK;
}
