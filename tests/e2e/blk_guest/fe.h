// SPDX-License-Identifier: MIT
// fe.h: the block test guest's minimal front-end: grants, the store handshake, raw request slots and waiting for responses.
//
// Memory (identity-mapped guest frames) and grant refs it uses:
//   rings     FE_RING_GFN + 4q + i,  ref 1 + 4q + i   (q < 2, i < 4: order <= 2)
//   indirect  FE_IND_GFN + i,        ref FE_REF_IND + i (i < 2)
//   other     FE_OTHER_GFN,          ref FE_REF_OTHER, granted to domain 7, not to the back-end
//   data      FE_DATA_GFN + i,       ref FE_REF_DATA + i (i < FE_DATA_PAGES)
#ifndef FE_H
#define FE_H
#include "rt.h"
#include "xs.h"
#include "gnt.h"
#include <lamina/io/blkif.h>
#include <lamina/io/bus.h>
#include "pattern.h"

#define FE_DIR "device/vbd/0"
#define FE_RING_GFN 0x800ul
#define FE_IND_GFN 0x810ul
#define FE_OTHER_GFN 0x820ul
#define FE_DATA_GFN 0x900ul
#define FE_DATA_PAGES 256u
#define FE_REF_IND 10u
#define FE_REF_OTHER 12u
#define FE_REF_DATA 16u
#define FE_MAX_Q 2u
#define FE_WAIT_NS (120000 * MS) // one response, on a slow testbed

struct fe_ring {
	struct lamina_blkif_front f;
	uint32_t port;
};

// What the back-end offered (read at each connection).
struct fe_be {
	uint64_t sectors;
	unsigned long ss, max_ind, flush, fua, discard, zeroes, max_order, max_q;
};

extern struct fe_ring fe_q[FE_MAX_Q];
extern struct fe_be fe_be;
extern unsigned fe_nq;

void fe_init(void); // grant table, grants, ports
long fe_be_state(void);
int fe_wait_be(long want, uint64_t ns); // 1 when the back-end is in state want
int fe_wait_be_in(unsigned set, uint64_t ns); // 1 when its state is in set (a bit per state)
int fe_wait_be_gone(uint64_t ns); // 1 when the back-end is Closed or a new one starts
int fe_connect(unsigned nq, unsigned order); // 1 connected, 0 not (says why)
void fe_close(void); // Closing, wait for the back's Closed, Closed
// A raw slot onto ring q (no push).
void fe_put(unsigned q, const void *slot);
void fe_push(unsigned q);
// The response to id on ring q within FE_WAIT_NS: its status, or 99 if none came.
int fe_wait(unsigned q, uint64_t id);
// Build a request: nseg segments over data pages first_page.., whole pages
// or (odd) sub-page ranges. Indirect when nseg > 11 or force_ind.
void fe_rw(unsigned q, uint8_t op, uint64_t id, uint64_t sector, unsigned nseg,
	   unsigned first_page, int partial, int force_ind);
// Units (512 bytes) a request built with these arguments covers.
unsigned fe_units(unsigned nseg, int partial);
// One request and its answer: the status.
int fe_do(unsigned q, uint8_t op, uint64_t sector, unsigned nseg, unsigned first_page, int partial);
int fe_do_span(uint8_t op, uint64_t sector, uint64_t count); // DISCARD, WRITE_ZEROES, FLUSH
void fe_fill(unsigned first_page, unsigned n, uint32_t seed);
int fe_same(unsigned first_page, unsigned n, uint32_t seed); // pages hold fe_fill's pattern
// After a read with these segments into cleared pages: covered bytes hold the pattern, the rest 0.
int fe_check(unsigned first_page, unsigned nseg, int partial, uint32_t seed);
void fe_clear(unsigned first_page, unsigned n);
#endif
