// SPDX-License-Identifier: MIT
// test_db.c: unit tests of store_db: paths, permissions, watches, transactions, quotas, release.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "test.h"

#ifndef SUFFIX
#define SUFFIX ""
#endif

static struct store_db *db;
static char buf[LAMINA_STORE_PAYLOAD_MAX];

/* A database with guests 5 and 6 set up as the store does at creation. */
static void setup(void)
{
	rec_reset();
	db = store_db_new(rec_fire, NULL);
	ck_assert_ptr_nonnull(db);
	for (unsigned d = 5; d <= 6; d++) {
		char home[32], perm[8];
		snprintf(home, sizeof(home), "/local/domain/%u", d);
		int n = snprintf(perm, sizeof(perm), "n%u", d) + 1;
		ck_assert_int_eq(store_db_mkdir(db, 0, 0, home), 0);
		ck_assert_int_eq(store_db_set_perms(db, 0, 0, home, perm, (size_t)n), 0);
	}
}

static void teardown(void) { store_db_free(db); }

static int wr(uint16_t dom, const char *path, const char *val)
{
	return store_db_write(db, dom, 0, path, val, strlen(val));
}

/* Read path as dom into buf as a string; the store's result. */
static int rd(uint16_t dom, uint32_t tx, const char *path)
{
	int n = store_db_read(db, dom, tx, path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* ---- paths ---- */

START_TEST(path_resolve)
{
	char out[LAMINA_STORE_ABS_PATH_MAX + 1];

	ck_assert_int_eq(store_path_resolve(5, "foo/bar", out), 0);
	ck_assert_str_eq(out, "/local/domain/5/foo/bar");
	ck_assert_int_eq(store_path_resolve(5, "/", out), 0);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(store_path_resolve(0, "/a-b_c@d.e/F9", out), 0);
	ck_assert_str_eq(out, "/a-b_c@d.e/F9");
}
END_TEST

START_TEST(path_invalid)
{
	static const char *bad[] = { "", "//", "/a//b", "/a/", "a/", "a//b", "/a b", "/a/./b",
				     "/a/..", "..", "./x", "/a$", "x\ty", "/\xc3\xa9" };
	char out[LAMINA_STORE_ABS_PATH_MAX + 1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(store_path_resolve(5, bad[i], out) == -LAMINA_EINVAL, "path '%s'", bad[i]);
		ck_assert_int_eq(wr(0, bad[i], "v"), -LAMINA_EINVAL);
	}
}
END_TEST

/* A valid path of exactly len characters, absolute or relative. */
static void long_path(char *p, size_t len, int abs)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (i % 8 == 0) ? '/' : 'a';
	if (!abs)
		p[0] = 'a';
	if (p[len - 1] == '/')
		p[len - 1] = 'b';
	p[len] = 0;
}

START_TEST(path_lengths)
{
	static char p[LAMINA_STORE_ABS_PATH_MAX + 10], out[LAMINA_STORE_ABS_PATH_MAX + 1];

	long_path(p, LAMINA_STORE_ABS_PATH_MAX, 1);
	ck_assert_int_eq(store_path_resolve(5, p, out), 0);
	long_path(p, LAMINA_STORE_ABS_PATH_MAX + 1, 1);
	ck_assert_int_eq(store_path_resolve(5, p, out), -LAMINA_E2BIG);
	long_path(p, LAMINA_STORE_REL_PATH_MAX, 0);
	ck_assert_int_eq(store_path_resolve(5, p, out), 0);
	ck_assert_int_eq(wr(5, p, "deep"), 0);
	ck_assert_int_eq(rd(5, 0, p), 4);
	long_path(p, LAMINA_STORE_REL_PATH_MAX + 1, 0);
	ck_assert_int_eq(store_path_resolve(5, p, out), -LAMINA_E2BIG);
	ck_assert_int_eq(wr(5, p, "v"), -LAMINA_E2BIG);
}
END_TEST

START_TEST(value_limit)
{
	static char v[LAMINA_STORE_PAYLOAD_MAX + 1];

	memset(v, 'x', sizeof(v));
	ck_assert_int_eq(store_db_write(db, 5, 0, "big", v, LAMINA_STORE_PAYLOAD_MAX), 0);
	ck_assert_int_eq(store_db_read(db, 5, 0, "big", buf, sizeof(buf)), LAMINA_STORE_PAYLOAD_MAX);
	ck_assert_int_eq(store_db_write(db, 5, 0, "big", v, sizeof(v)), -LAMINA_E2BIG);
	ck_assert_int_eq(store_db_read(db, 5, 0, "big", buf, 10), -LAMINA_E2BIG);
}
END_TEST

/* ---- nodes and permissions ---- */

START_TEST(read_write)
{
	ck_assert_int_eq(wr(5, "a/b/c", "hello"), 0);
	ck_assert_int_eq(rd(5, 0, "a/b/c"), 5);
	ck_assert_str_eq(buf, "hello");
	ck_assert_int_eq(rd(5, 0, "/local/domain/5/a/b/c"), 5);
	ck_assert_int_eq(rd(5, 0, "a/b"), 0);          /* parents created empty */
	ck_assert_int_eq(rd(5, 0, "a/x"), -LAMINA_ENOENT);
	ck_assert_int_eq(wr(5, "a/b/c", ""), 0);
	ck_assert_int_eq(rd(5, 0, "a/b/c"), 0);
	ck_assert_int_eq(store_db_write(db, 5, 0, "bin", "a\0b", 3), 0);
	ck_assert_int_eq(store_db_read(db, 5, 0, "bin", buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "a\0b", 3), 0);
}
END_TEST

START_TEST(mkdir_rm_directory)
{
	ck_assert_int_eq(store_db_mkdir(db, 5, 0, "d"), 0);
	ck_assert_int_eq(store_db_mkdir(db, 5, 0, "d"), 0);    /* exists: no change */
	ck_assert_int_eq(wr(5, "d/zeta", "1"), 0);
	ck_assert_int_eq(wr(5, "d/alpha", "2"), 0);
	ck_assert_int_eq(wr(5, "d/mid/x", "3"), 0);
	ck_assert_int_eq(store_db_directory(db, 5, 0, "d", buf, sizeof(buf)), 15);
	ck_assert_int_eq(memcmp(buf, "alpha\0mid\0zeta\0", 15), 0);
	ck_assert_int_eq(store_db_directory(db, 5, 0, "d", buf, 10), -LAMINA_E2BIG);
	ck_assert_int_eq(store_db_directory(db, 5, 0, "d/zeta", buf, sizeof(buf)), 0);
	ck_assert_int_eq(store_db_directory(db, 5, 0, "nope", buf, sizeof(buf)), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_rm(db, 5, 0, "d/mid"), 0);
	ck_assert_int_eq(rd(5, 0, "d/mid/x"), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_rm(db, 5, 0, "d/mid"), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_rm(db, 5, 0, "d/a/b"), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_rm(db, 0, 0, "/"), -LAMINA_EINVAL);
	ck_assert_int_eq(store_db_directory(db, 0, 0, "/", buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "local");
}
END_TEST

START_TEST(perms_basic)
{
	ck_assert_int_eq(rd(5, 0, "/local/domain/0"), -LAMINA_EACCES);
	ck_assert_int_eq(rd(5, 0, "/local/domain/6"), -LAMINA_EACCES);
	/* below a node it may not read, a missing node is EACCES, not ENOENT */
	ck_assert_int_eq(rd(5, 0, "/local/domain/6/nope/deeper"), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_rm(db, 5, 0, "/local/domain/6/nope"), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "/local/domain/6/nope", "n5", 3), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_directory(db, 5, 0, "/nope", buf, sizeof(buf)), -LAMINA_EACCES);
	ck_assert_int_eq(rd(5, 0, "nope/deeper"), -LAMINA_ENOENT);
	ck_assert_int_eq(rd(0, 0, "/local/domain/6/nope"), -LAMINA_ENOENT);
	ck_assert_int_eq(wr(5, "/foo", "x"), -LAMINA_EACCES);       /* root is n0 */
	ck_assert_int_eq(wr(5, "/local/domain/6/x", "v"), -LAMINA_EACCES);
	ck_assert_int_eq(wr(5, "x", "v"), 0);
	ck_assert_int_eq(rd(6, 0, "/local/domain/5/x"), -LAMINA_EACCES);
	ck_assert_int_eq(rd(0, 0, "/local/domain/5/x"), 1);         /* domain 0 reads all */
	ck_assert_int_eq(store_db_get_perms(db, 5, 0, "x", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "n5");
	/* grant 6 read: it reads but cannot write, remove or change perms */
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "x", "n5\0r6", 6), 0);
	ck_assert_int_eq(rd(6, 0, "/local/domain/5/x"), 1);
	ck_assert_int_eq(wr(6, "/local/domain/5/x", "w"), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_rm(db, 6, 0, "/local/domain/5/x"), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_set_perms(db, 6, 0, "/local/domain/5/x", "b6", 3), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_mkdir(db, 6, 0, "/local/domain/5/x"), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_get_perms(db, 6, 0, "/local/domain/5/x", buf, sizeof(buf)), 6);
	ck_assert_int_eq(memcmp(buf, "n5\0r6\0", 6), 0);
	/* default access 'w' for everyone else: 7 writes but cannot read */
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "x", "w5\0r6", 6), 0);
	ck_assert_int_eq(wr(7, "/local/domain/5/x", "7"), 0);
	ck_assert_int_eq(rd(7, 0, "/local/domain/5/x"), -LAMINA_EACCES);
	ck_assert_int_eq(wr(6, "/local/domain/5/x", "6"), -LAMINA_EACCES);
}
END_TEST

