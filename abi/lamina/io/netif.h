/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the network device ring protocol (vif): tx and rx rings, flags, status codes, store keys. */
#ifndef LAMINA_IO_NETIF_H
#define LAMINA_IO_NETIF_H

#include "../types.h"
#include "../ring.h"

/**
 * ## Network device protocol (`vif`)
 *
 * Two ring pages and one event channel, set up as in io/bus.h.
 *
 * **Transmit** (`lamina_netif_tx` ring): the front grants the page holding
 * a frame and posts a request (`gref`, `offset`, `size`). A frame spanning
 * several buffers uses several requests; all but the last carry
 * `LAMINA_NETTXF_MORE_DATA`, and the *first* one's `size` is the whole
 * frame's length. At most `LAMINA_NETIF_MAX_FRAGS` requests per frame.
 * The back copies the data out and answers each request with its `id` and
 * a status.
 *
 * **Receive** (`lamina_netif_rx` ring): the front posts empty granted pages
 * (`id`, `gref`); the back copies a received frame into one (or, with
 * `LAMINA_NETRXF_MORE_DATA`, several) and answers with the `id`, `offset`
 * of the data in the page, and `status` = the number of bytes (> 0) or a
 * negative `LAMINA_NETIF_RSP_*` code.
 *
 * Back-end keys: `mac` (`"aa:bb:cc:dd:ee:ff"`), `feature-sg`,
 * `feature-csum-offload` (`"1"` if supported), `mtu`.
 * Front-end keys: `tx-ring-ref`, `rx-ring-ref`, `event-channel`.
 */
#define LAMINA_NETIF_MAX_FRAGS 18u
#define LAMINA_NETIF_MTU_DEFAULT 1500u

/** tx request flags */
#define LAMINA_NETTXF_CSUM_BLANK     (1u << 0) /* checksum not yet computed */
#define LAMINA_NETTXF_DATA_VALIDATED (1u << 1) /* checksum known good */
#define LAMINA_NETTXF_MORE_DATA      (1u << 2) /* frame continues in the next request */

/** rx response flags */
#define LAMINA_NETRXF_CSUM_BLANK     (1u << 0)
#define LAMINA_NETRXF_DATA_VALIDATED (1u << 1)
#define LAMINA_NETRXF_MORE_DATA      (1u << 2)

/** Response status (rx: a byte count if > 0). */
#define LAMINA_NETIF_RSP_OKAY     0
#define LAMINA_NETIF_RSP_ERROR   (-1) /* malformed request or back-end failure */
#define LAMINA_NETIF_RSP_DROPPED (-2) /* frame dropped */

struct lamina_netif_tx_request {
	lamina_grant_ref_t gref; /* page with the data */
	lamina_u16 offset;       /* data offset in the page */
	lamina_u16 flags;        /* LAMINA_NETTXF_* */
	lamina_u16 id;           /* echoed in the response */
	lamina_u16 size;         /* bytes here; first request: whole frame */
};
LAMINA_CHECK_SIZE(netif_tx_request, struct lamina_netif_tx_request, 12);

struct lamina_netif_tx_response {
	lamina_u16 id;
	lamina_s16 status; /* LAMINA_NETIF_RSP_* */
};
LAMINA_CHECK_SIZE(netif_tx_response, struct lamina_netif_tx_response, 4);

struct lamina_netif_rx_request {
	lamina_u16 id;
	lamina_u16 pad;
	lamina_grant_ref_t gref; /* empty page granted writable */
};
LAMINA_CHECK_SIZE(netif_rx_request, struct lamina_netif_rx_request, 8);

struct lamina_netif_rx_response {
	lamina_u16 id;
	lamina_u16 offset; /* data offset in the page */
	lamina_u16 flags;  /* LAMINA_NETRXF_* */
	lamina_s16 status; /* bytes if > 0, else LAMINA_NETIF_RSP_* */
};
LAMINA_CHECK_SIZE(netif_rx_response, struct lamina_netif_rx_response, 8);

LAMINA_RING_DEFINE(lamina_netif_tx, struct lamina_netif_tx_request, struct lamina_netif_tx_response);
LAMINA_RING_DEFINE(lamina_netif_rx, struct lamina_netif_rx_request, struct lamina_netif_rx_response);
#define LAMINA_NETIF_TX_RING_SIZE LAMINA_RING_SIZE(union lamina_netif_tx_slot, LAMINA_PAGE_SIZE)
#define LAMINA_NETIF_RX_RING_SIZE LAMINA_RING_SIZE(union lamina_netif_rx_slot, LAMINA_PAGE_SIZE)
LAMINA_STATIC_ASSERT(netif_tx_ring_size, LAMINA_NETIF_TX_RING_SIZE == 256);
LAMINA_STATIC_ASSERT(netif_rx_ring_size, LAMINA_NETIF_RX_RING_SIZE == 256);

#endif /* LAMINA_IO_NETIF_H */
