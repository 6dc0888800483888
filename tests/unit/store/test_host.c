// SPDX-License-Identifier: MIT
// test_host.c: unit tests of store.c without KVM: the hv_store_* host API, domain keys, the service thread, host watches.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "doubles.h"
#include "hv_int.h"
#include "store.h"
#include "test.h"

#ifndef SUFFIX
#define SUFFIX ""
#endif

static struct hv hv;
static struct domain dom;
static struct lamina_shared_info shinfo __attribute__((aligned(4096)));
static struct lamina_store_ring ring __attribute__((aligned(4096)));
static char buf[LAMINA_STORE_PAYLOAD_MAX];

/* What the host watch callback saw (it runs on the store's thread). */
static int cb_count;
static char cb_path[256], cb_token[32];
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;

static void cb(void *arg, const char *path, const char *token)
{
	pthread_mutex_lock(&cb_lock);
	snprintf(cb_path, sizeof(cb_path), "%s", path);
	snprintf(cb_token, sizeof(cb_token), "%s", token);
	cb_count++;
	*(int *)arg += 1;
	pthread_mutex_unlock(&cb_lock);
}

static int cb_seen(void)
{
	pthread_mutex_lock(&cb_lock);
	int n = cb_count;
	pthread_mutex_unlock(&cb_lock);
	return n;
}

/* Wait up to 2 s for cb_count to reach n. */
static int wait_cb(int n)
{
	for (int i = 0; i < 2000 && cb_seen() < n; i++)
		usleep(1000);
	return cb_seen() >= n;
}

static void setup(void)
{
	memset(&dom, 0, sizeof(dom));
	memset(&shinfo, 0, sizeof(shinfo));
	memset(&ring, 0, sizeof(ring));
	dbl_reset();
	cb_count = 0;
	dom.hv = &hv;
	dom.id = 3;
	snprintf(dom.name, sizeof(dom.name), "guest3");
	dom.nr_vcpus = 2;
	atomic_store(&dom.cur_pages, 4096);
	dom.max_pages = 8192;
	dom.shinfo = (uint8_t *)&shinfo;
	dom.store_page = &ring;
}

static void teardown(void)
{
	store_domain_free(&dom);
	store_hv_close(&hv);
}

START_TEST(host_api)
{
	ck_assert_int_eq(hv_store_write(&hv, "/tool/a/b", "v1"), 0);
	ck_assert_int_eq(hv_store_read(&hv, "/tool/a/b", buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "v1");
	ck_assert_int_eq(hv_store_read(&hv, "/tool/a/b", buf, 2), -LAMINA_E2BIG);
	ck_assert_int_eq(hv_store_read(&hv, "/tool/nope", buf, sizeof(buf)), -LAMINA_ENOENT);
	ck_assert_int_eq(hv_store_write(&hv, "/bad//path", "v"), -LAMINA_EINVAL);
	ck_assert_int_eq(hv_store_write(&hv, "rel", "0's"), 0);      /* relative to /local/domain/0 */
	ck_assert_int_eq(hv_store_read(&hv, "/local/domain/0/rel", buf, sizeof(buf)), 3);
	ck_assert_int_eq(hv_store_mkdir(&hv, "/tool/c"), 0);
	ck_assert_int_eq(hv_store_directory(&hv, "/tool", buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "a\0c\0", 4), 0);
	ck_assert_int_eq(hv_store_set_perms(&hv, "/tool/a", "b4, r5 n6"), 0);
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_GET_PERMS, 0, "/tool/a", 8, buf, sizeof(buf)), 9);
	ck_assert_int_eq(memcmp(buf, "b4\0r5\0n6\0", 9), 0);
	ck_assert_int_eq(hv_store_set_perms(&hv, "/tool/a", "q4"), -LAMINA_EINVAL);
	ck_assert_int_eq(hv_store_rm(&hv, "/tool"), 0);
	ck_assert_int_eq(hv_store_rm(&hv, "/tool"), -LAMINA_ENOENT);
	ck_assert_int_eq(hv_store_request(&hv, 99, 0, "", 0, buf, sizeof(buf)), -LAMINA_EINVAL);
}
END_TEST