START_TEST(perms_inherit)
{
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "/local/domain/5", "n5\0b6", 6), 0);
	/* 6 creates below 5's home: it owns the new nodes, 5 keeps nothing */
	ck_assert_int_eq(wr(6, "/local/domain/5/from6/k", "v"), 0);
	ck_assert_int_eq(store_db_get_perms(db, 0, 0, "/local/domain/5/from6/k", buf, sizeof(buf)), 6);
	ck_assert_int_eq(memcmp(buf, "n6\0b6\0", 6), 0);
	ck_assert_int_eq(store_db_owned(db, 6), 3);   /* home + from6 + k */
	/* domain 0 creates below 5's home: the nodes stay 5's */
	ck_assert_int_eq(wr(0, "/local/domain/5/by0", "v"), 0);
	ck_assert_int_eq(store_db_get_perms(db, 5, 0, "by0", buf, sizeof(buf)), 6);
	ck_assert_int_eq(memcmp(buf, "n5\0b6\0", 6), 0);
	/* the owner may not give a node away; domain 0 may */
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "by0", "r6", 3), -LAMINA_EPERM);
	ck_assert_int_eq(store_db_set_perms(db, 0, 0, "/local/domain/5/by0", "r6", 3), 0);
	ck_assert_int_eq(wr(5, "by0", "x"), -LAMINA_EACCES);
	ck_assert_int_eq(rd(5, 0, "by0"), 1);
}
END_TEST

