// SPDX-License-Identifier: MIT
// snapshot.h: the rules of lamina snapshot-create/list/revert/delete (internal snapshots of a qcow2 disk through qemu-img), kept pure for unit tests.
#ifndef LAMINA_SNAPSHOT_H
#define LAMINA_SNAPSHOT_H

#include "config.h"

#include <stdint.h>

enum snap_op { SNAP_CREATE, SNAP_LIST, SNAP_REVERT, SNAP_DELETE };

#define SNAP_NAME_MAX 128 // bytes of a snapshot name, without the NUL
#define SNAP_ARGV_MAX 8

// The operation a command name ("snapshot-create", ...) asks for; -1 if none.
int snap_op_of(const char *cmd);
// Why NAME cannot be a snapshot name (empty, too long, starts with '-',
// or holds a control character), or NULL.
const char *snap_name_problem(const char *name);
// The disk TARGET of cfg, or NULL with *why (no such target, not qcow2).
const struct dom_disk *snap_disk(const struct dom_config *cfg, const char *target,
				 char *why, size_t len);
// Why op cannot run on a domain in state (enum lp_state), or NULL. A
// running domain writes to the image; a paused one's disk server
// (qemu-nbd under lamina-blkback) holds the image's write lock, so only
// listing (read-only, shared) works then.
const char *snap_state_problem(enum snap_op op, uint32_t state);
// qemu-img's argument vector for op on image (NULL-terminated, in argv).
void snap_argv(enum snap_op op, uint32_t state, const char *image, const char *name,
	       const char *argv[SNAP_ARGV_MAX]);
#endif
