// SPDX-License-Identifier: MIT
// store_db.c: the store's pure logic: a copy-on-write node tree with permissions, watches, transactions and quotas.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "store_db.h"

#define ACC_R 1u
#define ACC_W 2u
#define NDOMS 65536u
#define ABS_MAX LAMINA_STORE_ABS_PATH_MAX
#define REL_MAX LAMINA_STORE_REL_PATH_MAX

struct perm {
	uint16_t dom;
	char how;                   /* LAMINA_STORE_PERM_* */
};

/*
 * One version of a node. Versions are shared between trees (the current
 * tree, transaction snapshots and work trees) and counted in refs: one per
 * parent version or root holder. A change copies each node on its path
 * unless it alone can reach it (refs == 1 all the way down from a root only
 * it holds), and edits only such private copies (mut()).
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

/* Changes of per-domain owned-node counts. */
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
 * struct perm array of len entries (PERMS). */
struct op {
	int type;
	char *path;
	void *data;
	uint32_t len;
};

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

struct watch {
	uint16_t dom;
	bool rel;                   /* registered with a relative path */
	char *path;                 /* as registered */
	char *abs;                  /* absolute, or the special name */
	char *token;
	void *priv;
};

struct store_db {
	struct snode *root;         /* the current tree (one reference) */
	uint64_t gen;               /* last generation handed out */
	uint32_t *owned;            /* [NDOMS] nodes owned in the current tree */
	struct watch *w;            /* in registration order */
	uint32_t nw, cw;
	struct tx *tx;              /* open transactions */
	uint32_t next_tx;
	store_fire_fn *fire;
	void *arg;
};

enum { REC_WRITE, REC_RM };
/* A changed node, for watches: the path a request named. */
struct rec {
	char *path;
	int kind;
	struct snode *old;          /* REC_RM: the removed subtree (one reference) */
};

/* One request's edit of a tree, applied (commit) or dropped as a whole. */
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

/* ---- small helpers ---- */

/* Copy len bytes into a fresh allocation in *dst (NULL for len 0). */
static int mem_set(void *dst, const void *src, size_t len)
{
	void *p = NULL;

	if (len) {
		p = malloc(len);
		if (!p)
			return -LAMINA_EIO;
		memcpy(p, src, len);
	}
	*(void **)dst = p;
	return 0;
}

/* strlen, but at most max (C11 has no strnlen). */
static size_t str_nlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

static char *str_dup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

/* Grow an array of elem-sized items so that it holds need items. */
static int grow(void *arr, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	uint32_t n = *cap ? *cap : 4;
	while (n < need)
		n *= 2;
	void *p = realloc(*(void **)arr, n * elem);
	if (!p)
		return -LAMINA_EIO;
	*(void **)arr = p;
	*cap = n;
	return 0;
}

long long store_parse_uint(const char *s, unsigned long long max)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return i == 0 || v > max ? -1 : (long long)v;
}

int store_home(unsigned dom, char *out, size_t cap)
{
	int n = snprintf(out, cap, "/local/domain/%u", dom);

	return n < 0 || (size_t)n >= cap ? -LAMINA_E2BIG : n;
}

#define ERR_ENTRY(e) { #e, LAMINA_##e },
static const struct { const char *name; int err; } err_tab[] = {
	LAMINA_STORE_ERRORS(ERR_ENTRY)
};

const char *store_err_name(int err)
{
	for (size_t i = 0; i < sizeof(err_tab) / sizeof(err_tab[0]); i++)
		if (err_tab[i].err == err)
			return err_tab[i].name;
	return "EIO";
}

int store_err_number(const char *name)
{
	for (size_t i = 0; i < sizeof(err_tab) / sizeof(err_tab[0]); i++)
		if (!strcmp(err_tab[i].name, name))
			return err_tab[i].err;
	return 0;
}

/* ---- paths ---- */

static bool path_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '/' || ch == '@' || ch == '.';
}

/* s[0..len) is a '/'-separated list of components: valid characters, none
 * empty, "." or "..". */
static int check_comps(const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '/') {
			if (!path_char_ok(s[i]))
				return -LAMINA_EINVAL;
			continue;
		}
		size_t cl = i - start;
		if (cl == 0 || (cl == 1 && s[start] == '.') ||
		    (cl == 2 && s[start] == '.' && s[start + 1] == '.'))
			return -LAMINA_EINVAL;
		start = i + 1;
	}
	return 0;
}

