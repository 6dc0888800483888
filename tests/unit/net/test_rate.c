// SPDX-License-Identifier: MIT
// Unit tests for lamina-netback's rate limits (pvdrivers/net/net_rate.c): token buckets on a fake clock, long-run accuracy, wire costs, option syntax.
#include <stdlib.h>
#include <string.h>

#include "net_rate.h"
#include "tests.h"

#define MS 1000000ll
#define SEC 1000000000ll

static uint64_t rng = 88172645463325252ull; // xorshift64: the same frames on every run

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned between(unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rnd() % (hi - lo + 1));
}

START_TEST(zero_is_unlimited)
{
	struct nb_limit l;
	struct nb_rate_cfg c = { 0 };

	nb_limit_init(&l, &c, 5 * SEC);
	ck_assert(!nb_limit_on(&l));
	for (int i = 0; i < 1000; i++) {
		ck_assert(nb_limit_ready(&l, UINT64_MAX, 5 * SEC));
		nb_limit_charge(&l, UINT64_MAX, UINT64_MAX);
	}
	ck_assert_int_eq(nb_limit_wait_ns(&l, 5 * SEC), 0);
	ck_assert_uint_eq(l.waits, 0);
	c.pps = 10; // one bucket limited, the other not
	nb_limit_init(&l, &c, 0);
	ck_assert(nb_limit_on(&l));
	ck_assert(nb_limit_ready(&l, UINT64_MAX, 0));
}
END_TEST

START_TEST(default_bursts)
{
	struct nb_bucket b;

	nb_bucket_init(&b, 1000000000, 0, NB_RATE_FLOOR_BYTES, 0);
	ck_assert_int_eq(b.burst, 200000000); // 200 ms
	ck_assert_int_eq(b.tokens, b.burst); // starts full
	nb_bucket_init(&b, 1000, 0, NB_RATE_FLOOR_BYTES, 0);
	ck_assert_int_eq(b.burst, LAMINA_NETIF_MAX_RX_FRAME); // one largest frame
	nb_bucket_init(&b, 1000, 0, 1, 0);
	ck_assert_int_eq(b.burst, 200);
	nb_bucket_init(&b, 4, 0, 1, 0);
	ck_assert_int_eq(b.burst, 1);
	nb_bucket_init(&b, 10, 7, 1, 0); // given
	ck_assert_int_eq(b.burst, 7);
	nb_bucket_init(&b, UINT64_MAX, 0, 1, 0);
	ck_assert_int_eq(b.burst, (int64_t)(UINT64_MAX / 5));
	nb_bucket_init(&b, 1, UINT64_MAX, 1, 0);
	ck_assert_int_eq(b.burst, NB_RATE_TOKENS_MAX);
}
END_TEST

START_TEST(refill_is_continuous)
{
	struct nb_bucket b;
	int64_t t = 0;

	nb_bucket_init(&b, 3, 100, 1, t); // 3 tokens a second: a third of a second per token
	nb_bucket_charge(&b, 100);
	ck_assert_int_eq(b.tokens, 0);
	for (int i = 1; i <= 30; i++) { // refilled every 333333333 ns: never a whole token in one step
		t += SEC / 3;
		nb_bucket_refill(&b, t);
	}
	ck_assert_int_eq(b.tokens, 29); // 10 s less 10 ns: nothing lost to rounding
	t += 10;
	nb_bucket_refill(&b, t);
	ck_assert_int_eq(b.tokens, 30);
	ck_assert_uint_eq(b.frac, 0);
	nb_bucket_refill(&b, t - SEC); // a clock that goes back stands still
	ck_assert_int_eq(b.tokens, 30);
	nb_bucket_refill(&b, t + 3600 * SEC); // an hour idle: full, no more
	ck_assert_int_eq(b.tokens, 100);
	ck_assert_uint_eq(b.frac, 0);
}
END_TEST

START_TEST(frames_larger_than_the_burst)
{
	struct nb_bucket b;

	nb_bucket_init(&b, 1000, 100, 1, 0);
	ck_assert(nb_bucket_ready(&b, 1000)); // full: any frame may go...
	nb_bucket_charge(&b, 1000);
	ck_assert_int_eq(b.tokens, -900); // ...and leaves a debt
	ck_assert(!nb_bucket_ready(&b, 1));
	ck_assert_int_eq(nb_bucket_wait_ns(&b, 1000, 0), SEC); // paid back, then full again
	ck_assert_int_eq(nb_bucket_wait_ns(&b, 1, 0), 901 * MS);
	ck_assert_int_eq(nb_bucket_wait_ns(&b, 1, 400 * MS), 501 * MS); // from now, not from the refill
	nb_bucket_refill(&b, SEC - 1);
	ck_assert(!nb_bucket_ready(&b, 1000));
	nb_bucket_refill(&b, SEC);
	ck_assert(nb_bucket_ready(&b, 1000));
}
END_TEST

