// SPDX-License-Identifier: MIT
// Config semantic checks: what the schema cannot say (sizes, files, uniqueness).
#include "config_int.h"
#include "units.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_memory(struct cfg_ctx *c)
{
	const struct dom_config *cfg = c->cfg;
	xmlNodePtr max_node = c->maxmem_node ? c->maxmem_node : c->memory_node;
	char a[32], b[32];

	if (cfg->memory_kib < DOM_MIN_MEM_KIB) {
		cfg_error(c, c->memory_node, NULL, "<%s> of %s is below the minimum of %s",
			  (const char *)c->memory_node->name,
			  fmt_kib(cfg->memory_kib, a, sizeof(a)),
			  fmt_kib(DOM_MIN_MEM_KIB, b, sizeof(b)));
		return -1;
	}
	if (cfg->memory_kib > cfg->maxmem_kib) {
		cfg_error(c, c->memory_node, NULL, "<%s> (%s) is larger than <%s> (%s)",
			  (const char *)c->memory_node->name, fmt_kib(cfg->memory_kib, a, sizeof(a)),
			  (const char *)max_node->name, fmt_kib(cfg->maxmem_kib, b, sizeof(b)));
		return -1;
	}
	if (cfg->maxmem_kib > DOM_MAX_MEM_KIB) {
		cfg_error(c, max_node, NULL, "<%s> of %s is above the limit of %s", max_node->name,
			  fmt_kib(cfg->maxmem_kib, a, sizeof(a)),
			  fmt_kib(DOM_MAX_MEM_KIB, b, sizeof(b)));
		return -1;
	}
	return 0;
}

static int check_host_memory(struct cfg_ctx *c)
{
	const char *path = c->env && c->env->meminfo_path ? c->env->meminfo_path
							  : "/proc/meminfo";
	uint64_t host;
	char a[32], b[32];

	if (host_mem_kib(path, &host)) {
		cerr_add(c->err, c->label, 0, 0, "cannot read the host's memory size from %s",
			 path);
		return -1;
	}
	if (c->cfg->memory_kib <= host)
		return 0;
	cfg_error(c, c->memory_node, NULL, "<%s> (%s) is more than this host has (%s)",
		  (const char *)c->memory_node->name, fmt_kib(c->cfg->memory_kib, a, sizeof(a)), fmt_kib(host, b, sizeof(b)));
	return -1;
}

static int check_vcpus(struct cfg_ctx *c)
{
	const struct dom_config *cfg = c->cfg;

	if (cfg->vcpus < 1 || cfg->vcpus > DOM_MAX_VCPUS) {
		cfg_error(c, c->vcpu_node, NULL, "<vcpu> of %u is out of range 1-%d",
			  cfg->vcpus, DOM_MAX_VCPUS);
		return -1;
	}
	if (cfg->vcpus_current < 1 || cfg->vcpus_current > cfg->vcpus) {
		cfg_error(c, c->vcpu_node, "current", "<vcpu> current='%u' is out of range 1-%u",
			  cfg->vcpus_current, cfg->vcpus);
		return -1;
	}
	return 0;
}

// what: "kernel", "initrd" or "disk source"; block devices only for disks.
static int check_file(struct cfg_ctx *c, xmlNodePtr n, const char *attr,
		      const char *what, const char *path, int writable)
{
	struct stat st;
	int blk_ok = !strcmp(what, "disk source");

	if (stat(path, &st)) {
		cfg_error(c, n, attr, "%s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !(blk_ok && S_ISBLK(st.st_mode))) {
		cfg_error(c, n, attr, "%s '%s' is not a regular file", what, path);
		return -1;
	}
	if (access(path, R_OK | (writable ? W_OK : 0))) {
		cfg_error(c, n, attr, "%s '%s' is not %s: %s", what, path,
			  writable ? "readable and writable" : "readable", strerror(errno));
		return -1;
	}
	return 0;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (n = n->children; n; n = n->next)
		if (cfg_is(n, name))
			return n;
	return NULL;
}

static int check_files(struct cfg_ctx *c)
{
	const struct dom_config *cfg = c->cfg;
	int rc = 0;

	rc |= check_file(c, c->kernel_node, NULL, "kernel", cfg->kernel, 0);
	if (cfg->initrd)
		rc |= check_file(c, c->initrd_node, NULL, "initrd", cfg->initrd, 0);
	for (size_t i = 0; i < cfg->ndisks; i++)
		rc |= check_file(c, child(c->disk_nodes[i], "source"), "file", "disk source",
				 cfg->disks[i].source, !cfg->disks[i].readonly);
	return rc;
}

// The kernel copies an initramfs into memory and unpacks it there: with
// less than twice its size plus some room, the unpacking stops short and
// the guest boots without half its files.
static int check_initrd_fits(struct cfg_ctx *c)
{
	const struct dom_config *cfg = c->cfg;
	struct stat st;
	uint64_t need;
	char a[32], b[32], d[32];

	if (!cfg->initrd || stat(cfg->initrd, &st))
		return 0;
	need = (uint64_t)st.st_size / 1024 * 2 + 64 * 1024;
	need = (need + 1023) / 1024 * 1024;
	if (cfg->memory_kib >= need)
		return 0;
	cfg_error(c, c->memory_node, NULL, "<%s> (%s) is too small for the initrd (%s): the "
		  "kernel unpacks it in memory and needs about twice its size plus 64 MiB, "
		  "at least %s", (const char *)c->memory_node->name,
		  fmt_kib(cfg->memory_kib, a, sizeof(a)), fmt_kib((uint64_t)st.st_size / 1024, b,
								  sizeof(b)), fmt_kib(need, d, sizeof(d)));
	return -1;
}

static int check_unique(struct cfg_ctx *c)
{
	const struct dom_config *cfg = c->cfg;
	char mac[18];
	int rc = 0;

	for (size_t i = 0; i < cfg->ndisks; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->disks[i].target, cfg->disks[j].target)) {
				cfg_error(c, child(c->disk_nodes[i], "target"), "dev",
					  "disk target '%s' is already used by the disk on line %ld",
					  cfg->disks[i].target, xmlGetLineNo(c->disk_nodes[j]));
				rc = -1;
			}
	for (size_t i = 0; i < cfg->nnics; i++)
		for (size_t j = 0; j < i; j++)
			if (cfg->nics[i].has_mac && cfg->nics[j].has_mac &&
			    !memcmp(cfg->nics[i].mac, cfg->nics[j].mac, 6)) {
				mac_format(cfg->nics[i].mac, mac);
				cfg_error(c, child(c->nic_nodes[i], "mac"), "address",
					  "MAC address %s is already used by the interface on line %ld",
					  mac, xmlGetLineNo(c->nic_nodes[j]));
				rc = -1;
			}
	return rc;
}

int cfg_check(struct cfg_ctx *c)
{
	int rc = 0;

	rc |= check_memory(c);
	if (!rc && !(c->env && c->env->skip_host_memory))
		rc |= check_host_memory(c);
	rc |= check_vcpus(c);
	rc |= check_unique(c);
	if (c->env && c->env->check_files)
		rc |= check_files(c);
	if (!rc && c->env && c->env->check_files)
		rc |= check_initrd_fits(c);
	return rc ? -1 : 0;
}
