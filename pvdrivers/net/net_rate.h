// SPDX-License-Identifier: MIT
// net_rate.h: lamina-netback's rate limits: token buckets (bytes, frames) per direction, pure functions of a clock the caller passes in.
//
// A bucket holds up to `burst` tokens and gains `rate` tokens a second,
// continuously (the fraction of a token is carried in token-nanoseconds,
// so no time is lost to rounding however often it is refilled). A frame
// may go when the bucket holds its size, or is full (a frame larger than
// the burst waits for a full bucket); it is then charged its size, which
// may leave the bucket below zero: the debt is paid back before the next
// frame goes, so the long-run rate is exactly `rate` whatever the frame
// sizes, plus at most one burst. A rate of 0 is no limit.
//
// Times are nanoseconds of CLOCK_MONOTONIC (any clock that never goes
// back; one that does is read as standing still). Everything is computed
// in 128 bits and saturates: no input overflows.
#ifndef NET_RATE_H
#define NET_RATE_H

#include <lamina/io/netif.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_RATE_BURST_NS 200000000ll // default burst: 200 ms at the rate (a back-end late by less loses no rate)...
#define NB_RATE_FLOOR_BYTES ((uint64_t)LAMINA_NETIF_MAX_RX_FRAME) // ...but at least one largest frame
#define NB_RATE_TOKENS_MAX ((int64_t)1 << 62) // the most a burst or one charge counts

struct nb_bucket {
	uint64_t rate; // tokens a second; 0: no limit
	int64_t burst; // the most tokens held, 1..NB_RATE_TOKENS_MAX
	int64_t tokens; // -NB_RATE_TOKENS_MAX..burst
	uint64_t frac; // token-nanoseconds short of the next whole token, < 1e9
	int64_t last_ns; // when tokens was brought up to date
};

// A full bucket: burst 0 means the default, rate for 200 ms or floor
// tokens, whichever is larger.
void nb_bucket_init(struct nb_bucket *b, uint64_t rate, uint64_t burst, uint64_t floor, int64_t now_ns);
void nb_bucket_refill(struct nb_bucket *b, int64_t now_ns); // add the tokens earned since last_ns
bool nb_bucket_ready(const struct nb_bucket *b, uint64_t n); // as of the last refill: may n go?
void nb_bucket_charge(struct nb_bucket *b, uint64_t n); // take n tokens (may go below zero)
// Nanoseconds from now_ns until nb_bucket_ready(b, n) would be true after
// a refill (0: already), INT64_MAX at most.
int64_t nb_bucket_wait_ns(const struct nb_bucket *b, uint64_t n, int64_t now_ns);

// One direction's limit: bytes (Ethernet bytes, as on the wire) and frames.
struct nb_limit {
	struct nb_bucket bytes, frames;
	uint64_t need; // the bytes of the frame that waits (while waiting)
	bool waiting; // a frame is waiting for tokens, since since_ns
	int64_t since_ns;
	unsigned long waits; // frames that had to wait
	int64_t waited_ns; // the time they waited, in all
};

// What --tx-rate/--rx-rate and --tx-pps/--rx-pps say (0: no limit; a burst of 0: the default).
struct nb_rate_cfg {
	uint64_t bps, bps_burst, pps, pps_burst;
};

void nb_limit_init(struct nb_limit *l, const struct nb_rate_cfg *c, int64_t now_ns);
static inline bool nb_limit_on(const struct nb_limit *l)
{
	return l->bytes.rate || l->frames.rate;
}
// Refill, then: may a frame of about `bytes` go now? A false starts a wait
// (counted once per frame), the next true ends it. Nothing is charged.
bool nb_limit_ready(struct nb_limit *l, uint64_t bytes, int64_t now_ns);
// Charge a frame that went: its wire bytes and frames (segments).
void nb_limit_charge(struct nb_limit *l, uint64_t bytes, uint64_t frames);
// While waiting: nanoseconds from now_ns until the waiting frame may go.
int64_t nb_limit_wait_ns(const struct nb_limit *l, int64_t now_ns);
// The waiting frame went away without going (disconnect): end its wait.
void nb_limit_abandon(struct nb_limit *l, int64_t now_ns);
// A wait in whole milliseconds, rounded up (a poll timeout that does not wake early), at most max_ms.
int nb_wait_ms(int64_t ns, int max_ms);

// What a frame costs on the wire: eth_len bytes of Ethernet after the
// offload header h (NULL: none). A GSO super-frame is charged as the
// segments it becomes: each repeats the headers (at least hdr_len, and at
// least the least Ethernet + IP + TCP headers of its type).
void nb_wire_cost(const struct lamina_netif_hdr *h, size_t eth_len, uint64_t *bytes, uint64_t *frames);

// "RATE[:BURST]", decimal, each 0..UINT64_MAX (burst 0: the default). 0, or -1.
int nb_parse_rate(const char *s, uint64_t *rate, uint64_t *burst);
#endif
