// SPDX-License-Identifier: MIT
// test_svc.c: unit tests of the store ring service against a fake ring page: requests, replies, events, malformed input, quotas.
#include <stdio.h>
#include <string.h>
#include <lamina/errno.h>
#include "store_svc.h"
#include "test.h"

#ifndef SUFFIX
#define SUFFIX ""
#endif

#define RB LAMINA_STORE_RING_BYTES
#define HDR sizeof(struct lamina_store_msg)

static struct lamina_store_ring ring __attribute__((aligned(4096)));
static struct store_db *db;
static struct store_conn *conn;
static int notified;
static uint32_t g_prod, g_cons;            /* the guest's private indices */
static uint8_t got[HDR + LAMINA_STORE_PAYLOAD_MAX];   /* the last message received */
static struct lamina_store_msg *gh = (struct lamina_store_msg *)got;
static uint32_t got_len;                    /* bytes of the message gathered so far */

static void fire(void *arg, uint16_t dom, const char *path, const char *token, void *priv)
{
	(void)arg, (void)priv;
	if (dom == 5 && conn)
		store_conn_event(conn, path, token);
}

static void notify(void *arg)
{
	(void)arg;
	notified++;
}

static void setup(void)
{
	memset(&ring, 0, sizeof(ring));
	g_prod = g_cons = 0;
	got_len = 0;
	notified = 0;
	conn = NULL;
	db = store_db_new(fire, NULL);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(store_db_mkdir(db, 0, 0, "/local/domain/5"), 0);
	ck_assert_int_eq(store_db_set_perms(db, 0, 0, "/local/domain/5", "n5", 3), 0);
	conn = store_conn_new(db, 5, &ring, NULL, notify, NULL);
	ck_assert_ptr_nonnull(conn);
}

static void teardown(void)
{
	store_conn_free(conn);
	conn = NULL;
	store_db_free(db);
}

/* Guest side: put bytes into the request ring (there must be room). */
static void put(const void *p, size_t n)
{
	ck_assert_uint_le(g_prod - ring.req_cons + n, RB);
	for (size_t i = 0; i < n; i++)
		ring.req[(g_prod + i) % RB] = ((const uint8_t *)p)[i];
	g_prod += (uint32_t)n;
	ring.req_prod = g_prod;
}

static void send(uint32_t type, uint32_t id, uint32_t tx, const void *pl, size_t len)
{
	struct lamina_store_msg h = { type, id, tx, (uint32_t)len };

	put(&h, HDR);
	put(pl, len);
}

/* Guest side: take available reply bytes until one whole message is in
 * got[]: 1 if it is, 0 if the ring ran dry first. */
static int take(void)
{
	for (;;) {
		uint32_t want = got_len < HDR ? HDR - got_len : HDR + gh->len - got_len;
		if (got_len >= HDR && !want)
			return 1;
		if (ring.rsp_prod == g_cons)
			return 0;
		got[got_len++] = ring.rsp[g_cons++ % RB];
		ring.rsp_cons = g_cons;
	}
}

/* Service until a whole message arrives (consuming as we go); assert it
 * has this type and id, and return its payload length. */
static uint32_t expect(uint32_t type, uint32_t id)
{
	got_len = 0;
	for (int i = 0; i < 100 && !take(); i++)
		store_conn_service(conn, 1000000);
	ck_assert_uint_ge(got_len, HDR);
	ck_assert_uint_eq(got_len, HDR + gh->len);
	ck_assert_uint_eq(gh->type, type);
	ck_assert_uint_eq(gh->req_id, id);
	return gh->len;
}

/* Send a request, service, and check the reply's payload. */
static void roundtrip(uint32_t type, uint32_t tx, const void *pl, size_t len,
		      uint32_t rtype, const void *rpl, size_t rlen)
{
	static uint32_t id = 100;

	send(type, ++id, tx, pl, len);
	ck_assert_int_eq(store_conn_service(conn, 1000000), 0);
	ck_assert_uint_eq(expect(rtype, id), rlen);
	ck_assert_int_eq(memcmp(got + HDR, rpl, rlen), 0);
}

