// SPDX-License-Identifier: MIT
// fe.h: the network test guest's minimal front-end: grants, the store handshake, raw tx and rx ring slots, sending and receiving whole frames.
//
// Memory (identity-mapped guest frames) and grant refs it uses:
//   tx ring   FE_RING_GFN,       ref FE_REF_TX_RING
//   rx ring   FE_RING_GFN + 1,   ref FE_REF_RX_RING
//   tx list   FE_RING_GFN + 2,   ref FE_REF_TX_LIST (lists the tx pool's refs)
//   rx list   FE_RING_GFN + 3,   ref FE_REF_RX_LIST
//   other     FE_OTHER_GFN,      ref FE_REF_OTHER, granted to domain 7, not to the back-end
//   spare     FE_SPARE_GFN,      ref FE_REF_SPARE, granted to domain 0 but in no pool
//   tx pool   FE_TX_GFN + i,     ref FE_REF_TX + i (i < FE_TX_PAGES)
//   rx pool   FE_RX_GFN + i,     ref FE_REF_RX + i (i < FE_RX_PAGES)
#ifndef FE_H
#define FE_H
#include "rt.h"
#include "xs.h"
#include "gnt.h"
#include <lamina/io/netif.h>
#include <lamina/io/bus.h>
#include "frame.h"

#define FE_DIR "device/vif/0"
#define FE_RING_GFN 0x800ul
#define FE_OTHER_GFN 0x820ul
#define FE_SPARE_GFN 0x821ul
#define FE_TX_GFN 0x900ul
#define FE_RX_GFN 0x940ul
#define FE_TX_PAGES 32u
#define FE_RX_PAGES 32u
#define FE_REF_TX_RING 1u
#define FE_REF_RX_RING 2u
#define FE_REF_TX_LIST 3u
#define FE_REF_RX_LIST 4u
#define FE_REF_OTHER 12u
#define FE_REF_SPARE 13u
#define FE_REF_TX 16u
#define FE_REF_RX (FE_REF_TX + FE_TX_PAGES)
#define FE_RX_POSTED 20u /* rx buffers kept posted: a 64 KiB super-frame needs 17 */
#define FE_RX_RAW 24u /* rx pages FE_RX_RAW.. are for the hostile cases' own posts */
#define FE_WAIT_NS (120000 * MS) // one response, on a slow testbed
#define FE_FRAME_NS (60000 * MS) // one frame from the peer

// What the back-end offered and this connection uses.
struct fe_be {
	uint8_t mac[6];
	unsigned long mtu, offload, split;
	int hdr; // frames carry struct lamina_netif_hdr (offload negotiated)
};

extern struct fe_be fe_be;
extern struct lamina_netif_tx_front fe_tx;
extern struct lamina_netif_rx_front fe_rx;
extern uint32_t fe_port_tx, fe_port_rx; // equal without split channels
extern uint8_t fe_peer[6];

void fe_init(void); // grant table, grants, ports
long fe_be_state(void);
int fe_wait_be(long want, uint64_t ns); // 1 when the back-end is in state want
int fe_connect(int offload); // 1 connected, 0 not (says why)
void fe_close(void); // Closing, wait for the back's Closed, Closed

// tx: a raw request (no push), push (and notify if asked), and the status
// of the response to id within ns (99 if none came). Responses for other
// ids meanwhile are kept for their own fe_tx_wait; fe_tx_dups counts
// responses for an id that already had an unclaimed one.
void fe_tx_put(const struct lamina_netif_tx_request *rq);
void fe_tx_push(void);
int fe_tx_wait(uint16_t id, uint64_t ns);
void fe_tx_forget(void); // drop unclaimed responses
extern unsigned fe_tx_dups, fe_tx_corrupt;
uint16_t fe_id(void); // a fresh tx id

// A whole frame f[0..len) (with its header if fe_be.hdr: the caller puts
// it there) in nparts requests, part k in tx buffer k, the first at
// offset off: ids returned in ids[]. Then the worst status of them.
void fe_tx_frame(const uint8_t *f, unsigned len, unsigned nparts, unsigned off, uint16_t *ids);
int fe_tx_status(const uint16_t *ids, unsigned n);

// rx: post buffer page (id as given), raw; keep FE_RX_POSTED posted.
void fe_rx_post(uint16_t id, uint32_t gref);
void fe_rx_push(void);
void fe_rx_fill(void);
extern int fe_rx_hold;        // 1: fe_rx_fill posts nothing (the hostile cases' raw posts)
unsigned fe_rx_posted(void);  // fe_rx_fill's buffers now posted
// The next whole frame into buf (cap bytes): its length, 0 if none came
// within ns, -1 on an error response, -2 if the ring is corrupt. The
// statuses and ids seen are kept in fe_rx_last.
int fe_rx_frame(uint8_t *buf, unsigned cap, uint64_t ns);
struct fe_rx_last {
	unsigned n;           // responses in the frame
	uint16_t id[20];
	int16_t status[20];
	uint16_t flags[20];
	unsigned page[20];    // which rx page held each (by id)
};
extern struct fe_rx_last fe_rx_last;
// Responses with an id not posted by fe_rx_fill go here (raw posts).
extern uint16_t fe_rx_raw_id[64];
extern int16_t fe_rx_raw_status[64];
extern unsigned fe_rx_raw_n;

// A frame from the guest's MAC to the peer, with an offload header in
// front when the connection has one (hdr may be NULL: zeros). Returns the
// total length in f.
unsigned fe_test_frame(uint8_t *f, unsigned eth_len, unsigned op, unsigned cas, unsigned want,
		       uint32_t seed, const struct lamina_netif_hdr *hdr);
unsigned fe_hdr_len(void); // 12 or 0
extern unsigned fe_seq; // the last test frame's seq (its low 16 bits are in the frame)

// main.c: verdicts and round trips through net_peer, for hostile.c too.
extern char why[200];
int fail(const char *fmt, long a, long b); // sets why, returns 0
void verdict(const char *name, int ok);
void skip(const char *name, const char *reason);
int echo_round(unsigned cas, unsigned eth_len, unsigned nparts, unsigned off, uint8_t hflags);
int gen_round(unsigned cas, unsigned eth_len);
int gen_ask(unsigned cas, unsigned eth_len, uint32_t seed); // ask net_peer for a frame: its seq, 0 if refused
int sane(void); // an echo and a generated frame, with why on failure
int hostile_cases(void);
int case_indices(void);
#endif