START_TEST(perms_invalid)
{
	static const struct { const char *p; size_t n; } bad[] = {
		{ "", 0 }, { "n5", 2 }, { "x5", 3 }, { "r", 2 }, { "r65536", 7 }, { "r-1", 4 },
		{ "r5\0\0", 4 }, { "r 5", 4 }, { "r12345678901", 13 }, { "b5\0rr", 6 } };

	ck_assert_int_eq(wr(5, "x", "v"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* exactly n bytes, so that ASan sees any read past the payload */
		char *b = malloc(bad[i].n ? bad[i].n : 1);
		memcpy(b, bad[i].p, bad[i].n);
		ck_assert_msg(store_db_set_perms(db, 5, 0, "x", b, bad[i].n) == -LAMINA_EINVAL,
			      "perms %zu", i);
		free(b);
	}
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "nope", "n5", 3), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "x", "r5\0r65535", 10), 0);
	ck_assert_int_eq(store_db_set_perms(db, 0, 0, "/local/domain/5/x", "r65535", 7), 0);
}
END_TEST

/* ---- watches ---- */

START_TEST(watch_fire)
{
	ck_assert_int_eq(store_db_watch(db, 5, "/local/domain/5/w", "t1", NULL), 0);
	ck_assert_int_eq(nevs, 1);                      /* the initial event */
	ck_assert_str_eq(evs[0].path, "/local/domain/5/w");
	rec_reset();
	ck_assert_int_eq(wr(5, "w/a/b", "1"), 0);       /* below: fires with the node */
	ck_assert_int_eq(nevs, 1);
	ck_assert_str_eq(evs[0].path, "/local/domain/5/w/a/b");
	ck_assert_str_eq(evs[0].token, "t1");
	rec_reset();
	ck_assert_int_eq(wr(5, "wx", "1"), 0);          /* a sibling with the same prefix */
	ck_assert_int_eq(wr(5, "other", "1"), 0);
	ck_assert_int_eq(nevs, 0);
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "w/a", "n5\0r6", 6), 0);
	ck_assert_int_eq(rec_find(5, "/local/domain/5/w/a", "t1"), 0);
	rec_reset();
	ck_assert_int_eq(store_db_mkdir(db, 5, 0, "w/a"), 0);   /* no change, no event */
	ck_assert_int_eq(nevs, 0);
	ck_assert_int_eq(store_db_rm(db, 5, 0, "w/a"), 0);
	ck_assert_int_eq(rec_find(5, "/local/domain/5/w/a", "t1"), 0);
	ck_assert_int_eq(nevs, 1);
}
END_TEST

