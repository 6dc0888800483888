/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the store, a hierarchical key/value service in domain 0: ring layout, wire format, limits, quotas. */
#ifndef LAMINA_STORE_H
#define LAMINA_STORE_H

#include "types.h"
#include "errno.h"

/**
 * The store is a tree of nodes kept by domain 0, like a small file system:
 * each node has a path (`/local/domain/3/device/vbd/0/state`), a value (a
 * byte string, possibly empty), children, and a permission list. Domains
 * use it to find each other and to set up devices (io/bus.h). It offers
 * watches (tell me when something under this path changes) and
 * transactions (a group of reads and writes that commits atomically or not
 * at all).
 *
 * **Connection.** Each domain has one connection to the store: the page
 * `struct lamina_store_ring`, mapped with `memory_op ADD_TO_PHYSMAP`
 * (space `LAMINA_SPACE_STORE_RING`), and the event channel `store_port`
 * from shared_info, already bound at domain creation.
 *
 * **Byte rings.** `req` carries requests from the domain to the store,
 * `rsp` carries replies and watch events back. Each is a byte stream with
 * free-running 32-bit indices: byte i is at `[i % LAMINA_STORE_RING_BYTES]`.
 * A writer copies bytes in while `prod - cons < LAMINA_STORE_RING_BYTES`,
 * `lamina_wmb()`, advances `prod`, and sends an event on `store_port`.
 * A reader loads `prod`, `lamina_rmb()`, copies bytes out, `lamina_mb()`,
 * advances `cons`, and sends an event. Messages may be split across
 * several such steps. `prod - cons` > `LAMINA_STORE_RING_BYTES` means the
 * ring is corrupt; the store then drops the connection.
 *
 * **Messages.** Each message is a `struct lamina_store_msg` header followed
 * by `len` payload bytes. A reply carries the request's `type` (or
 * `LAMINA_STORE_ERROR`) and its `req_id`; replies come in request order.
 * Strings in payloads end with a NUL byte; "path" below means such a
 * string. A path is absolute (`/...`) or relative to the caller's home
 * `/local/domain/<domid>`. Path characters: `A-Z a-z 0-9 - _ / @ .`; no
 * empty components, no trailing `/` (except the root `/`).
 */
struct lamina_store_ring {
	lamina_u32 req_prod; /* written by the domain */
	lamina_u32 req_cons; /* written by the store */
	lamina_u32 rsp_prod; /* written by the store */
	lamina_u32 rsp_cons; /* written by the domain */
	lamina_u8 pad0[48];
	lamina_u8 req[1024];
	lamina_u8 rsp[1024];
	lamina_u8 pad1[4096 - 64 - 2048];
};
#define LAMINA_STORE_RING_BYTES 1024u
LAMINA_CHECK_SIZE(store_ring, struct lamina_store_ring, 4096);
LAMINA_CHECK_OFFSET(sr_req, struct lamina_store_ring, req, 64);
LAMINA_CHECK_OFFSET(sr_rsp, struct lamina_store_ring, rsp, 1088);

struct lamina_store_msg {
	lamina_u32 type;   /* LAMINA_STORE_* */
	lamina_u32 req_id; /* chosen by the requester, echoed in the reply */
	lamina_u32 tx_id;  /* transaction, or 0 for none */
	lamina_u32 len;    /* payload bytes that follow, <= LAMINA_STORE_PAYLOAD_MAX */
};
LAMINA_CHECK_SIZE(store_msg, struct lamina_store_msg, 16);

/**
 * **Message types** (request payload -> reply payload). A successful
 * request whose reply is described as "OK" gets the 3 bytes `"OK\0"`.
 *
 * | type | request | reply |
 * |------|---------|-------|
 * | `READ` | path | the value (no NUL added) |
 * | `WRITE` | path, then the value (rest of the payload) | OK; creates missing parents |
 * | `MKDIR` | path | OK; no change if it exists |
 * | `RM` | path | OK; removes the node and everything under it |
 * | `DIRECTORY` | path | the children's names, each NUL-terminated |
 * | `GET_PERMS` | path | the permission list |
 * | `SET_PERMS` | path, then the permission list | OK (owner or domain 0 only; only domain 0 may name another owner) |
 * | `WATCH` | path, token | OK, then at once one `WATCH_EVENT` for path |
 * | `UNWATCH` | path, token | OK |
 * | `TRANSACTION_START` | empty | the new tx_id in decimal |
 * | `TRANSACTION_END` | `"T"` commit or `"F"` abort; header tx_id names it | OK, or error `EAGAIN` if the commit lost a race: redo the transaction |
 * | `GET_DOMAIN_PATH` | domid in decimal | `/local/domain/<domid>` |
 * | `INTRODUCE` | domid, gfn, port in decimal (domain 0 only) | OK; the store connects to that domain |
 * | `RELEASE` | domid in decimal (domain 0 only) | OK; the store drops that domain's connection, watches and transactions |
 * | `WATCH_EVENT` | - (store to domain only, req_id 0) | path that changed, token |
 * | `ERROR` | - (reply only) | error name, e.g. `"ENOENT"` |
 *
 * **Watches** fire when the watched node or any node below it is written,
 * created, removed or has its permissions changed, and only for nodes the
 * watcher may read. The event names the changed node. The special paths
 * `@introduceDomain` and `@releaseDomain` fire when a domain connects or is
 * released. Watches in a transaction fire at commit.
 *
 * **Transactions** see a snapshot taken at start plus their own writes.
 * Commit fails with `EAGAIN` if any node they read or wrote was changed
 * by someone else since the start.
 */
