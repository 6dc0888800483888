// SPDX-License-Identifier: MIT
// store_db.c: the store's pure logic: a copy-on-write node tree with permissions, watches, transactions and quotas (public calls, domains, the database).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "store_db_int.h"

/* ---- node operations ---- */

/* The node at path as dom sees it (in transaction txid), readable by dom. */
static int find_readable(struct store_db *db, uint16_t dom, uint32_t txid, const char *path,
			 bool kids, const struct snode **out)
{
	char abs[ABS_MAX + 1];
	struct snode *root = db->root;
	int rc = store_path_resolve(dom, path, abs);

	if (rc)
		return rc;
	if (txid) {
		struct tx *t = sdb_tx_find(db, dom, txid);
		if (!t)
			return -LAMINA_ENOENT;
		if ((rc = sdb_tx_access(t, abs, strlen(abs), kids)))
			return rc;
		root = t->work;
	}
	struct walk w;
	sdb_walk_path(root, abs, &w);
	if (w.missing)
		return sdb_missing(w.node, dom);
	if (!(sdb_access_of(w.node, dom) & ACC_R))
		return -LAMINA_EACCES;
	*out = w.node;
	return 0;
}

int store_db_read(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		  void *out, size_t cap)
{
	const struct snode *n;
	int rc = find_readable(db, dom, tx, path, false, &n);

	if (rc)
		return rc;
	if (n->vlen > cap)
		return -LAMINA_E2BIG;
	if (n->vlen)
		memcpy(out, n->val, n->vlen);
	return (int)n->vlen;
}

int store_db_directory(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		       void *out, size_t cap)
{
	const struct snode *n;
	size_t len = 0;
	int rc = find_readable(db, dom, tx, path, true, &n);

	if (rc)
		return rc;
	for (uint32_t i = 0; i < n->nkid; i++) {
		size_t l = strlen(n->kid[i]->name) + 1;
		if (len + l > cap)
			return -LAMINA_E2BIG;
		memcpy((char *)out + len, n->kid[i]->name, l);
		len += l;
	}
	return (int)len;
}

int store_db_get_perms(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		       void *out, size_t cap)
{
	const struct snode *n;
	size_t len = 0;
	int rc = find_readable(db, dom, tx, path, false, &n);

	if (rc)
		return rc;
	for (uint32_t i = 0; i < n->nperm; i++) {
		char e[8];
		int l = snprintf(e, sizeof(e), "%c%u", n->perm[i].how, n->perm[i].dom) + 1;
		if (len + (size_t)l > cap)
			return -LAMINA_E2BIG;
		memcpy((char *)out + len, e, (size_t)l);
		len += (size_t)l;
	}
	return (int)len;
}

/* Resolve path and run a change of type with data. */
static int mutate_path(struct store_db *db, uint16_t dom, uint32_t tx, int type,
		       const char *path, const void *data, uint32_t len)
{
	char abs[ABS_MAX + 1];
	int rc = store_path_resolve(dom, path, abs);
	struct op op = { type, abs, (void *)data, len };

	return rc ? rc : sdb_mutate(db, dom, tx, &op);
}

int store_db_write(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		   const void *val, size_t len)
{
	if (len > LAMINA_STORE_PAYLOAD_MAX)
		return -LAMINA_E2BIG;
	return mutate_path(db, dom, tx, OP_WRITE, path, val, (uint32_t)len);
}

int store_db_mkdir(struct store_db *db, uint16_t dom, uint32_t tx, const char *path)
{
	return mutate_path(db, dom, tx, OP_MKDIR, path, NULL, 0);
}

int store_db_rm(struct store_db *db, uint16_t dom, uint32_t tx, const char *path)
{
	return mutate_path(db, dom, tx, OP_RM, path, NULL, 0);
}

