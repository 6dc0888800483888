// SPDX-License-Identifier: MIT
// store_client.c: a minimal polling store client for test guests: byte rings, one request at a time.
#include "rt.h"
#include "store_client.h"

#define BYTES LAMINA_STORE_RING_BYTES
#define POLL_NS 10000000ull /* re-check the ring at least every 10 ms */

static struct lamina_store_ring *ring;
static lamina_port_t port;
static uint32_t next_id;
static char msg[LAMINA_STORE_PAYLOAD_MAX + 1];

long sc_init(uint64_t gfn)
{
	struct lamina_add_to_physmap x = { .domid = LAMINA_DOMID_SELF,
		.space = LAMINA_SPACE_STORE_RING, .idx = 0, .gfn = gfn };
	long r;

	rt_map_shared_info();
	if ((r = HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x)))
		return r;
	ring = (struct lamina_store_ring *)(gfn << 12);
	port = LAMINA_READ_ONCE(rt_shinfo->store_port);
	return 0;
}

uint32_t sc_port(void) { return port; }

void sc_ack(void)
{
	__atomic_fetch_and(&rt_shinfo->evtchn_pending[port / 64], ~(1ull << (port % 64)),
			   __ATOMIC_SEQ_CST);
}

/* Sleep until the store signals or POLL_NS pass. */
static void wait_store(void)
{
	struct lamina_sched_poll p = { .ports = (uint64_t)&port, .nr_ports = 1,
				       .timeout = rt_now() + POLL_NS };

	HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &p);
}

static void kick(void) { HC1(LAMINA_HC_event_send, port); }

static void put_bytes(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		sc_ack();
		uint32_t prod = ring->req_prod, cons = LAMINA_READ_ONCE(ring->req_cons);
		lamina_mb();    /* the store's consumption before our writes into the space */
		uint32_t room = BYTES - (prod - cons), k = room < n ? room : (uint32_t)n;
		if (!k) {
			wait_store();
			continue;
		}
		for (uint32_t i = 0; i < k; i++)
			ring->req[(prod + i) % BYTES] = p[i];
		lamina_wmb();   /* the bytes before the index */
		LAMINA_WRITE_ONCE(ring->req_prod, prod + k);
		kick();
		p += k;
		n -= k;
	}
}

static void get_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		sc_ack();
		uint32_t cons = ring->rsp_cons, prod = LAMINA_READ_ONCE(ring->rsp_prod);
		lamina_rmb();   /* the index before the bytes */
		uint32_t avail = prod - cons, k = avail < n ? avail : (uint32_t)n;
		if (!k) {
			wait_store();
			continue;
		}
		for (uint32_t i = 0; i < k; i++)
			p[i] = ring->rsp[(cons + i) % BYTES];
		lamina_mb();    /* the bytes are copied before the space is handed back */
		LAMINA_WRITE_ONCE(ring->rsp_cons, cons + k);
		kick();
		p += k;
		n -= k;
	}
}

static long error_number(const char *name)
{
#define X(e) if (!rt_strncmp(name, #e, sizeof(#e))) return -LAMINA_##e;
	LAMINA_STORE_ERRORS(X)
#undef X
	return -LAMINA_EIO;
}

/* One request (payload a then b) and its reply into out: the reply's length or -error. */
static long request(uint32_t type, const void *a, size_t na, const void *b, size_t nb,
		    char *out, size_t size)
{
	struct lamina_store_msg h = { .type = type, .req_id = ++next_id, .len = (uint32_t)(na + nb) };
	struct lamina_store_msg r;

	if (na + nb > LAMINA_STORE_PAYLOAD_MAX)
		return -LAMINA_E2BIG;
	put_bytes(&h, sizeof(h));
	put_bytes(a, na);
	put_bytes(b, nb);
	for (;;) {
		get_bytes(&r, sizeof(r));
		if (r.len > LAMINA_STORE_PAYLOAD_MAX)
			return -LAMINA_EIO;
		get_bytes(msg, r.len);
		msg[r.len] = 0;
		if (r.type != LAMINA_STORE_WATCH_EVENT && r.req_id == h.req_id)
			break;
	}
	if (r.type == LAMINA_STORE_ERROR)
		return error_number(msg);
	size_t n = r.len < size ? r.len : size - 1;
	rt_memcpy(out, msg, n);
	out[n] = 0;
	return (long)r.len;
}

long sc_read(const char *path, char *buf, size_t size)
{
	return request(LAMINA_STORE_READ, path, rt_strlen(path) + 1, "", 0, buf, size);
}

long sc_write(const char *path, const char *val)
{
	char ok[4];
	long r = request(LAMINA_STORE_WRITE, path, rt_strlen(path) + 1, val, rt_strlen(val), ok,
			 sizeof(ok));

	return r < 0 ? r : 0;
}