START_TEST(host_transaction)
{
	char id[16];
	int n = hv_store_request(&hv, LAMINA_STORE_TRANSACTION_START, 0, "", 0, id, sizeof(id));

	ck_assert_int_gt(n, 1);
	uint32_t t = (uint32_t)store_parse_uint(id, UINT32_MAX);
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_WRITE, t, "/x\0v", 4, buf, sizeof(buf)), 3);
	ck_assert_int_eq(hv_store_read(&hv, "/x", buf, sizeof(buf)), -LAMINA_ENOENT);
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_TRANSACTION_END, t, "T", 2, buf, sizeof(buf)), 3);
	ck_assert_int_eq(hv_store_read(&hv, "/x", buf, sizeof(buf)), 1);
}
END_TEST

/* hv_store_write_all: every key or none (one transaction). */
START_TEST(host_write_all)
{
	static char big[LAMINA_STORE_PAYLOAD_MAX];
	const char *k[] = { "backend", "backend-id" }, *v[] = { "/be/dir", "0" }, *vbig[] = { "x", big };

	ck_assert_int_eq(hv_store_write_all(&hv, "/fe", k, v, 2), 0);
	ck_assert_int_eq(hv_store_read(&hv, "/fe/backend", buf, sizeof(buf)), 7);
	ck_assert_int_eq(hv_store_read(&hv, "/fe/backend-id", buf, sizeof(buf)), 1);
	memset(big, 'y', sizeof(big) - 1);
	ck_assert_int_eq(hv_store_write_all(&hv, "/fe2", k, vbig, 2), -LAMINA_E2BIG);
	ck_assert_int_eq(hv_store_read(&hv, "/fe2/backend", buf, sizeof(buf)), -LAMINA_ENOENT); /* rolled back */
}
END_TEST

