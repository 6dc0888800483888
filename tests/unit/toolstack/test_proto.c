// SPDX-License-Identifier: MIT
// Toolstack unit tests: control protocol round trips and rejected messages.
#include "suites.h"

#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int sv[2];

static void setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

static void write_raw(uint32_t magic, uint16_t ver, uint16_t type, uint32_t len,
		      const void *p, size_t plen)
{
	struct lp_hdr h = { magic, ver, type, len, 0 };

	ck_assert_int_eq(write(sv[0], &h, sizeof(h)), sizeof(h));
	if (plen)
		ck_assert_int_eq(write(sv[0], p, plen), (ssize_t)plen);
}

static void expect_fail(int code, const char *msg)
{
	struct lp_msg m;
	struct lp_err e;

	ck_assert_int_eq(lp_recv(sv[1], &m, &e), -1);
	ck_assert_int_eq(e.code, code);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_ptr_null(m.payload);
}

START_TEST(round_trip_memset)
{
	struct lp_memset in = { .name = "web1", .kib = 524288 }, *out;
	struct lp_msg m;
	struct lp_err e;

	ck_assert_int_eq(lp_send(sv[0], LP_MEMSET, &in, sizeof(in), NULL, 0), 0);
	ck_assert_int_eq(lp_recv(sv[1], &m, &e), 0);
	ck_assert_uint_eq(m.hdr.type, LP_MEMSET);
	ck_assert_uint_eq(m.hdr.len, sizeof(in));
	out = (struct lp_memset *)m.payload;
	ck_assert_str_eq(out->name, "web1");
	ck_assert_uint_eq(out->kib, 524288);
	lp_msg_free(&m);
}
END_TEST

START_TEST(round_trip_create_text)
{
	static const char xml[] = "<domain><name>a</name></domain>";
	struct lp_create c = { .flags = LP_CREATE_PAUSED };
	struct lp_msg m;
	struct lp_err e;

	ck_assert_int_eq(lp_send(sv[0], LP_CREATE, &c, sizeof(c), xml, sizeof(xml) - 1), 0);
	ck_assert_int_eq(lp_recv(sv[1], &m, &e), 0);
	ck_assert_uint_eq(((struct lp_create *)m.payload)->flags, LP_CREATE_PAUSED);
	ck_assert_str_eq((char *)m.payload + sizeof(c), xml);
	lp_msg_free(&m);
}
END_TEST

START_TEST(round_trip_list_and_error)
{
	struct lp_dom_stats st[3] = { { .name = "a", .id = 1 }, { .name = "b", .id = 2 },
				      { .name = "c", .id = 3, .state = LP_STATE_PAUSED } };
	struct lp_msg m;
	struct lp_err e;

	ck_assert_int_eq(lp_send(sv[0], LP_REPLY_LIST, st, sizeof(st), NULL, 0), 0);
	ck_assert_int_eq(lp_send_error(sv[0], ENOENT, "no domain named '%s'", "x"), 0);
	ck_assert_int_eq(lp_recv(sv[1], &m, &e), 0);
	ck_assert_uint_eq(m.hdr.len / sizeof(st[0]), 3);
	ck_assert_str_eq(((struct lp_dom_stats *)m.payload)[2].name, "c");
	lp_msg_free(&m);
	ck_assert_int_eq(lp_recv(sv[1], &m, &e), 0);
	ck_assert_uint_eq(m.hdr.type, LP_REPLY_ERROR);
	ck_assert_int_eq(((struct lp_error *)m.payload)->code, ENOENT);
	ck_assert_str_eq((char *)m.payload + sizeof(struct lp_error), "no domain named 'x'");
	lp_msg_free(&m);
}
END_TEST

START_TEST(round_trip_max_size)
{
	char *big = malloc(LP_MAX_PAYLOAD);
	struct lp_msg m;
	struct lp_err e;
	pid_t pid;

	memset(big, 'x', LP_MAX_PAYLOAD);
	pid = fork();
	if (pid == 0)
		_exit(lp_send(sv[0], LP_REPLY_TEXT, big, LP_MAX_PAYLOAD, NULL, 0) ? 1 : 0);
	ck_assert_int_eq(lp_recv(sv[1], &m, &e), 0);
	ck_assert_uint_eq(m.hdr.len, LP_MAX_PAYLOAD);
	ck_assert_mem_eq(m.payload, big, LP_MAX_PAYLOAD);
	lp_msg_free(&m);
	free(big);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}