int store_path_resolve(uint16_t dom, const char *path, char *out)
{
	size_t len = str_nlen(path, ABS_MAX + 1);
	bool abs = path[0] == '/';
	int rc;

	if (len == 0)
		return -LAMINA_EINVAL;
	if (len > (abs ? ABS_MAX : REL_MAX))
		return -LAMINA_E2BIG;
	if (abs && len == 1) {
		strcpy(out, "/");
		return 0;
	}
	rc = abs ? check_comps(path + 1, len - 1) : check_comps(path, len);
	if (rc)
		return rc;
	if (abs) {
		memcpy(out, path, len + 1);
		return 0;
	}
	int h = store_home(dom, out, ABS_MAX + 1);
	if (h < 0 || (size_t)h + 1 + len > ABS_MAX)
		return -LAMINA_E2BIG;
	out[h] = '/';
	memcpy(out + h + 1, path, len + 1);
	return 0;
}

/* The next component of path from *pos: *comp, *len; false at the end. */
static bool next_comp(const char *path, size_t *pos, const char **comp, size_t *len)
{
	const char *p = path + *pos;

	if (*p == '/')
		p++;
	if (!*p)
		return false;
	const char *e = strchr(p, '/');
	if (!e)
		e = p + strlen(p);
	*comp = p;
	*len = (size_t)(e - p);
	*pos = (size_t)(e - path);
	return true;
}

/* p is w or lies below it. */
static bool under(const char *p, const char *w)
{
	size_t wl = strlen(w);

	if (wl == 1 && w[0] == '/')
		return p[0] == '/';
	return !strncmp(p, w, wl) && (p[wl] == 0 || p[wl] == '/');
}

/* ---- nodes ---- */

static struct snode *node_new(const char *name, size_t nlen)
{
	struct snode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = str_dup(name, nlen);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->refs = 1;
	return n;
}

static void node_put(struct snode *n)
{
	if (!n || --n->refs)
		return;
	for (uint32_t i = 0; i < n->nkid; i++)
		node_put(n->kid[i]);
	free(n->kid);
	free(n->perm);
	free(n->val);
	free(n->name);
	free(n);
}

/* A private copy of o sharing o's children. */
static struct snode *node_clone(const struct snode *o)
{
	struct snode *n = node_new(o->name, strlen(o->name));

	if (!n)
		return NULL;
	if (mem_set(&n->val, o->val, o->vlen) || mem_set(&n->perm, o->perm, o->nperm * sizeof(*o->perm)) ||
	    mem_set(&n->kid, o->kid, o->nkid * sizeof(*o->kid))) {
		node_put(n);
		return NULL;
	}
	n->gen = o->gen;
	n->cgen = o->cgen;
	n->vlen = o->vlen;
	n->nperm = o->nperm;
	n->nkid = n->kcap = o->nkid;
	for (uint32_t i = 0; i < n->nkid; i++)
		n->kid[i]->refs++;
	return n;
}