START_TEST(watch_rm_above_and_relative)
{
	ck_assert_int_eq(wr(5, "dev/vbd/0/state", "1"), 0);
	ck_assert_int_eq(store_db_watch(db, 5, "dev/vbd/0/state", "rel", NULL), 0);
	ck_assert_str_eq(evs[0].path, "dev/vbd/0/state");
	rec_reset();
	ck_assert_int_eq(wr(5, "dev/vbd/0/state", "2"), 0);
	ck_assert_int_eq(rec_find(5, "dev/vbd/0/state", "rel"), 0);
	rec_reset();
	ck_assert_int_eq(store_db_rm(db, 5, 0, "dev"), 0);  /* removing an ancestor fires */
	ck_assert_int_eq(rec_find(5, "dev", "rel"), 0);
	rec_reset();
	ck_assert_int_eq(store_db_rm(db, 0, 0, "/local/domain/5"), 0);  /* outside home: absolute */
	ck_assert_int_eq(rec_find(5, "/local/domain/5", "rel"), 0);
}
END_TEST

START_TEST(watch_perm_filter)
{
	ck_assert_int_eq(store_db_watch(db, 6, "/local/domain/5", "spy", NULL), 0);
	rec_reset();
	ck_assert_int_eq(wr(5, "secret", "1"), 0);
	ck_assert_int_eq(nevs, 0);
	ck_assert_int_eq(wr(5, "public", "1"), 0);
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "public", "n5\0r6", 6), 0);
	ck_assert_int_eq(rec_find(6, "/local/domain/5/public", "spy"), 0);
	rec_reset();
	ck_assert_int_eq(store_db_watch(db, 0, "/", "all", NULL), 0);
	rec_reset();
	ck_assert_int_eq(wr(5, "secret", "2"), 0);
	ck_assert_int_eq(nevs, 1);                      /* domain 0 sees everything */
	ck_assert_int_eq(rec_find(0, "/local/domain/5/secret", "all"), 0);
}
END_TEST

START_TEST(watch_errors_and_special)
{
	ck_assert_int_eq(store_db_watch(db, 5, "w", "t", NULL), 0);
	ck_assert_int_eq(store_db_watch(db, 5, "w", "t", NULL), -LAMINA_EEXIST);
	ck_assert_int_eq(store_db_watch(db, 5, "w", "t2", NULL), 0);
	ck_assert_int_eq(store_db_watch(db, 6, "/local/domain/5/w", "t", NULL), 0);
	ck_assert_int_eq(store_db_watch(db, 5, "@foo", "t", NULL), -LAMINA_EINVAL);
	ck_assert_int_eq(store_db_watch(db, 5, "bad//path", "t", NULL), -LAMINA_EINVAL);
	ck_assert_int_eq(store_db_unwatch(db, 5, "w", "nope"), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_unwatch(db, 5, "/local/domain/5/w", "t"), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_unwatch(db, 5, "w", "t"), 0);
	ck_assert_int_eq(store_db_unwatch(db, 5, "w", "t"), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_watch(db, 5, "@introduceDomain", "i", NULL), 0);
	ck_assert_int_eq(store_db_watch(db, 6, "@releaseDomain", "r", NULL), 0);
	rec_reset();
	store_db_fire_special(db, "@introduceDomain");
	ck_assert_int_eq(nevs, 1);
	ck_assert_int_eq(rec_find(5, "@introduceDomain", "i"), 0);
	rec_reset();
	ck_assert_int_eq(wr(5, "w", "1"), 0);   /* t2 (relative) fires; 6 may not read w */
	ck_assert_int_eq(nevs, 1);
	ck_assert_int_eq(rec_find(5, "w", "t2"), 0);
}
END_TEST

