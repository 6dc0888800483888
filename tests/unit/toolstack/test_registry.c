// SPDX-License-Identifier: MIT
// Toolstack unit tests: laminad's domain registry (names, ids, lookup, removal).
#include "suites.h"

#include "laminad/registry.h"

#include <stdio.h>
#include <string.h>

static struct dom_config named(const char *name)
{
	struct dom_config c = { .memory_kib = 65536 };

	strcpy(c.name, name);
	return c;
}

START_TEST(unique_names_and_ids)
{
	static struct registry r;
	struct dom_config a = named("alpha"), b = named("beta");
	struct domain *da, *db;
	char err[128];

	reg_init(&r);
	da = reg_add(&r, &a, err, sizeof(err));
	db = reg_add(&r, &b, err, sizeof(err));
	ck_assert_uint_eq(da->id, 1);
	ck_assert_uint_eq(db->id, 2);
	ck_assert_ptr_null(reg_add(&r, &a, err, sizeof(err)));
	ck_assert_str_eq(err, "domain 'alpha' already exists (id 1)");
	ck_assert_uint_eq(r.n, 2);
	reg_remove(&r, da);
	reg_remove(&r, db);
}
END_TEST

START_TEST(find_by_name_or_id)
{
	static struct registry r;
	struct dom_config a = named("alpha"), n = named("7");
	struct domain *da, *dn;
	char err[128];

	reg_init(&r);
	da = reg_add(&r, &a, err, sizeof(err));
	dn = reg_add(&r, &n, err, sizeof(err));
	ck_assert_ptr_eq(reg_find(&r, "alpha"), da);
	ck_assert_ptr_eq(reg_find(&r, "1"), da);
	ck_assert_ptr_eq(reg_find(&r, "2"), dn);
	ck_assert_ptr_eq(reg_find(&r, "7"), dn); // a name wins over an id
	ck_assert_ptr_null(reg_find(&r, "3"));
	ck_assert_ptr_null(reg_find(&r, "1x"));
	ck_assert_ptr_null(reg_find(&r, "gamma"));
	reg_remove(&r, da);
	reg_remove(&r, dn);
}
END_TEST

START_TEST(ids_not_reused)
{
	static struct registry r;
	struct dom_config a = named("alpha");
	struct domain *d;
	char err[128];

	reg_init(&r);
	d = reg_add(&r, &a, err, sizeof(err));
	reg_remove(&r, d);
	d = reg_add(&r, &a, err, sizeof(err));
	ck_assert_uint_eq(d->id, 2);
	reg_renumber(&r, d);
	ck_assert_uint_eq(d->id, 3);
	ck_assert_ptr_eq(reg_find(&r, "3"), d);
	ck_assert_ptr_null(reg_find(&r, "2"));
	reg_remove(&r, d);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(full_registry)
{
	static struct registry r;
	struct dom_config c;
	char err[128];

	reg_init(&r);
	for (int i = 0; i < REG_MAX_DOMAINS; i++) {
		c = named("d");
		snprintf(c.name, sizeof(c.name), "d%d", i);
		ck_assert_ptr_nonnull(reg_add(&r, &c, err, sizeof(err)));
	}
	c = named("one-too-many");
	ck_assert_ptr_null(reg_add(&r, &c, err, sizeof(err)));
	ck_assert_str_eq(err, "too many domains (at most 1024)");
	while (r.n)
		reg_remove(&r, r.doms[r.n - 1]);
}
END_TEST

// Ids given by the back-end (lamina-hvd) or found at start-up keep the
// registry sorted, and fresh ids go above them.
START_TEST(backend_ids)
{
	static struct registry r;
	struct dom_config a = named("alpha"), b = named("beta"), c = named("gamma");
	struct domain *da, *db, *dc;
	char err[128];

	reg_init(&r);
	db = reg_add_id(&r, &b, 9, err, sizeof(err));
	da = reg_add_id(&r, &a, 4, err, sizeof(err));
	ck_assert_ptr_nonnull(da);
	ck_assert_ptr_eq(r.doms[0], da);
	ck_assert_ptr_eq(r.doms[1], db);
	ck_assert_ptr_null(reg_add_id(&r, &c, 9, err, sizeof(err)));
	ck_assert_str_eq(err, "id 9 is taken by domain 'beta'");
	dc = reg_add(&r, &c, err, sizeof(err));
	ck_assert_uint_eq(dc->id, 10);
	reg_set_id(&r, da, 12); // alpha restarted: the back-end gave it 12
	ck_assert_ptr_eq(r.doms[2], da);
	ck_assert_ptr_eq(reg_find(&r, "12"), da);
	reg_remove(&r, da);
	ck_assert_uint_eq(reg_add(&r, &a, err, sizeof(err))->id, 13);
	while (r.n)
		reg_remove(&r, r.doms[0]);
}
END_TEST

Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("registry");

	tcase_add_test(tc, unique_names_and_ids);
	tcase_add_test(tc, find_by_name_or_id);
	tcase_add_test(tc, ids_not_reused);
	tcase_add_test(tc, full_registry);
	tcase_add_test(tc, backend_ids);
	suite_add_tcase(s, tc);
	return s;
}