/* Index of the child named comp[0..len), or -(insertion point) - 1. */
static long kid_find(const struct snode *n, const char *comp, size_t len)
{
	long lo = 0, hi = (long)n->nkid - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		const char *k = n->kid[mid]->name;
		int c = strncmp(k, comp, len);
		if (!c)
			c = k[len] ? 1 : 0;
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

static int kid_insert(struct snode *p, long at, struct snode *k)
{
	if (grow(&p->kid, &p->kcap, p->nkid + 1, sizeof(*p->kid)))
		return -LAMINA_EIO;
	memmove(&p->kid[at + 1], &p->kid[at], (p->nkid - (uint32_t)at) * sizeof(*p->kid));
	p->kid[at] = k;
	p->nkid++;
	return 0;
}

static struct snode *lookup(struct snode *root, const char *path)
{
	struct snode *n = root;
	size_t pos = 0, l;
	const char *c;

	while (n && next_comp(path, &pos, &c, &l)) {
		long i = kid_find(n, c, l);
		n = i >= 0 ? n->kid[i] : NULL;
	}
	return n;
}

/* Did the access acc ('n' or 'd' + path) see the same in both trees? */
static bool same(struct snode *a, struct snode *b, const char *acc)
{
	a = lookup(a, acc + 1);
	b = lookup(b, acc + 1);
	if (!a || !b)
		return a == b;
	return a->gen == b->gen && (acc[0] != 'd' || a->cgen == b->cgen);
}

static unsigned how_bits(char how)
{
	switch (how) {
	case LAMINA_STORE_PERM_READ:  return ACC_R;
	case LAMINA_STORE_PERM_WRITE: return ACC_W;
	case LAMINA_STORE_PERM_BOTH:  return ACC_R | ACC_W;
	default:                      return 0;
	}
}

/* What dom may do to n: ACC_R and/or ACC_W. */
static unsigned access_of(const struct snode *n, uint16_t dom)
{
	if (dom == 0 || n->perm[0].dom == dom)
		return ACC_R | ACC_W;
	for (uint32_t i = 1; i < n->nperm; i++)
		if (n->perm[i].dom == dom)
			return how_bits(n->perm[i].how);
	return how_bits(n->perm[0].how);
}

/* The error for a missing node below n, the nearest existing one: ENOENT,
 * or EACCES if dom may not read n (so the tree's shape does not leak). */
static int missing(const struct snode *n, uint16_t dom)
{
	return access_of(n, dom) & ACC_R ? -LAMINA_ENOENT : -LAMINA_EACCES;
}

/* Parse a wire permission list into a fresh array. */
static int perms_parse(const void *buf, size_t len, struct perm **out, uint32_t *n)
{
	const char *s = buf;
	uint32_t cnt = 0;

	if (len < 3 || s[len - 1])
		return -LAMINA_EINVAL;
	for (size_t i = 0; i < len; i++)
		cnt += s[i] == 0;
	struct perm *p = calloc(cnt, sizeof(*p));
	if (!p)
		return -LAMINA_EIO;
	for (uint32_t k = 0; k < cnt; k++) {
		/* the letter first: an empty entry has no digits after it */
		bool letter = s[0] && (how_bits(s[0]) || s[0] == LAMINA_STORE_PERM_NONE);
		long long d = letter ? store_parse_uint(s + 1, 65535) : -1;
		if (d < 0) {
			free(p);
			return -LAMINA_EINVAL;
		}
		p[k] = (struct perm){ (uint16_t)d, s[0] };
		s += strlen(s) + 1;
	}
	*out = p;
	*n = cnt;
	return 0;
}

/* ---- owned-node counts ---- */

static int32_t dl_get(const struct dlist *l, uint16_t dom)
{
	for (uint32_t i = 0; l && i < l->n; i++)
		if (l->d[i].dom == dom)
			return l->d[i].n;
	return 0;
}

static int dl_add(struct dlist *l, uint16_t dom, int32_t n)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->d[i].dom == dom) {
			l->d[i].n += n;
			return 0;
		}
	if (grow(&l->d, &l->cap, l->n + 1, sizeof(*l->d)))
		return -LAMINA_EIO;
	l->d[l->n++] = (struct delta){ dom, n };
	return 0;
}

/* -ENOSPC if the caller (not domain 0) may not give k more nodes to owner. */
static int quota_nodes(const struct change *c, uint16_t owner, uint32_t k)
{
	if (c->dom == 0 || owner == 0)
		return 0;
	int64_t now = (int64_t)c->db->owned[owner] + dl_get(c->base, owner) + dl_get(&c->delta, owner);
	return now + k > LAMINA_STORE_QUOTA_NODES ? -LAMINA_ENOSPC : 0;
}

/* Count every node of the subtree n into c's delta with sign. */
static int count_subtree(struct change *c, const struct snode *n, int32_t sign)
{
	int rc = dl_add(&c->delta, n->perm[0].dom, sign);

	for (uint32_t i = 0; !rc && i < n->nkid; i++)
		rc = count_subtree(c, n->kid[i], sign);
	return rc;
}

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
static int tx_access(struct tx *t, const char *path, size_t len, bool kids)
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
	char *s = str_dup(path, len);
	if (!s || grow(&t->acc, &t->cacc, t->nacc + 1, sizeof(*t->acc))) {
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
	return c->tx ? tx_access(c->tx, path, len, false) : 0;
}

/* ---- changes ---- */

