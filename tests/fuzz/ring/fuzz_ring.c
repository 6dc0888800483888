// SPDX-License-Identifier: MIT
// fuzz_ring.c: libFuzzer harness for the ring consumers (store ring service, lamina-console's service) over a page the guest changes between reads.
#include <stddef.h>
#include <stdlib.h>
#include <lamina/errno.h>
#include <lamina/io/console.h>
#include <lamina/store.h>
#include "con.h"
#include "store_db.h"
#include "store_svc.h"
#include "common/shim_int.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/*
 * Input: byte 0 even drives the store ring of domain 1, odd the console
 * ring. Then op bytes, each followed by its operands: the guest writes
 * requests or output, sets indices, consumes replies or input; or the
 * back-end runs a step, during which every read of the page may first see
 * the guest change the bytes read (shim.c). Checked besides ASan/UBSan:
 * no ring byte is read twice in one lap (double fetch), once a ring is
 * declared corrupt the page is never touched again, and every byte read is
 * accounted for (published consumer index, delivered output).
 */
#define MAX_OPS 256

/* ---- the guest's side (plain stores: no checks, any value) ---- */

static uint32_t get32(const void *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static void put32(void *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }
static uint32_t fz32(void) { uint32_t v; fz_take(&v, 4); return v; }

/* Append n fuzzer bytes (or the given bytes) to a byte ring at *prod. */
static void guest_put(uint8_t *ring, uint32_t size, void *prod, const void *src, uint32_t n)
{
	uint32_t p = get32(prod);

	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = src ? ((const uint8_t *)src)[i] : fz_byte();
		ring[(p + i) % size] = b;
	}
	put32(prod, p + n);
}

/* Run one back-end step; a dead ring must not be touched. */
#define BACKEND(dead, call) do { \
	bool was_dead_ = (dead); unsigned long before_ = fz.accesses; \
	fz.in_backend = true; call; fz.in_backend = false; \
	if (was_dead_ && fz.accesses != before_) \
		fz_fail("the back-end touched the ring after declaring it corrupt"); \
} while (0)

/* ---- store ring ---- */

static struct store_conn *conn;
static void fire(void *arg, uint16_t dom, const char *path, const char *token, void *priv)
{
	if (dom == 1 && conn)
		store_conn_event(conn, path, token);
}
static void notify(void *arg) { (*(unsigned *)arg)++; }

/* A well-formed request: header then a payload of fuzzer bytes. */
static void store_request(struct lamina_store_ring *r, uint32_t id)
{
	struct lamina_store_msg h = { .type = fz_byte() % 17, .req_id = id, .len = fz_byte() };

	guest_put(r->req, LAMINA_STORE_RING_BYTES, &r->req_prod, &h, sizeof(h));
	guest_put(r->req, LAMINA_STORE_RING_BYTES, &r->req_prod, NULL, h.len);
}

static void store_op(struct lamina_store_ring *r, unsigned i)
{
	int rc;

	switch (fz_byte() % 8) {
	case 0: case 1: store_request(r, i); break;
	case 2: guest_put(r->req, LAMINA_STORE_RING_BYTES, &r->req_prod, NULL, fz_byte() % 64); break;
	case 3: put32(&r->req_prod, fz32()); break;
	case 4: put32(&r->rsp_cons, get32(&r->rsp_prod)); break;
	case 5: put32(&r->rsp_cons, fz32()); break;
	case 6:
		BACKEND(store_conn_error(conn) != NULL, rc = store_conn_service(conn, fz_byte() % 8));
		if ((rc == -LAMINA_EIO) != (store_conn_error(conn) != NULL) || rc < -LAMINA_EIO || rc > 1)
			fz_fail("store_conn_service returned %d (error: %s)", rc, store_conn_error(conn));
		break;
	default:
		BACKEND(store_conn_error(conn) != NULL, store_conn_flush(conn));
		break;
	}
}

