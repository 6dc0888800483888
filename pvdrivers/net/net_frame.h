// SPDX-License-Identifier: MIT
// net_frame.h: lamina-netback's pure frame logic: gather and check a transmit frame, check offload headers, prepare host frames for the guest, pools, MACs.
//
// Nothing here touches a ring or a descriptor. The transmit requests are
// private copies taken off the ring by the caller; the pool pages are the
// mapped buffers (guest-writable: their bytes are copied once, into a
// private buffer, before anything in them is checked).
#ifndef NET_FRAME_H
#define NET_FRAME_H

#include <lamina/io/netif.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_PAGE 4096u
#define NB_GREFS 65536u // grant refs a pool may name: 0..65535 (a direct lookup table)
#define NB_HDR ((unsigned)sizeof(struct lamina_netif_hdr)) // 12
#define NB_ETH 14u // an Ethernet header
#define NB_ETH_MAX_EXTRA 18u // an Ethernet header with one VLAN tag
// A host frame (TAP, switch): the header, then the Ethernet frame.
#define NB_HOST_MAX LAMINA_NETIF_MAX_RX_FRAME // header + 65535-byte IP packet + VLAN Ethernet header
#define NB_BUF_MAX (NB_HOST_MAX > NB_HDR + LAMINA_NETIF_MAX_FRAME ? NB_HOST_MAX : NB_HDR + LAMINA_NETIF_MAX_FRAME)

// What one interface is configured with (fixed while connected).
struct nb_cfg {
	uint8_t mac[6];
	unsigned mtu; // 68..65535
	bool offload; // the front asked for struct lamina_netif_hdr on its frames
	bool allow_spoof; // pass frames whose source MAC is not mac
};

// A pool: page[gref] is the mapped buffer that gref names, or NULL if
// gref is not in the pool. NB_GREFS entries.
typedef uint8_t **nb_pool;

// Parse "aa:bb:cc:dd:ee:ff" (hex, either case). 0, or -1.
int nb_parse_mac(const char *s, uint8_t mac[6]);
void nb_format_mac(const uint8_t mac[6], char out[18]);

// Check a pool's list (a private copy): n in 1..LAMINA_NETIF_MAX_BUFFERS,
// every ref < NB_GREFS, no ref twice. 0, or -1 with *why.
int nb_check_list(const uint32_t *refs, unsigned long n, const char **why);

// Check an offload header against eth_len, the Ethernet frame's length
// after it: flags only NEEDS_CSUM/DATA_VALID; gso_type NONE, TCPV4 or TCPV6
// (ECN only with TCP); gso_size > 0 exactly when GSO; NEEDS_CSUM:
// csum_start + csum_offset + 2 <= eth_len; hdr_len <= eth_len. 0, or -1
// with *why.
int nb_check_hdr(const struct lamina_netif_hdr *h, size_t eth_len, const char **why);

// One transmit frame: rq[0..n) (private copies, all but the last with
// MORE_DATA; rq[0].size is the frame's length, rq[0]'s own part is what
// the others leave of it). Checks every request (gref in pool, offset +
// part <= 4096, parts adding up, 1..LAMINA_NETIF_MAX_FRAGS requests, the
// length within LAMINA_NETIF_MAX_FRAME and at least an Ethernet header
// (and the offload header if c->offload)), copies the frame into buf
// (NB_BUF_MAX bytes) as a host frame: an offload header then the
// Ethernet frame (c->offload: the front's header, checked, pad zeroed;
// else a header of zeroes, DATA_VALID if the first request says
// DATA_VALIDATED). A frame without GSO is at most mtu + 18 bytes of
// Ethernet. *len is the host frame's length.
// LAMINA_NETIF_RSP_OKAY, _ERROR (malformed) or _DROPPED (source MAC not
// c->mac and !c->allow_spoof), with *why for the last two.
int nb_tx_frame(const struct nb_cfg *c, const nb_pool pool, const struct lamina_netif_tx_request *rq,
		unsigned n, uint8_t *buf, size_t *len, const char **why);

// Prepare a host frame (header + Ethernet, len bytes, private memory) for
// the guest: NB_RX_OK with [*off, *off + *out_len) the bytes to copy into
// its receive buffers (with the header if c->offload, else without it,
// and then any NEEDS_CSUM checksum is completed here) and *rxflags the
// LAMINA_NETRXF_* for its responses; or the reason to drop it.
enum nb_rx_verdict { NB_RX_OK, NB_RX_RUNT, NB_RX_BADHDR, NB_RX_GSO, NB_RX_BIG };
enum nb_rx_verdict nb_rx_prepare(const struct nb_cfg *c, uint8_t *f, size_t len, size_t *off,
				 size_t *out_len, uint16_t *rxflags);

// Complete a partial checksum (virtio NEEDS_CSUM): the ones' complement
// sum of eth[start..len), seeded by the value already at start + offset
// (the pseudo-header sum), stored there complemented (0 as 0xffff).
// The caller checked start + offset + 2 <= len.
void nb_csum_complete(uint8_t *eth, size_t len, unsigned start, unsigned offset);

// Receive buffers a frame of len bytes needs (one page each).
static inline unsigned nb_rx_pages(size_t len)
{
	return (unsigned)((len + NB_PAGE - 1) / NB_PAGE);
}
#endif
