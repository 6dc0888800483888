// SPDX-License-Identifier: MIT
// store_bad/main.c: a malformed store ring ends the domain's connection, not the domain: an oversized length (or, mode=cons, a corrupt rsp_cons).
#include "../store/xs.h"

const char test_title[] = "store: a fatal ring error ends the connection only";

static struct xs_msg m;

/* No reply arrives within 300 ms, even to a valid request sent after. */
static void silent(uint32_t rsp, const char *why)
{
	struct lamina_store_msg h = { LAMINA_STORE_GET_DOMAIN_PATH, 99, 0, 2 };

	rt_spin_ns(300 * MS);
	rt_expect(xs_ring->rsp_prod, rsp, why);
	xs_put(&h, XS_HDR);
	xs_put("1", 2);
	rt_spin_ns(300 * MS);
	rt_expect(xs_ring->rsp_prod, rsp, "a valid request afterwards gets no reply either");
	rt_expect(HC0(LAMINA_HC_null), 0, "the domain itself carries on");
}

/* A header announcing LAMINA_STORE_PAYLOAD_MAX + 1 bytes cannot be skipped. */
static void oversized(void)
{
	struct lamina_store_msg h = { LAMINA_STORE_WRITE, 5, 0, LAMINA_STORE_PAYLOAD_MAX + 1 };
	uint32_t req = xs_ring->req_cons, rsp = xs_ring->rsp_prod;

	xs_put(&h, XS_HDR);
	xs_put("x\0y", 3);
	rt_spin_ns(300 * MS);
	rt_expect(xs_ring->req_cons - req, 0, "the store stopped at the header: nothing more is published");
	silent(rsp, "no reply to a request with len > LAMINA_STORE_PAYLOAD_MAX");
}

/* A reply consumer index ahead of everything the store produced. */
static void bad_cons(void)
{
	struct lamina_store_msg h = { LAMINA_STORE_GET_DOMAIN_PATH, 6, 0, 2 };
	uint32_t rsp = xs_ring->rsp_prod;

	xs_ring->rsp_cons = rsp + 5000;
	xs_put(&h, XS_HDR);
	xs_put("1", 2);
	silent(rsp, "no reply once rsp_cons is more than the ring ahead of rsp_prod");
	xs_ring->rsp_cons = xs_rsp_cons;
}

void test_main(void)
{
	const char *mode = rt_arg("mode");

	xs_init();
	rt_expect(xs_req(LAMINA_STORE_GET_DOMAIN_PATH, 0, "1", 2, &m), 16, "a valid request first");
	rt_expect(xs_req(77, 0, "", 0, &m), -LAMINA_EINVAL, "a garbage type is only an error reply");
	if (mode && !rt_strncmp(mode, "cons", 4))
		bad_cons();
	else
		oversized();
}
