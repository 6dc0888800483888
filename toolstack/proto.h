// SPDX-License-Identifier: MIT
// Control protocol between lamina and laminad: message layouts and framing.
//
// Why a fixed binary layout (and not XML or another encoding): the socket is
// local (AF_UNIX, same host, so host byte order), both ends are built from
// this tree, and there are only a few small messages with fixed fields.
// Fixed structs make checking trivial and total: a message is accepted only
// if its header is right, its length is exactly what its type allows and
// every string field is NUL-terminated inside its array.  There is no
// parser to get wrong.  The one structured document (the domain XML) rides
// as text and goes through the same validating loader as a file does.
//
// Rules that never change, so any version can talk to any other: the
// header layout, and the LP_REPLY_ERROR type and layout.  A peer that gets
// a request with another version answers LP_REPLY_ERROR (EPROTO) and
// closes.  Everything else changes only with LP_VERSION.
#ifndef LAMINA_PROTO_H
#define LAMINA_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define LP_MAGIC 0x414e4d4cu // "LMNA" in memory on little-endian hosts
#define LP_VERSION 5 // 4: devices and their back-ends in the info reply (lp_info);
			// 5: virtual networks (LP_NETWORK_*), device keys of 24 bytes (a MAC)
#define LP_MAX_PAYLOAD (1u << 20)
#define LP_NAME_MAX 64
#define LP_MAX_CPUS 1024
#define LP_MAX_EXIT_REASONS 12
#define LP_MAX_HCALL_KINDS 12

struct lp_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len; // payload bytes after the header
	uint32_t reserved; // zero
};

enum lp_type {
	// Requests (lamina to laminad).
	LP_GET_VERSION = 1, // empty
	LP_CREATE, // lp_create + domain XML
	LP_LIST, // empty
	LP_INFO, // lp_name
	LP_DUMPXML, // lp_name
	LP_DESTROY, // lp_name
	LP_SHUTDOWN, // lp_name
	LP_REBOOT, // lp_name
	LP_PAUSE, // lp_name
	LP_UNPAUSE, // lp_name
	LP_MEMSET, // lp_memset
	LP_VCPUSET, // lp_vcpuset
	LP_VCPUPIN, // lp_vcpupin
	LP_BLOCK_ATTACH, // lp_block
	LP_BLOCK_DETACH, // lp_block (target only)
	LP_NET_ATTACH, // lp_net; answered by LP_REPLY_TEXT, the MAC address
	LP_NET_DETACH, // lp_net (mac only)
	LP_CONSOLE, // lp_name; then LP_CONSOLE_DATA both ways
	LP_TRACE, // lp_name; then LP_TRACE_EVENT from laminad
	LP_DEFINE, // lp_create (flags 0) + domain XML: keep it under the state dir
	LP_START, // lp_name: create a defined domain
	LP_UNDEFINE, // lp_name: forget a defined domain (a running one keeps running)
	LP_AUTOSTART, // lp_autostart
	LP_NETWORK_DEFINE, // lp_create (flags 0) + network XML: keep it under the state dir
	LP_NETWORK_UNDEFINE, // lp_name: forget a network's definition (an active one stays)
	LP_NETWORK_START, // lp_name: make a defined network on the host
	LP_NETWORK_DESTROY, // lp_name: remove what starting it made
	LP_NETWORK_LIST, // empty; answered by LP_REPLY_NETWORK_LIST
	LP_NETWORK_DUMPXML, // lp_name; answered by LP_REPLY_TEXT
	LP_NETWORK_AUTOSTART, // lp_autostart
	// Replies.
	LP_REPLY_OK = 0x100, // lp_ok
	LP_REPLY_ERROR, // lp_error + message (frozen)
	LP_REPLY_VERSION, // lp_version
	LP_REPLY_LIST, // lp_dom_stats[]
	LP_REPLY_INFO, // lp_info + domain XML
	LP_REPLY_TEXT, // text
	LP_REPLY_NETWORK_LIST, // lp_net_info[]
	// Streams.
	LP_CONSOLE_DATA = 0x200, // bytes
	LP_TRACE_EVENT, // lp_trace_event
	LP_STREAM_END, // lp_error + message
};

enum lp_state {
	LP_STATE_RUNNING = 1,
	LP_STATE_PAUSED,
	LP_STATE_SHUTTING_DOWN,
	LP_STATE_SHUTOFF,
	LP_STATE_CRASHED,
};

struct lp_name {
	char name[LP_NAME_MAX];
};

#define LP_CREATE_PAUSED 1u
struct lp_create {
	uint32_t flags;
	uint32_t pad;
};

struct lp_autostart {
	char name[LP_NAME_MAX];
	uint32_t enable; // 1: start it when laminad starts; 0: do not
	uint32_t pad;
};

struct lp_memset {
	char name[LP_NAME_MAX];
	uint64_t kib;
};

struct lp_vcpuset {
	char name[LP_NAME_MAX];
	uint32_t count;
	uint32_t pad;
};

struct lp_vcpupin {
	char name[LP_NAME_MAX];
	uint32_t vcpu;
	uint32_t pad;
	uint64_t cpus[LP_MAX_CPUS / 64];
};

