// SPDX-License-Identifier: MIT
// sw_core.h: lamina-netswitch's pure logic: the learning table (per VLAN, aging, bounded), the forwarding decision, the hello a port opens with.
//
// No descriptors and no clock here: the caller passes the time (ns, any
// monotonic origin) and gets back port numbers, so every rule is testable.
#ifndef SW_CORE_H
#define SW_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_MAX_PORTS 256
#define SW_TABLE_MAX 4096u // learnt addresses; the least recently seen goes when full
#define SW_BUCKETS 1024u
#define SW_AGE_NS (300ll * 1000000000ll) // an address not seen for this long is forgotten
#define SW_HELLO_MAGIC "lamina-netswitch"
#define SW_HELLO_VERSION 1

struct sw_entry {
	uint8_t mac[6];
	uint16_t vlan;
	int port;
	int64_t seen;
	int next; // next in its bucket (or in the free list); -1 ends
};

struct sw_table {
	int bucket[SW_BUCKETS];
	struct sw_entry e[SW_TABLE_MAX];
	int free_head;
	unsigned n;
};

struct sw_port { // what forwarding needs to know of a port
	bool up; // connected and said hello
	uint16_t vlan;
};

void sw_table_init(struct sw_table *t);
// mac is on port in vlan, as of now. Group (multicast) addresses are not learnt.
void sw_learn(struct sw_table *t, const uint8_t mac[6], unsigned vlan, int port, int64_t now);
// The port mac was learnt on in vlan, or -1 (unknown or aged out).
int sw_lookup(const struct sw_table *t, const uint8_t mac[6], unsigned vlan, int64_t now);
void sw_age(struct sw_table *t, int64_t now); // forget entries older than SW_AGE_NS
void sw_forget_port(struct sw_table *t, int port); // the port went away

// A frame (Ethernet, len bytes) from port src: learn its source, then
// fill out[] with the ports it goes to: the learnt port of its unicast
// destination, else every up port of src's VLAN; never src itself, never
// another VLAN. Returns how many (0: drop). A runt (< 14 bytes) goes nowhere.
unsigned sw_forward(struct sw_table *t, const struct sw_port *ports, unsigned nports, int src, const uint8_t *eth,
		    size_t len, int64_t now, int *out);

// "lamina-netswitch 1 mac=aa:bb:cc:dd:ee:ff vlan=N" (vlan 0..4094,
// default 0; unknown words ignored). 0, or -1 with *why.
int sw_parse_hello(const char *msg, size_t len, uint8_t mac[6], unsigned *vlan, const char **why);
#endif