static void change_begin(struct change *c, struct store_db *db, uint16_t dom,
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

static void change_drop(struct change *c)
{
	node_put(c->root);
	for (uint32_t i = 0; i < c->nrec; i++) {
		free(c->rec[i].path);
		node_put(c->rec[i].old);
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
			node_put(c->rec[i].old);
			c->rec[i].kind = kind;
			c->rec[i].old = old;
			return 0;
		}
	char *p = str_dup(path, strlen(path));
	if (!p || grow(&c->rec, &c->crec, c->nrec + 1, sizeof(*c->rec))) {
		free(p);
		node_put(old);
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
	struct snode *cp = node_clone(n);
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
	for (unsigned d = 0; d < depth && next_comp(path, &pos, &cp, &l); d++) {
		long i = kid_find(*slot, cp, l);
		if (i < 0)
			return NULL;
		slot = &(*slot)->kid[i];
		if (mut(slot))
			return NULL;
	}
	return *slot;
}

/* How much of path exists in a tree: the deepest existing node, its depth
 * and path length (0 for the root), and how many components are missing. */
struct walk {
	struct snode *node;
	unsigned depth, missing;
	size_t len;
};

static void walk_path(struct snode *root, const char *path, struct walk *w)
{
	size_t pos = 0, l;
	const char *cp;

	*w = (struct walk){ .node = root };
	while (next_comp(path, &pos, &cp, &l)) {
		long i = w->missing ? -1 : kid_find(w->node, cp, l);
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

	if (mem_set(&p, val, len))
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

	while (!rc && next_comp(path, &pos, &cp, &l))
		rc = touch(c, path, pos);
	return rc;
}

/* Create the missing part of path below w->node with value val. */
static int create(struct change *c, const char *path, const struct walk *w,
		  const void *val, uint32_t vlen)
{
	const struct snode *anc = w->node;
	uint16_t owner = c->dom ? c->dom : anc->perm[0].dom;
	int rc = quota_nodes(c, owner, w->missing);
	struct snode *p = rc ? NULL : mut_path(c, path, w->depth);
	size_t pos = w->len, l;
	const char *cp;

	if (rc || !p)
		return rc ? rc : -LAMINA_EIO;
	p->cgen = next_gen(c);
	while (next_comp(path, &pos, &cp, &l)) {
		struct snode *n = node_new(cp, l);
		if (!n || mem_set(&n->perm, p->perm, p->nperm * sizeof(*p->perm)) ||
		    kid_insert(p, -kid_find(p, cp, l) - 1, n)) {
			node_put(n);
			return -LAMINA_EIO;
		}
		n->nperm = p->nperm;
		n->perm[0].dom = owner;
		n->gen = n->cgen = next_gen(c);
		p = n;
	}
	if (set_value(p, val, vlen) || dl_add(&c->delta, owner, (int32_t)w->missing))
		return -LAMINA_EIO;
	return record(c, path, REC_WRITE, NULL);
}

/* WRITE (mk false) or MKDIR (mk true). */
static int op_write(struct change *c, const char *path, const void *val, uint32_t vlen, bool mk)
{
	struct walk w;
	int rc;

	walk_path(c->root, path, &w);
	if ((rc = touch(c, path, w.len)) || (rc = touch_missing(c, path, &w)))
		return rc;
	if (!(access_of(w.node, c->dom) & ACC_W))
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
	walk_path(c->root, path, &w);
	if ((rc = touch(c, path, strlen(path))) || (rc = touch(c, path, (size_t)(slash - path))))
		return rc;
	if (w.missing)
		return missing(w.node, c->dom);
	if (!(access_of(w.node, c->dom) & ACC_W))
		return -LAMINA_EACCES;
	struct snode *p = mut_path(c, path, w.depth - 1);
	if (!p)
		return -LAMINA_EIO;
	long i = kid_find(p, slash + 1, strlen(slash + 1));
	struct snode *old = p->kid[i];
	if (count_subtree(c, old, -1))
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

	walk_path(c->root, path, &w);
	if ((rc = touch(c, path, strlen(path))))
		return rc;
	if (w.missing)
		return missing(w.node, c->dom);
	uint16_t old = w.node->perm[0].dom, owner = pm[0].dom;
	if (c->dom && c->dom != old)
		return -LAMINA_EACCES;
	if (c->dom && owner != old)
		return -LAMINA_EPERM;   /* only domain 0 gives a node away (store.h) */
	if (owner != old && (rc = quota_nodes(c, owner, 1)))
		return rc;
	struct snode *n = mut_path(c, path, w.depth);
	void *p;
	if (!n || mem_set(&p, pm, np * sizeof(*pm)) || dl_add(&c->delta, old, -1) ||
	    dl_add(&c->delta, owner, 1))
		return -LAMINA_EIO;
	free(n->perm);
	n->perm = p;
	n->nperm = np;
	n->gen = next_gen(c);
	return record(c, path, REC_WRITE, NULL);
}

static int op_apply(struct change *c, const struct op *op)
{
	switch (op->type) {
	case OP_WRITE: return op_write(c, op->path, op->data, op->len, false);
	case OP_MKDIR: return op_write(c, op->path, "", 0, true);
	case OP_RM:    return op_rm(c, op->path);
	default:       return op_perms(c, op->path, op->data, op->len);
	}
}

/* ---- watches ---- */

/* The path a watch reports for changed node p. */
static const char *report_path(const struct watch *w, const char *p)
{
	char home[32];
	int hl = store_home(w->dom, home, sizeof(home));

	if (w->rel && hl > 0 && !strncmp(p, home, (size_t)hl) && p[hl] == '/')
		return p + hl + 1;
	return p;
}

static void fire_rec(struct store_db *db, const struct rec *r)
{
	for (uint32_t i = 0; i < db->nw; i++) {
		const struct watch *w = &db->w[i];
		if (w->abs[0] != '/')
			continue;
		if (!under(r->path, w->abs) && !(r->kind == REC_RM && under(w->abs, r->path)))
			continue;
		const struct snode *n = r->kind == REC_RM ? r->old : lookup(db->root, r->path);
		if (!n || (w->dom && !(access_of(n, w->dom) & ACC_R)))
			continue;
		db->fire(db->arg, w->dom, report_path(w, r->path), w->token, w->priv);
	}
}

/* Make c the current tree, count its nodes and fire its watches. */
static void change_commit(struct change *c)
{
	struct store_db *db = c->db;

	for (uint32_t i = 0; i < c->delta.n; i++)
		db->owned[c->delta.d[i].dom] += (uint32_t)c->delta.d[i].n;
	node_put(db->root);
	db->root = c->root;
	c->root = NULL;
	for (uint32_t i = 0; i < c->nrec; i++)
		fire_rec(db, &c->rec[i]);
}

/* ---- transactions ---- */

static struct tx *tx_find(struct store_db *db, uint16_t dom, uint32_t id)
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

static void tx_free(struct tx *t)
{
	node_put(t->snap);
	node_put(t->work);
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
	if (!(cp.path = str_dup(op->path, plen)) || mem_set(&cp.data, op->data, dlen) ||
	    grow(&t->ops, &t->cops, t->nops + 1, sizeof(*t->ops))) {
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

	change_begin(&c, db, t->dom, t->work, &t->delta, t);
	rc = op_apply(&c, op);
	if (!rc && grow(&t->delta.d, &t->delta.cap, t->delta.n + c.delta.n, sizeof(struct delta)))
		rc = -LAMINA_EIO;
	if (!rc)
		rc = tx_log(t, op);
	if (!rc) {
		for (uint32_t i = 0; i < c.delta.n; i++)
			dl_add(&t->delta, c.delta.d[i].dom, c.delta.d[i].n);
		node_put(t->work);
		t->work = c.root;
		c.root = NULL;
	}
	change_drop(&c);
	return rc;
}

/* Apply op (path already absolute) for dom, in transaction txid or not. */
static int mutate(struct store_db *db, uint16_t dom, uint32_t txid, const struct op *op)
{
	struct change c;
	int rc;

	if (txid) {
		struct tx *t = tx_find(db, dom, txid);
		return t ? tx_apply(db, t, op) : -LAMINA_ENOENT;
	}
	change_begin(&c, db, dom, db->root, NULL, NULL);
	rc = op_apply(&c, op);
	if (!rc)
		change_commit(&c);
	change_drop(&c);
	return rc;
}

static int tx_commit(struct store_db *db, struct tx *t)
{
	struct change c;
	int rc = 0;

	for (uint32_t i = 0; i < t->nacc; i++)
		if (!same(t->snap, db->root, t->acc[i]))
			return -LAMINA_EAGAIN;
	change_begin(&c, db, t->dom, db->root, NULL, NULL);
	for (uint32_t i = 0; !rc && i < t->nops; i++)
		rc = op_apply(&c, &t->ops[i]);
	if (!rc)
		change_commit(&c);
	change_drop(&c);
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
	tx_free(t);
	return rc;
}

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
		struct tx *t = tx_find(db, dom, txid);
		if (!t)
			return -LAMINA_ENOENT;
		if ((rc = tx_access(t, abs, strlen(abs), kids)))
			return rc;
		root = t->work;
	}
	struct walk w;
	walk_path(root, abs, &w);
	if (w.missing)
		return missing(w.node, dom);
	if (!(access_of(w.node, dom) & ACC_R))
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

	return rc ? rc : mutate(db, dom, tx, &op);
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

	if (rc || (rc = perms_parse(perms, len, &p, &n)))
		return rc;
	rc = mutate_path(db, dom, tx, OP_PERMS, abs, p, n);
	free(p);
	return rc;
}

/* ---- watches ---- */

static bool special_name(const char *p)
{
	return !strcmp(p, "@introduceDomain") || !strcmp(p, "@releaseDomain");
}

/* The absolute form of a watch path (or the special name itself). */
static int watch_abs(uint16_t dom, const char *path, char *abs)
{
	if (path[0] != '@')
		return store_path_resolve(dom, path, abs);
	if (!special_name(path))
		return -LAMINA_EINVAL;
	strcpy(abs, path);
	return 0;
}

static long watch_find(const struct store_db *db, uint16_t dom, const char *path, const char *token)
{
	for (uint32_t i = 0; i < db->nw; i++)
		if (db->w[i].dom == dom && !strcmp(db->w[i].path, path) && !strcmp(db->w[i].token, token))
			return i;
	return -1;
}

unsigned store_db_nr_watches(const struct store_db *db, uint16_t dom)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < db->nw; i++)
		n += db->w[i].dom == dom;
	return n;
}

