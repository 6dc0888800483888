// SPDX-License-Identifier: MIT
// store_change.c: one request's edit of a store tree: transactions' access sets, the node operations on a private copy, commit.
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "store_db_int.h"

/* ---- transactions' access sets ---- */

static uint32_t hash_str(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Slot of path in t's hash, or of the free slot where it belongs. */
static uint32_t acc_slot(const struct tx *t, const char *s, size_t len)
{
	uint32_t i = hash_str(s, len) & (t->hcap - 1);

	while (t->hash[i]) {
		const char *a = t->acc[t->hash[i] - 1];
		if (!strncmp(a, s, len) && !a[len])
			break;
		i = (i + 1) & (t->hcap - 1);
	}
	return i;
}

static int acc_rehash(struct tx *t)
{
	uint32_t cap = t->hcap ? t->hcap * 2 : 64;
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return -LAMINA_EIO;
	free(t->hash);
	t->hash = h;
	t->hcap = cap;
	for (uint32_t k = 0; k < t->nacc; k++)
		h[acc_slot(t, t->acc[k], strlen(t->acc[k]))] = k + 1;
	return 0;
}

/* Remember that t looked at the node path[0..len) ("/" if len is 0), and
 * at its children too if kids. */
int sdb_tx_access(struct tx *t, const char *path, size_t len, bool kids)
{
	char key[ABS_MAX + 2];

	if (len == 0) {
		path = "/";
		len = 1;
	}
	key[0] = kids ? 'd' : 'n';
	memcpy(key + 1, path, len);
	path = key;
	len++;
	if (2 * (t->nacc + 1) >= t->hcap && acc_rehash(t))
		return -LAMINA_EIO;
	uint32_t i = acc_slot(t, path, len);
	if (t->hash[i])
		return 0;
	if (t->bytes + len + 1 + sizeof(char *) > STORE_TX_BYTES)
		return -LAMINA_ENOSPC;
	char *s = sdb_str_dup(path, len);
	if (!s || sdb_grow(&t->acc, &t->cacc, t->nacc + 1, sizeof(*t->acc))) {
		free(s);
		return -LAMINA_EIO;
	}
	t->acc[t->nacc++] = s;
	t->hash[i] = t->nacc;
	t->bytes += len + 1 + sizeof(char *);
	return 0;
}

static int touch(struct change *c, const char *path, size_t len)
{
	return c->tx ? sdb_tx_access(c->tx, path, len, false) : 0;
}

/* ---- changes ---- */

void sdb_change_begin(struct change *c, struct store_db *db, uint16_t dom,
			 struct snode *root, const struct dlist *base, struct tx *tx)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->dom = dom;
	c->root = root;
	root->refs++;
	c->base = base;
	c->tx = tx;
}

void sdb_change_drop(struct change *c)
{
	sdb_node_put(c->root);
	for (uint32_t i = 0; i < c->nrec; i++) {
		free(c->rec[i].path);
		sdb_node_put(c->rec[i].old);
	}
	free(c->rec);
	free(c->delta.d);
}

/* Note a changed node for watches; a later change of the same path replaces
 * an earlier one. Takes over the reference old. */
static int record(struct change *c, const char *path, int kind, struct snode *old)
{
	for (uint32_t i = 0; i < c->nrec; i++)
		if (!strcmp(c->rec[i].path, path)) {
			sdb_node_put(c->rec[i].old);
			c->rec[i].kind = kind;
			c->rec[i].old = old;
			return 0;
		}
	char *p = sdb_str_dup(path, strlen(path));
	if (!p || sdb_grow(&c->rec, &c->crec, c->nrec + 1, sizeof(*c->rec))) {
		free(p);
		sdb_node_put(old);
		return -LAMINA_EIO;
	}
	c->rec[c->nrec++] = (struct rec){ p, kind, old };
	return 0;
}

/* Make *slot private to the change, copying it if it is shared. */
static int mut(struct snode **slot)
{
	struct snode *n = *slot;

	if (n->refs == 1)
		return 0;
	struct snode *cp = sdb_node_clone(n);
	if (!cp)
		return -LAMINA_EIO;
	n->refs--;
	*slot = cp;
	return 0;
}

/* A private version of the node depth components down path (which exist),
 * with every node above it private too. NULL if out of memory. */
static struct snode *mut_path(struct change *c, const char *path, unsigned depth)
{
	struct snode **slot = &c->root;
	size_t pos = 0, l;
	const char *cp;

	if (mut(slot))
		return NULL;
	for (unsigned d = 0; d < depth && sdb_next_comp(path, &pos, &cp, &l); d++) {
		long i = sdb_kid_find(*slot, cp, l);
		if (i < 0)
			return NULL;
		slot = &(*slot)->kid[i];
		if (mut(slot))
			return NULL;
	}
	return *slot;
}

void sdb_walk_path(struct snode *root, const char *path, struct walk *w)
{
	size_t pos = 0, l;
	const char *cp;

	*w = (struct walk){ .node = root };
	while (sdb_next_comp(path, &pos, &cp, &l)) {
		long i = w->missing ? -1 : sdb_kid_find(w->node, cp, l);
		if (i < 0) {
			w->missing++;
			continue;
		}
		w->node = w->node->kid[i];
		w->depth++;
		w->len = pos;
	}
}

static uint64_t next_gen(struct change *c) { return ++c->db->gen; }

static int set_value(struct snode *n, const void *val, uint32_t len)
{
	void *p;

	if (sdb_mem_set(&p, val, len))
		return -LAMINA_EIO;
	free(n->val);
	n->val = p;
	n->vlen = len;
	return 0;
}