int store_db_set_perms(struct store_db *db, uint16_t dom, uint32_t tx, const char *path,
		       const void *perms, size_t len)
{
	struct perm *p;
	uint32_t n;
	char abs[ABS_MAX + 1];
	int rc = store_path_resolve(dom, path, abs);

	if (rc || (rc = sdb_perms_parse(perms, len, &p, &n)))
		return rc;
	rc = mutate_path(db, dom, tx, OP_PERMS, abs, p, n);
	free(p);
	return rc;
}
/* ---- domains ---- */

static bool names_dom(const struct snode *n, uint16_t dom)
{
	for (uint32_t i = 0; i < n->nperm; i++)
		if (n->perm[i].dom == dom)
			return true;
	return false;
}

/* Give dom's nodes to domain 0 and drop grants to dom, in the subtree n:
 * a new version of n if anything below changed, else NULL. */
static struct snode *disown(struct store_db *db, struct snode *n, uint16_t dom)
{
	struct snode *cp = NULL;

	for (uint32_t i = 0; i < n->nkid; i++) {
		struct snode *k = disown(db, n->kid[i], dom);
		if (k && !cp && !(cp = sdb_node_clone(n))) {
			sdb_node_put(k);
			return NULL;
		}
		if (k) {
			sdb_node_put(cp->kid[i]);
			cp->kid[i] = k;
		}
	}
	if (!names_dom(n, dom) || (!cp && !(cp = sdb_node_clone(n))))
		return cp;
	if (cp->perm[0].dom == dom)
		cp->perm[0].dom = 0;
	uint32_t k = 1;
	for (uint32_t i = 1; i < cp->nperm; i++)
		if (cp->perm[i].dom != dom)
			cp->perm[k++] = cp->perm[i];
	cp->nperm = k;
	cp->gen = ++db->gen;
	return cp;
}

void store_db_release(struct store_db *db, uint16_t dom)
{
	for (uint32_t i = db->nw; i-- > 0;)
		if (db->w[i].dom == dom)
			sdb_watch_remove(db, i);
	for (struct tx **pp = &db->tx; *pp;) {
		struct tx *t = *pp;
		if (t->dom != dom) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		sdb_tx_free(t);
	}
	if (dom == 0)
		return;
	struct snode *r = disown(db, db->root, dom);
	if (r) {
		sdb_node_put(db->root);
		db->root = r;
	}
	db->owned[0] += db->owned[dom];
	db->owned[dom] = 0;
}

unsigned store_db_owned(const struct store_db *db, uint16_t dom) { return db->owned[dom]; }

/* ---- the database ---- */

static void no_fire(void *arg, uint16_t dom, const char *path, const char *token, void *priv)
{
	(void)arg, (void)dom, (void)path, (void)token, (void)priv;
}

struct store_db *store_db_new(store_fire_fn *fire, void *arg)
{
	struct store_db *db = calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	db->fire = fire ? fire : no_fire;
	db->arg = arg;
	db->owned = calloc(NDOMS, sizeof(*db->owned));
	db->root = sdb_node_new("", 0);
	if (!db->owned || !db->root || sdb_mem_set(&db->root->perm, &(struct perm){ 0, LAMINA_STORE_PERM_NONE },
							    sizeof(struct perm))) {
		store_db_free(db);
		return NULL;
	}
	db->root->nperm = 1;
	db->root->gen = db->root->cgen = ++db->gen;
	db->owned[0] = 1;
	/* domain 0 creates them: they copy the root's list "n0" */
	if (store_db_mkdir(db, 0, 0, "/local/domain/0")) {
		store_db_free(db);
		return NULL;
	}
	return db;
}

void store_db_free(struct store_db *db)
{
	if (!db)
		return;
	while (db->tx) {
		struct tx *t = db->tx;
		db->tx = t->next;
		sdb_tx_free(t);
	}
	for (uint32_t i = 0; i < db->nw; i++)
		sdb_watch_free(&db->w[i]);
	free(db->w);
	sdb_node_put(db->root);
	free(db->owned);
	free(db);
}
