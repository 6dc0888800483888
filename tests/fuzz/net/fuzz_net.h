// SPDX-License-Identifier: MIT
// fuzz_net.h: the net harness's parts: the front-end and its checks (fuzz_net.c), the faked outside world of lamina-netback (fake.c).
#ifndef FUZZ_NET_H
#define FUZZ_NET_H
#include "net.h"
#include "common/shim_int.h"

#define NPAGES 16u /* buffer pages the front has: grefs 0..15 (a pool holds some of them) */

extern struct nb_dev dev;
extern uint8_t *pool; /* the buffer pages, NPAGES * NB_PAGE bytes (guest-writable) */
extern uint16_t txmask, rxmask; /* which grefs each pool holds */
extern struct fz_region *txr, *rxr, *poolr;

// fake.c: host, clock, failure report, doorbells.
extern int64_t fake_now;
extern bool fake_refuse; // the host refuses frames (nb_host_send fails)
extern unsigned long fake_sent, fake_refused;
void fake_init(void);
void fake_setup(void);
void fake_ring_guard(void); // before a back-end call: snapshot the rings once corrupt
void fake_ring_check(void); // after it: a corrupt ring untouched
int fake_kick_fd(bool rx);

// fuzz_net.c: the front's records and the ABI's rules, checked independently of net_frame.c.
void harvest(void); // collect and check every response written so far
bool hdr_ok(const struct lamina_netif_hdr *h, size_t eth_len); // io/netif.h's offload header rules
bool tx_in_flight(const struct lamina_netif_tx_request *rq); // taken and not answered
#endif