static void watch_free(struct watch *w)
{
	free(w->path);
	free(w->abs);
	free(w->token);
}

int store_db_watch(struct store_db *db, uint16_t dom, const char *path, const char *token,
		   void *priv)
{
	char abs[ABS_MAX + 1];
	int rc = watch_abs(dom, path, abs);
	size_t tl = str_nlen(token, LAMINA_STORE_PAYLOAD_MAX + 1);

	if (rc)
		return rc;
	if (tl > LAMINA_STORE_PAYLOAD_MAX)
		return -LAMINA_E2BIG;
	if (watch_find(db, dom, path, token) >= 0)
		return -LAMINA_EEXIST;
	if (dom && store_db_nr_watches(db, dom) >= LAMINA_STORE_QUOTA_WATCHES)
		return -LAMINA_ENOSPC;
	struct watch w = { dom, path[0] != '/' && path[0] != '@', str_dup(path, strlen(path)),
			   str_dup(abs, strlen(abs)), str_dup(token, tl), priv };
	if (!w.path || !w.abs || !w.token || grow(&db->w, &db->cw, db->nw + 1, sizeof(w))) {
		watch_free(&w);
		return -LAMINA_EIO;
	}
	db->w[db->nw++] = w;
	db->fire(db->arg, dom, path, token, priv);
	return 0;
}

