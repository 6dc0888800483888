// SPDX-License-Identifier: MIT
// laminad request handlers: memory, vCPUs, and disk and network hot-plug.
#include "laminad.h"
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void op_memset(struct daemon *dm, struct conn *c, const void *p)
{
	const struct lp_memset *rq = p;
	struct domain *d = op_domain(dm, c, rq->name);
	char a[32], b[32];

	if (!d)
		return;
	if (rq->kib < DOM_MIN_MEM_KIB || rq->kib > d->cfg.maxmem_kib || rq->kib % 4) {
		conn_error(c, EINVAL, "memory target %s for '%s' must be whole 4 KiB pages "
			   "between 1 MiB and its maximum of %s", fmt_kib(rq->kib, a, sizeof(a)),
			   d->cfg.name, fmt_kib(d->cfg.maxmem_kib, b, sizeof(b)));
		return;
	}
	if (op_result(dm, c, d, HVCALL(dm, set_mem_target, d->hd, rq->kib), "memory target")) {
		d->cfg.memory_kib = rq->kib;
		domlog(d, "memory target now %s", fmt_kib(rq->kib, a, sizeof(a)));
		conn_ok(c, d->id);
	}
}

void op_vcpuset(struct daemon *dm, struct conn *c, const void *p)
{
	const struct lp_vcpuset *rq = p;
	struct domain *d = op_domain(dm, c, rq->name);

	if (!d)
		return;
	if (rq->count < 1 || rq->count > d->cfg.vcpus) {
		conn_error(c, EINVAL, "vCPU count %u for '%s' is out of range 1-%u", rq->count,
			   d->cfg.name, d->cfg.vcpus);
		return;
	}
	if (op_result(dm, c, d, HVCALL(dm, set_vcpus, d->hd, rq->count), "vCPU count")) {
		d->cfg.vcpus_current = rq->count;
		conn_ok(c, d->id);
	}
}

static int highest_cpu(const uint64_t *cpus)
{
	for (int i = LP_MAX_CPUS - 1; i >= 0; i--)
		if (cpus[i / 64] >> (i % 64) & 1)
			return i;
	return -1;
}

void op_vcpupin(struct daemon *dm, struct conn *c, const void *p)
{
	const struct lp_vcpupin *rq = p;
	struct domain *d = op_domain(dm, c, rq->name);
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	int top = highest_cpu(rq->cpus);

	if (!d)
		return;
	if (rq->vcpu >= d->cfg.vcpus)
		conn_error(c, EINVAL, "'%s' has no vCPU %u (it has %u)", d->cfg.name, rq->vcpu,
			   d->cfg.vcpus);
	else if (top < 0)
		conn_error(c, EINVAL, "the CPU list is empty");
	else if (top >= ncpus)
		conn_error(c, EINVAL, "CPU %d does not exist on this host (CPUs 0-%ld)", top,
			   ncpus - 1);
	else if (op_result(dm, c, d, HVCALL(dm, pin_vcpu, d->hd, rq->vcpu, rq->cpus,
					    (unsigned)ncpus), "vCPU pinning"))
		conn_ok(c, d->id);
}

static const char *block_problem(const struct lp_block *rq, const struct dom_config *cfg)
{
	if (dev_vbd_devid(rq->target) < 0)
		return "the target must be xvd and one or two letters, such as xvdb";
	if (dev_index(&dev_kind_vbd, cfg, rq->target) >= 0)
		return "that target is already in use";
	if (cfg->ndisks == DOM_MAX_DISKS)
		return "the domain has the most disks it can have";
	if (rq->source[0] != '/')
		return "the source path must be absolute";
	if (rq->format > DOM_NFORMATS)
		return "unknown image format";
	return NULL;
}

// The disk joins the configuration first (its back-end is built from it)
// and leaves it again if the back-end does not start.
void op_block_attach(struct daemon *dm, struct conn *c, const void *p)
{
	const struct lp_block *rq = p;
	struct domain *d = op_domain(dm, c, rq->name);
	struct dom_disk *disk;
	char err[512];
	const char *why;

	if (!d)
		return;
	if ((why = block_problem(rq, &d->cfg))) {
		conn_error(c, EINVAL, "cannot attach %s as %s to '%s': %s", rq->source,
			   rq->target, d->cfg.name, why);
		return;
	}
	disk = &d->cfg.disks[d->cfg.ndisks];
	*disk = (struct dom_disk){ .readonly = rq->readonly != 0, .source = strdup(rq->source) };
	snprintf(disk->target, sizeof(disk->target), "%s", rq->target);
	if (rq->format)
		snprintf(disk->format, sizeof(disk->format), "%s", dom_formats[rq->format - 1]);
	if (!disk->source) {
		conn_error(c, ENOMEM, "out of memory");
		return;
	}
	d->cfg.ndisks++;
	if (dev_attach(dm, d, &dev_kind_vbd, d->cfg.ndisks - 1, err, sizeof(err))) {
		free(disk->source);
		d->cfg.ndisks--;
		conn_error(c, EINVAL, "cannot attach %s as %s to '%s': %s", rq->source,
			   rq->target, d->cfg.name, err);
		return;
	}
	domlog(d, "disk %s attached: %s%s", rq->target, rq->source,
	       rq->readonly ? " (read-only)" : "");
	conn_ok(c, d->id);
}