START_TEST(domain_keys)
{
	ck_assert_int_eq(store_domain_init(&dom), 0);
	ck_assert_uint_eq(shinfo.store_port, 5);
	ck_assert_int_eq(hv_store_read(&hv, "/local/domain/3/name", buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "guest3");
	ck_assert_int_gt(hv_store_read(&hv, "/local/domain/3/domid", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "3");
	ck_assert_int_gt(hv_store_read(&hv, "/local/domain/3/vcpus", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2");
	ck_assert_int_gt(hv_store_read(&hv, "/local/domain/3/memory/target", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "16384");
	ck_assert_int_gt(hv_store_read(&hv, "/local/domain/3/memory/static-max", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "32768");
	ck_assert_int_eq(hv_store_directory(&hv, "/local/domain/3", buf, sizeof(buf)), 39);
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_GET_PERMS, 0, "/local/domain/3", 16,
					  buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "n3");
	/* the toolstack sets the balloon target */
	ck_assert_int_eq(hv_store_write(&hv, "/local/domain/3/memory/target", "8192"), 0);
	/* a second init of the same id is refused */
	ck_assert_int_eq(store_domain_init(&dom), -1);
}
END_TEST

START_TEST(ring_service)
{
	struct lamina_store_msg h = { LAMINA_STORE_READ, 42, 0, 14 };
	uint64_t one = 1;

	ck_assert_int_eq(store_domain_init(&dom), 0);
	memcpy(ring.req, &h, sizeof(h));
	memcpy(ring.req + sizeof(h), "memory/target", 14);
	__atomic_store_n(&ring.req_prod, sizeof(h) + 14, __ATOMIC_RELEASE);
	ck_assert_int_eq(write(dbl_efd, &one, 8), 8);    /* the guest's event */
	for (int i = 0; i < 2000 && __atomic_load_n(&ring.rsp_prod, __ATOMIC_ACQUIRE) < 21; i++)
		usleep(1000);
	ck_assert_uint_eq(__atomic_load_n(&ring.rsp_prod, __ATOMIC_ACQUIRE), 16 + 5);
	memcpy(&h, ring.rsp, sizeof(h));
	ck_assert_uint_eq(h.type, LAMINA_STORE_READ);
	ck_assert_uint_eq(h.req_id, 42);
	ck_assert_int_eq(memcmp(ring.rsp + 16, "16384", 5), 0);
	ck_assert_uint_eq(ring.req_cons, sizeof(h) + 14);
	ck_assert_int_gt(__atomic_load_n(&dbl_notified, __ATOMIC_SEQ_CST), 0);
	ck_assert_uint_eq(dbl_notified_port, 5);
	/* a host write fires the guest's watch into its ring */
	ring.rsp_cons = ring.rsp_prod;
	h = (struct lamina_store_msg){ LAMINA_STORE_WATCH, 43, 0, 9 };
	memcpy(ring.req + 30, &h, sizeof(h));
	memcpy(ring.req + 46, "device\0t", 9);
	__atomic_store_n(&ring.req_prod, 55, __ATOMIC_RELEASE);
	ck_assert_int_eq(write(dbl_efd, &one, 8), 8);
	for (int i = 0; i < 2000 && __atomic_load_n(&ring.rsp_prod, __ATOMIC_ACQUIRE) < 21 + 19 + 25; i++)
		usleep(1000);
	ck_assert_uint_eq(ring.rsp_prod, 21 + 19 + 25);  /* OK, then the first event */
	ring.rsp_cons = ring.rsp_prod;
	ck_assert_int_eq(hv_store_write(&hv, "/local/domain/3/device/vbd", "1"), 0);
	ck_assert_uint_eq(ring.rsp_prod, 65 + 16 + 13);   /* sent before the call returned */
	ck_assert_int_eq(memcmp(ring.rsp + 65 + 16, "device/vbd\0t", 13), 0);
}
END_TEST

START_TEST(host_watch)
{
	int mine = 0;

	ck_assert_int_eq(hv_store_watch(&hv, "/w", "tok", cb, &mine), 0);
	ck_assert(wait_cb(1));                           /* the first event, on the thread */
	ck_assert_str_eq(cb_path, "/w");
	ck_assert_int_eq(hv_store_write(&hv, "/w/x", "1"), 0);
	ck_assert(wait_cb(2));
	ck_assert_str_eq(cb_path, "/w/x");
	ck_assert_str_eq(cb_token, "tok");
	ck_assert_int_eq(hv_store_watch(&hv, "/w", "tok", cb, &mine), -LAMINA_EEXIST);
	ck_assert_int_eq(hv_store_watch(&hv, "/w", "t2", NULL, NULL), -LAMINA_EINVAL);
	ck_assert_int_eq(hv_store_unwatch(&hv, "/w", "tok"), 0);
	ck_assert_int_eq(hv_store_unwatch(&hv, "/w", "tok"), -LAMINA_ENOENT);
	ck_assert_int_eq(hv_store_write(&hv, "/w/y", "1"), 0);
	usleep(50000);
	ck_assert_int_eq(cb_seen(), 2);
	ck_assert_int_eq(mine, 2);
}
END_TEST

START_TEST(domain_lifecycle)
{
	int n = 0;

	ck_assert_int_eq(hv_store_watch(&hv, "@introduceDomain", "in", cb, &n), 0);
	ck_assert_int_eq(hv_store_watch(&hv, "@releaseDomain", "out", cb, &n), 0);
	ck_assert(wait_cb(2));
	ck_assert_int_eq(store_domain_init(&dom), 0);
	ck_assert(wait_cb(3));
	ck_assert_str_eq(cb_path, "@introduceDomain");
	/* domain 0's INTRODUCE confirms a connected domain; RELEASE drops it */
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_INTRODUCE, 0, "3\0" "0\0" "5", 6, buf, sizeof(buf)), 3);
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_INTRODUCE, 0, "3\0" "0\0" "6", 6, buf, sizeof(buf)),
			 -LAMINA_EINVAL);
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_INTRODUCE, 0, "9\0" "0\0" "5", 6, buf, sizeof(buf)),
			 -LAMINA_ENOENT);
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_RELEASE, 0, "3", 2, buf, sizeof(buf)), 3);
	ck_assert(wait_cb(4));
	ck_assert_str_eq(cb_path, "@releaseDomain");
	ck_assert_int_eq(hv_store_request(&hv, LAMINA_STORE_RELEASE, 0, "3", 2, buf, sizeof(buf)),
			 -LAMINA_ENOENT);
	ck_assert_int_gt(hv_store_read(&hv, "/local/domain/3/name", buf, sizeof(buf)), 0);
	/* destruction removes the home and fires again */
	store_domain_free(&dom);
	ck_assert(wait_cb(5));
	ck_assert_str_eq(cb_path, "@releaseDomain");
	ck_assert_int_eq(hv_store_read(&hv, "/local/domain/3/name", buf, sizeof(buf)), -LAMINA_ENOENT);
	ck_assert_int_eq(dbl_efd, -1);                   /* the store port was closed */
}
END_TEST

Suite *host_suite(void)
{
	Suite *s = suite_create("store-host" SUFFIX);
	TCase *tc = tcase_create("host" SUFFIX);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, host_api);
	tcase_add_test(tc, host_transaction);
	tcase_add_test(tc, host_write_all);
	tcase_add_test(tc, domain_keys);
	tcase_add_test(tc, ring_service);
	tcase_add_test(tc, host_watch);
	tcase_add_test(tc, domain_lifecycle);
	suite_add_tcase(s, tc);
	return s;
}
