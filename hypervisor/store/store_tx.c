// SPDX-License-Identifier: MIT
// store_tx.c: store transactions: snapshot, work tree and log of changes, conflict check and re-apply at commit.
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "store_db_int.h"

/* ---- transactions ---- */

struct tx *sdb_tx_find(struct store_db *db, uint16_t dom, uint32_t id)
{
	for (struct tx *t = db->tx; t; t = t->next)
		if (t->id == id)
			return t->dom == dom ? t : NULL;
	return NULL;
}

static void op_free(struct op *op)
{
	free(op->path);
	free(op->data);
}

void sdb_tx_free(struct tx *t)
{
	sdb_node_put(t->snap);
	sdb_node_put(t->work);
	for (uint32_t i = 0; i < t->nops; i++)
		op_free(&t->ops[i]);
	for (uint32_t i = 0; i < t->nacc; i++)
		free(t->acc[i]);
	free(t->ops);
	free(t->acc);
	free(t->hash);
	free(t->delta.d);
	free(t);
}

/* Append a copy of op to t's log. */
static int tx_log(struct tx *t, const struct op *op)
{
	size_t dlen = op->type == OP_PERMS ? op->len * sizeof(struct perm) : op->len;
	size_t plen = strlen(op->path);
	struct op cp = { op->type, NULL, NULL, op->len };

	if (t->bytes + plen + 1 + dlen + sizeof(cp) > STORE_TX_BYTES)
		return -LAMINA_ENOSPC;
	if (!(cp.path = sdb_str_dup(op->path, plen)) || sdb_mem_set(&cp.data, op->data, dlen) ||
	    sdb_grow(&t->ops, &t->cops, t->nops + 1, sizeof(*t->ops))) {
		op_free(&cp);
		return -LAMINA_EIO;
	}
	t->ops[t->nops++] = cp;
	t->bytes += plen + 1 + dlen + sizeof(cp);
	return 0;
}

/* Apply op inside transaction t: to its work tree, and to its log. */
static int tx_apply(struct store_db *db, struct tx *t, const struct op *op)
{
	struct change c;
	int rc;

	sdb_change_begin(&c, db, t->dom, t->work, &t->delta, t);
	rc = sdb_op_apply(&c, op);
	if (!rc && sdb_grow(&t->delta.d, &t->delta.cap, t->delta.n + c.delta.n, sizeof(struct delta)))
		rc = -LAMINA_EIO;
	if (!rc)
		rc = tx_log(t, op);
	if (!rc) {
		for (uint32_t i = 0; i < c.delta.n; i++)
			sdb_dl_add(&t->delta, c.delta.d[i].dom, c.delta.d[i].n);
		sdb_node_put(t->work);
		t->work = c.root;
		c.root = NULL;
	}
	sdb_change_drop(&c);
	return rc;
}

/* Apply op (path already absolute) for dom, in transaction txid or not. */
int sdb_mutate(struct store_db *db, uint16_t dom, uint32_t txid, const struct op *op)
{
	struct change c;
	int rc;

	if (txid) {
		struct tx *t = sdb_tx_find(db, dom, txid);
		return t ? tx_apply(db, t, op) : -LAMINA_ENOENT;
	}
	sdb_change_begin(&c, db, dom, db->root, NULL, NULL);
	rc = sdb_op_apply(&c, op);
	if (!rc)
		sdb_change_commit(&c);
	sdb_change_drop(&c);
	return rc;
}

static int tx_commit(struct store_db *db, struct tx *t)
{
	struct change c;
	int rc = 0;

	for (uint32_t i = 0; i < t->nacc; i++)
		if (!sdb_same(t->snap, db->root, t->acc[i]))
			return -LAMINA_EAGAIN;
	sdb_change_begin(&c, db, t->dom, db->root, NULL, NULL);
	for (uint32_t i = 0; !rc && i < t->nops; i++)
		rc = sdb_op_apply(&c, &t->ops[i]);
	if (!rc)
		sdb_change_commit(&c);
	sdb_change_drop(&c);
	return rc;
}

static bool tx_used(const struct store_db *db, uint32_t id)
{
	for (const struct tx *t = db->tx; t; t = t->next)
		if (t->id == id)
			return true;
	return false;
}

unsigned store_db_nr_tx(const struct store_db *db, uint16_t dom)
{
	unsigned n = 0;

	for (const struct tx *t = db->tx; t; t = t->next)
		n += t->dom == dom;
	return n;
}

int store_db_tx_start(struct store_db *db, uint16_t dom, uint32_t *id)
{
	if (dom && store_db_nr_tx(db, dom) >= LAMINA_STORE_QUOTA_TRANSACTIONS)
		return -LAMINA_ENOSPC;
	struct tx *t = calloc(1, sizeof(*t));
	if (!t)
		return -LAMINA_EIO;
	do {
		t->id = ++db->next_tx;
	} while (t->id == 0 || tx_used(db, t->id));
	t->dom = dom;
	t->snap = t->work = db->root;
	db->root->refs += 2;
	t->next = db->tx;
	db->tx = t;
	*id = t->id;
	return 0;
}

/* Unlink transaction id of dom; NULL if there is none. */
static struct tx *tx_take(struct store_db *db, uint16_t dom, uint32_t id)
{
	for (struct tx **pp = &db->tx; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id && (*pp)->dom == dom) {
			struct tx *t = *pp;
			*pp = t->next;
			return t;
		}
	return NULL;
}

int store_db_tx_end(struct store_db *db, uint16_t dom, uint32_t id, bool commit)
{
	struct tx *t = id ? tx_take(db, dom, id) : NULL;

	if (!t)
		return -LAMINA_ENOENT;
	int rc = commit ? tx_commit(db, t) : 0;
	sdb_tx_free(t);
	return rc;
}
