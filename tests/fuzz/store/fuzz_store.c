// SPDX-License-Identifier: MIT
// fuzz_store.c: libFuzzer harness for the store protocol: requests of several domains through store_dispatch into store_db.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include <lamina/store.h>
#include "store_db.h"
#include "store_svc.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/*
 * Input: records of [dom][type][tx][len lo][len hi] then len payload bytes
 * (len is cut to what is left and to LAMINA_STORE_PAYLOAD_MAX). dom % 4
 * picks domain 0, 1, 2 or 7; tx 0 is none, 1..15 one of the ids
 * TRANSACTION_START replies gave so far, other values are sent as is.
 */
#define MAX_REQS 256
static const uint16_t doms[4] = { 0, 1, 2, 7 };

static void must(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz/store: %s\n", what);
	abort();
}

static unsigned events;
/* The database's watch callback: only counts (it must not re-enter). */
static void fire(void *arg, uint16_t dom, const char *path, const char *token, void *priv)
{
	must(path && token && strlen(path) <= LAMINA_STORE_ABS_PATH_MAX, "bad watch event");
	events++;
}

static int introduce(void *arg, unsigned domid, uint64_t gfn, uint32_t port) { return 0; }
static int release(void *arg, unsigned domid) { return domid == 3 ? -LAMINA_ENOENT : 0; }
static const struct store_host_ops host = { introduce, release, NULL };

/* The reply follows store_svc.h: the request's type, or ERROR with a known name. */
static void check_reply(uint32_t type, const struct lamina_store_msg *h, const uint8_t *rsp,
			uint32_t rlen)
{
	must(rlen <= LAMINA_STORE_PAYLOAD_MAX, "reply longer than the payload maximum");
	if (type == LAMINA_STORE_ERROR) {
		must(rlen > 1 && rsp[rlen - 1] == 0 && memchr(rsp, 0, rlen) == rsp + rlen - 1,
		     "error reply is not one string");
		must(store_err_number((const char *)rsp) != 0, "error reply names no store error");
	} else {
		must(type == h->type, "reply type is neither the request's nor ERROR");
	}
}

/* No domain but 0 is ever over a quota. */
static void check_quotas(struct store_db *db)
{
	for (unsigned i = 1; i < 4; i++) {
		must(store_db_owned(db, doms[i]) <= LAMINA_STORE_QUOTA_NODES, "node quota exceeded");
		must(store_db_nr_watches(db, doms[i]) <= LAMINA_STORE_QUOTA_WATCHES, "watch quota exceeded");
		must(store_db_nr_tx(db, doms[i]) <= LAMINA_STORE_QUOTA_TRANSACTIONS, "tx quota exceeded");
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct store_db *db = store_db_new(fire, NULL);
	static uint8_t rsp[LAMINA_STORE_PAYLOAD_MAX];
	uint32_t txs[16] = { 0 }, ntx = 1;
	size_t at = 0;

	must(db != NULL, "store_db_new failed");
	for (unsigned n = 0; n < MAX_REQS && size - at >= 5; n++) {
		const uint8_t *r = data + at;
		uint32_t len = r[3] | (uint32_t)r[4] << 8, rlen = 0;
		uint16_t dom = doms[r[0] % 4];
		at += 5;
		if (len > size - at)
			len = (uint32_t)(size - at);
		if (len > LAMINA_STORE_PAYLOAD_MAX)
			len = LAMINA_STORE_PAYLOAD_MAX;
		struct lamina_store_msg h = { .type = r[1], .req_id = n, .len = len,
					      .tx_id = r[2] < 16 ? txs[r[2]] : r[2] };
		/* An exact-size private copy, as the ring service hands over. */
		uint8_t *pl = malloc(len ? len : 1);
		must(pl != NULL, "out of memory");
		memcpy(pl, data + at, len);
		at += len;
		uint32_t type = store_dispatch(db, dom, &host, &h, pl, rsp, &rlen);
		check_reply(type, &h, rsp, rlen);
		if (type == LAMINA_STORE_TRANSACTION_START && rlen && ntx < 16)
			txs[ntx++] = (uint32_t)strtoul((const char *)rsp, NULL, 10);
		free(pl);
		check_quotas(db);
	}
	/* Releasing a domain forgets it entirely. */
	for (unsigned i = 1; i < 4; i++) {
		store_db_release(db, doms[i]);
		must(store_db_owned(db, doms[i]) == 0 && store_db_nr_watches(db, doms[i]) == 0 &&
		     store_db_nr_tx(db, doms[i]) == 0, "a released domain still owns something");
	}
	store_db_free(db);
	return 0;
}
