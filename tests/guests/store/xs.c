// SPDX-License-Identifier: MIT
// xs.c: a small store client for conformance guests: byte rings, requests and replies, queued watch events.
#include "xs.h"

volatile struct lamina_store_ring *xs_ring;
uint32_t xs_port;
uint32_t xs_req_prod, xs_rsp_cons;
static uint32_t next_id = 1;

/* Watch events that arrived while waiting for replies. */
#define NEV 32
static struct { char path[512]; char token[64]; } evq[NEV];
static int nev;

/* Partial message gathered by xs_get. */
static struct xs_msg rx;
static uint32_t rx_len;

int xs_streq(const char *a, const char *b)
{
	size_t n = rt_strlen(a);

	return n == rt_strlen(b) && !rt_memcmp(a, b, n);
}

const char *xs_fmt(const char *fmt, ...)
{
	static char buf[4][160];
	static int i;
	va_list ap;

	i = (i + 1) % 4;
	va_start(ap, fmt);
	rt_vsnprintf(buf[i], sizeof(buf[i]), fmt, ap);
	va_end(ap);
	return buf[i];
}

void xs_init(void)
{
	struct lamina_add_to_physmap x = { .domid = LAMINA_DOMID_SELF,
		.space = LAMINA_SPACE_STORE_RING, .idx = 0, .gfn = XS_GFN };

	rt_map_shared_info();
	xs_port = rt_shinfo->store_port;
	if (!xs_port)
		rt_fail("shared_info store_port is 0");
	long r = HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x);
	if (r)
		rt_fail("mapping the store ring: %ld", r);
	xs_ring = (volatile struct lamina_store_ring *)(XS_GFN << 12);
	xs_req_prod = xs_ring->req_prod;
	xs_rsp_cons = xs_ring->rsp_cons;
}

void xs_notify(void) { HC1(LAMINA_HC_event_send, xs_port); }

void xs_wait(uint64_t ns)
{
	lamina_port_t p = xs_port;
	struct lamina_sched_poll sp = { .ports = (uint64_t)&p, .nr_ports = 1,
					.timeout = rt_now() + ns };

	HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &sp);
	__atomic_fetch_and(&rt_shinfo->evtchn_pending[p / 64], ~(1ull << (p % 64)), __ATOMIC_SEQ_CST);
}

void xs_put(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint64_t until = rt_now() + XS_WAIT;

	while (n) {
		uint32_t space = XS_RB - (xs_req_prod - xs_ring->req_cons);
		if (!space) {
			if (rt_now() > until)
				rt_fail("the store took no request bytes for %llu ms", XS_WAIT / MS);
			xs_notify();
			xs_wait(10 * MS);
			continue;
		}
		uint32_t k = space < n ? space : n;
		for (uint32_t i = 0; i < k; i++)
			xs_ring->req[(xs_req_prod + i) % XS_RB] = b[i];
		lamina_wmb();
		xs_req_prod += k;
		xs_ring->req_prod = xs_req_prod;
		b += k;
		n -= k;
	}
	xs_notify();
}

/* Take available reply bytes into rx; 1 once a whole message is there. */
static int take(void)
{
	uint32_t prod = xs_ring->rsp_prod, moved = 0;

	lamina_rmb();
	for (;;) {
		uint32_t want = rx_len < XS_HDR ? XS_HDR - rx_len : XS_HDR + rx.h.len - rx_len;
		if (rx_len >= XS_HDR && rx.h.len > LAMINA_STORE_PAYLOAD_MAX)
			rt_fail("the store sent a %u-byte payload", rx.h.len);
		if ((rx_len >= XS_HDR && !want) || prod == xs_rsp_cons)
			break;
		((uint8_t *)&rx)[rx_len++] = xs_ring->rsp[xs_rsp_cons++ % XS_RB];
		moved = 1;
	}
	if (moved) {
		lamina_mb();
		xs_ring->rsp_cons = xs_rsp_cons;
		xs_notify();
	}
	return rx_len >= XS_HDR && rx_len == XS_HDR + rx.h.len;
}

int xs_get(struct xs_msg *m, uint64_t ns)
{
	uint64_t until = rt_now() + ns;

	while (!take()) {
		if (rt_now() >= until)
			return 0;
		xs_wait(until - rt_now());
	}
	rx.pl[rx.h.len] = 0;
	rt_memcpy(m, &rx, XS_HDR + rx.h.len + 1);
	rx_len = 0;
	return 1;
}

int xs_errno(const char *name)
{
#define E(n) if (xs_streq(name, #n)) return LAMINA_##n;
	LAMINA_STORE_ERRORS(E)
#undef E
	return 0;
}

static void queue_event(const struct xs_msg *m)
{
	const char *tok = m->pl + rt_strlen(m->pl) + 1;

	if (nev == NEV || rt_strlen(m->pl) >= sizeof(evq[0].path) || rt_strlen(tok) >= sizeof(evq[0].token))
		return;
	rt_memcpy(evq[nev].path, m->pl, rt_strlen(m->pl) + 1);
	rt_memcpy(evq[nev].token, tok, rt_strlen(tok) + 1);
	nev++;
}

