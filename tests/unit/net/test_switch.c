// SPDX-License-Identifier: MIT
// Unit tests for lamina-netswitch's pure logic (pvdrivers/net/sw_core.c): learning, unicast and flooding, VLAN isolation, aging, the table bound, hellos.
#include <stdlib.h>
#include <string.h>

#include "sw_core.h"
#include "tests.h"

#define S 1000000000ll // one second in ns

static struct sw_table *t;
static struct sw_port ports[6];
static int out[SW_MAX_PORTS];

static const uint8_t A[6] = { 2, 0, 0, 0, 0, 0xa }, B[6] = { 2, 0, 0, 0, 0, 0xb }, C[6] = { 2, 0, 0, 0, 0, 0xc },
		     BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, MCAST[6] = { 0x01, 0, 0x5e, 0, 0, 1 };

static void setup(void)
{
	t = malloc(sizeof(*t));
	sw_table_init(t);
	// ports 0..3 up in VLAN 0, except 3 in VLAN 7; 4 up in VLAN 7; 5 down
	for (int i = 0; i < 5; i++)
		ports[i] = (struct sw_port){ .up = true, .vlan = 0 };
	ports[3].vlan = ports[4].vlan = 7;
	ports[5] = (struct sw_port){ 0 };
}

static void teardown(void)
{
	free(t);
}

// Forward a frame dst <- src from port p at time now; the ports, in out[].
static unsigned fwd(int p, const uint8_t *dst, const uint8_t *src, int64_t now)
{
	uint8_t eth[60] = { 0 };

	memcpy(eth, dst, 6);
	memcpy(eth + 6, src, 6);
	return sw_forward(t, ports, 6, p, eth, sizeof(eth), now, out);
}

static bool has(unsigned n, int p)
{
	for (unsigned i = 0; i < n; i++)
		if (out[i] == p)
			return true;
	return false;
}

START_TEST(unknown_unicast_floods_within_vlan)
{
	unsigned n = fwd(0, B, A, 0);

	ck_assert_uint_eq(n, 2); // ports 1 and 2: not the source, not VLAN 7, not the down one
	ck_assert(has(n, 1) && has(n, 2));
	ck_assert(!has(n, 0) && !has(n, 3) && !has(n, 4) && !has(n, 5));
}
END_TEST

START_TEST(learnt_unicast_goes_to_one_port)
{
	fwd(2, BCAST, B, 0); // B is on port 2
	ck_assert_uint_eq(fwd(0, B, A, S), 1);
	ck_assert_int_eq(out[0], 2);
	ck_assert_uint_eq(fwd(2, A, B, 2 * S), 1); // and A was learnt on port 0 meanwhile
	ck_assert_int_eq(out[0], 0);
	fwd(1, BCAST, B, 3 * S); // B moved to port 1
	ck_assert_uint_eq(fwd(0, B, A, 4 * S), 1);
	ck_assert_int_eq(out[0], 1);
}
END_TEST