void op_block_detach(struct daemon *dm, struct conn *c, const void *p)
{
	const struct lp_block *rq = p;
	struct domain *d = op_domain(dm, c, rq->name);
	int i = d ? dev_index(&dev_kind_vbd, &d->cfg, rq->target) : -1;
	char err[512];

	if (!d)
		return;
	if (i < 0) {
		conn_error(c, ENOENT, "'%s' has no disk %s", d->cfg.name, rq->target);
		return;
	}
	if (dev_detach(dm, d, &dev_kind_vbd, rq->target, err, sizeof(err))) {
		conn_error(c, EIO, "cannot detach %s from '%s': %s", rq->target, d->cfg.name, err);
		return;
	}
	free(d->cfg.disks[i].source);
	d->cfg.disks[i] = d->cfg.disks[--d->cfg.ndisks];
	domlog(d, "disk %s detached", rq->target);
	conn_ok(c, d->id);
}

static int find_nic(const struct dom_config *cfg, const uint8_t mac[6])
{
	for (size_t i = 0; i < cfg->nnics; i++)
		if (!memcmp(cfg->nics[i].mac, mac, 6))
			return (int)i;
	return -1;
}

// The interface joins the configuration first (its back-end is built from
// it) and leaves it again if the back-end does not start.
void op_net_attach(struct daemon *dm, struct conn *c, const void *p)
{
	const struct lp_net *rq = p;
	struct domain *d = op_domain(dm, c, rq->name);
	struct dom_nic nic = { .has_mac = true, .in_kibps = rq->in_kibps,
			       .out_kibps = rq->out_kibps };
	char mac[18], err[512];

	if (!d)
		return;
	memcpy(nic.mac, rq->mac, 6);
	if (!rq->has_mac)
		dom_assign_mac(dm, nic.mac);
	mac_format(nic.mac, mac);
	snprintf(nic.network, sizeof(nic.network), "%s", rq->network);
	if (d->cfg.nnics == DOM_MAX_NICS || find_nic(&d->cfg, nic.mac) >= 0 || (nic.mac[0] & 1)) {
		conn_error(c, EINVAL, "cannot attach an interface with MAC %s to '%s': %s", mac,
			   d->cfg.name, (nic.mac[0] & 1) ? "it is a multicast address"
			   : d->cfg.nnics == DOM_MAX_NICS ? "it has the most interfaces it can have"
							  : "the MAC address is in use");
		return;
	}
	d->cfg.nics[d->cfg.nnics++] = nic;
	if (dev_attach(dm, d, &dev_kind_vif, d->cfg.nnics - 1, err, sizeof(err))) {
		d->cfg.nnics--;
		conn_error(c, EINVAL, "cannot attach an interface with MAC %s to '%s': %s", mac,
			   d->cfg.name, err);
		return;
	}
	domlog(d, "interface %s attached to network '%s'", mac,
	       nic.network[0] ? nic.network : "default");
	conn_send(c, LP_REPLY_TEXT, mac, strlen(mac) + 1, NULL, 0); // network-detach needs it
}

void op_net_detach(struct daemon *dm, struct conn *c, const void *p)
{
	const struct lp_net *rq = p;
	struct domain *d = op_domain(dm, c, rq->name);
	int i = d ? find_nic(&d->cfg, rq->mac) : -1;
	char mac[18], err[512];

	mac_format(rq->mac, mac);
	if (d && i < 0)
		conn_error(c, ENOENT, "'%s' has no interface with MAC %s", d->cfg.name, mac);
	if (i < 0)
		return;
	if (dev_detach(dm, d, &dev_kind_vif, mac, err, sizeof(err))) {
		conn_error(c, EIO, "cannot detach interface %s from '%s': %s", mac, d->cfg.name, err);
		return;
	}
	d->cfg.nics[i] = d->cfg.nics[--d->cfg.nnics];
	domlog(d, "interface %s detached", mac);
	conn_ok(c, d->id);
}