int xs_req(uint32_t type, uint32_t tx, const void *pl, uint32_t len, struct xs_msg *r)
{
	static struct xs_msg m;
	struct lamina_store_msg h = { type, next_id++, tx, len };

	xs_put(&h, XS_HDR);
	if (len)
		xs_put(pl, len);
	for (;;) {
		if (!xs_get(&m, XS_WAIT))
			return -LAMINA_ETIMEDOUT;
		if (m.h.type == LAMINA_STORE_WATCH_EVENT) {
			queue_event(&m);
			continue;
		}
		if (m.h.req_id != h.req_id) {
			rt_check(0, "reply %u to request %u came while waiting for %u", m.h.type,
				 m.h.req_id, h.req_id);
			continue;
		}
		break;
	}
	if (r)
		rt_memcpy(r, &m, XS_HDR + m.h.len + 1);
	if (m.h.type == LAMINA_STORE_ERROR)
		return xs_errno(m.pl) ? -xs_errno(m.pl) : -LAMINA_EIO;
	if (m.h.type != type)
		rt_check(0, "reply type %u to a request of type %u", m.h.type, type);
	return (int)m.h.len;
}

int xs_path_req(uint32_t type, uint32_t tx, const char *path, const void *data, uint32_t n,
		struct xs_msg *r)
{
	static char pl[LAMINA_STORE_PAYLOAD_MAX + 64];
	uint32_t l = (uint32_t)rt_strlen(path) + 1;

	if (l + n > sizeof(pl))
		rt_fail("request too big for the test's buffer");
	rt_memcpy(pl, path, l);
	rt_memcpy(pl + l, data, n);
	return xs_req(type, tx, pl, l + n, r);
}

int xs_read(uint32_t tx, const char *path, char *buf, uint32_t cap)
{
	static struct xs_msg m;
	int n = xs_path_req(LAMINA_STORE_READ, tx, path, "", 0, &m);

	if (n >= 0 && (uint32_t)n >= cap)
		n = (int)cap - 1;
	if (n >= 0) {
		rt_memcpy(buf, m.pl, (size_t)n);
		buf[n] = 0;
	}
	return n;
}

int xs_write(uint32_t tx, const char *path, const char *val)
{
	int n = xs_path_req(LAMINA_STORE_WRITE, tx, path, val, (uint32_t)rt_strlen(val), NULL);

	return n < 0 ? n : 0;
}

static int ok(int n) { return n < 0 ? n : 0; }

int xs_mkdir(const char *path) { return ok(xs_path_req(LAMINA_STORE_MKDIR, 0, path, "", 0, NULL)); }
int xs_rm(const char *path) { return ok(xs_path_req(LAMINA_STORE_RM, 0, path, "", 0, NULL)); }

int xs_set_perms(const char *path, const char *perms)
{
	char wire[256];
	uint32_t n = (uint32_t)rt_strlen(perms) + 1;

	if (n > sizeof(wire))
		rt_fail("permission list too long");
	for (uint32_t i = 0; i < n; i++)
		wire[i] = perms[i] == ' ' ? 0 : perms[i];
	return ok(xs_path_req(LAMINA_STORE_SET_PERMS, 0, path, wire, n, NULL));
}

int xs_watch(const char *path, const char *token)
{
	return ok(xs_path_req(LAMINA_STORE_WATCH, 0, path, token, (uint32_t)rt_strlen(token) + 1, NULL));
}

int xs_unwatch(const char *path, const char *token)
{
	return ok(xs_path_req(LAMINA_STORE_UNWATCH, 0, path, token, (uint32_t)rt_strlen(token) + 1, NULL));
}

int xs_tx_start(uint32_t *tx)
{
	static struct xs_msg m;
	int n = xs_req(LAMINA_STORE_TRANSACTION_START, 0, "", 1, &m);
	uint32_t v = 0;

	if (n < 0)
		return n;
	for (const char *p = m.pl; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint32_t)(*p - '0');
	*tx = v;
	return 0;
}

int xs_tx_end(uint32_t tx, int commit)
{
	return ok(xs_req(LAMINA_STORE_TRANSACTION_END, tx, commit ? "T" : "F", 2, NULL));
}

/* Remove queued event i. */
static void ev_drop(int i)
{
	for (; i + 1 < nev; i++)
		evq[i] = evq[i + 1];
	nev--;
}

int xs_event(const char *path, const char *token, uint64_t ns)
{
	static struct xs_msg m;
	uint64_t until = rt_now() + ns;

	for (;;) {
		for (int i = 0; i < nev; i++)
			if (xs_streq(evq[i].path, path) && xs_streq(evq[i].token, token)) {
				ev_drop(i);
				return 1;
			}
		uint64_t now = rt_now();
		if (now >= until || !xs_get(&m, until - now))
			return 0;
		if (m.h.type == LAMINA_STORE_WATCH_EVENT)
			queue_event(&m);
		else
			rt_check(0, "unexpected reply %u (request %u) while waiting for an event",
				 m.h.type, m.h.req_id);
	}
}

int xs_events_clear(void)
{
	int n = nev;

	nev = 0;
	return n;
}