/* ---- transactions ---- */

START_TEST(tx_snapshot_and_conflict)
{
	uint32_t t;

	ck_assert_int_eq(wr(5, "k", "old"), 0);
	ck_assert_int_eq(store_db_tx_start(db, 5, &t), 0);
	ck_assert_uint_ne(t, 0);
	ck_assert_int_eq(wr(5, "k", "new"), 0);         /* outside the transaction */
	ck_assert_int_eq(rd(5, t, "k"), 3);
	ck_assert_str_eq(buf, "old");                   /* the snapshot */
	ck_assert_int_eq(store_db_tx_end(db, 5, t, true), -LAMINA_EAGAIN);
	ck_assert_int_eq(store_db_tx_end(db, 5, t, true), -LAMINA_ENOENT);  /* it ended */
	ck_assert_uint_eq(store_db_nr_tx(db, 5), 0);
}
END_TEST

START_TEST(tx_commit_atomic)
{
	uint32_t t;

	ck_assert_int_eq(store_db_watch(db, 6, "/local/domain/5", "w6", NULL), 0);
	ck_assert_int_eq(store_db_set_perms(db, 5, 0, "/local/domain/5", "r5", 3), 0);
	ck_assert_int_eq(store_db_tx_start(db, 5, &t), 0);
	rec_reset();
	ck_assert_int_eq(store_db_write(db, 5, t, "dev/a", "1", 1), 0);
	ck_assert_int_eq(store_db_write(db, 5, t, "dev/state", "3", 1), 0);
	ck_assert_int_eq(rd(5, t, "dev/a"), 1);         /* own writes visible inside */
	ck_assert_int_eq(rd(5, 0, "dev/a"), -LAMINA_ENOENT);  /* not outside */
	ck_assert_int_eq(nevs, 0);                      /* events wait for the commit */
	ck_assert_int_eq(wr(5, "unrelated", "x"), 0);   /* untouched by the transaction */
	rec_reset();
	ck_assert_int_eq(store_db_tx_end(db, 5, t, true), 0);
	ck_assert_int_eq(rd(5, 0, "dev/state"), 1);
	ck_assert_int_eq(rec_find(6, "/local/domain/5/dev/a", "w6"), 0);
	ck_assert_int_ge(rec_find(6, "/local/domain/5/dev/state", "w6"), 1);
	ck_assert_uint_eq(store_db_owned(db, 5), 5);   /* home, unrelated, dev, a, state */
}
END_TEST

START_TEST(tx_abort_and_races)
{
	uint32_t a, b;

	ck_assert_int_eq(store_db_tx_start(db, 5, &a), 0);
	ck_assert_int_eq(store_db_write(db, 5, a, "x", "1", 1), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, a, false), 0);
	ck_assert_int_eq(rd(5, 0, "x"), -LAMINA_ENOENT);
	/* two transactions write the same node: the second commit loses */
	ck_assert_int_eq(store_db_tx_start(db, 5, &a), 0);
	ck_assert_int_eq(store_db_tx_start(db, 5, &b), 0);
	ck_assert_uint_ne(a, b);
	ck_assert_int_eq(store_db_write(db, 5, a, "y", "a", 1), 0);
	ck_assert_int_eq(store_db_write(db, 5, b, "y", "b", 1), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, a, true), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, b, true), -LAMINA_EAGAIN);
	ck_assert_int_eq(rd(5, 0, "y"), 1);
	ck_assert_str_eq(buf, "a");
	/* a read of a missing node conflicts with its creation */
	ck_assert_int_eq(store_db_tx_start(db, 5, &a), 0);
	ck_assert_int_eq(rd(5, a, "z"), -LAMINA_ENOENT);
	ck_assert_int_eq(wr(5, "z", "1"), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, a, true), -LAMINA_EAGAIN);
	/* a change elsewhere does not */
	ck_assert_int_eq(store_db_tx_start(db, 5, &a), 0);
	ck_assert_int_eq(rd(5, a, "z"), 1);
	ck_assert_int_eq(store_db_write(db, 5, a, "z2", "1", 1), 0);
	ck_assert_int_eq(wr(6, "elsewhere", "1"), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, a, true), 0);
	/* a node the transaction removed, changed by someone else */
	ck_assert_int_eq(store_db_tx_start(db, 5, &a), 0);
	ck_assert_int_eq(store_db_rm(db, 5, a, "z"), 0);
	ck_assert_int_eq(wr(5, "z", "2"), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, a, true), -LAMINA_EAGAIN);
	ck_assert_int_eq(rd(5, 0, "z"), 1);
}
END_TEST