#define RT(type, pl, rtype, rpl) \
	roundtrip(LAMINA_STORE_##type, 0, pl, sizeof(pl) - 1, LAMINA_STORE_##rtype, rpl, sizeof(rpl) - 1)
#define ERR(type, pl, name) RT(type, pl, ERROR, name "\0")

START_TEST(svc_basic)
{
	RT(WRITE, "x\0hello", WRITE, "OK\0");
	ck_assert_int_gt(notified, 0);
	RT(READ, "x\0", READ, "hello");
	RT(READ, "/local/domain/5/x\0", READ, "hello");
	RT(MKDIR, "d/e\0", MKDIR, "OK\0");
	RT(DIRECTORY, "d\0", DIRECTORY, "e\0");
	RT(GET_PERMS, "x\0", GET_PERMS, "n5\0");
	RT(SET_PERMS, "x\0n5\0r0\0", SET_PERMS, "OK\0");
	RT(GET_PERMS, "x\0", GET_PERMS, "n5\0r0\0");
	RT(RM, "d\0", RM, "OK\0");
	ERR(READ, "d/e\0", "ENOENT");
	ERR(READ, "/local/domain/0\0", "EACCES");
	RT(GET_DOMAIN_PATH, "7\0", GET_DOMAIN_PATH, "/local/domain/7\0");
	RT(WRITE, "empty\0", WRITE, "OK\0");
	RT(READ, "empty\0", READ, "");
	ck_assert_ptr_null(store_conn_error(conn));
}
END_TEST

START_TEST(svc_watch)
{
	RT(WATCH, "w\0tok\0", WATCH, "OK\0");        /* the reply first ... */
	ck_assert_uint_eq(expect(LAMINA_STORE_WATCH_EVENT, 0), 6);  /* ... then the event */
	ck_assert_int_eq(memcmp(got + HDR, "w\0tok\0", 6), 0);
	ck_assert_int_eq(store_db_write(db, 0, 0, "/local/domain/5/w/k", "1", 1), 0);
	ck_assert_uint_eq(expect(LAMINA_STORE_WATCH_EVENT, 0), 8);
	ck_assert_int_eq(memcmp(got + HDR, "w/k\0tok\0", 8), 0);
	/* an event the request causes comes after its reply */
	RT(WRITE, "w/j\0v", WRITE, "OK\0");
	ck_assert_uint_eq(expect(LAMINA_STORE_WATCH_EVENT, 0), 8);
	ck_assert_int_eq(memcmp(got + HDR, "w/j\0tok\0", 8), 0);
	ERR(WATCH, "w\0tok\0", "EEXIST");
	RT(UNWATCH, "w\0tok\0", UNWATCH, "OK\0");
	ERR(UNWATCH, "w\0tok\0", "ENOENT");
	ERR(WATCH, "@nonsense\0t\0", "EINVAL");
	RT(WATCH, "@releaseDomain\0r\0", WATCH, "OK\0");
	ck_assert_uint_eq(expect(LAMINA_STORE_WATCH_EVENT, 0), 17);
	store_db_fire_special(db, "@releaseDomain");
	ck_assert_uint_eq(expect(LAMINA_STORE_WATCH_EVENT, 0), 17);
	ck_assert_int_eq(memcmp(got + HDR, "@releaseDomain\0r\0", 17), 0);
}
END_TEST

START_TEST(svc_transaction)
{
	char id[16], end[] = "T";

	send(LAMINA_STORE_TRANSACTION_START, 1, 0, "", 1);
	store_conn_service(conn, 1000000);
	ck_assert_uint_gt(expect(LAMINA_STORE_TRANSACTION_START, 1), 1);
	memcpy(id, got + HDR, gh->len);
	uint32_t t = (uint32_t)store_parse_uint(id, UINT32_MAX);
	ck_assert_uint_ne(t, 0);
	roundtrip(LAMINA_STORE_WRITE, t, "k\0v", 3, LAMINA_STORE_WRITE, "OK", 3);
	roundtrip(LAMINA_STORE_READ, t, "k", 2, LAMINA_STORE_READ, "v", 1);
	ERR(READ, "k\0", "ENOENT");                     /* not visible outside yet */
	ck_assert_int_eq(store_db_write(db, 0, 0, "/local/domain/5/k", "x", 1), 0);
	roundtrip(LAMINA_STORE_TRANSACTION_END, t, end, 2, LAMINA_STORE_ERROR, "EAGAIN", 7);
	roundtrip(LAMINA_STORE_TRANSACTION_END, t, end, 1, LAMINA_STORE_ERROR, "ENOENT", 7);
	roundtrip(LAMINA_STORE_READ, 999, "k", 2, LAMINA_STORE_ERROR, "ENOENT", 7);
	/* an empty start payload is fine too, and "F" aborts */
	send(LAMINA_STORE_TRANSACTION_START, 2, 0, "", 0);
	store_conn_service(conn, 1000000);
	expect(LAMINA_STORE_TRANSACTION_START, 2);
	t = (uint32_t)store_parse_uint((char *)got + HDR, UINT32_MAX);
	roundtrip(LAMINA_STORE_TRANSACTION_END, t, "F", 1, LAMINA_STORE_TRANSACTION_END, "OK", 3);
}
END_TEST

START_TEST(svc_malformed)
{
	roundtrip(99, 0, "x", 2, LAMINA_STORE_ERROR, "EINVAL", 7);          /* garbage type */
	roundtrip(0, 0, "", 0, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_WATCH_EVENT, 0, "a\0b", 4, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_ERROR, 0, "EIO", 4, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_READ, 0, "x", 1, LAMINA_STORE_ERROR, "EINVAL", 7);   /* no NUL */
	roundtrip(LAMINA_STORE_READ, 0, "", 0, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_READ, 0, "x\0y", 3, LAMINA_STORE_ERROR, "EINVAL", 7);  /* extra */
	roundtrip(LAMINA_STORE_WRITE, 0, "novalue", 7, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_WATCH, 0, "w", 2, LAMINA_STORE_ERROR, "EINVAL", 7);    /* no token */
	roundtrip(LAMINA_STORE_TRANSACTION_START, 0, "x", 2, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_TRANSACTION_END, 1, "X", 2, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_TRANSACTION_END, 1, "TT", 2, LAMINA_STORE_ERROR, "EINVAL", 7);
	roundtrip(LAMINA_STORE_TRANSACTION_END, 1, "", 0, LAMINA_STORE_ERROR, "EINVAL", 7);
	ERR(GET_DOMAIN_PATH, "x\0", "EINVAL");
	ERR(GET_DOMAIN_PATH, "65536\0", "EINVAL");
	ERR(READ, "bad//path\0", "EINVAL");
	ERR(SET_PERMS, "/local/domain/5\0q5\0", "EINVAL");
	ERR(INTRODUCE, "6\0" "123\0" "4\0", "EPERM");    /* domain 0 only */
	ERR(RELEASE, "6\0", "EPERM");
	ck_assert_ptr_null(store_conn_error(conn));
	RT(READ, "/local/domain/5\0", READ, "");         /* still serving */
}
END_TEST

START_TEST(svc_too_long)
{
	static char big[LAMINA_STORE_ABS_PATH_MAX + 2];

	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = 0;
	/* a 3074-byte path needs several ring fills: keep servicing */
	struct lamina_store_msg h = { LAMINA_STORE_READ, 7, 0, sizeof(big) };
	put(&h, HDR);
	for (size_t off = 0; off < sizeof(big);) {
		size_t n = RB - (g_prod - ring.req_cons);
		if (n > sizeof(big) - off)
			n = sizeof(big) - off;
		put(big + off, n);
		off += n;
		store_conn_service(conn, 1000000);
	}
	ck_assert_uint_eq(expect(LAMINA_STORE_ERROR, 7), 6);
	ck_assert_str_eq((char *)got + HDR, "E2BIG");
}
END_TEST

START_TEST(svc_oversized_length)
{
	struct lamina_store_msg h = { LAMINA_STORE_READ, 1, 0, LAMINA_STORE_PAYLOAD_MAX + 1 };

	put(&h, HDR);
	ck_assert_int_eq(store_conn_service(conn, 1000000), -LAMINA_EIO);
	ck_assert_ptr_nonnull(store_conn_error(conn));
	ck_assert_ptr_nonnull(strstr(store_conn_error(conn), "payload"));
	send(LAMINA_STORE_READ, 2, 0, "x", 2);           /* nothing more is read */
	uint32_t cons = ring.req_cons;
	ck_assert_int_eq(store_conn_service(conn, 1000000), -LAMINA_EIO);
	ck_assert_uint_eq(ring.req_cons, cons);
	ck_assert_uint_eq(ring.rsp_prod, 0);
	ck_assert_int_eq(store_conn_event(conn, "p", "t"), -LAMINA_EIO);
}
END_TEST

START_TEST(svc_prod_past_ring)
{
	ring.req_prod = RB + 1;
	ck_assert_int_eq(store_conn_service(conn, 1000000), -LAMINA_EIO);
	ck_assert_ptr_nonnull(strstr(store_conn_error(conn), "producer"));
	ck_assert_uint_eq(ring.req_cons, 0);
	ck_assert_uint_eq(ring.rsp_prod, 0);
}
END_TEST

START_TEST(svc_prod_backwards)
{
	RT(READ, "/local/domain/5\0", READ, "");
	ring.req_prod = ring.req_cons - 1;               /* producer behind the consumer */
	ck_assert_int_eq(store_conn_service(conn, 1000000), -LAMINA_EIO);
}
END_TEST

START_TEST(svc_rsp_cons_corrupt)
{
	send(LAMINA_STORE_READ, 1, 0, "/local/domain/5", 16);
	ring.rsp_cons = 0x80000000u;                     /* ahead of anything produced */
	ck_assert_int_eq(store_conn_service(conn, 1000000), -LAMINA_EIO);
	ck_assert_ptr_nonnull(strstr(store_conn_error(conn), "consumer"));
	ck_assert_uint_eq(ring.rsp_prod, 0);
}
END_TEST

/* One call takes at most its budget of requests, and says whether any are
 * left, so that the store thread can serve the other domains in between. */
START_TEST(svc_budget)
{
	uint32_t before = ring.req_cons;

	ck_assert_int_eq(store_conn_service(conn, 3), 0);   /* nothing sent: nothing left */
	for (uint32_t i = 0; i < 8; i++)
		send(LAMINA_STORE_READ, 500 + i, 0, "x", 2);
	ck_assert_int_eq(store_conn_service(conn, 3), 1);
	ck_assert_uint_eq(ring.req_cons - before, 3 * (HDR + 2));
	ck_assert_int_eq(store_conn_service(conn, 0), 1);    /* a budget of 0 takes none */
	ck_assert_uint_eq(ring.req_cons - before, 3 * (HDR + 2));
	ck_assert_int_eq(store_conn_service(conn, 100), 0);
	ck_assert_uint_eq(ring.req_cons - before, 8 * (HDR + 2));
}
END_TEST

START_TEST(svc_split_and_wrap)
{
	/* byte by byte, across many ring wraps */
	for (int round = 0; round < 200; round++) {
		char pl[32];
		int n = snprintf(pl, sizeof(pl), "k%d", round % 7) + 1;
		n += snprintf(pl + n, sizeof(pl) - (size_t)n, "value-%d", round);
		struct lamina_store_msg h = { LAMINA_STORE_WRITE, (uint32_t)round, 0, (uint32_t)n };
		const uint8_t *b = (const uint8_t *)&h;
		for (size_t i = 0; i < HDR; i++) {
			put(b + i, 1);
			store_conn_service(conn, 1000000);
		}
		for (int i = 0; i < n; i++) {
			put(pl + i, 1);
			store_conn_service(conn, 1000000);
		}
		ck_assert_uint_eq(expect(LAMINA_STORE_WRITE, (uint32_t)round), 3);
	}
	ck_assert_uint_gt(ring.req_cons, 4 * RB);
	ck_assert_uint_gt(ring.rsp_prod, 3 * RB);   /* 200 replies of 19 bytes */
	RT(READ, "k4\0", READ, "value-193");
}
END_TEST

START_TEST(svc_big_reply)
{
	static char v[4000];

	memset(v, 'z', sizeof(v));
	ck_assert_int_eq(store_db_write(db, 0, 0, "/local/domain/5/big", v, sizeof(v)), 0);
	send(LAMINA_STORE_READ, 9, 0, "big", 4);
	ck_assert_uint_eq(expect(LAMINA_STORE_READ, 9), sizeof(v));   /* takes four ring fills */
	ck_assert_int_eq(memcmp(got + HDR, v, sizeof(v)), 0);
}
END_TEST

START_TEST(svc_request_quota)
{
	unsigned n = LAMINA_STORE_QUOTA_REQUESTS + 5, replies = 0;

	for (unsigned i = 0; i < n; i++)
		send(LAMINA_STORE_GET_DOMAIN_PATH, i, 0, "5", 2);
	store_conn_service(conn, 1000000);
	/* 20 answered; the rest wait in the ring until replies are consumed */
	ck_assert_uint_eq(ring.req_cons, LAMINA_STORE_QUOTA_REQUESTS * (HDR + 2));
	ck_assert_uint_eq(ring.rsp_prod, LAMINA_STORE_QUOTA_REQUESTS * (HDR + 16));
	store_conn_service(conn, 1000000);
	ck_assert_uint_eq(ring.req_cons, LAMINA_STORE_QUOTA_REQUESTS * (HDR + 2));
	got_len = 0;
	while (take()) {                                 /* consume two replies */
		ck_assert_uint_eq(gh->req_id, replies++);
		got_len = 0;
		if (replies == 2)
			break;
	}
	store_conn_service(conn, 1000000);
	ck_assert_uint_eq(ring.req_cons, (LAMINA_STORE_QUOTA_REQUESTS + 2) * (HDR + 2));
	for (; replies < n; replies++)
		ck_assert_uint_eq(expect(LAMINA_STORE_GET_DOMAIN_PATH, replies), 16);
	ck_assert_uint_eq(ring.req_cons, g_prod);
}
END_TEST

START_TEST(svc_event_room)
{
	char p[32];

	RT(WATCH, "w\0t\0", WATCH, "OK\0");
	for (int i = 0; i < 5000; i++) {                 /* the domain does not read */
		snprintf(p, sizeof(p), "/local/domain/5/w/%d", i % 10);
		ck_assert_int_eq(store_db_write(db, 0, 0, p, "v", 1), 0);
	}
	ck_assert_uint_gt(store_conn_dropped(conn), 0);
	ck_assert_uint_le(store_conn_queued(conn), STORE_CONN_EVENT_ROOM);
	/* replies still get through once the domain reads again */
	send(LAMINA_STORE_GET_DOMAIN_PATH, 77, 0, "5", 2);
	for (int i = 0; i < 10000; i++) {
		got_len = 0;
		store_conn_service(conn, 1000000);
		while (take()) {
			if (gh->type == LAMINA_STORE_GET_DOMAIN_PATH)
				goto done;
			got_len = 0;
		}
	}
	ck_abort_msg("no reply");
done:
	ck_assert_uint_eq(gh->req_id, 77);
	ck_assert_ptr_null(store_conn_error(conn));
}
END_TEST

static int fake_introduce(void *arg, unsigned d, uint64_t gfn, uint32_t port)
{
	(void)arg;
	return d == 6 && gfn == 123 && port == 4 ? 0 : -LAMINA_EINVAL;
}

static int fake_release(void *arg, unsigned d)
{
	(void)arg;
	return d == 6 ? 0 : -LAMINA_ENOENT;
}

START_TEST(svc_dispatch_dom0)
{
	static const struct store_host_ops ops = { fake_introduce, fake_release, NULL };
	struct lamina_store_msg h = { LAMINA_STORE_INTRODUCE, 1, 0, 8 };
	uint8_t rsp[LAMINA_STORE_PAYLOAD_MAX];
	uint32_t len;

	ck_assert_uint_eq(store_dispatch(db, 0, &ops, &h, (const uint8_t *)"6\0" "123\0" "4", rsp, &len),
			  LAMINA_STORE_INTRODUCE);
	ck_assert_str_eq((char *)rsp, "OK");
	ck_assert_uint_eq(store_dispatch(db, 0, NULL, &h, (const uint8_t *)"6\0" "123\0" "4", rsp, &len),
			  LAMINA_STORE_ERROR);
	ck_assert_str_eq((char *)rsp, "EINVAL");
	h.len = 6;
	ck_assert_uint_eq(store_dispatch(db, 0, &ops, &h, (const uint8_t *)"6\0" "1\0" "4", rsp, &len),
			  LAMINA_STORE_ERROR);
	h = (struct lamina_store_msg){ LAMINA_STORE_RELEASE, 1, 0, 2 };
	ck_assert_uint_eq(store_dispatch(db, 0, &ops, &h, (const uint8_t *)"6", rsp, &len),
			  LAMINA_STORE_RELEASE);
	ck_assert_uint_eq(store_dispatch(db, 0, &ops, &h, (const uint8_t *)"7", rsp, &len),
			  LAMINA_STORE_ERROR);
	ck_assert_str_eq((char *)rsp, "ENOENT");
	ck_assert_uint_eq(len, 7);
}
END_TEST

Suite *svc_suite(void)
{
	Suite *s = suite_create("store-svc" SUFFIX);
	TCase *tc = tcase_create("svc" SUFFIX);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, svc_basic);
	tcase_add_test(tc, svc_watch);
	tcase_add_test(tc, svc_transaction);
	tcase_add_test(tc, svc_malformed);
	tcase_add_test(tc, svc_too_long);
	tcase_add_test(tc, svc_oversized_length);
	tcase_add_test(tc, svc_prod_past_ring);
	tcase_add_test(tc, svc_prod_backwards);
	tcase_add_test(tc, svc_rsp_cons_corrupt);
	tcase_add_test(tc, svc_budget);
	tcase_add_test(tc, svc_split_and_wrap);
	tcase_add_test(tc, svc_big_reply);
	tcase_add_test(tc, svc_request_quota);
	tcase_add_test(tc, svc_event_room);
	tcase_add_test(tc, svc_dispatch_dom0);
	suite_add_tcase(s, tc);
	return s;
}
