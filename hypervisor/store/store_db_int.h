// SPDX-License-Identifier: MIT
// store_db_int.h: private to the store_db*.c / store_{tree,change,tx,watch}.c files: the database's structures and the functions they share.
#ifndef HV_STORE_DB_INT_H
#define HV_STORE_DB_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "store_db.h"

/*
 * The database has no locks: its caller serialises every call on one
 * database (store.c's lock), so every field below is guarded by that lock.
 * "Owner" in a field's comment names the file that creates, changes and
 * frees it; the others only read it. The files:
 *   store_tree.c    small helpers, paths, nodes, permission checks and
 *                   parsing, owned-node count arithmetic;
 *   store_change.c  transactions' access sets, one request's edit of a
 *                   tree (struct change) and the node operations on it;
 *   store_tx.c      transactions (struct tx), and applying an operation
 *                   in or outside one;
 *   store_watch.c   watches (struct watch) and firing them;
 *   store_db.c      the public node operations, domain release, creation
 *                   and destruction of the database.
 * Every function here returns 0 or a negative LAMINA_E* number unless it
 * says otherwise; -LAMINA_EIO means out of memory.
 */

#define ACC_R 1u
#define ACC_W 2u
#define NDOMS 65536u
#define ABS_MAX LAMINA_STORE_ABS_PATH_MAX
#define REL_MAX LAMINA_STORE_REL_PATH_MAX

/* One permission entry. Owner: store_tree.c (sdb_perms_parse). */
struct perm {
	uint16_t dom;
	char how;                   /* LAMINA_STORE_PERM_* */
};

/*
 * One version of a node. Versions are shared between trees (the current
 * tree, transaction snapshots and work trees) and counted in refs: one per
 * parent version or root holder. A change copies each node on its path
 * unless it alone can reach it (refs == 1 all the way down from a root only
 * it holds), and edits only such private copies (mut() in store_change.c).
 * Owner: store_tree.c allocates, clones and frees; store_change.c edits
 * private copies; store_db.c (release) edits its own clones.
 */
struct snode {
	unsigned refs;
	uint64_t gen;               /* db generation of the creation or last change of val or perm */
	uint64_t cgen;              /* db generation of the creation or last change of the children */
	char *name;                 /* last path component; "" for the root */
	uint8_t *val;               /* NULL when vlen == 0 */
	uint32_t vlen;
	uint32_t nperm;             /* >= 1 */
	struct perm *perm;          /* [0]: owner and everyone's default access */
	uint32_t nkid, kcap;
	struct snode **kid;         /* sorted by name */
};

/* Changes of per-domain owned-node counts. Owner: whoever holds the
 * dlist (a change or a transaction); entries are added by sdb_dl_add. */
struct delta {
	uint16_t dom;
	int32_t n;
};
struct dlist {
	struct delta *d;
	uint32_t n, cap;
};

enum { OP_WRITE, OP_MKDIR, OP_RM, OP_PERMS };
/* One change request, path absolute. data: the value (WRITE) or a
 * struct perm array of len entries (PERMS). Owner: the caller for a
 * request in flight (store_db.c); store_tx.c for the copies in a
 * transaction's log. */
struct op {
	int type;
	char *path;
	void *data;
	uint32_t len;
};

/* One open transaction. Owner: store_tx.c, except the access set (acc,
 * nacc, cacc, hash, hcap), which store_change.c (sdb_tx_access) fills;
 * bytes is charged by both. */
struct tx {
	uint32_t id;
	uint16_t dom;
	struct snode *snap;         /* the tree at start (one reference) */
	struct snode *work;         /* snap plus this transaction's changes (one reference) */
	struct dlist delta;         /* owned-count changes made by the changes so far */
	struct op *ops;             /* changes to re-apply at commit */
	uint32_t nops, cops;
	char **acc;                 /* distinct accesses: 'n' or 'd' (children too), then the path */
	uint32_t nacc, cacc;
	uint32_t *hash;             /* open addressing over acc: index + 1, 0 = free */
	uint32_t hcap;              /* power of two, > 2 * nacc */
	size_t bytes;               /* against STORE_TX_BYTES */
	struct tx *next;
};

/* One registered watch. Owner: store_watch.c. */
struct watch {
	uint16_t dom;
	bool rel;                   /* registered with a relative path */
	char *path;                 /* as registered */
	char *abs;                  /* absolute, or the special name */
	char *token;
	void *priv;
};

/* The database. Owners as noted per field. */
struct store_db {
	struct snode *root;         /* store_change.c (commit), store_db.c: the current tree (one reference) */
	uint64_t gen;               /* store_change.c, store_db.c: last generation handed out */
	uint32_t *owned;            /* store_change.c (commit), store_db.c: [NDOMS] nodes owned in the current tree */
	struct watch *w;            /* store_watch.c: in registration order */
	uint32_t nw, cw;            /* store_watch.c */
	struct tx *tx;              /* store_tx.c, store_db.c (release): open transactions */
	uint32_t next_tx;           /* store_tx.c */
	store_fire_fn *fire;        /* store_db.c, set once at creation */
	void *arg;                  /* store_db.c, set once at creation */
};

enum { REC_WRITE, REC_RM };
/* A changed node, for watches: the path a request named. Owner: the
 * struct change holding it (store_change.c). */
struct rec {
	char *path;
	int kind;
	struct snode *old;          /* REC_RM: the removed subtree (one reference) */
};