/* Touch every missing prefix of path after the existing part w. */
static int touch_missing(struct change *c, const char *path, const struct walk *w)
{
	size_t pos = w->len, l;
	const char *cp;
	int rc = 0;

	while (!rc && sdb_next_comp(path, &pos, &cp, &l))
		rc = touch(c, path, pos);
	return rc;
}

/* Create the missing part of path below w->node with value val. */
static int create(struct change *c, const char *path, const struct walk *w,
		  const void *val, uint32_t vlen)
{
	const struct snode *anc = w->node;
	uint16_t owner = c->dom ? c->dom : anc->perm[0].dom;
	int rc = sdb_quota_nodes(c, owner, w->missing);
	struct snode *p = rc ? NULL : mut_path(c, path, w->depth);
	size_t pos = w->len, l;
	const char *cp;

	if (rc || !p)
		return rc ? rc : -LAMINA_EIO;
	p->cgen = next_gen(c);
	while (sdb_next_comp(path, &pos, &cp, &l)) {
		struct snode *n = sdb_node_new(cp, l);
		if (!n || sdb_mem_set(&n->perm, p->perm, p->nperm * sizeof(*p->perm)) ||
		    sdb_kid_insert(p, -sdb_kid_find(p, cp, l) - 1, n)) {
			sdb_node_put(n);
			return -LAMINA_EIO;
		}
		n->nperm = p->nperm;
		n->perm[0].dom = owner;
		n->gen = n->cgen = next_gen(c);
		p = n;
	}
	if (set_value(p, val, vlen) || sdb_dl_add(&c->delta, owner, (int32_t)w->missing))
		return -LAMINA_EIO;
	return record(c, path, REC_WRITE, NULL);
}

/* WRITE (mk false) or MKDIR (mk true). */
static int op_write(struct change *c, const char *path, const void *val, uint32_t vlen, bool mk)
{
	struct walk w;
	int rc;

	sdb_walk_path(c->root, path, &w);
	if ((rc = touch(c, path, w.len)) || (rc = touch_missing(c, path, &w)))
		return rc;
	if (!(sdb_access_of(w.node, c->dom) & ACC_W))
		return -LAMINA_EACCES;
	if (w.missing)
		return create(c, path, &w, val, vlen);
	if (mk)
		return 0;
	struct snode *n = mut_path(c, path, w.depth);
	if (!n || set_value(n, val, vlen))
		return -LAMINA_EIO;
	n->gen = next_gen(c);
	return record(c, path, REC_WRITE, NULL);
}

static int op_rm(struct change *c, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct walk w;
	int rc;

	if (!strcmp(path, "/"))
		return -LAMINA_EINVAL;
	sdb_walk_path(c->root, path, &w);
	if ((rc = touch(c, path, strlen(path))) || (rc = touch(c, path, (size_t)(slash - path))))
		return rc;
	if (w.missing)
		return sdb_missing(w.node, c->dom);
	if (!(sdb_access_of(w.node, c->dom) & ACC_W))
		return -LAMINA_EACCES;
	struct snode *p = mut_path(c, path, w.depth - 1);
	if (!p)
		return -LAMINA_EIO;
	long i = sdb_kid_find(p, slash + 1, strlen(slash + 1));
	struct snode *old = p->kid[i];
	if (sdb_count_subtree(c, old, -1))
		return -LAMINA_EIO;
	memmove(&p->kid[i], &p->kid[i + 1], (p->nkid - (uint32_t)i - 1) * sizeof(*p->kid));
	p->nkid--;
	p->cgen = next_gen(c);
	return record(c, path, REC_RM, old);
}

static int op_perms(struct change *c, const char *path, const struct perm *pm, uint32_t np)
{
	struct walk w;
	int rc;

	sdb_walk_path(c->root, path, &w);
	if ((rc = touch(c, path, strlen(path))))
		return rc;
	if (w.missing)
		return sdb_missing(w.node, c->dom);
	uint16_t old = w.node->perm[0].dom, owner = pm[0].dom;
	if (c->dom && c->dom != old)
		return -LAMINA_EACCES;
	if (c->dom && owner != old)
		return -LAMINA_EPERM;   /* only domain 0 gives a node away (store.h) */
	if (owner != old && (rc = sdb_quota_nodes(c, owner, 1)))
		return rc;
	struct snode *n = mut_path(c, path, w.depth);
	void *p;
	if (!n || sdb_mem_set(&p, pm, np * sizeof(*pm)) || sdb_dl_add(&c->delta, old, -1) ||
	    sdb_dl_add(&c->delta, owner, 1))
		return -LAMINA_EIO;
	free(n->perm);
	n->perm = p;
	n->nperm = np;
	n->gen = next_gen(c);
	return record(c, path, REC_WRITE, NULL);
}

int sdb_op_apply(struct change *c, const struct op *op)
{
	switch (op->type) {
	case OP_WRITE: return op_write(c, op->path, op->data, op->len, false);
	case OP_MKDIR: return op_write(c, op->path, "", 0, true);
	case OP_RM:    return op_rm(c, op->path);
	default:       return op_perms(c, op->path, op->data, op->len);
	}
}
/* Make c the current tree, count its nodes and fire its watches. */
void sdb_change_commit(struct change *c)
{
	struct store_db *db = c->db;

	for (uint32_t i = 0; i < c->delta.n; i++)
		db->owned[c->delta.d[i].dom] += (uint32_t)c->delta.d[i].n;
	sdb_node_put(db->root);
	db->root = c->root;
	c->root = NULL;
	for (uint32_t i = 0; i < c->nrec; i++)
		sdb_fire_rec(db, &c->rec[i]);
}