static void run_store(void)
{
	struct lamina_store_ring *r = aligned_alloc(4096, 4096);
	struct store_db *db = store_db_new(fire, NULL);
	static const struct store_host_ops host;
	unsigned notified = 0;

	if (!r || !db)
		fz_fail("out of memory");
	__builtin_memset(r, 0, 4096);
	struct fz_region *pg = fz_page_setup((uint8_t *)r, offsetof(struct lamina_store_ring, req),
		      offsetof(struct lamina_store_ring, req) + LAMINA_STORE_RING_BYTES,
		      offsetof(struct lamina_store_ring, req_cons));
	store_db_mkdir(db, 0, 0, "/local/domain/1");
	store_db_set_perms(db, 0, 0, "/local/domain/1", "n1", 3);
	conn = store_conn_new(db, 1, r, &host, notify, &notified);
	if (!conn)
		fz_fail("out of memory");
	for (unsigned i = 0; i < MAX_OPS && fz.left; i++)
		store_op(r, i);
	if (!store_conn_error(conn) && pg->data_reads != pg->idx)
		fz_fail("%lu request bytes read but the consumer index says %u", pg->data_reads, pg->idx);
	store_conn_free(conn);
	conn = NULL;
	store_db_free(db);
	free(r);
}

/* ---- console ring (pvdrivers/console: con_serve.c, con_ring.c) ---- */

static unsigned long out_bytes, in_given;

/* lamina-console's link, faked: output counted, pulls answered by console_op. */
int con_send(struct con_dev *c, uint32_t type, const void *data, uint32_t len)
{
	if (type == CL_OUTPUT)
		out_bytes += len;
	return 0;
}
void con_log(struct con_dev *c, const char *fmt, ...) {}

/* The hypervisor answers an outstanding pull: up to its max fuzzer bytes. */
static void give_input(struct con_dev *c)
{
	struct conlink_msg m = { .h = { .type = CL_INPUT } };
	uint32_t n = c->pulling ? fz_byte() * 8u % (c->pull_max + 1) : fz_byte() % 4;
	struct conlink_more more = { .more = fz_byte() % 4 };
	bool was_dead = c->dead, ok = c->pulling && n <= c->pull_max && more.more <= 2;

	fz_take(m.data, n);
	__builtin_memcpy(m.data + n, &more, sizeof(more));
	m.h.len = n + (uint32_t)sizeof(more);
	int rc = con_handle(c, &m, m.h.len, NULL, 0);
	if (!rc && !was_dead)
		in_given += n;
	if ((rc == 0) != ok)   /* unasked, more than asked for, or a bad "more": refused */
		fz_fail("CL_INPUT of %u bytes: %d", n, rc);
}

static void console_op(struct con_dev *c)
{
	struct lamina_console_ring *r = c->ring;
	struct conlink_msg avail = { .h = { .type = CL_AVAIL } };
	int rc;

	switch (fz_byte() % 7) {
	case 0: guest_put(r->out, LAMINA_CONSOLE_OUT_BYTES, &r->out_prod, NULL, fz_byte() * 9u); break;
	case 1: put32(&r->out_prod, fz32()); break;
	case 2: put32(&r->in_cons, get32(&r->in_prod)); break;
	case 3: put32(&r->in_cons, fz32()); break;
	case 4: give_input(c); break;
	case 5:
		if (fz_byte() & 1)
			con_guest_event(c);
		else if (con_handle(c, &avail, 0, NULL, 0))
			fz_fail("CL_AVAIL refused");
		break;
	default:
		BACKEND(c->dead, rc = con_round(c));
		if (rc < 0 || rc > 1)
			fz_fail("con_round returned %d", rc);
		break;
	}
}

static void run_console(void)
{
	struct con_dev c = { .link = -1, .doorbell = -1, .kick = -1, .domid = 1, .port = 5 };
	uint8_t *page = aligned_alloc(4096, 4096);

	if (!page)
		fz_fail("out of memory");
	__builtin_memset(page, 0, 4096);
	c.ring = (struct lamina_console_ring *)page;
	out_bytes = in_given = 0;
	struct fz_region *pg = fz_page_setup(page, offsetof(struct lamina_console_ring, out),
		      offsetof(struct lamina_console_ring, out) + LAMINA_CONSOLE_OUT_BYTES,
		      offsetof(struct lamina_console_ring, out_cons));
	for (unsigned i = 0; i < MAX_OPS && fz.left; i++)
		console_op(&c);
	if (!c.dead && (pg->data_reads != out_bytes || out_bytes != pg->idx || c.out_cons != pg->idx))
		fz_fail("output: %lu bytes read, %lu delivered, consumer index %u (own %u)",
			pg->data_reads, out_bytes, pg->idx, c.out_cons);
	if (!c.dead && in_given != c.in_prod)
		fz_fail("input: %lu bytes given, %u put in the ring", in_given, c.in_prod);
	free(page);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!size)
		return 0;
	fz.name = "ring";
	fz.p = data + 1;
	fz.left = size - 1;
	if (data[0] & 1)
		run_console();
	else
		run_store();
	return 0;
}
