// SPDX-License-Identifier: MIT
// lamina info: a domain's state, resources, devices and counters.
#include "lamina.h"
#include "config.h"
#include "units.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

// One disk: target, image, sizes, then its back-end on the next line.
static void print_disk(const struct lp_dev *dv, bool first)
{
	char a[32], b[32];

	printf("%-14s %s %s%s, %s (%s allocated)\n", first ? "Disks:" : "", dv->key, dv->source,
	       dv->readonly ? " (read-only)" : "", fmt_kib(dv->virtual_bytes / 1024, a, sizeof(a)),
	       fmt_kib((dv->allocated_bytes + 1023) / 1024, b, sizeof(b)));
	printf("%-14s   back-end %s", "", dv->state);
	if (dv->pid)
		printf(", pid %u", dv->pid);
	if (dv->note[0])
		printf(": %s", dv->note);
	printf("\n");
}

// One interface: MAC, network, and its back-end (lamina-netback) state.
static void print_nic(const struct lp_dev *dv, bool first)
{
	printf("%-14s %s network %s, back-end %s", first ? "Interfaces:" : "", dv->key, dv->source,
	       dv->state);
	if (dv->pid)
		printf(", pid %u", dv->pid);
	if (dv->note[0])
		printf(": %s", dv->note);
	printf("\n");
}

static void print_devices(const struct dom_config *cfg, const struct lp_info *in)
{
	bool first = true;

	printf("%-14s %s\n", "Kernel:", cfg->kernel);
	if (cfg->initrd)
		printf("%-14s %s\n", "Initrd:", cfg->initrd);
	if (cfg->cmdline)
		printf("%-14s %s\n", "Cmdline:", cfg->cmdline);
	for (uint32_t i = 0; i < in->ndevs; i++)
		if (!strcmp(in->devs[i].type, "vbd")) {
			print_disk(&in->devs[i], first);
			first = false;
		}
	first = true;
	for (uint32_t i = 0; i < in->ndevs; i++)
		if (!strcmp(in->devs[i].type, "vif")) {
			print_nic(&in->devs[i], first);
			first = false;
		}
	printf("%-14s poweroff=%s reboot=%s crash=%s\n", "Actions:",
	       dom_action_name(cfg->on_poweroff), dom_action_name(cfg->on_reboot),
	       dom_action_name(cfg->on_crash));
}

static void print_counts(const char *label, const struct lp_count *c, uint32_t n)
{
	printf("%-14s", label);
	for (uint32_t i = 0; i < n; i++)
		printf(" %s=%llu", c[i].what, (unsigned long long)c[i].count);
	printf("\n");
}

static void print_info(const struct lp_info *in, const struct dom_config *cfg)
{
	const struct lp_dom_stats *st = &in->st;
	char a[32], b[32];

	printf("%-14s %s\n%-14s %u\n%-14s %s\n", "Name:", st->name, "Id:", st->id, "State:",
	       lp_state_name(st->state));
	printf("%-14s %u of %u\n", "vCPUs:", st->vcpus, st->max_vcpus);
	printf("%-14s %s of %s\n", "Memory:", fmt_kib(st->mem_kib, a, sizeof(a)),
	       fmt_kib(st->maxmem_kib, b, sizeof(b)));
	printf("%-14s %s\n", "CPU time:", fmt_cpu(st->cpu_ns, a, sizeof(a)));
	print_devices(cfg, in);
	print_counts("Exits:", st->exits, st->nexits);
	printf("%-14s %llu\n", "Hypercalls:", (unsigned long long)st->hypercalls);
	if (st->nhcalls)
		print_counts("", st->hcalls, st->nhcalls);
}

int cmd_info(const struct cmd *self, int argc, char **argv)
{
	struct config_env env = { .skip_host_memory = true };
	struct dom_config cfg;
	struct config_err err;
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	struct lp_msg m;
	const char *xml;
	bool json = false;
	int fd, rc, ch;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "j", lo)) != -1)
		json |= ch == 'j';
	if (want_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, LP_INFO, argv[optind], &m);
	close(fd);
	if (rc)
		return rc;
	if (json) {
		rc = print_json(LP_REPLY_INFO, &m);
		lp_msg_free(&m);
		return rc;
	}
	xml = (const char *)m.payload + sizeof(struct lp_info);
	if (config_load_mem(xml, strlen(xml), "<laminad>", &env, &cfg, &err)) {
		err_msg("laminad sent a configuration that does not load:\n%s", err.msg);
		lp_msg_free(&m);
		return EXIT_FAIL;
	}
	print_info((const struct lp_info *)m.payload, &cfg);
	config_free(&cfg);
	lp_msg_free(&m);
	return EXIT_OK;
}
