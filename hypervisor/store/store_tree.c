// SPDX-License-Identifier: MIT
// store_tree.c: the store database's building blocks: small helpers, paths, copy-on-write nodes, permissions, owned-node counts.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "store_db_int.h"

/* ---- small helpers ---- */

/* Copy len bytes into a fresh allocation in *dst (NULL for len 0). */
int sdb_mem_set(void *dst, const void *src, size_t len)
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
size_t sdb_str_nlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

char *sdb_str_dup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

/* Grow an array of elem-sized items so that it holds need items. */
int sdb_grow(void *arr, uint32_t *cap, uint32_t need, size_t elem)
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
	size_t len = sdb_str_nlen(path, ABS_MAX + 1);
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
bool sdb_next_comp(const char *path, size_t *pos, const char **comp, size_t *len)
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
bool sdb_under(const char *p, const char *w)
{
	size_t wl = strlen(w);

	if (wl == 1 && w[0] == '/')
		return p[0] == '/';
	return !strncmp(p, w, wl) && (p[wl] == 0 || p[wl] == '/');
}

/* ---- nodes ---- */

struct snode *sdb_node_new(const char *name, size_t nlen)
{
	struct snode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = sdb_str_dup(name, nlen);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->refs = 1;
	return n;
}

void sdb_node_put(struct snode *n)
{
	if (!n || --n->refs)
		return;
	for (uint32_t i = 0; i < n->nkid; i++)
		sdb_node_put(n->kid[i]);
	free(n->kid);
	free(n->perm);
	free(n->val);
	free(n->name);
	free(n);
}

/* A private copy of o sharing o's children. */
struct snode *sdb_node_clone(const struct snode *o)
{
	struct snode *n = sdb_node_new(o->name, strlen(o->name));

	if (!n)
		return NULL;
	if (sdb_mem_set(&n->val, o->val, o->vlen) || sdb_mem_set(&n->perm, o->perm, o->nperm * sizeof(*o->perm)) ||
	    sdb_mem_set(&n->kid, o->kid, o->nkid * sizeof(*o->kid))) {
		sdb_node_put(n);
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
long sdb_kid_find(const struct snode *n, const char *comp, size_t len)
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

int sdb_kid_insert(struct snode *p, long at, struct snode *k)
{
	if (sdb_grow(&p->kid, &p->kcap, p->nkid + 1, sizeof(*p->kid)))
		return -LAMINA_EIO;
	memmove(&p->kid[at + 1], &p->kid[at], (p->nkid - (uint32_t)at) * sizeof(*p->kid));
	p->kid[at] = k;
	p->nkid++;
	return 0;
}

struct snode *sdb_lookup(struct snode *root, const char *path)
{
	struct snode *n = root;
	size_t pos = 0, l;
	const char *c;

	while (n && sdb_next_comp(path, &pos, &c, &l)) {
		long i = sdb_kid_find(n, c, l);
		n = i >= 0 ? n->kid[i] : NULL;
	}
	return n;
}

/* Did the access acc ('n' or 'd' + path) see the same in both trees? */
bool sdb_same(struct snode *a, struct snode *b, const char *acc)
{
	a = sdb_lookup(a, acc + 1);
	b = sdb_lookup(b, acc + 1);
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
unsigned sdb_access_of(const struct snode *n, uint16_t dom)
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
int sdb_missing(const struct snode *n, uint16_t dom)
{
	return sdb_access_of(n, dom) & ACC_R ? -LAMINA_ENOENT : -LAMINA_EACCES;
}

/* Parse a wire permission list into a fresh array. */
int sdb_perms_parse(const void *buf, size_t len, struct perm **out, uint32_t *n)
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

int sdb_dl_add(struct dlist *l, uint16_t dom, int32_t n)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->d[i].dom == dom) {
			l->d[i].n += n;
			return 0;
		}
	if (sdb_grow(&l->d, &l->cap, l->n + 1, sizeof(*l->d)))
		return -LAMINA_EIO;
	l->d[l->n++] = (struct delta){ dom, n };
	return 0;
}

/* -ENOSPC if the caller (not domain 0) may not give k more nodes to owner. */
int sdb_quota_nodes(const struct change *c, uint16_t owner, uint32_t k)
{
	if (c->dom == 0 || owner == 0)
		return 0;
	int64_t now = (int64_t)c->db->owned[owner] + dl_get(c->base, owner) + dl_get(&c->delta, owner);
	return now + k > LAMINA_STORE_QUOTA_NODES ? -LAMINA_ENOSPC : 0;
}

/* Count every node of the subtree n into c's delta with sign. */
int sdb_count_subtree(struct change *c, const struct snode *n, int32_t sign)
{
	int rc = sdb_dl_add(&c->delta, n->perm[0].dom, sign);

	for (uint32_t i = 0; !rc && i < n->nkid; i++)
		rc = sdb_count_subtree(c, n->kid[i], sign);
	return rc;
}