START_TEST(tx_ids)
{
	uint32_t t;

	ck_assert_int_eq(store_db_tx_start(db, 5, &t), 0);
	ck_assert_int_eq(rd(6, t, "/local/domain/6"), -LAMINA_ENOENT);   /* 5's, not 6's */
	ck_assert_int_eq(store_db_write(db, 6, t, "x", "1", 1), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_tx_end(db, 6, t, true), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_tx_end(db, 5, 0, true), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_tx_end(db, 5, t + 1, false), -LAMINA_ENOENT);
	ck_assert_int_eq(store_db_tx_end(db, 5, t, false), 0);
}
END_TEST

/* ---- quotas ---- */

START_TEST(quota_nodes)
{
	char p[32];

	ck_assert_uint_eq(store_db_owned(db, 5), 1);    /* its home */
	for (unsigned i = 1; i < LAMINA_STORE_QUOTA_NODES; i++) {
		snprintf(p, sizeof(p), "n%u", i);
		ck_assert_int_eq(wr(5, p, "v"), 0);
	}
	ck_assert_uint_eq(store_db_owned(db, 5), LAMINA_STORE_QUOTA_NODES);
	ck_assert_int_eq(wr(5, "one-more", "v"), -LAMINA_ENOSPC);   /* node 1001 */
	ck_assert_int_eq(rd(5, 0, "one-more"), -LAMINA_ENOENT);
	ck_assert_int_eq(wr(5, "n1", "rewrite"), 0);                 /* no new node */
	ck_assert_int_eq(store_db_rm(db, 5, 0, "n1"), 0);
	ck_assert_int_eq(wr(5, "a/b", "v"), -LAMINA_ENOSPC);         /* needs two: all or nothing */
	ck_assert_int_eq(rd(5, 0, "a"), -LAMINA_ENOENT);
	ck_assert_int_eq(wr(5, "a", "v"), 0);
	/* domain 0 has no quota, even when it creates nodes owned by 5 */
	ck_assert_int_eq(wr(0, "/local/domain/5/by0", "v"), 0);
	ck_assert_uint_eq(store_db_owned(db, 5), LAMINA_STORE_QUOTA_NODES + 1);
	/* 6 cannot give 5 a node at all (nor domain 0, nor a domain to come) */
	ck_assert_int_eq(wr(6, "gift", "v"), 0);
	ck_assert_int_eq(store_db_set_perms(db, 6, 0, "gift", "n5", 3), -LAMINA_EPERM);
	ck_assert_int_eq(store_db_set_perms(db, 6, 0, "gift", "n0", 3), -LAMINA_EPERM);
	ck_assert_int_eq(store_db_set_perms(db, 6, 0, "gift", "n77", 4), -LAMINA_EPERM);
	/* domain 0 may: no quota applies to it */
	ck_assert_int_eq(store_db_set_perms(db, 0, 0, "/local/domain/6/gift", "n5", 3), 0);
	/* nor can 5 create nodes inside a transaction */
	uint32_t t;
	ck_assert_int_eq(store_db_tx_start(db, 5, &t), 0);
	ck_assert_int_eq(store_db_write(db, 5, t, "txn", "v", 1), -LAMINA_ENOSPC);
	ck_assert_int_eq(store_db_tx_end(db, 5, t, true), 0);
	ck_assert_int_eq(rd(5, 0, "txn"), -LAMINA_ENOENT);
}
END_TEST