// nb_bucket_wait_ns is exact: ready at now + wait, not a nanosecond sooner.
START_TEST(wait_is_exact)
{
	for (int i = 0; i < 20000; i++) {
		struct nb_bucket b, at, before;
		uint64_t rate = 1 + rnd() % (i % 2 ? 20000000000ull : 5000);
		int64_t now = (int64_t)(rnd() % (1000 * SEC)), w;
		uint64_t n = 1 + rnd() % 70000;

		nb_bucket_init(&b, rate, 1 + rnd() % 200000, 1, now);
		nb_bucket_charge(&b, rnd() % 300000);
		nb_bucket_refill(&b, now + (int64_t)(rnd() % MS));
		now = b.last_ns + (int64_t)(rnd() % 1000);
		w = nb_bucket_wait_ns(&b, n, now);
		at = before = b;
		nb_bucket_refill(&at, now + w);
		ck_assert(nb_bucket_ready(&at, n));
		if (w > 0) {
			nb_bucket_refill(&before, now + w - 1);
			ck_assert(!nb_bucket_ready(&before, n));
		}
	}
}
END_TEST

START_TEST(no_overflow_with_huge_numbers)
{
	struct nb_bucket b;
	struct nb_limit l;
	struct nb_rate_cfg c = { .bps = UINT64_MAX, .bps_burst = UINT64_MAX, .pps = UINT64_MAX };

	nb_bucket_init(&b, UINT64_MAX, 0, NB_RATE_FLOOR_BYTES, INT64_MIN);
	for (int i = 0; i < 4; i++)
		nb_bucket_charge(&b, UINT64_MAX);
	ck_assert_int_eq(b.tokens, -NB_RATE_TOKENS_MAX); // saturated
	ck_assert_int_gt(nb_bucket_wait_ns(&b, UINT64_MAX, INT64_MIN), 0);
	nb_bucket_refill(&b, INT64_MAX); // the longest time, the largest rate
	ck_assert_int_eq(b.tokens, b.burst);
	nb_bucket_init(&b, 1, UINT64_MAX, 1, INT64_MAX - 10); // the smallest rate, the largest debt
	for (int i = 0; i < 4; i++)
		nb_bucket_charge(&b, UINT64_MAX);
	ck_assert_int_eq(nb_bucket_wait_ns(&b, UINT64_MAX, INT64_MIN), INT64_MAX);
	nb_bucket_refill(&b, INT64_MAX);
	ck_assert(!nb_bucket_ready(&b, 1));
	nb_limit_init(&l, &c, 0);
	for (int i = 0; i < 100; i++) {
		nb_limit_ready(&l, UINT64_MAX, (int64_t)i * 1000);
		nb_limit_charge(&l, UINT64_MAX, UINT64_MAX);
	}
	ck_assert_int_ge(nb_limit_wait_ns(&l, 0), 0);
}
END_TEST

struct run {
	uint64_t bytes, frames; // charged while measured
	unsigned long wakeups;
};

// A sender that always has the next frame (lo..hi bytes, random) and a loop
// like lamina-netback's: send while the limit allows, else sleep for the
// wait as a poll timeout (whole ms, rounded up) and wake up to late_ns late.
// Measures [warm, warm + span) of simulated time.
static struct run simulate(const struct nb_rate_cfg *c, unsigned lo, unsigned hi, int64_t late_ns, int64_t warm,
			   int64_t span)
{
	struct nb_limit l;
	struct run r = { 0 };
	int64_t t0 = 123456789, t = t0;
	unsigned size = between(lo, hi);

	nb_limit_init(&l, c, t);
	while (t < t0 + warm + span) {
		if (nb_limit_ready(&l, size, t)) {
			nb_limit_charge(&l, size, 1);
			if (t >= t0 + warm)
				r.bytes += size, r.frames++;
			size = between(lo, hi);
			continue;
		}
		int ms = nb_wait_ms(nb_limit_wait_ns(&l, t), 1000);
		ck_assert_int_gt(ms, 0); // not ready: never a busy loop
		t += ms * MS + (late_ns ? (int64_t)(rnd() % (uint64_t)late_ns) : 0);
		r.wakeups++;
	}
	ck_assert_uint_gt(l.waits, 0);
	ck_assert_int_gt(l.waited_ns, 0);
	return r;
}