END_TEST

START_TEST(send_refuses_oversize)
{
	char small[16] = { 0 };

	errno = 0;
	ck_assert_int_eq(lp_send(sv[0], LP_REPLY_TEXT, small, LP_MAX_PAYLOAD, small, 1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
}
END_TEST

START_TEST(version_mismatch)
{
	write_raw(LP_MAGIC, 1, LP_LIST, 0, NULL, 0);   // a peer from before exit kinds
	expect_fail(EPROTO, "protocol version mismatch: peer speaks version 1, "
			    "this program speaks version 5");
}
END_TEST

START_TEST(error_of_any_version_is_read)
{
	char p[sizeof(struct lp_error) + 4] = { 0 };
	struct lp_msg m;
	struct lp_err e;

	memcpy(p + sizeof(struct lp_error), "old", 4);
	write_raw(LP_MAGIC, 7, LP_REPLY_ERROR, sizeof(p), p, sizeof(p));
	ck_assert_int_eq(lp_recv(sv[1], &m, &e), 0);
	ck_assert_str_eq((char *)m.payload + sizeof(struct lp_error), "old");
	lp_msg_free(&m);
}
END_TEST

START_TEST(bad_magic)
{
	write_raw(0x12345678, LP_VERSION, LP_LIST, 0, NULL, 0);
	expect_fail(EPROTO, "not a Lamina control message (magic 0x12345678)");
}
END_TEST

START_TEST(oversized)
{
	write_raw(LP_MAGIC, LP_VERSION, LP_REPLY_TEXT, LP_MAX_PAYLOAD + 1, NULL, 0);
	expect_fail(EMSGSIZE, "message of 1048577 bytes is larger than the limit of 1048576");
}
END_TEST

START_TEST(truncated_header)
{
	ck_assert_int_eq(write(sv[0], "LMNA\1\0\3", 7), 7);
	close(sv[0]);
	sv[0] = -1;
	expect_fail(EPROTO, "truncated message: connection closed after 7 of 16 header bytes");
}
END_TEST

START_TEST(truncated_payload)
{
	write_raw(LP_MAGIC, LP_VERSION, LP_INFO, LP_NAME_MAX, "web1\0\0\0\0\0\0", 10);
	close(sv[0]);
	sv[0] = -1;
	expect_fail(EPROTO, "truncated message: connection closed after 10 of 64 payload bytes");
}
END_TEST

START_TEST(clean_close)
{
	close(sv[0]);
	sv[0] = -1;
	expect_fail(ECONNRESET, "connection closed");
}
END_TEST

START_TEST(wrong_length_for_type)
{
	write_raw(LP_MAGIC, LP_VERSION, LP_INFO, 10, "web1\0\0\0\0\0\0", 10);
	expect_fail(EBADMSG, "info message has a bad length (10 bytes)");
}
END_TEST

START_TEST(unterminated_name)
{
	struct lp_name n;

	memset(n.name, 'a', sizeof(n.name));
	write_raw(LP_MAGIC, LP_VERSION, LP_PAUSE, sizeof(n), &n, sizeof(n));
	expect_fail(EBADMSG, "pause message has an unterminated string");
}
END_TEST

START_TEST(empty_name)
{
	struct lp_name n = { "" };

	write_raw(LP_MAGIC, LP_VERSION, LP_DESTROY, sizeof(n), &n, sizeof(n));
	expect_fail(EBADMSG, "destroy message has an empty string");
}
END_TEST

START_TEST(unknown_type_and_reserved)
{
	struct lp_hdr h = { LP_MAGIC, LP_VERSION, 0x7777, 0, 0 };
	struct lp_err e;

	ck_assert_int_eq(lp_check_header(&h, &e), -1);
	ck_assert_str_eq(e.msg, "unknown message type 30583");
	h.type = LP_LIST;
	h.reserved = 1;
	ck_assert_int_eq(lp_check_header(&h, &e), -1);
	ck_assert_str_eq(e.msg, "reserved header field is not zero");
}
END_TEST

START_TEST(parse_incremental)
{
	uint8_t buf[sizeof(struct lp_hdr) + sizeof(struct lp_name)] = { 0 };
	struct lp_err e;

	lp_header((struct lp_hdr *)buf, LP_INFO, sizeof(struct lp_name));
	ck_assert_int_eq(lp_parse(buf, 3, &e), 0);
	ck_assert_int_eq(lp_parse(buf, sizeof(buf) - 1, &e), 0);
	ck_assert_int_eq(lp_parse(buf, sizeof(buf), &e), (long)sizeof(buf));
	((struct lp_hdr *)buf)->magic = 0;
	ck_assert_int_eq(lp_parse(buf, sizeof(buf), &e), -1);
}
END_TEST

START_TEST(list_array_length)
{
	struct lp_err e;
	struct lp_dom_stats st[2] = { { .name = "a" }, { .name = "" } };

	ck_assert_int_eq(lp_check_payload(LP_REPLY_LIST, st, sizeof(st) - 1, &e), -1);
	ck_assert_int_eq(lp_check_payload(LP_REPLY_LIST, st, 0, &e), 0);
	ck_assert_int_eq(lp_check_payload(LP_REPLY_LIST, st, sizeof(st[0]), &e), 0);
	ck_assert_int_eq(lp_check_payload(LP_REPLY_LIST, st, sizeof(st), &e), -1);
	ck_assert_str_eq(e.msg, "domain list message has an empty string");
}
END_TEST

// The devices of an info reply: a count in range and terminated strings.
START_TEST(info_devices_checked)
{
	static uint8_t buf[sizeof(struct lp_info) + 10];
	struct lp_info *in = (struct lp_info *)buf;
	struct lp_err e;

	strcpy(in->st.name, "web1");
	in->ndevs = 1;
	strcpy(in->devs[0].type, "vbd");
	strcpy(in->devs[0].key, "xvda");
	strcpy(in->devs[0].state, "running");
	strcpy((char *)buf + sizeof(*in), "<domain/>");
	ck_assert_int_eq(lp_check_payload(LP_REPLY_INFO, buf, sizeof(buf), &e), 0);
	in->ndevs = LP_MAX_DEVS + 1;
	ck_assert_int_eq(lp_check_payload(LP_REPLY_INFO, buf, sizeof(buf), &e), -1);
	ck_assert_str_eq(e.msg, "domain info message lists 25 devices (at most 24)");
	in->ndevs = 1;
	memset(in->devs[0].note, 'x', sizeof(in->devs[0].note));
	ck_assert_int_eq(lp_check_payload(LP_REPLY_INFO, buf, sizeof(buf), &e), -1);
	ck_assert_str_eq(e.msg, "domain info message: device 0 has an unterminated string");
	ck_assert_int_eq(lp_check_payload(LP_REPLY_INFO, buf, sizeof(struct lp_dom_stats) + 9, &e),
			 -1); // the protocol 3 layout
}
END_TEST

Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("proto");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip_memset);
	tcase_add_test(tc, info_devices_checked);
	tcase_add_test(tc, round_trip_create_text);
	tcase_add_test(tc, round_trip_list_and_error);
	tcase_add_test(tc, round_trip_max_size);
	tcase_add_test(tc, send_refuses_oversize);
	tcase_add_test(tc, version_mismatch);
	tcase_add_test(tc, error_of_any_version_is_read);
	tcase_add_test(tc, bad_magic);
	tcase_add_test(tc, oversized);
	tcase_add_test(tc, truncated_header);
	tcase_add_test(tc, truncated_payload);
	tcase_add_test(tc, clean_close);
	tcase_add_test(tc, wrong_length_for_type);
	tcase_add_test(tc, unterminated_name);
	tcase_add_test(tc, empty_name);
	tcase_add_test(tc, unknown_type_and_reserved);
	tcase_add_test(tc, parse_incremental);
	tcase_add_test(tc, list_array_length);
	suite_add_tcase(s, tc);
	return s;
}
