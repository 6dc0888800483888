// SPDX-License-Identifier: MIT
// libvirt domain XML import: the children of <devices> (disks, interfaces, consoles, and what Lamina has not).
#include "libvirt_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Devices a Lamina guest does without: dropped, saying why.
static const struct {
	const char *name, *why;
} dropped[] = {
	{ "emulator", "Lamina runs no device emulator" },
	{ "graphics", "Lamina has no display; use 'lamina console'" },
	{ "video", "Lamina has no display" },
	{ "input", "Lamina has no emulated keyboard, mouse or tablet" },
	{ "sound", "Lamina has no sound device" },
	{ "audio", "Lamina has no sound device" },
	{ "controller", "Lamina's PV devices need no PCI, USB, SATA or virtio-serial controller" },
	{ "memballoon", "Lamina's balloon is built in ('lamina mem-set')" },
	{ "rng", "the guest kernel seeds itself; Lamina has no RNG device" },
	{ "channel", "Lamina has no guest-agent or SPICE channels" },
	{ "watchdog", "Lamina has no emulated watchdog" },
	{ "panic", "Lamina sees a guest crash itself (on_crash)" },
	{ "redirdev", "Lamina has no USB" },
	{ "hub", "Lamina has no USB" },
	{ "smartcard", "Lamina has no USB" },
	{ "tpm", "Lamina has no TPM" },
};

// Devices whose loss would change what the guest can do: refused.
static const struct {
	const char *name, *why;
} refused[] = {
	{ "hostdev", "device pass-through is not supported" },
	{ "filesystem", "shared host directories are not supported" },
	{ "shmem", "shared memory devices are not supported" },
	{ "vsock", "vsock is not supported" },
	{ "parallel", "parallel ports are not supported" },
	{ "lease", "Lamina has no lock manager" },
	{ "iommu", "a Lamina guest has no IOMMU" },
};

// vda, sda, hda, xvda -> xvda; NULL if not such a name.
static char *target_name(const char *dev)
{
	char *t = malloc(8);
	size_t skip = !strncmp(dev, "xvd", 3) ? 3 : strlen(dev) > 2 && dev[1] == 'd' ? 2 : 0;
	size_t n = skip ? strlen(dev + skip) : 0;

	if (!t || !n || n > 2 || strspn(dev + skip, "abcdefghijklmnopqrstuvwxyz") != n) {
		free(t);
		return NULL;
	}
	snprintf(t, 8, "xvd%s", dev + skip);
	return t;
}

static xmlNodePtr devs(struct lv_ctx *x)
{
	if (!x->devs)
		x->devs = lv_add(x->out, "devices", NULL);
	return x->devs;
}

// The source path of a file or block disk; NULL after refusing.
static char *disk_source(struct lv_ctx *x, xmlNodePtr n)
{
	xmlNodePtr src = lv_child(n, "source"), drv = lv_child(n, "driver");
	char *path = NULL;

	if (!lv_prop_in(n, "device", "disk"))
		lv_refuse(x, n, "<disk device='%s'>: Lamina has only disks (no CD-ROM or floppy); "
			  "attach the image as a read-only disk instead", lv_attr(n, "device"));
	else if (!lv_prop_in(n, "type", "file|block"))
		lv_refuse(x, n, "<disk type='%s'>: only file and block disks are supported",
			  lv_attr(n, "type"));
	else if (drv && !lv_prop_in(drv, "type", "raw|qcow2|qed|vmdk|vhdx|vdi|vpc"))
		lv_refuse(x, drv, "<driver type='%s'>: Lamina reads raw, qcow2, qed, vmdk, vhdx, vdi "
			  "and vpc images; convert with 'qemu-img convert -O qcow2'", lv_attr(drv, "type"));
	else if (!src || (!(path = lv_prop(src, "file")) && !(path = lv_prop(src, "dev"))))
		lv_refuse(x, n, "<disk> has no <source file=...> or <source dev=...>");
	return path;
}

// The image format disk_source accepted, or NULL for raw (no <driver type>).
static const char *drv_type(xmlNodePtr n)
{
	static const char *const fmts[] = { "qcow2", "qed", "vmdk", "vhdx", "vdi", "vpc" };
	xmlNodePtr drv = lv_child(n, "driver");
	const char *t = drv ? lv_attr(drv, "type") : NULL;

	for (size_t i = 0; t && i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(t, fmts[i]))
			return fmts[i];
	return NULL;
}