struct lp_block {
	char name[LP_NAME_MAX];
	char target[8];
	uint32_t readonly;
	uint32_t format; // 0: raw; n: dom_formats[n - 1] (qcow2 is 1), served through qemu-nbd
	char source[4096];
};

struct lp_net {
	char name[LP_NAME_MAX];
	char network[33];
	uint8_t mac[6];
	uint8_t has_mac;
	uint32_t in_kibps, out_kibps;
};

// One virtual network (LP_REPLY_NETWORK_LIST).
#define LP_NET_ACTIVE 1u // started: its bridge, switch, ... exist
#define LP_NET_PERSISTENT 2u // defined under the state dir
#define LP_NET_AUTOSTART 4u // started when laminad starts
struct lp_net_info {
	char name[LP_NAME_MAX];
	char mode[16]; // internal, host-only, nat, bridge
	char bridge[16]; // "" for internal
	char address[24]; // the host's: "10.0.7.1/24"; "" if none
	uint32_t flags; // LP_NET_*
	uint32_t nifs; // interfaces of running domains on it
	uint32_t vlan; // internal: its tag, 0 if none
	uint32_t pad;
	char note[128]; // something wrong with it ("" else)
};

struct lp_ok {
	uint32_t id;
	uint32_t pad;
};

struct lp_error {
	int32_t code; // errno value
	uint32_t pad;
};

struct lp_version {
	uint32_t proto;
	uint32_t pad;
	char daemon[32];
	char backend[32];
};

struct lp_count {
	char what[32]; // exit kind (hv_exit_name) or hypercall name
	uint64_t count;
};

#define LP_DOM_PERSISTENT 1u // defined: its configuration is kept under the state dir
#define LP_DOM_AUTOSTART 2u // started when laminad starts
struct lp_dom_stats {
	char name[LP_NAME_MAX];
	uint32_t id;
	uint32_t state; // enum lp_state (LP_STATE_SHUTOFF and id 0: defined, not running)
	uint32_t flags; // LP_DOM_*
	uint32_t pad;
	uint32_t vcpus, max_vcpus;
	uint64_t mem_kib, maxmem_kib;
	uint64_t cpu_ns;
	uint64_t hypercalls; // total
	uint32_t nexits, nhcalls;
	struct lp_count exits[LP_MAX_EXIT_REASONS]; // exits to user space, by kind
	struct lp_count hcalls[LP_MAX_HCALL_KINDS]; // by hypercall
};

// One device of a domain and its back-end process (LP_REPLY_INFO).
#define LP_MAX_DEVS 24
struct lp_dev {
	char type[8]; // bus type: "vbd" (disk), "vif" (interface)
	char key[24]; // what it is called: the disk's target, the interface's MAC
	char state[16]; // its back-end: starting, running, restarting, failed, stopping, simulated
	char note[128]; // why it is in that state, if it is worth saying ("" else)
	uint32_t pid; // the back-end process, 0 if none
	uint32_t restarts; // since laminad took it on
	uint32_t readonly;
	uint32_t pad;
	uint64_t virtual_bytes; // the disk's size as the guest sees it (0: unknown)
	uint64_t allocated_bytes; // what the image takes on the host (thin provisioning)
	char source[4096]; // the image; an interface's network
};

struct lp_info {
	struct lp_dom_stats st;
	uint32_t ndevs; // at most LP_MAX_DEVS
	uint32_t pad;
	struct lp_dev devs[LP_MAX_DEVS];
};

struct lp_trace_event {
	uint64_t ts_ns;
	uint32_t vcpu;
	uint32_t nr;
	uint64_t args[5];
	int64_t ret;
	char text[128]; // decoded by the back-end, e.g. "evtchn_send(port=3)"
};

struct lp_msg {
	struct lp_hdr hdr;
	uint8_t *payload; // hdr.len bytes plus a NUL; NULL if empty
};

struct lp_err {
	int code; // errno value
	char msg[256];
};

const char *lp_type_name(uint16_t type);
const char *lp_state_name(uint32_t state);
// 0 if the header is acceptable; -1 with `e` filled.
int lp_check_header(const struct lp_hdr *h, struct lp_err *e);
// 0 if `len` bytes of payload fit what `type` allows; -1 with `e` filled.
int lp_check_payload(uint16_t type, const void *payload, uint32_t len, struct lp_err *e);
// Frame a message: header for `type` and len bytes.
void lp_header(struct lp_hdr *h, uint16_t type, uint32_t len);
// For non-blocking readers: 0 if more bytes are needed, the whole message
// size once `avail` bytes hold one, -1 with `e` filled on a bad header.
long lp_parse(const void *buf, size_t avail, struct lp_err *e);

// Blocking I/O.  lp_send writes header + a + b; 0 or -1 (errno set).
int lp_send(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen);
int lp_send_error(int fd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// Read one checked message; 0, or -1 with `e` filled (code ECONNRESET and
// "connection closed" for a clean end of stream).
int lp_recv(int fd, struct lp_msg *m, struct lp_err *e);
void lp_msg_free(struct lp_msg *m);

#endif
