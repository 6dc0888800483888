// SPDX-License-Identifier: MIT
// net_rate: lamina-netback's token buckets, per-direction limits, a frame's wire cost and the option syntax (contracts in net_rate.h).
#include "net_rate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000u

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 s128;

static int64_t clamp_tokens(s128 v)
{
	return v > NB_RATE_TOKENS_MAX ? NB_RATE_TOKENS_MAX : v < -NB_RATE_TOKENS_MAX ? -NB_RATE_TOKENS_MAX : (int64_t)v;
}

void nb_bucket_init(struct nb_bucket *b, uint64_t rate, uint64_t burst, uint64_t floor, int64_t now_ns)
{
	if (!burst) {
		u128 def = (u128)rate * NB_RATE_BURST_NS / NS;
		burst = def > floor ? (def > UINT64_MAX ? UINT64_MAX : (uint64_t)def) : floor;
	}
	*b = (struct nb_bucket){ .rate = rate, .burst = burst ? clamp_tokens(burst) : 1, .last_ns = now_ns };
	b->tokens = b->burst;
}

void nb_bucket_refill(struct nb_bucket *b, int64_t now_ns)
{
	u128 add, whole;

	if (now_ns <= b->last_ns)
		return; // no time passed (or a clock went back: it stands still)
	add = (u128)b->rate * ((uint64_t)now_ns - (uint64_t)b->last_ns) + b->frac; // (no signed overflow)
	b->last_ns = now_ns;
	whole = add / NS;
	if (whole >= (u128)((s128)b->burst - b->tokens)) { // full: what is beyond the burst is lost
		b->tokens = b->burst;
		b->frac = 0;
		return;
	}
	b->tokens += (int64_t)whole;
	b->frac = (uint64_t)(add % NS);
}

// What a frame of n must find in the bucket: n, or a full bucket if larger.
static int64_t need(const struct nb_bucket *b, uint64_t n)
{
	return n < (uint64_t)b->burst ? (int64_t)n : b->burst;
}

bool nb_bucket_ready(const struct nb_bucket *b, uint64_t n)
{
	return !b->rate || b->tokens >= need(b, n);
}

void nb_bucket_charge(struct nb_bucket *b, uint64_t n)
{
	if (b->rate)
		b->tokens = clamp_tokens((s128)b->tokens - (n > (uint64_t)NB_RATE_TOKENS_MAX ? NB_RATE_TOKENS_MAX : (int64_t)n));
}

int64_t nb_bucket_wait_ns(const struct nb_bucket *b, uint64_t n, int64_t now_ns)
{
	s128 deficit, ns, left;

	if (nb_bucket_ready(b, n))
		return 0;
	// the least ns with rate * ns + frac >= deficit * NS: then a refill gives deficit whole tokens
	deficit = (s128)need(b, n) - b->tokens;
	ns = (deficit * NS - (s128)b->frac + (s128)b->rate - 1) / (s128)b->rate;
	left = (s128)b->last_ns + ns - now_ns;
	return left <= 0 ? 0 : left > INT64_MAX ? INT64_MAX : (int64_t)left;
}

void nb_limit_init(struct nb_limit *l, const struct nb_rate_cfg *c, int64_t now_ns)
{
	*l = (struct nb_limit){ 0 };
	nb_bucket_init(&l->bytes, c->bps, c->bps_burst, NB_RATE_FLOOR_BYTES, now_ns);
	nb_bucket_init(&l->frames, c->pps, c->pps_burst, 1, now_ns);
}

bool nb_limit_ready(struct nb_limit *l, uint64_t bytes, int64_t now_ns)
{
	bool ok;

	nb_bucket_refill(&l->bytes, now_ns);
	nb_bucket_refill(&l->frames, now_ns);
	ok = nb_bucket_ready(&l->bytes, bytes) && nb_bucket_ready(&l->frames, 1);
	if (!ok && !l->waiting) {
		l->waiting = true;
		l->since_ns = now_ns;
		l->waits++;
	} else if (ok && l->waiting) {
		nb_limit_abandon(l, now_ns);
	}
	l->need = bytes;
	return ok;
}

void nb_limit_charge(struct nb_limit *l, uint64_t bytes, uint64_t frames)
{
	nb_bucket_charge(&l->bytes, bytes);
	nb_bucket_charge(&l->frames, frames);
}

int64_t nb_limit_wait_ns(const struct nb_limit *l, int64_t now_ns)
{
	int64_t a = nb_bucket_wait_ns(&l->bytes, l->need, now_ns);
	int64_t b = nb_bucket_wait_ns(&l->frames, 1, now_ns);

	return a > b ? a : b;
}

void nb_limit_abandon(struct nb_limit *l, int64_t now_ns)
{
	if (l->waiting && now_ns > l->since_ns)
		l->waited_ns += (int64_t)((uint64_t)now_ns - (uint64_t)l->since_ns);
	l->waiting = false;
}

int nb_wait_ms(int64_t ns, int max_ms)
{
	int64_t ms = ns <= 0 ? 0 : ns / 1000000 + (ns % 1000000 != 0);

	return ms < max_ms ? (int)ms : max_ms;
}

// The least Ethernet + IP + TCP headers of a GSO type.
static unsigned least_headers(unsigned gso_type)
{
	return (gso_type & ~LAMINA_NETIF_GSO_ECN) == LAMINA_NETIF_GSO_TCPV6 ? 14 + 40 + 20 : 14 + 20 + 20;
}

void nb_wire_cost(const struct lamina_netif_hdr *h, size_t eth_len, uint64_t *bytes, uint64_t *frames)
{
	uint64_t hl, segs;

	*bytes = eth_len;
	*frames = 1;
	if (!h || h->gso_type == LAMINA_NETIF_GSO_NONE || !h->gso_size)
		return;
	hl = h->hdr_len > least_headers(h->gso_type) ? h->hdr_len : least_headers(h->gso_type);
	if (eth_len <= hl)
		return;
	segs = (eth_len - hl + h->gso_size - 1) / h->gso_size;
	*bytes = eth_len + (segs - 1) * hl;
	*frames = segs;
}

static int number(const char *s, char **end, uint64_t *v)
{
	unsigned long long n;

	if (*s < '0' || *s > '9')
		return -1; // strtoull takes a sign and spaces: not here
	errno = 0;
	n = strtoull(s, end, 10);
	*v = n;
	return errno ? -1 : 0;
}

int nb_parse_rate(const char *s, uint64_t *rate, uint64_t *burst)
{
	char *end;

	*burst = 0;
	if (number(s, &end, rate))
		return -1;
	if (*end == ':' && number(end + 1, &end, burst))
		return -1;
	return *end ? -1 : 0;
}
