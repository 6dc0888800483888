// SPDX-License-Identifier: MIT
// lamina: the Lamina command-line tool; one dispatch table, one file per subcommand.
#include "lamina.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

const struct cmd lamina_cmds[] = {
	{ "create", cmd_create, "[-c] [-p] [-n] FILE",
	  "Create and start a domain from a domain XML file.",
	  "  -c, --console       attach to the domain's console once it is created\n"
	  "  -p, --paused        create it paused\n"
	  "  -n, --dry-run       only check FILE, as 'lamina validate' does\n" },
	{ "validate", cmd_validate, "[-q] FILE...",
	  "Check domain XML files without creating anything (exit 1 if any is invalid).",
	  "  -q, --quiet         print only the errors\n" },
	{ "import-libvirt", cmd_import, "[-o OUT] FILE",
	  "Convert a libvirt domain XML file into a Lamina one, naming what is dropped.",
	  "  -o, --output=OUT    write the Lamina XML to OUT (default: standard output)\n" },
	{ "define", cmd_define, "FILE", "Keep a domain's configuration so 'start' can create it.",
	  NULL },
	{ "start", cmd_start, "[-c] NAME", "Create a defined domain.",
	  "  -c, --console       attach to the domain's console once it is created\n" },
	{ "undefine", cmd_undefine, "NAME",
	  "Forget a defined domain's configuration (a running domain keeps running).", NULL },
	{ "autostart", cmd_autostart, "[--disable] NAME",
	  "Start a defined domain when laminad starts (once per boot).",
	  "  --disable           do not start it any more\n" },
	{ "list", cmd_list, "[--json]",
	  "List running and defined domains: name, id, state, vCPUs, memory and CPU time.",
	  "  -j, --json          print laminad's JSON answer (docs/laminad-api.md)\n"
	  "  -a, --all           (the default) running and defined domains\n" },
	{ "info", cmd_info, "[--json] NAME", "Show a domain's state, resources, devices and counters.",
	  "  -j, --json          print laminad's JSON answer (docs/laminad-api.md)\n" },
	{ "console", cmd_console, "NAME", "Attach to a domain's console (detach with Ctrl-]).", NULL },
	{ "shutdown", cmd_shutdown, "[-w] NAME", "Ask a domain's guest to power off.",
	  "  -w, --wait          wait until the domain has shut down\n"
	  "  -t, --timeout=SEC   give up waiting after SEC seconds (default 60)\n" },
	{ "reboot", cmd_reboot, "NAME", "Ask a domain's guest to reboot.", NULL },
	{ "destroy", cmd_destroy, "NAME", "Stop a domain at once and free its resources.", NULL },
	{ "pause", cmd_pause, "NAME", "Stop running a domain's vCPUs.", NULL },
	{ "unpause", cmd_unpause, "NAME", "Run a paused domain's vCPUs again.", NULL },
	{ "mem-set", cmd_memset, "NAME SIZE",
	  "Set a domain's memory target (SIZE like 512M, 2G; plain numbers are MiB).", NULL },
	{ "vcpu-set", cmd_vcpuset, "NAME COUNT", "Set how many of a domain's vCPUs are online.",
	  NULL },
	{ "vcpu-pin", cmd_vcpupin, "NAME VCPU CPUS",
	  "Pin a vCPU to host CPUs (CPUS like 0-3,6 or all).", NULL },
	{ "block-attach", cmd_blockattach, "[-r] [-f FMT] NAME FILE TARGET",
	  "Attach a disk image to a running domain as TARGET (xvdb...).",
	  "  -r, --readonly      attach it read-only\n"
	  "  -f, --format=FMT    the image's format: raw (default), qcow2, qed, vmdk, vhdx, vdi, vpc\n" },
	{ "block-detach", cmd_blockdetach, "NAME TARGET", "Detach a disk from a domain.", NULL },
	{ "network-attach", cmd_netattach, "[--network=NET] [--mac=MAC] [--rate=KIBPS] NAME",
	  "Attach a network interface to a domain.",
	  "  --network=NET       network to join (default: the network named default)\n"
	  "  --mac=MAC           MAC address (default: a generated 02:4c:4d:xx:xx:xx)\n"
	  "  --rate=KIBPS        limit both directions to KIBPS KiB/s\n" },
	{ "network-detach", cmd_netdetach, "NAME MAC", "Detach a network interface from a domain.",
	  NULL },
	{ "net-define", cmd_net, "FILE",
	  "Keep a virtual network's definition (lamina-network(5)) so 'net-start' can start it.",
	  NULL },
	{ "net-undefine", cmd_net, "NAME",
	  "Forget a network's definition (an active network stays until net-destroy).", NULL },
	{ "net-start", cmd_net, "NAME",
	  "Start a defined network: its switch, or bridge, address, NAT and dnsmasq.", NULL },
	{ "net-destroy", cmd_net, "NAME",
	  "Remove everything starting a network made (refused while a domain uses it).", NULL },
	{ "net-list", cmd_netlist, "[--json]",
	  "List networks: name, mode, state, bridge, address and interfaces on it.",
	  "  -j, --json          print laminad's JSON answer (docs/laminad-api.md)\n" },
	{ "net-dumpxml", cmd_net, "NAME", "Print a network's definition as network XML.", NULL },
	{ "net-autostart", cmd_net, "[--disable] NAME",
	  "Start a defined network when laminad starts (once per boot).",
	  "  --disable           do not start it any more\n" },
	{ "top", cmd_top, "[-b] [-d SEC] [-n COUNT]",
	  "Live per-domain CPU, memory, exits by reason and hypercalls per second.",
	  "  -b, --batch         plain output without clearing the screen\n"
	  "  -d, --delay=SEC     seconds between updates (default 1)\n"
	  "  -n, --iterations=N  stop after N updates\n" },
	{ "trace", cmd_trace, "[-n COUNT] NAME", "Stream a domain's hypercalls with decoded arguments.",
	  "  -n, --count=N       stop after N hypercalls\n" },
	{ "snapshot-create", cmd_snapshot, "NAME TARGET SNAPSHOT",
	  "Take an internal snapshot of a shut-off domain's qcow2 disk.", NULL },
	{ "snapshot-list", cmd_snapshot, "NAME TARGET",
	  "List the internal snapshots of a domain's qcow2 disk (shut off or paused).", NULL },
	{ "snapshot-revert", cmd_snapshot, "NAME TARGET SNAPSHOT",
	  "Return a shut-off domain's qcow2 disk to a snapshot.", NULL },
	{ "snapshot-delete", cmd_snapshot, "NAME TARGET SNAPSHOT",
	  "Delete an internal snapshot of a shut-off domain's qcow2 disk.", NULL },
	{ "dumpxml", cmd_dumpxml, "NAME", "Print a domain's current configuration as XML.", NULL },
	{ "version", cmd_version, "", "Show the versions of lamina and laminad.", NULL },
	{ "bench", cmd_bench, "[OPTION]... [suite] [micro] [store]",
	  "Run the benchmark suite and write its report (as make bench; needs the source tree).",
	  "  --size=SIZE         smallest, small or full (default full)\n"
	  "  --rounds=N          rounds of every configuration (default by size)\n"
	  "  --scale=S           multiply the workloads' batch sizes by S\n"
	  "  --configs=LIST      only these configurations, space-separated (default all)\n"
	  "  --out=DIR           the results directory (default build/bench/results)\n"
	  "  --at-once           in the testbed, every measurement in one testbed\n" },
};
const size_t lamina_ncmds = sizeof(lamina_cmds) / sizeof(lamina_cmds[0]);

static void help(FILE *f)
{
	fprintf(f, "Usage: lamina COMMAND [ARG]...\n"
		   "Manage Lamina domains through laminad.\n\nCommands:\n");
	for (size_t i = 0; i < lamina_ncmds; i++)
		fprintf(f, "  %-15s %s\n", lamina_cmds[i].name, lamina_cmds[i].summary);
	fprintf(f, "\n'lamina COMMAND --help' describes one command; see lamina(1).\n");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < lamina_ncmds; i++)
		if (!strcmp(lamina_cmds[i].name, name))
			return &lamina_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int rc;

	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (c = find(argv[2]))) {
			usage(c, false);
			return EXIT_OK;
		}
		if (argc > 2) {
			err_msg("no command '%s'; 'lamina help' lists them", argv[2]);
			return EXIT_USAGE;
		}
		help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		argv[1] = "version";
	c = find(argv[1]);
	if (!c) {
		err_msg("unknown command '%s'; 'lamina --help' lists them", argv[1]);
		return EXIT_USAGE;
	}
	rc = c->run(c, argc - 1, argv + 1);
	xmlCleanupParser();
	return rc;
}
