// SPDX-License-Identifier: MIT
// The disk (vbd) device kind: a <disk> is served by one lamina-blkback process (pvdrivers/blk).
//
// A disk's number on the bus comes from its target: xvda is vbd/0, xvdz
// vbd/25, xvdaa vbd/26 and so on to xvdzz (vbd/701).
#include "devices.h"
#include "laminad.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t vbd_count(const struct dom_config *cfg)
{
	return cfg->ndisks;
}

static const char *vbd_key(const struct dom_config *cfg, size_t i)
{
	return cfg->disks[i].target;
}

long dev_vbd_devid(const char *t)
{
	size_t n = strlen(t);

	if (strncmp(t, "xvd", 3) || n < 4 || n > 5)
		return -1;
	for (size_t i = 3; i < n; i++)
		if (t[i] < 'a' || t[i] > 'z')
			return -1;
	if (n == 4)
		return t[3] - 'a';
	return (t[3] - 'a' + 1) * 26L + (t[4] - 'a');
}

static long vbd_devid(const struct dom_config *cfg, size_t i)
{
	return dev_vbd_devid(cfg->disks[i].target);
}

static int vbd_args(const struct dom_config *cfg, size_t i, const struct dev_ctx *ctx,
		    struct dev_argv *av)
{
	const struct dom_disk *dk = &cfg->disks[i];
	int rc = 0;

	if (dk->readonly)
		rc |= dev_argv_add(av, "--read-only");
	if (dk->format[0]) // served by a qemu-nbd that lamina-blkback runs and stops
		rc |= dev_argv_add(av, "--format=%s", dk->format);
	rc |= dev_argv_add(av, "--ready-fd=%d", ctx->ready_fd);
	if (ctx->socket)
		rc |= dev_argv_add(av, "--socket=%s", ctx->socket);
	rc |= dev_argv_add(av, "%u", ctx->domid);
	rc |= dev_argv_add(av, "%u", ctx->devid);
	rc |= dev_argv_add(av, "%s", dk->source ? dk->source : "");
	return rc ? -1 : 0;
}

static bool same_file(const struct stat *a, const char *path)
{
	struct stat b;

	return path && stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino &&
	       a->st_rdev == b.st_rdev;
}

// Another running domain's disk on the same image, unless both are read-only.
static const char *vbd_shared(const struct dom_disk *dk, const struct stat *st,
			      const struct dom_config *const *others, size_t n, char *buf,
			      size_t len)
{
	for (size_t j = 0; j < n; j++)
		for (size_t k = 0; k < others[j]->ndisks; k++) {
			const struct dom_disk *o = &others[j]->disks[k];
			if ((dk->readonly && o->readonly) || !same_file(st, o->source))
				continue;
			snprintf(buf, len, "the image is in use by domain '%s' as %s%s; a disk "
				 "image may be shared only read-only", others[j]->name, o->target,
				 o->readonly ? " (read-only)" : "");
			return buf;
		}
	return NULL;
}

static const char *vbd_problem(const struct dom_config *cfg, size_t i,
			       const struct dom_config *const *others, size_t nothers, char *buf,
			       size_t len)
{
	const struct dom_disk *dk = &cfg->disks[i];
	struct stat st;

	if (dev_vbd_devid(dk->target) < 0)
		return "the target must be xvd and one or two letters, such as xvdb";
	if (!dk->source || dk->source[0] != '/')
		return "the source path must be absolute";
	if (stat(dk->source, &st)) {
		snprintf(buf, len, "the image %s: %s", dk->source, strerror(errno));
		return buf;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return "the source is not a regular file or a block device";
	if (access(dk->source, dk->readonly ? R_OK : R_OK | W_OK)) {
		snprintf(buf, len, "the image %s cannot be opened %s: %s", dk->source,
			 dk->readonly ? "for reading" : "for reading and writing", strerror(errno));
		return buf;
	}
	return vbd_shared(dk, &st, others, nothers, buf, len);
}

// A qcow2 image's virtual size: the big-endian 64-bit field at byte 24 of
// its header (after the magic "QFI\xfb"). 0 if the header is not qcow2.
static uint64_t qcow2_size(int fd)
{
	unsigned char h[32];
	uint64_t v = 0;

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "QFI\xfb", 4))
		return 0;
	for (int i = 24; i < 32; i++)
		v = v << 8 | h[i];
	return v;
}

static void vbd_describe(const struct dom_config *cfg, size_t i, struct lp_dev *out)
{
	const struct dom_disk *dk = &cfg->disks[i];
	struct stat st;
	int fd;

	out->readonly = dk->readonly;
	snprintf(out->source, sizeof(out->source), "%s", dk->source ? dk->source : "");
	if (!dk->source || stat(dk->source, &st))
		return;
	out->virtual_bytes = (uint64_t)st.st_size;
	out->allocated_bytes = (uint64_t)st.st_blocks * 512;
	if ((!S_ISBLK(st.st_mode) && strcmp(dk->format, "qcow2")) ||
	    (fd = open(dk->source, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (!S_ISBLK(st.st_mode)) { // qcow2: the guest sees the size in its header
		uint64_t v = qcow2_size(fd);
		out->virtual_bytes = v ? v : out->virtual_bytes;
		close(fd);
		return;
	}
	if (ioctl(fd, BLKGETSIZE64, &out->virtual_bytes) == 0)
		out->allocated_bytes = out->virtual_bytes; // a device is all there
	close(fd);
}

static int vbd_sim_attach(struct daemon *dm, struct hv_dom *hd, const struct dom_config *cfg,
			  size_t i)
{
	return HVCALL(dm, disk_attach, hd, &cfg->disks[i]);
}

static int vbd_sim_detach(struct daemon *dm, struct hv_dom *hd, const char *key)
{
	return HVCALL(dm, disk_detach, hd, key);
}

const struct dev_kind dev_kind_vbd = {
	.type = "vbd",
	.what = "disk",
	.exe = "lamina-blkback",
	.build_dir = "pvdrivers/blk",
	.count = vbd_count,
	.key = vbd_key,
	.devid = vbd_devid,
	.args = vbd_args,
	.problem = vbd_problem,
	.describe = vbd_describe,
	.sim_attach = vbd_sim_attach,
	.sim_detach = vbd_sim_detach,
};