/* One request's edit of a tree, applied (commit) or dropped as a whole.
 * Owner: the caller that began it (store_tx.c), on its stack. */
struct change {
	struct store_db *db;
	uint16_t dom;               /* the caller */
	struct snode *root;         /* the edited tree (one reference) */
	struct dlist delta;         /* owned-count changes of this edit */
	const struct dlist *base;   /* changes already made on top of db->owned, or NULL */
	struct tx *tx;              /* records accesses, or NULL */
	struct rec *rec;
	uint32_t nrec, crec;
};

/* How much of path exists in a tree: the deepest existing node, its depth
 * and path length (0 for the root), and how many components are missing.
 * Owner: the caller, on its stack (it holds no references). */
struct walk {
	struct snode *node;
	unsigned depth, missing;
	size_t len;
};

/* ---- store_tree.c ---- */
/* Copy len bytes into a fresh allocation in *dst (NULL for len 0). */
int sdb_mem_set(void *dst, const void *src, size_t len);
/* strlen, but at most max (C11 has no strnlen). */
size_t sdb_str_nlen(const char *s, size_t max);
/* A NUL-terminated copy of s[0..len); NULL if out of memory. */
char *sdb_str_dup(const char *s, size_t len);
/* Grow the array *arr of elem-sized items (capacity *cap) to hold need. */
int sdb_grow(void *arr, uint32_t *cap, uint32_t need, size_t elem);
/* The next component of path from *pos: *comp, *len; false at the end. */
bool sdb_next_comp(const char *path, size_t *pos, const char **comp, size_t *len);
/* p is w or lies below it. */
bool sdb_under(const char *p, const char *w);
/* A node named name[0..nlen) with one reference, no value, no
 * permissions, no children; NULL if out of memory. */
struct snode *sdb_node_new(const char *name, size_t nlen);
/* Drop a reference to n (NULL is fine), freeing it and its subtree's
 * unshared versions at the last one. */
void sdb_node_put(struct snode *n);
/* A private copy of o sharing o's children; NULL if out of memory. */
struct snode *sdb_node_clone(const struct snode *o);
/* Index of the child named comp[0..len), or -(insertion point) - 1. */
long sdb_kid_find(const struct snode *n, const char *comp, size_t len);
/* Insert child k at index at of p (p private). */
int sdb_kid_insert(struct snode *p, long at, struct snode *k);
/* The node at absolute path in the tree root, or NULL. */
struct snode *sdb_lookup(struct snode *root, const char *path);
/* Did the access acc ('n' or 'd' + path) see the same in both trees? */
bool sdb_same(struct snode *a, struct snode *b, const char *acc);
/* What dom may do to n: ACC_R and/or ACC_W. */
unsigned sdb_access_of(const struct snode *n, uint16_t dom);
/* The error for a missing node below n, the nearest existing one: ENOENT,
 * or EACCES if dom may not read n (so the tree's shape does not leak). */
int sdb_missing(const struct snode *n, uint16_t dom);
/* Parse a wire permission list into a fresh array *out of *n entries. */
int sdb_perms_parse(const void *buf, size_t len, struct perm **out, uint32_t *n);
/* Add n to dom's entry of l. */
int sdb_dl_add(struct dlist *l, uint16_t dom, int32_t n);
/* -ENOSPC if the caller (not domain 0) may not give k more nodes to owner. */
int sdb_quota_nodes(const struct change *c, uint16_t owner, uint32_t k);
/* Count every node of the subtree n into c's delta with sign. */
int sdb_count_subtree(struct change *c, const struct snode *n, int32_t sign);

/* ---- store_change.c ---- */
/* Remember that t looked at the node path[0..len) ("/" if len is 0), and
 * at its children too if kids; -ENOSPC past STORE_TX_BYTES. */
int sdb_tx_access(struct tx *t, const char *path, size_t len, bool kids);
/* Begin an edit of root (taking a reference) by dom; base: owned-count
 * changes already made on top of db->owned (or NULL); tx records the
 * accesses (or NULL). */
void sdb_change_begin(struct change *c, struct store_db *db, uint16_t dom,
		      struct snode *root, const struct dlist *base, struct tx *tx);
/* Free what c still holds (after sdb_change_commit, or instead of it). */
void sdb_change_drop(struct change *c);
/* Make c the current tree, count its nodes and fire its watches. */
void sdb_change_commit(struct change *c);
/* How much of absolute path exists in the tree root, into *w. */
void sdb_walk_path(struct snode *root, const char *path, struct walk *w);
/* Apply op to c's tree (access checks, quotas, watch records). */
int sdb_op_apply(struct change *c, const struct op *op);

/* ---- store_tx.c ---- */
/* Transaction id of dom, or NULL (also if it is another domain's). */
struct tx *sdb_tx_find(struct store_db *db, uint16_t dom, uint32_t id);
/* Free an unlinked transaction. */
void sdb_tx_free(struct tx *t);
/* Apply op (path already absolute) for dom, in transaction txid or not. */
int sdb_mutate(struct store_db *db, uint16_t dom, uint32_t txid, const struct op *op);

/* ---- store_watch.c ---- */
/* Fire the watches that see the changed node r in db's current tree. */
void sdb_fire_rec(struct store_db *db, const struct rec *r);
/* Free what w holds (not w itself). */
void sdb_watch_free(struct watch *w);
/* Free and remove db's watch number i. */
void sdb_watch_remove(struct store_db *db, uint32_t i);
#endif