/* Issue 15, finding 2: WRITE a node, give it to domain 0, repeat, was a way
 * past the node quota. Now every give-away is refused and counted. */
START_TEST(quota_owner_bypass)
{
	char p[32];
	unsigned made = 0;

	for (unsigned i = 0; i < 2 * LAMINA_STORE_QUOTA_NODES; i++) {
		snprintf(p, sizeof(p), "n%u", i);
		if (wr(5, p, "v") != 0)
			break;
		made++;
		ck_assert_int_eq(store_db_set_perms(db, 5, 0, p, "b0", 3), -LAMINA_EPERM);
	}
	ck_assert_uint_eq(made, LAMINA_STORE_QUOTA_NODES - 1);   /* the home is the 1000th */
	ck_assert_uint_eq(store_db_owned(db, 5), LAMINA_STORE_QUOTA_NODES);
	ck_assert_uint_eq(store_db_owned(db, 0) < 100, 1);
}
END_TEST

START_TEST(quota_nodes_commit)
{
	char p[32];
	uint32_t t;

	for (unsigned i = 1; i < LAMINA_STORE_QUOTA_NODES - 1; i++) {
		snprintf(p, sizeof(p), "n%u", i);
		ck_assert_int_eq(wr(5, p, "v"), 0);
	}
	/* one node left: the transaction takes it, then so does a write outside */
	ck_assert_int_eq(store_db_tx_start(db, 5, &t), 0);
	ck_assert_int_eq(store_db_write(db, 5, t, "intx", "v", 1), 0);
	ck_assert_int_eq(store_db_write(db, 5, t, "intx2", "v", 1), -LAMINA_ENOSPC);
	ck_assert_int_eq(wr(5, "outside", "v"), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, t, true), -LAMINA_ENOSPC);
	ck_assert_int_eq(rd(5, 0, "intx"), -LAMINA_ENOENT);
	ck_assert_uint_eq(store_db_owned(db, 5), LAMINA_STORE_QUOTA_NODES);
}
END_TEST

START_TEST(quota_watches)
{
	char tok[16];

	for (unsigned i = 0; i < LAMINA_STORE_QUOTA_WATCHES; i++) {
		snprintf(tok, sizeof(tok), "t%u", i);
		ck_assert_int_eq(store_db_watch(db, 5, "w", tok, NULL), 0);
	}
	ck_assert_int_eq(store_db_watch(db, 5, "w", "last", NULL), -LAMINA_ENOSPC);
	ck_assert_int_eq(store_db_watch(db, 6, "w", "last", NULL), 0);   /* per domain */
	ck_assert_int_eq(store_db_unwatch(db, 5, "w", "t0"), 0);
	ck_assert_int_eq(store_db_watch(db, 5, "w", "last", NULL), 0);
	for (unsigned i = 0; i < 2 * LAMINA_STORE_QUOTA_WATCHES; i++) {
		snprintf(tok, sizeof(tok), "d%u", i);
		ck_assert_int_eq(store_db_watch(db, 0, "/", tok, NULL), 0);  /* not domain 0 */
	}
}
END_TEST

START_TEST(quota_transactions)
{
	uint32_t t[LAMINA_STORE_QUOTA_TRANSACTIONS + 1];

	for (unsigned i = 0; i < LAMINA_STORE_QUOTA_TRANSACTIONS; i++)
		ck_assert_int_eq(store_db_tx_start(db, 5, &t[i]), 0);
	ck_assert_int_eq(store_db_tx_start(db, 5, &t[10]), -LAMINA_ENOSPC);
	ck_assert_int_eq(store_db_tx_start(db, 6, &t[10]), 0);
	ck_assert_int_eq(store_db_tx_end(db, 5, t[3], false), 0);
	ck_assert_int_eq(store_db_tx_start(db, 5, &t[3]), 0);
	for (unsigned i = 0; i < 3 * LAMINA_STORE_QUOTA_TRANSACTIONS; i++)
		ck_assert_int_eq(store_db_tx_start(db, 0, &t[0]), 0);
}
END_TEST

