// SPDX-License-Identifier: MIT
// snapshot.c: which snapshot operation, on which qcow2 disk, in which domain states, and the qemu-img command for it.
#include "snapshot.h"
#include "proto.h"

#include <stdio.h>
#include <string.h>

int snap_op_of(const char *cmd)
{
	static const char *const names[] = { "snapshot-create", "snapshot-list", "snapshot-revert",
					     "snapshot-delete" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(cmd, names[i]))
			return i;
	return -1;
}

const char *snap_name_problem(const char *name)
{
	if (!*name)
		return "a snapshot name may not be empty";
	if (strlen(name) > SNAP_NAME_MAX)
		return "a snapshot name is at most 128 bytes";
	if (*name == '-')
		return "a snapshot name may not start with '-'";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "a snapshot name may not hold control characters";
	return NULL;
}

const struct dom_disk *snap_disk(const struct dom_config *cfg, const char *target,
				 char *why, size_t len)
{
	for (size_t i = 0; i < cfg->ndisks; i++) {
		const struct dom_disk *d = &cfg->disks[i];
		if (strcmp(d->target, target))
			continue;
		if (!strcmp(d->format, "qcow2"))
			return d;
		snprintf(why, len, "disk %s of domain '%s' is a %s image: internal snapshots need a "
			 "qcow2 disk (<driver type=\"qcow2\"/>)", target, cfg->name,
			 d->format[0] ? d->format : "raw");
		return NULL;
	}
	snprintf(why, len, "domain '%s' has no disk %s", cfg->name, target);
	return NULL;
}

const char *snap_state_problem(enum snap_op op, uint32_t state)
{
	if (state == LP_STATE_SHUTOFF)
		return NULL;
	if (state == LP_STATE_PAUSED)
		return op == SNAP_LIST ? NULL
		       : "the domain is paused, and its disk's server (qemu-nbd, run by "
			 "lamina-blkback) holds the image's write lock: shut the domain off to "
			 "create, revert or delete snapshots (listing works while paused)";
	if (state == LP_STATE_CRASHED)
		return "the domain has crashed and still holds its disks: destroy it first";
	return "the domain is running and writes to the disk: shut it off first (or pause it, "
	       "to list snapshots)";
}

void snap_argv(enum snap_op op, uint32_t state, const char *image, const char *name,
	       const char *argv[SNAP_ARGV_MAX])
{
	static const char *const flag[] = { "-c", "-l", "-a", "-d" };
	int n = 0;

	argv[n++] = "qemu-img";
	argv[n++] = "snapshot";
	if (op != SNAP_LIST)
		argv[n++] = "-q"; // nothing on success; errors still go to stderr
	if (op == SNAP_LIST && state != LP_STATE_SHUTOFF)
		argv[n++] = "-U"; // share the image with its server (read-only)
	argv[n++] = flag[op];
	if (op != SNAP_LIST)
		argv[n++] = name;
	argv[n++] = image;
	argv[n] = NULL;
}