#define LAMINA_STORE_READ              1
#define LAMINA_STORE_WRITE             2
#define LAMINA_STORE_MKDIR             3
#define LAMINA_STORE_RM                4
#define LAMINA_STORE_DIRECTORY         5
#define LAMINA_STORE_GET_PERMS         6
#define LAMINA_STORE_SET_PERMS         7
#define LAMINA_STORE_WATCH             8
#define LAMINA_STORE_UNWATCH           9
#define LAMINA_STORE_TRANSACTION_START 10
#define LAMINA_STORE_TRANSACTION_END   11
#define LAMINA_STORE_GET_DOMAIN_PATH   12
#define LAMINA_STORE_INTRODUCE         13
#define LAMINA_STORE_RELEASE           14
#define LAMINA_STORE_WATCH_EVENT       15
#define LAMINA_STORE_ERROR             16

/**
 * **Permissions.** A permission list is a sequence of NUL-terminated
 * entries `<letter><domid>`: letter `n` (none), `r` (read), `w` (write) or
 * `b` (both). The first entry names the node's owner, and its letter is the
 * access of every domain not listed later; later entries grant listed
 * domains their letter. The owner and domain 0 may always read, write and
 * change permissions, but only domain 0 may change a node's owner (a
 * domain that names another owner gets `EPERM`, ABI 1.3): a domain cannot
 * give nodes away to escape its own node quota or to fill another's. A new node copies its parent's list; if a domain
 * other than 0 creates it, that domain becomes the owner. Domain 0 creates
 * `/local/domain/<domid>` owned by the domain.
 */
#define LAMINA_STORE_PERM_NONE  'n'
#define LAMINA_STORE_PERM_READ  'r'
#define LAMINA_STORE_PERM_WRITE 'w'
#define LAMINA_STORE_PERM_BOTH  'b'

/**
 * **Errors.** An `ERROR` reply's payload is one of these names,
 * NUL-terminated, matching the `LAMINA_E*` number of the same name:
 * - `EINVAL`: malformed message, bad path, unknown type;
 * - `ENOENT`: no such node, watch or transaction;
 * - `EACCES`: permission denied;
 * - `EEXIST`: the watch already exists;
 * - `E2BIG`: payload or path longer than the limits;
 * - `ENOSPC`: a quota below is full;
 * - `EAGAIN`: transaction commit conflict;
 * - `EPERM`: domain-0-only request, or a change of owner by another domain;
 * - `EIO`: store internal failure.
 *
 * `LAMINA_STORE_ERRORS(X)` expands `X(name)` for each, e.g. to build a
 * name-to-number table.
 */
#define LAMINA_STORE_ERRORS(X) \
	X(EINVAL) X(ENOENT) X(EACCES) X(EEXIST) X(E2BIG) \
	X(ENOSPC) X(EAGAIN) X(EPERM) X(EIO)

/**
 * **Limits and per-domain quotas.** Quotas do not apply to domain 0.
 * Outstanding requests are those whose reply the domain has not yet
 * consumed; at the limit the store simply stops reading the domain's
 * `req` ring until replies are consumed.
 */
#define LAMINA_STORE_PAYLOAD_MAX      4096u /* bytes after the header */
#define LAMINA_STORE_ABS_PATH_MAX     3072u /* absolute path, without NUL */
#define LAMINA_STORE_REL_PATH_MAX     2048u /* relative path, without NUL */
#define LAMINA_STORE_QUOTA_NODES      1000u /* nodes owned by the domain */
#define LAMINA_STORE_QUOTA_WATCHES    128u
#define LAMINA_STORE_QUOTA_TRANSACTIONS 10u /* open at once */
#define LAMINA_STORE_QUOTA_REQUESTS   20u   /* outstanding at once */

#endif /* LAMINA_STORE_H */