static void watch_remove(struct store_db *db, uint32_t i)
{
	watch_free(&db->w[i]);
	memmove(&db->w[i], &db->w[i + 1], (db->nw - i - 1) * sizeof(db->w[0]));
	db->nw--;
}

int store_db_unwatch(struct store_db *db, uint16_t dom, const char *path, const char *token)
{
	char abs[ABS_MAX + 1];
	int rc = watch_abs(dom, path, abs);
	long i = rc ? -1 : watch_find(db, dom, path, token);

	if (rc)
		return rc;
	if (i < 0)
		return -LAMINA_ENOENT;
	watch_remove(db, (uint32_t)i);
	return 0;
}

void store_db_fire_special(struct store_db *db, const char *name)
{
	for (uint32_t i = 0; i < db->nw; i++)
		if (!strcmp(db->w[i].abs, name))
			db->fire(db->arg, db->w[i].dom, name, db->w[i].token, db->w[i].priv);
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
		if (k && !cp && !(cp = node_clone(n))) {
			node_put(k);
			return NULL;
		}
		if (k) {
			node_put(cp->kid[i]);
			cp->kid[i] = k;
		}
	}
	if (!names_dom(n, dom) || (!cp && !(cp = node_clone(n))))
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
			watch_remove(db, i);
	for (struct tx **pp = &db->tx; *pp;) {
		struct tx *t = *pp;
		if (t->dom != dom) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		tx_free(t);
	}
	if (dom == 0)
		return;
	struct snode *r = disown(db, db->root, dom);
	if (r) {
		node_put(db->root);
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
	db->root = node_new("", 0);
	if (!db->owned || !db->root || mem_set(&db->root->perm, &(struct perm){ 0, LAMINA_STORE_PERM_NONE },
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
		tx_free(t);
	}
	for (uint32_t i = 0; i < db->nw; i++)
		watch_free(&db->w[i]);
	free(db->w);
	node_put(db->root);
	free(db->owned);
	free(db);
}