static void assert_within(double got, double want, double tolerance)
{
	ck_assert_msg(got > want * (1 - tolerance) && got < want * (1 + tolerance), "%.0f, expected %.0f +- %.1f%%",
		      got, want, tolerance * 100);
}

// 10 s after 1 s of warm-up (the first burst), random frame sizes, a loop
// that wakes up to 2 ms late: the bytes sent are the rate within 1%.
START_TEST(long_run_rate_is_accurate)
{
	static const struct {
		uint64_t bps;
		unsigned lo, hi;
	} cases[] = { { 100 * 1024, 60, 1514 }, { 12800 * 1024, 60, 65535 }, { 1250000000, 60, 65535 },
		      { 4000000, 60, 65535 } };

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nb_rate_cfg c = { .bps = cases[i].bps };
		struct run r = simulate(&c, cases[i].lo, cases[i].hi, 2 * MS, SEC, 10 * SEC);
		assert_within((double)r.bytes / 10, (double)cases[i].bps, 0.01);
	}
}
END_TEST

// The same from a full bucket, with no warm-up: at most one burst more.
START_TEST(first_burst_is_bounded)
{
	struct nb_rate_cfg c = { .bps = 10000000 };
	struct run r = simulate(&c, 60, 1514, 2 * MS, 0, 10 * SEC);

	ck_assert_uint_le(r.bytes, 10 * c.bps + c.bps / 5 + 1514); // the burst: 200 ms of the rate
	ck_assert_uint_ge(r.bytes, 10 * c.bps - 1514 - c.bps * 3 / 1000); // (what the last, late wake-up earned)
}
END_TEST

START_TEST(frame_rate_is_accurate)
{
	struct nb_rate_cfg c = { .pps = 1000 };
	struct run r = simulate(&c, 60, 65535, 2 * MS, SEC, 10 * SEC);

	assert_within((double)r.frames / 10, 1000, 0.01);
	c = (struct nb_rate_cfg){ .bps = 1000000, .pps = 100 }; // small frames: the frame rate binds
	r = simulate(&c, 60, 60, 2 * MS, SEC, 10 * SEC);
	assert_within((double)r.frames / 10, 100, 0.01);
	r = simulate(&c, 60000, 60000, 2 * MS, SEC, 10 * SEC); // large ones: the byte rate
	assert_within((double)r.bytes / 10, 1000000, 0.01);
}
END_TEST

// A burst smaller than the frames: each waits for a full bucket and its
// debt is paid back, so the rate is never exceeded; but a full bucket earns
// nothing, so the time between filling up and the loop's wake-up (the poll
// timeout's rounding up to a millisecond, lateness) is lost, once a frame.
START_TEST(small_burst_keeps_the_rate)
{
	struct nb_rate_cfg c = { .bps = 1000000, .bps_burst = 1000 };
	struct run r = simulate(&c, 60, 65535, 0, SEC, 10 * SEC);

	ck_assert_uint_le(r.bytes / 10, c.bps + c.bps / 1000);
	ck_assert_uint_ge(r.bytes / 10, c.bps - c.bps / 40); // 30 frames a second, up to 1 ms lost each
	r = simulate(&c, 60, 65535, 2 * MS, SEC, 10 * SEC);
	ck_assert_uint_le(r.bytes / 10, c.bps + c.bps / 1000);
	ck_assert_uint_ge(r.bytes / 10, c.bps - c.bps / 10);
}
END_TEST

START_TEST(waits_are_counted)
{
	struct nb_limit l;
	struct nb_rate_cfg c = { .bps = 1000, .bps_burst = 1000 };

	nb_limit_init(&l, &c, 0);
	ck_assert(nb_limit_ready(&l, 1000, 0));
	nb_limit_charge(&l, 1000, 1);
	ck_assert(!nb_limit_ready(&l, 500, 0));
	ck_assert(!nb_limit_ready(&l, 500, 100 * MS)); // the same frame: one wait
	ck_assert_int_eq(nb_limit_wait_ns(&l, 100 * MS), 400 * MS);
	ck_assert(nb_limit_ready(&l, 500, 700 * MS));
	ck_assert_uint_eq(l.waits, 1);
	ck_assert_int_eq(l.waited_ns, 700 * MS);
	nb_limit_charge(&l, 500, 1);
	ck_assert(!nb_limit_ready(&l, 1000, 800 * MS));
	nb_limit_abandon(&l, 900 * MS); // it went away (disconnect)
	ck_assert(!l.waiting);
	ck_assert_uint_eq(l.waits, 2);
	ck_assert_int_eq(l.waited_ns, 800 * MS);
}
END_TEST

