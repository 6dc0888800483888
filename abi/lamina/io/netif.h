/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the network device ring protocol (vif): tx and rx rings, buffer pools, offload header, flags, status codes, store keys. */
#ifndef LAMINA_IO_NETIF_H
#define LAMINA_IO_NETIF_H

#include "../types.h"
#include "../ring.h"

/**
 * ## Network device protocol (`vif`, ABI 1.6)
 *
 * One network interface is a *transmit* ring and a *receive* ring (one
 * granted page each, ring.h discipline) and, for the frame data, two
 * *buffer pools*: sets of pages the front grants to domain 0 (writable)
 * once, when it connects, and reuses for every frame until it disconnects.
 * Data moves by copying: the front copies an outgoing frame into transmit
 * buffers and an incoming one out of receive buffers; the back copies out
 * of and into them. No grant is made or mapped per frame, so the back maps
 * each pool once, in a few requests (hvd-protocol.md `map`).
 *
 * (The 1.0 draft of this header, never implemented by a front or a back,
 * named a grant per frame and no pools; 1.6 replaces it.)
 *
 * **Buffer pools.** A pool is `tx-buffers` (or `rx-buffers`) pages,
 * 1..`LAMINA_NETIF_MAX_BUFFERS`, whose grant refs the front lists, as
 * `lamina_grant_ref_t` values in order, in one more granted page named by
 * `tx-buffer-list` (`rx-buffer-list`). The back reads each list once, at
 * connect. A ring request names a buffer by its grant ref, which must be
 * one of that ring's pool (else the request is answered
 * `LAMINA_NETIF_RSP_ERROR`); a ref may appear in both pools only if the
 * front never uses it on both rings at once.
 *
 * **Transmit** (`lamina_netif_tx` ring): a frame is 1..`LAMINA_NETIF_MAX_FRAGS`
 * requests; each names `size` bytes at `offset` in one transmit buffer
 * (`offset + size` <= 4096). All but the last carry
 * `LAMINA_NETTXF_MORE_DATA`, and the *first* one's `size` is the whole
 * frame's length: its own part is that length less the other requests'
 * sizes (which must not add up to more), so a frame is at most
 * `LAMINA_NETIF_MAX_FRAME` bytes, offload header included. The back answers every request with its `id` and a
 * status: `OKAY` (sent or delivered), `DROPPED` (well-formed, not
 * delivered: no room, rate limit, a source MAC the interface may not use)
 * or `ERROR` (malformed: the whole frame is dropped). `id`s need only be
 * unique among the requests in flight.
 *
 * **Receive** (`lamina_netif_rx` ring): the front posts empty receive
 * buffers (`id`, `gref`); the back copies a frame into one or, for a frame
 * longer than a page, several of them, and answers each with the request's
 * `id`, the `offset` of the data in the page and `status` = the number of
 * bytes there (> 0). All but the last response of a frame carry
 * `LAMINA_NETRXF_MORE_DATA`. A received frame is at most
 * `LAMINA_NETIF_MAX_RX_FRAME` bytes, offload header included (a 64 KiB
 * super-frame from the host does not fit a transmit request's 16-bit
 * size, but arrives whole here). A frame waits in the back (within its
 * memory cap; then it is dropped) while too few buffers are posted, and
 * frames behind it wait too, so a front keeps at least
 * `LAMINA_NETIF_MAX_FRAGS` buffers posted while connected.
 *
 * **Offload header.** If the back writes `feature-offload` = 1 and the
 * front writes `request-offload` = 1, every frame on both rings begins
 * with a `struct lamina_netif_hdr` (counted in its length): checksum
 * offload (`NEEDS_CSUM`: the sender left the checksum at `csum_start +
 * csum_offset` to be filled over the bytes from `csum_start`; `DATA_VALID`:
 * the checksum is known good) and segmentation offload (`gso_type` not
 * NONE: the frame is a TCP super-frame of up to 64 KiB to be cut into
 * `gso_size`-byte segments after `hdr_len` bytes of headers). The fields
 * mean what the virtio-net header's do, in its layout, so a back can
 * hand them to a TAP opened with `IFF_VNET_HDR`; `csum_start` and
 * `hdr_len` count from the first byte of the Ethernet frame (after the
 * header). The back checks them (after copying the frame): only the flags
 * and GSO types below; `gso_size` > 0 with a GSO type and 0 without;
 * `csum_start + csum_offset + 2` and `hdr_len` within the frame; otherwise
 * `ERROR`; `pad` is ignored and sent as 0. A frame that is not a GSO
 * super-frame is at most `mtu` + 18 bytes (an Ethernet header with one
 * VLAN tag) after the header. Without offload, frames carry whole
 * checksums: the tx flag `CSUM_BLANK` is not used, and the back sets the
 * rx flag `DATA_VALIDATED` only for a frame whose checksums it knows to be
 * good. A front that does not request offload receives no GSO
 * super-frames (the back drops them), so on a network whose other members
 * use offload it should request it too.
 *
 * **Notifications** follow ring.h, on `event-channel` (one port for both
 * rings), or, if the back offers `feature-split-event-channels` and the
 * front writes both, on `event-channel-tx` (the front's transmit requests
 * and the back's transmit responses) and `event-channel-rx` (the rest).
 *
 * ### Store keys
 *
 * Written by the **back-end** before `INITWAIT`:
 *
 * | key | value | default | meaning |
 * |-----|-------|---------|---------|
 * | `mac` | `aa:bb:cc:dd:ee:ff` | (required) | the interface's MAC address, from the configuration |
 * | `mtu` | 68..65535 | 1500 | largest IP packet without offload |
 * | `feature-offload` | `0`/`1` | 0 | the back takes and gives `struct lamina_netif_hdr` |
 * | `feature-split-event-channels` | `0`/`1` | 0 | one port per ring accepted |
 *
 * Written by the **front-end** before `INITIALISED`:
 *
 * | key | value | default | meaning |
 * |-----|-------|---------|---------|
 * | `tx-ring-ref`, `rx-ring-ref` | grant ref | (required) | the ring pages |
 * | `tx-buffers`, `rx-buffers` | 1..256 | (required) | pool sizes |
 * | `tx-buffer-list`, `rx-buffer-list` | grant ref | (required) | pages listing each pool's refs |
 * | `event-channel` | port | (required unless both below) | for both rings |
 * | `event-channel-tx`, `event-channel-rx` | port | | one per ring (`feature-split-event-channels`) |
 * | `request-offload` | `0`/`1` | 0 | frames carry `struct lamina_netif_hdr` |
 *
 * A missing or out-of-range key, or a ref or port the back cannot map or
 * bind, makes the back write `error` and close instead of connecting.
 * The back that finds a ring corrupt (ring.h) stops using it and closes;
 * other interfaces and the domain are unaffected. **Reconnecting** goes as
 * for block devices (io/blkif.h): after `CLOSED`, a front that writes
 * `INITIALISING` starts over with fresh rings and pools; frames in flight
 * when a back-end dies are lost, as on a wire.
 */