START_TEST(broadcast_and_multicast_flood)
{
	unsigned n = fwd(1, BCAST, A, 0);

	ck_assert_uint_eq(n, 2);
	ck_assert(has(n, 0) && has(n, 2));
	n = fwd(1, MCAST, A, 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(sw_lookup(t, MCAST, 0, 0), -1);
	n = fwd(1, BCAST, MCAST, 0); // a group source is not learnt, the frame still floods
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(sw_lookup(t, MCAST, 0, 0), -1);
}
END_TEST

START_TEST(never_back_to_the_source)
{
	fwd(0, BCAST, A, 0);
	fwd(0, BCAST, C, 0); // A and C both behind port 0
	ck_assert_uint_eq(fwd(0, C, A, 0), 0);
}
END_TEST

START_TEST(vlans_are_isolated)
{
	unsigned n;

	fwd(3, BCAST, C, 0); // C on port 3, VLAN 7
	n = fwd(3, BCAST, C, 0);
	ck_assert_uint_eq(n, 1); // only port 4 shares VLAN 7
	ck_assert_int_eq(out[0], 4);
	n = fwd(0, C, A, 0); // from VLAN 0, C is unknown: flooded in VLAN 0 only
	ck_assert_uint_eq(n, 2);
	ck_assert(!has(n, 3) && !has(n, 4));
	ck_assert_int_eq(sw_lookup(t, C, 0, 0), -1);
	ck_assert_int_eq(sw_lookup(t, C, 7, 0), 3);
	fwd(1, BCAST, C, 0); // the same MAC in VLAN 0 is another entry
	ck_assert_int_eq(sw_lookup(t, C, 0, 0), 1);
	ck_assert_int_eq(sw_lookup(t, C, 7, 0), 3);
	ports[2].vlan = 7; // a learnt port that changed VLAN is not sent to across VLANs
	sw_learn(t, B, 0, 2, 0);
	n = fwd(0, B, A, 0);
	ck_assert(!has(n, 2));
}
END_TEST

START_TEST(entries_age_out)
{
	fwd(2, BCAST, B, 0);
	ck_assert_int_eq(sw_lookup(t, B, 0, 300 * S), 2);
	ck_assert_int_eq(sw_lookup(t, B, 0, 301 * S), -1); // too old: unknown again
	ck_assert_uint_eq(fwd(0, B, A, 301 * S), 2); // flooded
	fwd(2, BCAST, B, 302 * S); // seen again: refreshed
	ck_assert_int_eq(sw_lookup(t, B, 0, 500 * S), 2);
	ck_assert_uint_eq(t->n, 2);
	sw_age(t, 602 * S); // A (seen at 301 s) goes, B (302 s) stays
	ck_assert_uint_eq(t->n, 1);
	ck_assert_int_eq(sw_lookup(t, B, 0, 602 * S), 2);
	sw_age(t, 603 * S);
	ck_assert_uint_eq(t->n, 0);
}
END_TEST

START_TEST(forget_port)
{
	fwd(0, BCAST, A, 0);
	fwd(2, BCAST, B, 0);
	fwd(2, BCAST, C, 0);
	sw_forget_port(t, 2);
	ck_assert_uint_eq(t->n, 1);
	ck_assert_int_eq(sw_lookup(t, B, 0, 0), -1);
	ck_assert_int_eq(sw_lookup(t, A, 0, 0), 0);
}
END_TEST

START_TEST(table_is_bounded)
{
	uint8_t m[6] = { 2, 0, 0, 0, 0, 0 };

	for (unsigned i = 0; i < SW_TABLE_MAX + 10; i++) {
		m[3] = (uint8_t)(i >> 16), m[4] = (uint8_t)(i >> 8), m[5] = (uint8_t)i;
		sw_learn(t, m, 0, (int)(i % 3), (int64_t)i);
	}
	ck_assert_uint_eq(t->n, SW_TABLE_MAX);
	m[3] = 0, m[4] = 0, m[5] = 3; // among the oldest: evicted
	ck_assert_int_eq(sw_lookup(t, m, 0, SW_TABLE_MAX + 10), -1);
	m[4] = 0x10, m[5] = 0x09; // 4105, the newest: there
	ck_assert_int_eq(sw_lookup(t, m, 0, SW_TABLE_MAX + 10), (int)(4105 % 3));
	m[4] = 0x0f, m[5] = 0xff; // 4095: still there
	ck_assert_int_eq(sw_lookup(t, m, 0, SW_TABLE_MAX + 10), (int)(4095 % 3));
}
END_TEST

START_TEST(runts_and_bad_sources)
{
	uint8_t eth[13] = { 0 };

	ck_assert_uint_eq(sw_forward(t, ports, 6, 0, eth, sizeof(eth), 0, out), 0);
	ck_assert_uint_eq(fwd(5, BCAST, A, 0), 0); // a port that is not up sends nothing
	ck_assert_uint_eq(sw_forward(t, ports, 6, 9, eth, sizeof(eth), 0, out), 0);
}
END_TEST

START_TEST(hellos)
{
	uint8_t m[6];
	unsigned vlan = 99;
	const char *why;
	const char *good = "lamina-netswitch 1 mac=52:54:00:12:34:56 vlan=0";

	ck_assert_int_eq(sw_parse_hello(good, strlen(good), m, &vlan, &why), 0);
	ck_assert_uint_eq(vlan, 0);
	ck_assert_uint_eq(m[5], 0x56);
	const char *v = "lamina-netswitch 1 mac=52:54:00:12:34:56 vlan=4094 future=yes";
	ck_assert_int_eq(sw_parse_hello(v, strlen(v), m, &vlan, &why), 0);
	ck_assert_uint_eq(vlan, 4094);
	const char *nov = "lamina-netswitch 1 mac=52:54:00:12:34:56";
	ck_assert_int_eq(sw_parse_hello(nov, strlen(nov), m, &vlan, &why), 0);
	ck_assert_uint_eq(vlan, 0);
	const char *bad[] = {
		"lamina-netswitch 2 mac=52:54:00:12:34:56", "lamina-netswitch 1 vlan=3",
		"lamina-netswitch 1 mac=53:54:00:12:34:56", "lamina-netswitch 1 mac=52:54:00:12:34:56 vlan=4095",
		"lamina-netswitch 1 mac=52:54:00:12:34:56 vlan=x", "hello 1 mac=52:54:00:12:34:56", "",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sw_parse_hello(bad[i], strlen(bad[i]), m, &vlan, &why) == -1, "accepted '%s'", bad[i]);
	ck_assert_int_eq(sw_parse_hello("lamina-netswitch\0 1", 19, m, &vlan, &why), -1);
}
END_TEST

TCase *switch_tcase(void)
{
	TCase *tc = tcase_create("switch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_unicast_floods_within_vlan);
	tcase_add_test(tc, learnt_unicast_goes_to_one_port);
	tcase_add_test(tc, broadcast_and_multicast_flood);
	tcase_add_test(tc, never_back_to_the_source);
	tcase_add_test(tc, vlans_are_isolated);
	tcase_add_test(tc, entries_age_out);
	tcase_add_test(tc, forget_port);
	tcase_add_test(tc, table_is_bounded);
	tcase_add_test(tc, runts_and_bad_sources);
	tcase_add_test(tc, hellos);
	return tc;
}