START_TEST(wait_in_milliseconds)
{
	ck_assert_int_eq(nb_wait_ms(0, 1000), 0);
	ck_assert_int_eq(nb_wait_ms(1, 1000), 1); // never early
	ck_assert_int_eq(nb_wait_ms(MS, 1000), 1);
	ck_assert_int_eq(nb_wait_ms(MS + 1, 1000), 2);
	ck_assert_int_eq(nb_wait_ms(INT64_MAX, 1000), 1000);
	ck_assert_int_eq(nb_wait_ms(-5, 1000), 0);
}
END_TEST

START_TEST(wire_cost)
{
	struct lamina_netif_hdr h = { 0 };
	uint64_t bytes, frames;

	nb_wire_cost(NULL, 1514, &bytes, &frames);
	ck_assert_uint_eq(bytes, 1514);
	ck_assert_uint_eq(frames, 1);
	nb_wire_cost(&h, 1514, &bytes, &frames); // a header without GSO
	ck_assert_uint_eq(bytes, 1514);
	h = (struct lamina_netif_hdr){ .gso_type = LAMINA_NETIF_GSO_TCPV4, .hdr_len = 66, .gso_size = 1448 };
	nb_wire_cost(&h, 66 + 45 * 1448 - 100, &bytes, &frames); // 45 segments, the last short
	ck_assert_uint_eq(frames, 45);
	ck_assert_uint_eq(bytes, 66 + 45 * 1448 - 100 + 44 * 66);
	h.hdr_len = 0; // a header length too short to be true: the least TCP/IPv4 headers
	nb_wire_cost(&h, 54 + 2 * 1448, &bytes, &frames);
	ck_assert_uint_eq(frames, 2);
	ck_assert_uint_eq(bytes, 54 + 2 * 1448 + 54);
	h.gso_type = LAMINA_NETIF_GSO_TCPV6 | LAMINA_NETIF_GSO_ECN;
	nb_wire_cost(&h, 74 + 3 * 1448, &bytes, &frames);
	ck_assert_uint_eq(frames, 3);
	ck_assert_uint_eq(bytes, 74 + 3 * 1448 + 2 * 74);
	nb_wire_cost(&h, 40, &bytes, &frames); // shorter than its headers: as it is
	ck_assert_uint_eq(bytes, 40);
	ck_assert_uint_eq(frames, 1);
}
END_TEST

START_TEST(rate_syntax)
{
	uint64_t r, b;

	ck_assert_int_eq(nb_parse_rate("1310720", &r, &b), 0);
	ck_assert_uint_eq(r, 1310720);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(nb_parse_rate("1000:65536", &r, &b), 0);
	ck_assert_uint_eq(r, 1000);
	ck_assert_uint_eq(b, 65536);
	ck_assert_int_eq(nb_parse_rate("0", &r, &b), 0);
	ck_assert_uint_eq(r, 0);
	ck_assert_int_eq(nb_parse_rate("18446744073709551615:18446744073709551615", &r, &b), 0);
	ck_assert_uint_eq(r, UINT64_MAX);
	ck_assert_uint_eq(b, UINT64_MAX);
	static const char *const bad[] = { "", "18446744073709551616", "-1", " 1", "+1", "1:", ":5", "1:2:3",
					   "1k", "1:-2", "1 " };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(nb_parse_rate(bad[i], &r, &b) == -1, "'%s' taken", bad[i]);
}
END_TEST

TCase *rate_tcase(void)
{
	TCase *t = tcase_create("rate");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, zero_is_unlimited);
	tcase_add_test(t, default_bursts);
	tcase_add_test(t, refill_is_continuous);
	tcase_add_test(t, frames_larger_than_the_burst);
	tcase_add_test(t, wait_is_exact);
	tcase_add_test(t, no_overflow_with_huge_numbers);
	tcase_add_test(t, long_run_rate_is_accurate);
	tcase_add_test(t, first_burst_is_bounded);
	tcase_add_test(t, frame_rate_is_accurate);
	tcase_add_test(t, small_burst_keeps_the_rate);
	tcase_add_test(t, waits_are_counted);
	tcase_add_test(t, wait_in_milliseconds);
	tcase_add_test(t, wire_cost);
	tcase_add_test(t, rate_syntax);
	return t;
}
