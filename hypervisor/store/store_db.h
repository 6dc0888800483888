// SPDX-License-Identifier: MIT
// store_db.h: the store's pure logic: node tree, permissions, watches, transactions, quotas (no I/O, no locks).
#ifndef HV_STORE_DB_H
#define HV_STORE_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lamina/store.h>

/*
 * The database behind abi/lamina/store.h. It knows nothing of rings, event
 * channels or threads: callers serialise every call on one database (the
 * store's lock) and name the calling domain in each call. Domain 0 is the
 * host side: it may read, write and change permissions everywhere, and no
 * quota applies to it.
 *
 * Results: each call returns >= 0 on success (a length where it says so)
 * or a negative LAMINA_E* number, exactly the errors store.h lists:
 *  -EINVAL  bad path (empty, a character outside `A-Za-z0-9-_/@.`, an
 *           empty, "." or ".." component, a trailing '/'), bad permission
 *           list, bad special watch name, root removal;
 *  -E2BIG   path longer than LAMINA_STORE_ABS_PATH_MAX (absolute) or
 *           LAMINA_STORE_REL_PATH_MAX (relative), value longer than
 *           LAMINA_STORE_PAYLOAD_MAX, or a result that does not fit `cap`;
 *  -ENOENT  no such node, watch or transaction (or a transaction of
 *           another domain); for a node below one the caller may not
 *           read, -EACCES instead, so that existence does not leak;
 *  -EACCES  the node's permissions deny the access;
 *  -EEXIST  a watch with this path and token already exists;
 *  -ENOSPC  a quota (nodes, watches, transactions) or a transaction's
 *           STORE_TX_BYTES budget is full;
 *  -EAGAIN  transaction commit conflict.
 *
 * Paths: absolute, or relative to the caller's home /local/domain/<dom>.
 * Watch paths may also be the special names "@introduceDomain" and
 * "@releaseDomain".
 *
 * Permissions: a node's list is [owner+default access, grants...] as in
 * store.h. Reading needs 'r' or 'b', writing (WRITE to an existing node,
 * MKDIR of an existing node, RM) needs 'w' or 'b' on the node; creating
 * needs write access to the nearest existing ancestor, and the new nodes
 * copy that ancestor's list with the owner replaced by the caller (unless
 * the caller is domain 0). SET_PERMS is for the owner and domain 0.
 *
 * Quotas (not for domain 0): LAMINA_STORE_QUOTA_NODES nodes owned per
 * domain (counted by owner, whoever created them; checked when a domain
 * other than 0 creates nodes or hands one to a domain other than 0),
 * LAMINA_STORE_QUOTA_WATCHES watches, LAMINA_STORE_QUOTA_TRANSACTIONS open
 * transactions. The request quota belongs to the ring service.
 *
 * Watches fire through the store_fire_fn given at creation, synchronously
 * inside the call that caused the event (the callback must only queue it
 * and must not call back into the database). A watch on W fires with path
 * P when P is W or lies below W, once per changed node named by a request;
 * RM of P also fires watches below P (with path P). It fires only if the
 * watcher may read the node (as it is after the change, or as it was
 * before removal). A watch registered with a relative path gets event
 * paths relative to its home when they lie below it. Registration fires
 * once at once with the path as given. Events of a transaction fire at its
 * commit.
 *
 * Transactions see the tree as it was at their start plus their own
 * changes. Each remembers the nodes it read, wrote or removed, for
 * creations the missing nodes and the nearest existing ancestor, for RM
 * the parent, and for DIRECTORY the node's set of children too. The
 * commit fails with -EAGAIN if any of them was created, removed, written
 * or had its permissions changed by someone else since the start (a child
 * added or removed counts only where the children were listed); else it
 * re-applies the transaction's changes to the current tree all at once
 * (which fails, changing nothing, with -ENOSPC if a quota is now full).
 * Either way the transaction ends.
 */

/* Accessed paths plus logged changes of one transaction, in bytes. */
#define STORE_TX_BYTES (128u * 1024u)

struct store_db;

/* One watch event for domain dom: path changed (or the special name), token
 * and priv as given at registration. */
typedef void store_fire_fn(void *arg, uint16_t dom, const char *path, const char *token,
			   void *priv);

/* A database holding "/", "/local", "/local/domain" and "/local/domain/0",
 * all owned by domain 0 with access 'n'. NULL if out of memory. */
struct store_db *store_db_new(store_fire_fn *fire, void *arg);
void store_db_free(struct store_db *db);

/* Node operations; tx is a transaction id of dom, or 0 for none. */
int store_db_read(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		  void *out, size_t cap);                          /* value length */
int store_db_write(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		   const void *val, size_t len);                  /* creates parents */
int store_db_mkdir(struct store_db *db, uint16_t dom, uint32_t tx, const char *path);
int store_db_rm(struct store_db *db, uint16_t dom, uint32_t tx, const char *path);
/* Children's names, each NUL-terminated, sorted; returns the byte count. */
int store_db_directory(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		       void *out, size_t cap);
/* Permission lists in the wire format of store.h: "<letter><domid>\0"... */
int store_db_get_perms(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		       void *out, size_t cap);                     /* byte count */
int store_db_set_perms(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		       const void *perms, size_t len);

/* Watches (not transactional). priv is handed back with each event. */
int store_db_watch(struct store_db *db, uint16_t dom, const char *path, const char *token,
		   void *priv);
int store_db_unwatch(struct store_db *db, uint16_t dom, const char *path, const char *token);
/* Fire the watches on a special name ("@introduceDomain", "@releaseDomain"). */
void store_db_fire_special(struct store_db *db, const char *name);

/* Transactions. start stores a new id (never 0) in *tx. */
int store_db_tx_start(struct store_db *db, uint16_t dom, uint32_t *tx);
int store_db_tx_end(struct store_db *db, uint16_t dom, uint32_t tx, bool commit);

/* Forget dom: drop its watches and transactions; nodes it owns become
 * domain 0's and permission entries naming it are removed (so a later
 * domain with the same id inherits nothing). Fires no watches. */
void store_db_release(struct store_db *db, uint16_t dom);

/* Introspection for tests and the toolstack. */
unsigned store_db_owned(const struct store_db *db, uint16_t dom);  /* nodes owned */
unsigned store_db_nr_watches(const struct store_db *db, uint16_t dom);
unsigned store_db_nr_tx(const struct store_db *db, uint16_t dom);

/* Helpers shared with the ring service. */
/* "/local/domain/<dom>" into out; -E2BIG if cap is too small. */
int store_home(unsigned dom, char *out, size_t cap);
/* Resolve path for dom into out (LAMINA_STORE_ABS_PATH_MAX + 1 bytes). */
int store_path_resolve(uint16_t dom, const char *path, char *out);
/* The error name of store.h for a LAMINA_E* number (positive); "EIO" if
 * it is not one of the store's errors. */
const char *store_err_name(int err);
/* The LAMINA_E* number of an error name, or 0 if it is none. */
int store_err_number(const char *name);
/* Parse a decimal number of at most max (no sign, no spaces, <= 10 digits);
 * -1 if s is not one. */
long long store_parse_uint(const char *s, unsigned long long max);
#endif
