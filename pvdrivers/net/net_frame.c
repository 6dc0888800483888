// SPDX-License-Identifier: MIT
// net_frame: lamina-netback's pure frame logic: transmit gathering and checks, offload header checks, host frames for the guest, checksums, MACs.
#include "net_frame.h"

#include <stdio.h>
#include <string.h>

#define KNOWN_HDR_FLAGS (LAMINA_NETIF_HDR_F_NEEDS_CSUM | LAMINA_NETIF_HDR_F_DATA_VALID)

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int nb_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hex(s[i * 3]), lo = hex(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void nb_format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int nb_check_list(const uint32_t *refs, unsigned long n, const char **why)
{
	static uint8_t seen[NB_GREFS / 8];
	int rc = 0;

	if (n < 1 || n > LAMINA_NETIF_MAX_BUFFERS) {
		*why = "pool size out of range 1..256";
		return -1;
	}
	memset(seen, 0, sizeof(seen));
	for (unsigned long i = 0; i < n && !rc; i++) {
		uint32_t r = refs[i];
		if (r >= NB_GREFS)
			rc = -1, *why = "a buffer ref is 65536 or more";
		else if (seen[r / 8] & (1u << (r % 8)))
			rc = -1, *why = "a buffer ref appears twice in one pool";
		else
			seen[r / 8] |= (uint8_t)(1u << (r % 8));
	}
	return rc;
}

static bool is_gso(const struct lamina_netif_hdr *h)
{
	return (h->gso_type & ~LAMINA_NETIF_GSO_ECN) != LAMINA_NETIF_GSO_NONE;
}

int nb_check_hdr(const struct lamina_netif_hdr *h, size_t eth_len, const char **why)
{
	unsigned type = h->gso_type & ~LAMINA_NETIF_GSO_ECN;

	if (h->flags & ~KNOWN_HDR_FLAGS)
		return *why = "unknown offload flags", -1;
	if (type != LAMINA_NETIF_GSO_NONE && type != LAMINA_NETIF_GSO_TCPV4 && type != LAMINA_NETIF_GSO_TCPV6)
		return *why = "unknown GSO type", -1;
	if (type == LAMINA_NETIF_GSO_NONE && h->gso_type != LAMINA_NETIF_GSO_NONE)
		return *why = "ECN without GSO", -1;
	if ((type != LAMINA_NETIF_GSO_NONE) != (h->gso_size > 0))
		return *why = "gso_size does not match gso_type", -1;
	if ((h->flags & LAMINA_NETIF_HDR_F_NEEDS_CSUM) &&
	    (size_t)h->csum_start + h->csum_offset + 2 > eth_len)
		return *why = "checksum position past the frame", -1;
	if (h->hdr_len > eth_len)
		return *why = "hdr_len past the frame", -1;
	return 0;
}

// The requests' structure: counts, flags, pool, bounds, sizes. 0 or -1.
static int check_requests(const nb_pool pool, const struct lamina_netif_tx_request *rq, unsigned n,
			  const char **why)
{
	unsigned long rest = 0;

	if (n < 1 || n > LAMINA_NETIF_MAX_FRAGS)
		return *why = "too many requests in one frame", -1;
	for (unsigned i = 0; i < n; i++) {
		bool more = rq[i].flags & LAMINA_NETTXF_MORE_DATA;
		if (more != (i + 1 < n))
			return *why = "MORE_DATA does not end the frame", -1;
		if (rq[i].gref >= NB_GREFS || !pool[rq[i].gref])
			return *why = "buffer not in the transmit pool", -1;
		if (i)
			rest += rq[i].size;
		if (i && (unsigned)rq[i].offset + rq[i].size > NB_PAGE)
			return *why = "request crosses its page", -1;
	}
	if (rest > rq[0].size)
		return *why = "request sizes do not add up to the frame", -1;
	if ((unsigned)rq[0].offset + (rq[0].size - rest) > NB_PAGE)
		return *why = "request crosses its page", -1;
	return 0;
}

// Copy the parts of rq[0..n) to dst (len bytes: checked already).
static void gather(const nb_pool pool, const struct lamina_netif_tx_request *rq, unsigned n, uint8_t *dst,
		   size_t len)
{
	size_t first = len;

	for (unsigned i = 1; i < n; i++)
		first -= rq[i].size;
	memcpy(dst, pool[rq[0].gref] + rq[0].offset, first);
	dst += first;
	for (unsigned i = 1; i < n; i++) {
		memcpy(dst, pool[rq[i].gref] + rq[i].offset, rq[i].size);
		dst += rq[i].size;
	}
}

int nb_tx_frame(const struct nb_cfg *c, const nb_pool pool, const struct lamina_netif_tx_request *rq,
		unsigned n, uint8_t *buf, size_t *len, const char **why)
{
	size_t total, eth_len;
	struct lamina_netif_hdr h = { 0 };
	uint8_t *eth = buf + NB_HDR;

	if (check_requests(pool, rq, n, why))
		return LAMINA_NETIF_RSP_ERROR;
	total = rq[0].size;
	if (total > LAMINA_NETIF_MAX_FRAME)
		return *why = "frame longer than the most allowed", LAMINA_NETIF_RSP_ERROR;
	if (total < NB_ETH + (c->offload ? NB_HDR : 0))
		return *why = "frame shorter than its headers", LAMINA_NETIF_RSP_ERROR;
	gather(pool, rq, n, c->offload ? buf : eth, total);
	eth_len = c->offload ? total - NB_HDR : total;
	if (c->offload) {
		memcpy(&h, buf, NB_HDR); // from the private copy: read once
		if (nb_check_hdr(&h, eth_len, why))
			return LAMINA_NETIF_RSP_ERROR;
		h.pad = 0;
	} else if (rq[0].flags & LAMINA_NETTXF_DATA_VALIDATED) {
		h.flags = LAMINA_NETIF_HDR_F_DATA_VALID;
	}
	memcpy(buf, &h, NB_HDR);
	if (!is_gso(&h) && eth_len > c->mtu + NB_ETH_MAX_EXTRA)
		return *why = "frame longer than the MTU allows", LAMINA_NETIF_RSP_ERROR;
	*len = NB_HDR + eth_len;
	if (!c->allow_spoof && memcmp(eth + 6, c->mac, 6))
		return *why = "source MAC is not the interface's", LAMINA_NETIF_RSP_DROPPED;
	return LAMINA_NETIF_RSP_OKAY;
}

void nb_csum_complete(uint8_t *eth, size_t len, unsigned start, unsigned offset)
{
	uint32_t sum = 0;
	uint16_t v;
	size_t i;

	for (i = start; i + 1 < len; i += 2)
		sum += (uint32_t)(eth[i] << 8 | eth[i + 1]);
	if (i < len)
		sum += (uint32_t)eth[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	v = (uint16_t)~sum;
	if (!v)
		v = 0xffff;
	eth[start + offset] = (uint8_t)(v >> 8);
	eth[start + offset + 1] = (uint8_t)v;
}

enum nb_rx_verdict nb_rx_prepare(const struct nb_cfg *c, uint8_t *f, size_t len, size_t *off,
				 size_t *out_len, uint16_t *rxflags)
{
	struct lamina_netif_hdr h;
	const char *why;
	size_t eth_len;

	if (len < NB_HDR + NB_ETH)
		return NB_RX_RUNT;
	memcpy(&h, f, NB_HDR);
	eth_len = len - NB_HDR;
	if (nb_check_hdr(&h, eth_len, &why))
		return NB_RX_BADHDR;
	*rxflags = h.flags & LAMINA_NETIF_HDR_F_DATA_VALID ? LAMINA_NETRXF_DATA_VALIDATED : 0;
	if (c->offload) {
		h.pad = 0;
		memcpy(f, &h, NB_HDR);
		*off = 0;
		*out_len = len;
		return NB_RX_OK;
	}
	if (is_gso(&h))
		return NB_RX_GSO;
	if (eth_len > c->mtu + NB_ETH_MAX_EXTRA)
		return NB_RX_BIG;
	if (h.flags & LAMINA_NETIF_HDR_F_NEEDS_CSUM)
		nb_csum_complete(f + NB_HDR, eth_len, h.csum_start, h.csum_offset);
	*off = NB_HDR;
	*out_len = eth_len;
	return NB_RX_OK;
}
