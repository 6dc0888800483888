// SPDX-License-Identifier: MIT
// sw_core: lamina-netswitch's learning table, forwarding decision and hello parser, as pure functions.
#include "sw_core.h"

#include "net_frame.h"

#include <stdlib.h>
#include <string.h>

static unsigned hash(const uint8_t mac[6], unsigned vlan)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	h = (h ^ (vlan & 0xff)) * 16777619u;
	h = (h ^ (vlan >> 8)) * 16777619u;
	return h % SW_BUCKETS;
}

void sw_table_init(struct sw_table *t)
{
	for (unsigned i = 0; i < SW_BUCKETS; i++)
		t->bucket[i] = -1;
	for (unsigned i = 0; i < SW_TABLE_MAX; i++)
		t->e[i].next = i + 1 < SW_TABLE_MAX ? (int)i + 1 : -1;
	t->free_head = 0;
	t->n = 0;
}

// The slot before entry i in its bucket's chain (or the bucket head).
static int *link_to(struct sw_table *t, int i)
{
	int *p = &t->bucket[hash(t->e[i].mac, t->e[i].vlan)];

	while (*p != i)
		p = &t->e[*p].next;
	return p;
}

static void drop_entry(struct sw_table *t, int i)
{
	int *p = link_to(t, i);

	*p = t->e[i].next;
	t->e[i].next = t->free_head;
	t->e[i].port = -1;
	t->free_head = i;
	t->n--;
}

static int find(const struct sw_table *t, const uint8_t mac[6], unsigned vlan)
{
	for (int i = t->bucket[hash(mac, vlan)]; i >= 0; i = t->e[i].next)
		if (t->e[i].vlan == vlan && !memcmp(t->e[i].mac, mac, 6))
			return i;
	return -1;
}

static void evict_oldest(struct sw_table *t)
{
	int old = -1;

	for (unsigned b = 0; b < SW_BUCKETS; b++)
		for (int i = t->bucket[b]; i >= 0; i = t->e[i].next)
			if (old < 0 || t->e[i].seen < t->e[old].seen)
				old = i;
	if (old >= 0)
		drop_entry(t, old);
}

void sw_learn(struct sw_table *t, const uint8_t mac[6], unsigned vlan, int port, int64_t now)
{
	int i = find(t, mac, vlan);
	unsigned h;

	if (mac[0] & 1)
		return; // a group address is never a source
	if (i < 0) {
		if (t->free_head < 0)
			evict_oldest(t);
		i = t->free_head;
		t->free_head = t->e[i].next;
		memcpy(t->e[i].mac, mac, 6);
		t->e[i].vlan = (uint16_t)vlan;
		h = hash(mac, vlan);
		t->e[i].next = t->bucket[h];
		t->bucket[h] = i;
		t->n++;
	}
	t->e[i].port = port;
	t->e[i].seen = now;
}

int sw_lookup(const struct sw_table *t, const uint8_t mac[6], unsigned vlan, int64_t now)
{
	int i = find(t, mac, vlan);

	return i < 0 || now - t->e[i].seen > SW_AGE_NS ? -1 : t->e[i].port;
}

void sw_age(struct sw_table *t, int64_t now)
{
	for (unsigned b = 0; b < SW_BUCKETS; b++)
		for (int i = t->bucket[b], next; i >= 0; i = next) {
			next = t->e[i].next;
			if (now - t->e[i].seen > SW_AGE_NS)
				drop_entry(t, i);
		}
}

void sw_forget_port(struct sw_table *t, int port)
{
	for (unsigned b = 0; b < SW_BUCKETS; b++)
		for (int i = t->bucket[b], next; i >= 0; i = next) {
			next = t->e[i].next;
			if (t->e[i].port == port)
				drop_entry(t, i);
		}
}

unsigned sw_forward(struct sw_table *t, const struct sw_port *ports, unsigned nports, int src, const uint8_t *eth,
		    size_t len, int64_t now, int *out)
{
	unsigned vlan, n = 0;
	int dst;

	if (len < NB_ETH || src < 0 || (unsigned)src >= nports || !ports[src].up)
		return 0;
	vlan = ports[src].vlan;
	sw_learn(t, eth + 6, vlan, src, now);
	dst = eth[0] & 1 ? -1 : sw_lookup(t, eth, vlan, now);
	if (dst == src)
		return 0; // it is on the port it came from
	if (dst >= 0 && (unsigned)dst < nports && ports[dst].up && ports[dst].vlan == vlan) {
		out[0] = dst;
		return 1;
	}
	for (unsigned p = 0; p < nports; p++)
		if ((int)p != src && ports[p].up && ports[p].vlan == vlan)
			out[n++] = (int)p;
	return n;
}

int sw_parse_hello(const char *msg, size_t len, uint8_t mac[6], unsigned *vlan, const char **why)
{
	char buf[256], *save = NULL, *w, *end;
	bool have_mac = false;
	long v;

	if (len >= sizeof(buf) || memchr(msg, 0, len))
		return *why = "hello too long or not text", -1;
	memcpy(buf, msg, len);
	buf[len] = 0;
	*vlan = 0;
	if (!(w = strtok_r(buf, " ", &save)) || strcmp(w, SW_HELLO_MAGIC))
		return *why = "not a lamina-netswitch hello", -1;
	if (!(w = strtok_r(NULL, " ", &save)) || strtol(w, &end, 10) != SW_HELLO_VERSION || *end)
		return *why = "unknown hello version", -1;
	while ((w = strtok_r(NULL, " ", &save))) {
		if (!strncmp(w, "mac=", 4)) {
			if (nb_parse_mac(w + 4, mac) || (mac[0] & 1))
				return *why = "bad mac= in hello", -1;
			have_mac = true;
		} else if (!strncmp(w, "vlan=", 5)) {
			v = strtol(w + 5, &end, 10);
			if (!w[5] || *end || v < 0 || v > 4094)
				return *why = "bad vlan= in hello (0..4094)", -1;
			*vlan = (unsigned)v;
		}
	}
	return have_mac ? 0 : (*why = "hello without mac=", -1);
}