#define LAMINA_NETIF_MAX_FRAGS 18u
#define LAMINA_NETIF_MAX_BUFFERS 256u
#define LAMINA_NETIF_MTU_DEFAULT 1500u
#define LAMINA_NETIF_MAX_FRAME 65535u /* the first request's 16-bit size: header included */
#define LAMINA_NETIF_MAX_RX_FRAME 65565u /* header + 65535-byte IP packet + VLAN Ethernet header */

/** tx request flags */
#define LAMINA_NETTXF_CSUM_BLANK     (1u << 0) /* checksum not yet computed (no offload header) */
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

/** The offload header (virtio-net's layout and values). */
#define LAMINA_NETIF_HDR_F_NEEDS_CSUM 1u
#define LAMINA_NETIF_HDR_F_DATA_VALID 2u
#define LAMINA_NETIF_GSO_NONE  0u
#define LAMINA_NETIF_GSO_TCPV4 1u
#define LAMINA_NETIF_GSO_TCPV6 4u
#define LAMINA_NETIF_GSO_ECN   0x80u /* or'ed in: the TCP flow uses ECN */

struct lamina_netif_hdr {
	lamina_u8 flags;        /* LAMINA_NETIF_HDR_F_* */
	lamina_u8 gso_type;     /* LAMINA_NETIF_GSO_* */
	lamina_u16 hdr_len;     /* GSO: bytes of Ethernet, IP and TCP headers */
	lamina_u16 gso_size;    /* GSO: payload bytes per segment */
	lamina_u16 csum_start;  /* NEEDS_CSUM: checksum over bytes from here */
	lamina_u16 csum_offset; /* NEEDS_CSUM: ... stored at csum_start + this */
	lamina_u16 pad;
};
LAMINA_CHECK_SIZE(netif_hdr, struct lamina_netif_hdr, 12);

struct lamina_netif_tx_request {
	lamina_grant_ref_t gref; /* a transmit buffer */
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
	lamina_grant_ref_t gref; /* a receive buffer */
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

#define LAMINA_NETIF_KEY_MAC          "mac"
#define LAMINA_NETIF_KEY_MTU          "mtu"
#define LAMINA_NETIF_KEY_OFFLOAD      "feature-offload"
#define LAMINA_NETIF_KEY_SPLIT        "feature-split-event-channels"
#define LAMINA_NETIF_KEY_TX_RING      "tx-ring-ref"
#define LAMINA_NETIF_KEY_RX_RING      "rx-ring-ref"
#define LAMINA_NETIF_KEY_TX_BUFFERS   "tx-buffers"
#define LAMINA_NETIF_KEY_RX_BUFFERS   "rx-buffers"
#define LAMINA_NETIF_KEY_TX_LIST      "tx-buffer-list"
#define LAMINA_NETIF_KEY_RX_LIST      "rx-buffer-list"
#define LAMINA_NETIF_KEY_EVTCHN_TX    "event-channel-tx"
#define LAMINA_NETIF_KEY_EVTCHN_RX    "event-channel-rx"
#define LAMINA_NETIF_KEY_REQ_OFFLOAD  "request-offload"
#define LAMINA_NETIF_KEY_ERROR        "error"

#endif /* LAMINA_IO_NETIF_H */
