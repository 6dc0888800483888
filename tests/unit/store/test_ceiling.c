// SPDX-License-Identifier: MIT
// test_ceiling.c: a domain at every store limit at once stays under the store's documented memory ceiling per domain.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include "test.h"

#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void); /* the ASan runtime */
static size_t heap_bytes(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
#include <malloc.h>
static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}
#endif

#ifndef SUFFIX
#define SUFFIX ""
#endif

/*
 * docs/architecture.md, "Limits": the store holds at most
 * STORE_CEILING_PER_DOMAIN bytes of heap for what one guest can make it
 * keep (nodes it owns with their values and permission lists, watches,
 * open transactions), whatever the guest does.
 */
#define STORE_CEILING_PER_DOMAIN (16u << 20)

static struct store_db *db;
static char val[LAMINA_STORE_PAYLOAD_MAX];

static void setup(void)
{
	db = store_db_new(rec_fire, NULL);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(store_db_mkdir(db, 0, 0, "/local/domain/5"), 0);
	ck_assert_int_eq(store_db_set_perms(db, 0, 0, "/local/domain/5", "n5", 3), 0);
	memset(val, 'v', sizeof(val));
}

static void teardown(void) { store_db_free(db); }

/* The i-th node's relative path: as long as a relative path may be. */
static void node_path(char *p, unsigned i)
{
	size_t n = (size_t)snprintf(p, 16, "n%u-", i);

	memset(p + n, 'x', LAMINA_STORE_REL_PATH_MAX - n);
	p[LAMINA_STORE_REL_PATH_MAX] = 0;
}

/* Nodes up to the quota, each with the largest value. */
static unsigned fill_nodes(void)
{
	static char p[LAMINA_STORE_REL_PATH_MAX + 1];
	unsigned n = 0;

	for (unsigned i = 1; i < 2 * LAMINA_STORE_QUOTA_NODES; i++) {
		node_path(p, i);
		if (store_db_write(db, 5, 0, p, val, sizeof(val)) != 0)
			break;
		n++;
	}
	return n;
}

/* The longest permission list a request can carry, on every node. */
static unsigned fill_perms(unsigned nodes)
{
	static char p[LAMINA_STORE_REL_PATH_MAX + 1];
	static char perms[LAMINA_STORE_PAYLOAD_MAX];
	size_t len = (size_t)snprintf(perms, sizeof(perms), "b5") + 1;
	unsigned ok = 0;

	for (unsigned d = 100; len + 6 <= sizeof(perms) - LAMINA_STORE_REL_PATH_MAX - 1; d++)
		len += (size_t)snprintf(perms + len, 6, "r%u", d) + 1;
	for (unsigned i = 1; i <= nodes; i++) {
		node_path(p, i);
		ok += store_db_set_perms(db, 5, 0, p, perms, len) == 0;
	}
	return ok;
}

/* Watches up to the quota, each with a long path and token. */
static unsigned fill_watches(void)
{
	static char p[LAMINA_STORE_REL_PATH_MAX + 1];
	char tok[1024];
	unsigned n = 0;

	memset(tok, 't', sizeof(tok) - 16);
	for (unsigned i = 0; i < 2 * LAMINA_STORE_QUOTA_WATCHES; i++) {
		node_path(p, i + 5000);
		snprintf(tok + sizeof(tok) - 16, 16, "%u", i);
		if (store_db_watch(db, 5, p, tok, NULL) != 0)
			break;
		n++;
	}
	return n;
}

/* Open transactions up to the quota, each written full (its byte budget). */
static unsigned fill_transactions(unsigned nodes)
{
	static char p[LAMINA_STORE_REL_PATH_MAX + 1];
	unsigned n = 0;
	uint32_t t;

	for (unsigned k = 0; k < 2 * LAMINA_STORE_QUOTA_TRANSACTIONS; k++) {
		if (store_db_tx_start(db, 5, &t) != 0)
			break;
		n++;
		for (unsigned i = 1 + k, w = 0; w < 100000; i = i % nodes + 1, w++) {
			node_path(p, i);
			if (store_db_write(db, 5, t, p, val, sizeof(val)) != 0)
				break;
		}
	}
	return n;
}

START_TEST(store_memory_ceiling)
{
	size_t before = heap_bytes();
	unsigned nodes = fill_nodes();
	size_t after_nodes = heap_bytes();

	ck_assert_uint_eq(nodes + 1, LAMINA_STORE_QUOTA_NODES);   /* the home is one */
	ck_assert_uint_eq(fill_perms(nodes), nodes);
	size_t after_perms = heap_bytes();
	ck_assert_uint_eq(fill_watches(), LAMINA_STORE_QUOTA_WATCHES);
	size_t after_watches = heap_bytes();
	ck_assert_uint_eq(fill_transactions(nodes), LAMINA_STORE_QUOTA_TRANSACTIONS);
	size_t used = heap_bytes() - before;

	printf("store ceiling" SUFFIX ": nodes %zu KiB, perms %zu KiB, watches %zu KiB, "
	       "transactions %zu KiB; %zu KiB in all (ceiling %u KiB)\n",
	       (after_nodes - before) >> 10, (after_perms - after_nodes) >> 10,
	       (after_watches - after_perms) >> 10, (before + used - after_watches) >> 10,
	       used >> 10, STORE_CEILING_PER_DOMAIN >> 10);
	/* The fill is real: 999 values of 4 KiB alone are about 4 MiB. */
	ck_assert_uint_ge(used, (size_t)nodes * sizeof(val));
	ck_assert_msg(used <= STORE_CEILING_PER_DOMAIN,
		      "a guest made the store keep %zu KiB, over the %u KiB ceiling",
		      used >> 10, STORE_CEILING_PER_DOMAIN >> 10);
}
END_TEST

Suite *ceiling_suite(void)
{
	Suite *s = suite_create("store-ceiling" SUFFIX);
	TCase *tc = tcase_create("ceiling" SUFFIX);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, store_memory_ceiling);
	suite_add_tcase(s, tc);
	return s;
}