START_TEST(tx_budget)
{
	static char v[2000];
	char p[32];
	uint32_t t;
	int rc = 0;
	unsigned i;

	memset(v, 'v', sizeof(v));
	ck_assert_int_eq(store_db_tx_start(db, 5, &t), 0);
	for (i = 0; i < 200 && !rc; i++) {
		snprintf(p, sizeof(p), "k%u", i % 50);
		rc = store_db_write(db, 5, t, p, v, sizeof(v));
	}
	ck_assert_int_eq(rc, -LAMINA_ENOSPC);
	ck_assert_uint_lt(i, 200);
	ck_assert_int_eq(store_db_tx_end(db, 5, t, false), 0);
}
END_TEST

/* ---- release ---- */

START_TEST(release_domain)
{
	uint32_t t;

	ck_assert_int_eq(wr(5, "mine", "v"), 0);
	ck_assert_int_eq(wr(6, "x", "v"), 0);
	ck_assert_int_eq(store_db_set_perms(db, 6, 0, "x", "n6\0b5", 6), 0);
	ck_assert_int_eq(store_db_watch(db, 5, "mine", "t", NULL), 0);
	ck_assert_int_eq(store_db_tx_start(db, 5, &t), 0);
	store_db_release(db, 5);
	ck_assert_uint_eq(store_db_nr_watches(db, 5), 0);
	ck_assert_uint_eq(store_db_nr_tx(db, 5), 0);
	ck_assert_uint_eq(store_db_owned(db, 5), 0);
	/* a new domain 5 inherits nothing */
	ck_assert_int_eq(rd(5, 0, "mine"), -LAMINA_EACCES);
	ck_assert_int_eq(rd(5, 0, "/local/domain/6/x"), -LAMINA_EACCES);
	ck_assert_int_eq(store_db_get_perms(db, 0, 0, "/local/domain/5/mine", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "n0");
	ck_assert_int_eq(store_db_get_perms(db, 6, 0, "x", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "n6");
	rec_reset();
	ck_assert_int_eq(wr(0, "/local/domain/5/mine", "2"), 0);
	ck_assert_int_eq(nevs, 0);
}
END_TEST

START_TEST(err_names)
{
	ck_assert_str_eq(store_err_name(LAMINA_EAGAIN), "EAGAIN");
	ck_assert_str_eq(store_err_name(LAMINA_ENOSPC), "ENOSPC");
	ck_assert_str_eq(store_err_name(LAMINA_ENOMEM), "EIO");
	ck_assert_int_eq(store_err_number("EACCES"), LAMINA_EACCES);
	ck_assert_int_eq(store_err_number("EWHAT"), 0);
	ck_assert_int_eq(store_parse_uint("65535", 65535), 65535);
	ck_assert_int_eq(store_parse_uint("65536", 65535), -1);
	ck_assert_int_eq(store_parse_uint("", 10), -1);
	ck_assert_int_eq(store_parse_uint("1x", 10), -1);
}
END_TEST

Suite *db_suite(void)
{
	Suite *s = suite_create("store-db" SUFFIX);
	TCase *tc = tcase_create("db" SUFFIX);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, path_resolve);
	tcase_add_test(tc, path_invalid);
	tcase_add_test(tc, path_lengths);
	tcase_add_test(tc, value_limit);
	tcase_add_test(tc, read_write);
	tcase_add_test(tc, mkdir_rm_directory);
	tcase_add_test(tc, perms_basic);
	tcase_add_test(tc, perms_inherit);
	tcase_add_test(tc, perms_invalid);
	tcase_add_test(tc, watch_fire);
	tcase_add_test(tc, watch_rm_above_and_relative);
	tcase_add_test(tc, watch_perm_filter);
	tcase_add_test(tc, watch_errors_and_special);
	tcase_add_test(tc, tx_snapshot_and_conflict);
	tcase_add_test(tc, tx_commit_atomic);
	tcase_add_test(tc, tx_abort_and_races);
	tcase_add_test(tc, tx_ids);
	tcase_add_test(tc, quota_nodes);
	tcase_add_test(tc, quota_owner_bypass);
	tcase_add_test(tc, quota_nodes_commit);
	tcase_add_test(tc, quota_watches);
	tcase_add_test(tc, quota_transactions);
	tcase_add_test(tc, tx_budget);
	tcase_add_test(tc, release_domain);
	tcase_add_test(tc, err_names);
	suite_add_tcase(s, tc);
	return s;
}
