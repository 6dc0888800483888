// SPDX-License-Identifier: MIT
// net.h: lamina-netback's state: the interface, its rings and pools, the host side (TAP or switch), counters, and the functions of its parts.
//
// One process serves one vif and is single-threaded: every field below is
// owned by the main loop. Shared memory (rings, buffer pools) is read only
// through private copies (net_io.c, net_frame.c), never checked in place.
#ifndef NET_H
#define NET_H

#include "libbackend.h"
#include "net_frame.h"
#include "net_queue.h"
#include "net_rate.h"

#include <lamina/io/bus.h>

#include <stdbool.h>
#include <stdint.h>

#define NB_MAP_CHUNK 64u // refs per lbk_map (lamina-hvd's limit)
#define NB_MAX_MAPS (2 * ((LAMINA_NETIF_MAX_BUFFERS + NB_MAP_CHUNK - 1) / NB_MAP_CHUNK))
#define NB_TX_BUDGET 64u // frames taken off the transmit ring per turn...
#define NB_TX_REQ_BUDGET (NB_TX_BUDGET * LAMINA_NETIF_MAX_FRAGS) // ...and requests
#define NB_HOST_BUDGET 64u // frames read from the host per turn
#define NB_RING_SLOTS 256u // both rings (netif.h asserts it)

struct nb_map { // one udmabuf over granted pages
	uint32_t handle;
	void *mem;
	unsigned pages;
};

enum nb_host_kind { NB_TAP, NB_SWITCH };

struct nb_host { // where frames go to and come from
	enum nb_host_kind kind;
	const char *name; // TAP interface or switch socket path
	unsigned vlan; // --vlan (switch only)
	int fd; // -1: not connected (switch: a reconnect is due at retry_ns)
	int64_t retry_ns;
	unsigned backoff_ms;
	unsigned offload_set; // TUN_F_* last set on the TAP (~0u: never)
};

struct nb_rxbuf { // a receive buffer the front posted, taken off the ring and checked
	uint16_t id;
	uint8_t *page;
};

struct nb_stats {
	unsigned long tx_frames, tx_bytes, rx_frames, rx_bytes;
	unsigned long tx_error, tx_spoof, tx_host; // malformed, spoofed, the host would not take it
	unsigned long rx_full, rx_gso, rx_bad, rx_big; // queue cap, GSO without offload, bad header, too big
	unsigned long rx_bufs_bad; // receive requests naming a buffer outside the pool
};

struct nb_dev {
	struct lbk b;
	struct nb_cfg cfg;
	struct nb_host host;
	bool verbose;
	// connection state (net_conn.c sets up, nb_disconnect undoes)
	struct lamina_netif_tx_back tx;
	struct lamina_netif_rx_back rx;
	struct nb_map rings; // both ring pages: tx, then rx
	struct nb_map pools[NB_MAX_MAPS];
	unsigned npools;
	nb_pool txp, rxp; // NB_GREFS entries each
	uint32_t port_tx, port_rx; // equal unless split
	bool split;
	int bell_tx, kick_tx, bell_rx, kick_rx; // rx: -1 unless split
	bool connected, corrupt;
	// transmit: a frame being collected across turns
	struct lamina_netif_tx_request frag[LAMINA_NETIF_MAX_FRAGS];
	unsigned nfrag;
	bool skipping; // answering the rest of an over-long frame ERROR
	bool tx_held; // frag[0..nfrag) is a whole frame waiting for ltx's tokens
	bool push_tx, push_rx;
	// receive
	struct nb_rxbuf stash[NB_RING_SLOTS];
	unsigned stash_head, nstash;
	struct nb_rxq q;
	struct nb_stats st;
	// rate limits (--tx-rate, --tx-pps: the guest's outbound; --rx-rate, --rx-pps: its inbound)
	struct nb_limit ltx, lrx;
	uint8_t buf[NB_BUF_MAX]; // the frame being sent or received
};

// net_conn.c: the store handshake.
int nb_publish(struct nb_dev *d); // facts, then state InitWait
int nb_connect(struct nb_dev *d); // read the front's keys, map, bind; 0 or -errno (error key written)
void nb_disconnect(struct nb_dev *d); // unmap and unbind everything, drop queued frames
#define nb_fail(d, ...) lbk_fail(&(d)->b, "lamina-netback", LAMINA_NETIF_KEY_ERROR, __VA_ARGS__)

// net_io.c: the rings.
int nb_tx(struct nb_dev *d); // take transmit frames; 1 if the budget ran out
void nb_rx_frame(struct nb_dev *d, uint8_t *f, size_t len); // a host frame for the guest
int nb_rx(struct nb_dev *d); // take posted buffers, fill them from the queue; 1 if more can be done now
void nb_flush(struct nb_dev *d); // push responses, kick at most once per port
int nb_io_timeout(const struct nb_dev *d, int ms); // ms, shortened to when a frame held by a limit may go
void nb_io_drop_held(struct nb_dev *d); // disconnect: forget a transmit frame held by the limit, end the waits

// net_host.c: the host side.
int nb_host_open(struct nb_dev *d); // before the sandbox: open the TAP / first switch connection; 0 or -1 (reported)
int nb_host_offload(struct nb_dev *d); // TAP: the offloads the front asked for; 0 or -errno
int nb_host_send(struct nb_dev *d, const uint8_t *f, size_t len); // 0, or -errno (frame dropped)
int nb_host_recv(struct nb_dev *d, uint8_t *buf, size_t cap); // length, 0 nothing now, -1 gone
void nb_host_tick(struct nb_dev *d); // switch: reconnect when due
int nb_host_timeout(const struct nb_dev *d, int ms); // ms, shortened to the next reconnect
int nb_host_sandbox(struct nb_dev *d, int *extra, size_t *n); // system calls it needs after the sandbox
int64_t nb_now_ns(void);
#endif
