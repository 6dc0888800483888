// SPDX-License-Identifier: MIT
// console_guest/main.c: e2e guest of console.sh: numbered ticks out through the PV console ring, typed lines echoed back, until "quit".
#include "rt.h"

const char test_title[] = "console e2e: ticks and echoes through the PV console ring";

#define MS 1000000ull
#define CON_GFN (RT_HOLE_GFN + 2)
#define OB LAMINA_CONSOLE_OUT_BYTES
#define IB LAMINA_CONSOLE_IN_BYTES
#define ROOM_WAIT_MS 60000ull    /* a back-end restart takes far less */

static volatile struct lamina_console_ring *ring;
static uint32_t port;

static void setup(void)
{
	struct lamina_add_to_physmap x = { .domid = LAMINA_DOMID_SELF,
		.space = LAMINA_SPACE_CONSOLE_RING, .idx = 0, .gfn = CON_GFN };

	rt_map_shared_info();
	port = rt_shinfo->console_port;
	rt_check(port != 0, "shared_info has a console port");
	rt_expect(HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x), 0, "mapping the console ring");
	ring = (volatile struct lamina_console_ring *)(CON_GFN << 12);
}

/* n bytes into the out ring, waiting for room while the back-end is away
 * (the guest's output is buffered in its ring, never dropped). */
static void put(const char *s, uint32_t n)
{
	uint64_t until = rt_now() + ROOM_WAIT_MS * MS;

	for (uint32_t i = 0; i < n;) {
		uint32_t prod = ring->out_prod, room = OB - (prod - ring->out_cons), k;
		if (!room) {
			if (rt_now() >= until)   /* not rt_check: its "ok" lines would flood the console */
				rt_fail("the console ring stayed full for %llu ms",
					(unsigned long long)ROOM_WAIT_MS);
			rt_spin_ns(MS);
			continue;
		}
		k = room < n - i ? room : n - i;
		for (uint32_t j = 0; j < k; j++)
			ring->out[(prod + j) % OB] = (uint8_t)s[i + j];
		lamina_wmb();
		ring->out_prod = prod + k;
		HC1(LAMINA_HC_event_send, port);
		i += k;
	}
}

static char line[96];
static uint32_t line_len;

/* Take typed bytes; echo each whole line. 1 once "quit" was typed. */
static int take_input(void)
{
	uint32_t cons = ring->in_cons, prod = ring->in_prod;
	int quit = 0;

	lamina_rmb();
	if (prod - cons > IB)
		rt_fail("in_prod %u is past the ring (in_cons %u)", prod, cons);
	for (; cons != prod; cons++) {
		char c = (char)ring->in[cons % IB];
		if (c != '\n' && line_len < sizeof(line) - 1) {
			line[line_len++] = c;
			continue;
		}
		if (c != '\n')
			continue;
		line[line_len] = 0;
		char out[128];
		int k = rt_snprintf(out, sizeof(out), "console-guest: echo: %s\n", line);
		put(out, (uint32_t)k);
		quit |= line_len == 4 && !rt_strncmp(line, "quit", 4);
		line_len = 0;
	}
	lamina_mb();
	if (ring->in_cons != cons) {
		ring->in_cons = cons;
		HC1(LAMINA_HC_event_send, port);   /* room for more input */
	}
	return quit;
}

void test_main(void)
{
	uint64_t end = rt_now() + (uint64_t)rt_arg_num("seconds", 900) * 1000 * MS;

	setup();
	for (unsigned n = 0;; n++) {
		char out[64];
		int k = rt_snprintf(out, sizeof(out), "console-guest: tick %u\n", n);
		put(out, (uint32_t)k);
		for (int i = 0; i < 20; i++) {
			if (take_input())
				return;
			rt_spin_ns(10 * MS);
		}
		if (rt_now() >= end)
			rt_fail("nobody typed quit");
	}
}
