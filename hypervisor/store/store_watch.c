// SPDX-License-Identifier: MIT
// store_watch.c: store watches: registration, removal and firing for changed nodes and special names.
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "store_db_int.h"

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

void sdb_fire_rec(struct store_db *db, const struct rec *r)
{
	for (uint32_t i = 0; i < db->nw; i++) {
		const struct watch *w = &db->w[i];
		if (w->abs[0] != '/')
			continue;
		if (!sdb_under(r->path, w->abs) && !(r->kind == REC_RM && sdb_under(w->abs, r->path)))
			continue;
		const struct snode *n = r->kind == REC_RM ? r->old : sdb_lookup(db->root, r->path);
		if (!n || (w->dom && !(sdb_access_of(n, w->dom) & ACC_R)))
			continue;
		db->fire(db->arg, w->dom, report_path(w, r->path), w->token, w->priv);
	}
}
/* ---- registration ---- */

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

void sdb_watch_free(struct watch *w)
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
	size_t tl = sdb_str_nlen(token, LAMINA_STORE_PAYLOAD_MAX + 1);

	if (rc)
		return rc;
	if (tl > LAMINA_STORE_PAYLOAD_MAX)
		return -LAMINA_E2BIG;
	if (watch_find(db, dom, path, token) >= 0)
		return -LAMINA_EEXIST;
	if (dom && store_db_nr_watches(db, dom) >= LAMINA_STORE_QUOTA_WATCHES)
		return -LAMINA_ENOSPC;
	struct watch w = { dom, path[0] != '/' && path[0] != '@', sdb_str_dup(path, strlen(path)),
			   sdb_str_dup(abs, strlen(abs)), sdb_str_dup(token, tl), priv };
	if (!w.path || !w.abs || !w.token || sdb_grow(&db->w, &db->cw, db->nw + 1, sizeof(w))) {
		sdb_watch_free(&w);
		return -LAMINA_EIO;
	}
	db->w[db->nw++] = w;
	db->fire(db->arg, dom, path, token, priv);
	return 0;
}

void sdb_watch_remove(struct store_db *db, uint32_t i)
{
	sdb_watch_free(&db->w[i]);
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
	sdb_watch_remove(db, (uint32_t)i);
	return 0;
}

void store_db_fire_special(struct store_db *db, const char *name)
{
	for (uint32_t i = 0; i < db->nw; i++)
		if (!strcmp(db->w[i].abs, name))
			db->fire(db->arg, db->w[i].dom, name, db->w[i].token, db->w[i].priv);
}