static void disk(struct lv_ctx *x, xmlNodePtr n)
{
	xmlNodePtr tgt = lv_child(n, "target"), d;
	char *path = disk_source(x, n), *dev = tgt ? lv_prop(tgt, "dev") : NULL;
	char *name = dev ? target_name(dev) : NULL;

	if (path && !name)
		lv_refuse(x, tgt ? tgt : n, "<target dev='%s'>: not a disk name like vda or xvda",
			  dev ? dev : "");
	if (path && name) {
		if (strcmp(dev, name))
			cfg_note(&x->cc, tgt, "dev", "target %s becomes %s (Lamina's PV disk names)",
				 dev, name);
		d = lv_add(devs(x), "disk", NULL);
		lv_set(d, "type", "file");
		lv_set(d, "device", "disk");
		if (drv_type(n))
			lv_set(lv_add(d, "driver", NULL), "type", drv_type(n));
		lv_set(lv_add(d, "source", NULL), "file", path);
		lv_set(lv_add(d, "target", NULL), "dev", name);
		if (lv_child(n, "readonly"))
			lv_add(d, "readonly", NULL);
	}
	xmlFree(path);
	xmlFree(dev);
	free(name);
}

static void interface(struct lv_ctx *x, xmlNodePtr n)
{
	xmlNodePtr src = lv_child(n, "source"), mac = lv_child(n, "mac"), model, i;
	char *net = src ? lv_prop(src, "network") : NULL, *addr = mac ? lv_prop(mac, "address") : NULL;

	if (!lv_prop_in(n, "type", "network")) {
		lv_refuse(x, n, "<interface type='%s'>: Lamina NICs join Lamina networks only "
			  "(type='network'; issue 14)", lv_attr(n, "type"));
	} else {
		i = lv_add(devs(x), "interface", NULL);
		lv_set(i, "type", "network");
		if (net)
			lv_set(lv_add(i, "source", NULL), "network", net);
		if (addr)
			lv_set(lv_add(i, "mac", NULL), "address", addr);
		if ((model = lv_child(n, "model")))
			lv_drop(x, model, "dropped <model>: Lamina NICs are PV (netfront)");
	}
	xmlFree(net);
	xmlFree(addr);
}

// <console> and <serial>: one PV console, hvc0.
static void console(struct lv_ctx *x, xmlNodePtr n)
{
	if (!lv_prop_in(n, "type", "pty")) {
		lv_refuse(x, n, "<%s type='%s'>: Lamina's console is a pty ('lamina console')",
			  n->name, lv_attr(n, "type"));
		return;
	}
	if (x->console) {
		lv_drop(x, n, "dropped <%s>: Lamina has one console, hvc0", n->name);
		return;
	}
	if (cfg_is(n, "serial"))
		lv_drop(x, n, "<serial> becomes Lamina's PV console: the guest uses hvc0, not ttyS0");
	lv_set(lv_add(devs(x), "console", NULL), "type", "pty");
	x->console = true;
}

static bool in_table(struct lv_ctx *x, xmlNodePtr n, bool refuse)
{
	size_t count = refuse ? sizeof(refused) / sizeof(refused[0])
			      : sizeof(dropped) / sizeof(dropped[0]);

	for (size_t i = 0; i < count; i++) {
		const char *name = refuse ? refused[i].name : dropped[i].name;
		const char *why = refuse ? refused[i].why : dropped[i].why;
		if (!cfg_is(n, name))
			continue;
		if (refuse)
			lv_refuse(x, n, "<%s>: %s", n->name, why);
		else
			lv_drop(x, n, "dropped <%s>: %s", n->name, why);
		return true;
	}
	return false;
}

void lv_devices(struct lv_ctx *x, xmlNodePtr devices)
{
	for (xmlNodePtr n = devices->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (cfg_is(n, "disk"))
			disk(x, n);
		else if (cfg_is(n, "interface"))
			interface(x, n);
		else if (cfg_is(n, "console") || cfg_is(n, "serial"))
			console(x, n);
		else if (!in_table(x, n, false) && !in_table(x, n, true))
			lv_refuse(x, n, "device <%s> is not known to Lamina's importer", n->name);
	}
}
