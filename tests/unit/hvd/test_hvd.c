// SPDX-License-Identifier: MIT
// test_hvd.c: Check unit tests of lamina-hvd: its transport, request checking, ids, names, console backlog and clients.
#include "backend.h"
#include "hvd.h"
#include "libhv_double.h"
#include "ops.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#ifndef SUITE_NAME
#define SUITE_NAME "hvd"
#endif

static struct hvd h;
static struct hvd_conn conn = { .fd = -1 };
static int dummy_hv;

static void setup(void)
{
	memset(&h, 0, sizeof(h));
	h.hv = (struct hv *)&dummy_hv;
	h.next_id = 1;
	h.lfd = h.lock_fd = h.efd = -1;
	h.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	conn = (struct hvd_conn){ .fd = -1 };
}

static void teardown(void)
{
	if (conn.bk)
		bk_release(&h, conn.bk, true);
	for (unsigned i = 0; i < conn.nrfd; i++)
		close(conn.rfd[i]);
	h.nconns = 0;
	while (h.doms)
		dom_destroy(h.doms);
	close(h.tfd);
}

// One request as JSON text; the reply (caller puts it).
static json_object *call(const char *text)
{
	json_object *rq = json_tokener_parse(text);

	ck_assert_msg(rq != NULL, "test request is not JSON: %s", text);
	return ops_handle(&h, &conn, rq, 0);
}

static bool ok(json_object *rep)
{
	json_object *v;

	return json_object_object_get_ex(rep, "ok", &v) && json_object_get_boolean(v);
}

static const char *field(json_object *rep, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(rep, key, &v) ? json_object_get_string(v) : "";
}

// The request fails with error `err` and a message containing `words`.
static void refused(const char *text, const char *err, const char *words)
{
	json_object *rep = call(text);

	ck_assert_msg(!ok(rep), "accepted: %s", text);
	ck_assert_str_eq(field(rep, "error"), err);
	ck_assert_msg(strstr(field(rep, "message"), words), "message '%s' lacks '%s'",
		      field(rep, "message"), words);
	json_object_put(rep);
}

static int create(const char *name, const char *extra)
{
	char text[512];
	json_object *rep, *v;
	int id;

	snprintf(text, sizeof(text), "{\"op\":\"create\",\"name\":\"%s\",\"kernel\":\"/k\","
		 "\"mem_kib\":32768,\"vcpus\":1,\"paused\":true%s}", name, extra);
	rep = call(text);
	if (!ok(rep)) {
		json_object_put(rep);
		return -1;
	}
	json_object_object_get_ex(rep, "id", &v);
	id = json_object_get_int(v);
	json_object_put(rep);
	return id;
}

START_TEST(base64_round_trip)
{
	const char *in = "\x00\xff\x10hello, lamina";
	char enc[64], dec[64];

	for (size_t n = 0; n <= strlen(in + 3) + 3; n++) {
		size_t e = hvd_b64_encode(in, n, enc);
		ck_assert_uint_eq(e, (n + 2) / 3 * 4);
		ck_assert_int_eq(hvd_b64_decode(enc, e, dec), (ssize_t)n);
		ck_assert_mem_eq(dec, in, n);
	}
	ck_assert_int_eq(hvd_b64_decode("abc", 3, dec), -1);
	ck_assert_int_eq(hvd_b64_decode("ab*d", 4, dec), -1);
	ck_assert_int_eq(hvd_b64_decode("a===", 4, dec), -1);
	ck_assert_int_eq(hvd_b64_decode("ab=c", 4, dec), -1);
}
END_TEST

START_TEST(transport_messages_and_fds)
{
	int sv[2], fds[HVD_MAX_FDS], p[2];
	unsigned nfds;
	bool trunc;
	char buf[HVD_MSG_MAX + 1], *big = malloc(HVD_MSG_MAX + 100);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(hvd_send(sv[0], "{\"op\":\"x\"}", 10, p, 2, 0), 0);
	ck_assert_int_eq(hvd_recv(sv[1], buf, HVD_MSG_MAX, fds, &nfds, &trunc, 0), 10);
	ck_assert(!trunc);
	ck_assert_str_eq(buf, "{\"op\":\"x\"}");
	ck_assert_uint_eq(nfds, 2);
	ck_assert_int_eq(write(fds[1], "z", 1), 1); // the passed write end reaches p[0]
	ck_assert_int_eq(read(p[0], buf, 1), 1);
	ck_assert_int_eq(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fds[0]);
	close(fds[1]);
	// More than HVD_MSG_MAX is refused by the sender and cut short (and said so) by the receiver.
	memset(big, '{', HVD_MSG_MAX + 100);
	ck_assert_int_eq(hvd_send(sv[0], big, HVD_MSG_MAX + 1, NULL, 0, 0), -EMSGSIZE);
	ck_assert_int_eq(send(sv[0], big, HVD_MSG_MAX + 100, 0), HVD_MSG_MAX + 100);
	ck_assert_int_eq(hvd_recv(sv[1], buf, HVD_MSG_MAX, NULL, NULL, &trunc, 0), HVD_MSG_MAX + 100);
	ck_assert(trunc);
	close(sv[0]);
	ck_assert_int_eq(hvd_recv(sv[1], buf, HVD_MSG_MAX, NULL, NULL, &trunc, 0), 0);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	free(big);
}
END_TEST

START_TEST(bad_requests_are_named)
{
	refused("{\"nop\":1}", "EINVAL", "\"op\"");
	refused("{\"op\":7}", "EINVAL", "\"op\"");
	refused("{\"op\":\"fly\"}", "ENOTSUP", "unknown op 'fly'");
	refused("{\"op\":\"create\",\"name\":\"a\",\"kernel\":\"/k\",\"vcpus\":1}", "EINVAL",
		"'mem_kib' is missing");
	refused("{\"op\":\"create\",\"name\":\"a\",\"kernel\":\"/k\",\"mem_kib\":\"32\",\"vcpus\":1}",
		"EINVAL", "'mem_kib' must be an integer");
	refused("{\"op\":\"create\",\"name\":\"a\",\"kernel\":\"/k\",\"mem_kib\":32768,\"vcpus\":0}",
		"EINVAL", "'vcpus' must be an integer from 1");
	refused("{\"op\":\"create\",\"name\":\"a\",\"kernel\":\"k\",\"mem_kib\":32768,\"vcpus\":1}",
		"EINVAL", "absolute path");
	refused("{\"op\":\"create\",\"name\":\"a b\",\"kernel\":\"/k\",\"mem_kib\":32768,\"vcpus\":1}",
		"EINVAL", "name must be");
	refused("{\"op\":\"create\",\"name\":\"a\",\"kernel\":\"/k\",\"mem_kib\":32768,"
		"\"maxmem_kib\":16384,\"vcpus\":1}", "EINVAL", "below mem_kib");
	refused("{\"op\":\"create\",\"name\":\"a\",\"kernel\":\"/k\",\"mem_kib\":32768,\"vcpus\":1,"
		"\"paused\":\"yes\"}", "EINVAL", "'paused' must be true or false");
	refused("{\"op\":\"destroy\",\"id\":-1}", "EINVAL", "'id' must be an integer");
	refused("{\"op\":\"destroy\",\"id\":42}", "ENOENT", "no domain with id 42");
	refused("{\"op\":\"shutdown\",\"id\":42,\"reason\":\"now\"}", "ENOENT", "id 42");
	ck_assert_int_eq(dbl_creates, 0);
	// Descriptors sent to an op that takes none are refused (and closed by the caller).
	json_object *rep = ops_handle(&h, &conn, json_tokener_parse("{\"op\":\"list\"}"), 1);
	ck_assert_str_eq(field(rep, "error"), "EBADF");
	json_object_put(rep);
}
END_TEST

START_TEST(ids_are_never_reused)
{
	int a = create("a", ""), b, c;
	char text[64];

	ck_assert_int_eq(a, 1);
	snprintf(text, sizeof(text), "{\"op\":\"destroy\",\"id\":%d}", a);
	json_object_put(call(text));
	b = create("a", "");
	ck_assert_int_gt(b, a);
	refused("{\"op\":\"create\",\"name\":\"c\",\"kernel\":\"/nonexistent\",\"mem_kib\":32768,"
		"\"vcpus\":1}", "EIO", "No such file");
	c = create("c", "");
	ck_assert_int_gt(c, b);
	refused("{\"op\":\"create\",\"name\":\"a\",\"kernel\":\"/k\",\"mem_kib\":32768,\"vcpus\":1}",
		"EEXIST", "already exists");
}
END_TEST

START_TEST(list_and_get_give_back_the_config)
{
	json_object *rep, *a;

	ck_assert_int_eq(create("one", ",\"config\":\"<domain>x &amp; y</domain>\""), 1);
	ck_assert_int_eq(create("two", ""), 2);
	rep = call("{\"op\":\"list\",\"tag\":[1,\"t\"]}");
	ck_assert(ok(rep));
	ck_assert_str_eq(field(rep, "reply"), "list");
	ck_assert_str_eq(field(rep, "tag"), "[ 1, \"t\" ]");
	json_object_object_get_ex(rep, "domains", &a);
	ck_assert_uint_eq(json_object_array_length(a), 2);
	ck_assert_str_eq(field(json_object_array_get_idx(a, 0), "name"), "one");
	ck_assert_str_eq(field(json_object_array_get_idx(a, 0), "state"), "paused");
	json_object_put(rep);
	rep = call("{\"op\":\"get\",\"id\":1}");
	ck_assert_str_eq(field(rep, "config"), "<domain>x &amp; y</domain>");
	json_object_put(rep);
	rep = call("{\"op\":\"unpause\",\"id\":2}");
	ck_assert(ok(rep));
	json_object_put(rep);
	rep = call("{\"op\":\"stats\",\"id\":2}");
	ck_assert_str_eq(field(rep, "state"), "running");
	ck_assert_str_eq(field(rep, "mem_kib"), "32768");
	ck_assert_str_eq(field(rep, "hypercalls"), "5");
	ck_assert_str_eq(field(rep, "where"), "vCPU 0 blocked");
	json_object_put(rep);
	refused("{\"op\":\"unpause\",\"id\":2}", "EINVAL", "is running");
	refused("{\"op\":\"mem-target\",\"id\":2,\"kib\":99999}", "EINVAL", "ceiling");
	refused("{\"op\":\"pin\",\"id\":2,\"vcpu\":0,\"cpus\":[]}", "EINVAL", "'cpus'");
	refused("{\"op\":\"vcpus\",\"id\":2,\"online\":1}", "ENOTSUP", "not supported");
}
END_TEST

START_TEST(console_backlog_keeps_the_latest)
{
	struct hvd_dom *hd;
	json_object *rep;
	char *out = malloc(HVD_BACKLOG + 1), chunk[1000];
	const char *b64;
	ssize_t n;

	ck_assert_int_eq(create("con", ""), 1);
	hd = dom_find(&h, 1);
	for (int i = 0; i < 40; i++) { // 40000 bytes: more than the backlog
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		ck_assert_int_eq(write(hd->con_wr, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
		dom_console_pump(hd);
	}
	rep = call("{\"op\":\"console-backlog\",\"id\":1}");
	ck_assert(ok(rep));
	ck_assert_str_eq(field(rep, "end"), "40000");
	ck_assert_int_eq(atoi(field(rep, "offset")), 40000 - HVD_BACKLOG);
	b64 = field(rep, "data");
	n = hvd_b64_decode(b64, strlen(b64), out);
	ck_assert_int_eq(n, HVD_BACKLOG);
	ck_assert_int_eq(out[n - 1], 'a' + 39 % 26);
	ck_assert_int_eq(out[0], 'a' + (40000 - HVD_BACKLOG) / 1000 % 26);
	json_object_put(rep);
	refused("{\"op\":\"console-write\",\"id\":1,\"data\":\"%%%\"}", "EINVAL", "not base64");
	// Input: one chunk of HVD_CHUNK bytes is taken whole, one byte more is refused.
	for (int extra = 0; extra < 2; extra++) {
		char *raw = calloc(1, HVD_CHUNK + 1), *text = malloc(HVD_B64_LEN(HVD_CHUNK + 1) + 64);
		int len = sprintf(text, "{\"op\":\"console-write\",\"id\":1,\"data\":\"");
		len += (int)hvd_b64_encode(raw, HVD_CHUNK + (size_t)extra, text + len);
		strcpy(text + len, "\"}");
		rep = call(text);
		if (extra)
			ck_assert_str_eq(field(rep, "error"), "EINVAL");
		else
			ck_assert_int_eq(atoi(field(rep, "taken")), HVD_CHUNK);
		json_object_put(rep);
		free(raw);
		free(text);
	}
	free(out);
}
END_TEST

START_TEST(clients_get_errors_and_may_vanish)
{
	int sv[2];
	char buf[HVD_MSG_MAX + 1], *big = malloc(HVD_MSG_MAX + 10);
	bool trunc;
	struct hvd_conn *c = calloc(1, sizeof(*c));

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	c->fd = sv[1];
	h.conns[h.nconns++] = c;
	ck_assert_int_eq(hvd_send(sv[0], "{\"op\":", 6, NULL, 0, 0), 0);
	ck_assert_int_eq(hvd_send(sv[0], "[]", 2, NULL, 0, 0), 0);
	ck_assert_int_eq(hvd_send(sv[0], "{\"op\":\"hello\"} x", 16, NULL, 0, 0), 0);
	memset(big, ' ', HVD_MSG_MAX + 10);
	ck_assert_int_eq(send(sv[0], big, HVD_MSG_MAX + 10, 0), HVD_MSG_MAX + 10);
	ck_assert_int_eq(hvd_send(sv[0], "{\"op\":\"hello\"}", 14, NULL, 0, 0), 0);
	conn_read(&h, c);
	const char *want[] = { "not JSON", "must be a JSON object", "one JSON object per message",
			       "at most 65536 bytes", "\"hvd\"" };
	for (int i = 0; i < 5; i++) {
		ck_assert_int_gt(hvd_recv(sv[0], buf, HVD_MSG_MAX, NULL, NULL, &trunc, 0), 0);
		ck_assert_msg(strstr(buf, want[i]), "reply %d: %s", i, buf);
	}
	ck_assert(!c->dead);
	// Subscribed and gone: events to it cost nothing; it is dropped.
	c->subscribed = true;
	close(sv[0]);
	conn_read(&h, c);
	ck_assert(c->dead);
	ck_assert_int_eq(create("after", ""), 1);
	conn_close(&h, 0);
	ck_assert_uint_eq(h.nconns, 0);
	free(big);
}
END_TEST

START_TEST(stop_all_destroys_everything)
{
	json_object *rep;

	create("x", "");
	create("y", "");
	dbl_destroys = 0;
	rep = call("{\"op\":\"stop-all\"}");
	ck_assert(ok(rep));
	ck_assert_str_eq(field(rep, "destroyed"), "2");
	ck_assert_int_eq(dbl_destroys, 2);
	ck_assert_ptr_null(h.doms);
	ck_assert(h.stop);
	json_object_put(rep);
}
END_TEST

// A back-end connection on a created domain, attached to device echo/0.
static int attach_echo(void)
{
	int id = create("bkdom", "");
	char text[128];
	json_object *rep;

	h.conns[0] = &conn;
	h.nconns = 1;
	dbl_store_reset();
	snprintf(text, sizeof(text), "{\"op\":\"backend-attach\",\"id\":%d,\"type\":\"echo\","
		 "\"devid\":0}", id);
	rep = call(text);
	ck_assert_msg(ok(rep), "attach: %s", field(rep, "message"));
	ck_assert_ptr_nonnull(conn.bk);
	json_object_put(rep);
	return id;
}

START_TEST(backend_checks_are_pure)
{
	char fe[BK_PATH_MAX], be[BK_PATH_MAX];
	uint32_t refs[BK_MAP_PAGES];
	unsigned n;
	char msg[128];
	json_object *v;

	ck_assert_int_eq(bk_check_type("vbd"), 0);
	ck_assert_int_eq(bk_check_type(""), -EINVAL);
	ck_assert_int_eq(bk_check_type("a/b"), -EINVAL);
	ck_assert_int_eq(bk_check_type("UPPER"), -EINVAL);
	bk_dirs(3, "echo", 7, fe, be);
	ck_assert_str_eq(fe, "/local/domain/3/device/echo/7");
	ck_assert_str_eq(be, "/local/domain/0/backend/echo/3/7");
	ck_assert_int_eq(bk_check_path(fe, fe, be), 0);
	ck_assert_int_eq(bk_check_path("/local/domain/0/backend/echo/3/7/state", fe, be), 0);
	ck_assert_int_eq(bk_check_path("/local/domain/3/device/echo/70", fe, be), -EACCES);
	ck_assert_int_eq(bk_check_path("/local/domain/3/device/echo/7/../../vbd/0", fe, be), -EINVAL);
	ck_assert_int_eq(bk_check_path("/local/domain/3/device/echo/7//x", fe, be), -EINVAL);
	ck_assert_int_eq(bk_check_path("/local/domain/3/device/echo/7/", fe, be), -EINVAL);
	ck_assert_int_eq(bk_check_path("local/domain/3/device/echo/7", fe, be), -EINVAL);
	ck_assert_int_eq(bk_check_path("/local/domain/4", fe, be), -EACCES);
	v = json_tokener_parse("[1, 2, 3]");
	ck_assert_int_eq(bk_parse_refs(v, refs, &n, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(refs[2], 3);
	json_object_put(v);
	v = json_tokener_parse("[1, 2, 1]");
	ck_assert_int_eq(bk_parse_refs(v, refs, &n, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "twice"), "%s", msg);
	json_object_put(v);
	v = json_tokener_parse("[-1]");
	ck_assert_int_eq(bk_parse_refs(v, refs, &n, msg, sizeof(msg)), -EINVAL);
	json_object_put(v);
	v = json_tokener_parse("[]");
	ck_assert_int_eq(bk_parse_refs(v, refs, &n, msg, sizeof(msg)), -EINVAL);
	json_object_put(v);
	ck_assert_int_eq(bk_parse_refs(NULL, refs, &n, msg, sizeof(msg)), -EINVAL);
}
END_TEST

START_TEST(backend_attach_sets_up_the_store)
{
	int id;

	refused("{\"op\":\"map\",\"refs\":[1]}", "EPERM", "back-end connection");
	id = attach_echo();
	ck_assert_str_eq(dbl_store("/local/domain/0/backend/echo/1/0/state"), "1");
	ck_assert_str_eq(dbl_store("/local/domain/0/backend/echo/1/0/frontend"),
			 "/local/domain/1/device/echo/0");
	ck_assert_str_eq(dbl_store("/local/domain/1/device/echo/0/backend"),
			 "/local/domain/0/backend/echo/1/0");
	ck_assert_int_eq(id, 1);
	refused("{\"op\":\"list\"}", "EPERM", "back-end connection");
	refused("{\"op\":\"backend-attach\",\"id\":1,\"type\":\"echo\",\"devid\":1}",
		"EALREADY", "already");
	refused("{\"op\":\"store-read\",\"path\":\"/local/domain/1/name\"}", "EACCES", "outside");
	refused("{\"op\":\"store-write\",\"path\":\"/local/domain/1/device/echo/0/../x\","
		"\"value\":\"1\"}", "EINVAL", "clean");
	json_object_put(call("{\"op\":\"store-write\",\"path\":"
			     "\"/local/domain/0/backend/echo/1/0/state\",\"value\":\"2\"}"));
	ck_assert_str_eq(dbl_store("/local/domain/0/backend/echo/1/0/state"), "2");
	bk_release(&h, conn.bk, true);
	ck_assert_str_eq(dbl_store("/local/domain/0/backend/echo/1/0/state"), "6");
}
END_TEST

START_TEST(backend_map_refuses_what_was_not_granted)
{
	json_object *rep;

	attach_echo();
	refused("{\"op\":\"map\",\"refs\":[9]}", "EACCES", "not granted to domain 0");
	refused("{\"op\":\"map\",\"refs\":[1,9]}", "EACCES", "ref 9");
	ck_assert_int_eq(dbl_pins, 0); // the pin of ref 1 was dropped again
	refused("{\"op\":\"map\",\"refs\":[100]}", "EINVAL", "beyond");
	refused("{\"op\":\"map\",\"refs\":[16]}", "EROFS", "read-only");
	refused("{\"op\":\"map\",\"refs\":\"x\"}", "EINVAL", "array");
	rep = call("{\"op\":\"map\",\"refs\":[1,2]}");
	ck_assert_msg(ok(rep), "%s", field(rep, "message"));
	ck_assert_uint_eq(conn.nrfd, 1);
	ck_assert_int_eq(dbl_pins, 2);
	json_object_put(rep);
	refused("{\"op\":\"map\",\"refs\":[2]}", "EEXIST", "mapped already");
	refused("{\"op\":\"unmap\",\"handle\":7}", "ENOENT", "no map");
	rep = call("{\"op\":\"unmap\",\"handle\":1}");
	ck_assert(ok(rep));
	json_object_put(rep);
	ck_assert_int_eq(dbl_pins, 0);
}
END_TEST

START_TEST(backend_release_drops_everything)
{
	json_object *rep;

	attach_echo();
	json_object_put(call("{\"op\":\"map\",\"refs\":[3]}"));
	close(conn.rfd[0]);
	conn.nrfd = 0;
	refused("{\"op\":\"bind\",\"port\":4}", "EINVAL", "not allocated unbound");
	rep = call("{\"op\":\"bind\",\"port\":5}");
	ck_assert_msg(ok(rep), "%s", field(rep, "message"));
	ck_assert_uint_eq(conn.nrfd, 2);
	json_object_put(rep);
	refused("{\"op\":\"bind\",\"port\":5}", "EEXIST", "bound already");
	rep = call("{\"op\":\"store-watch\",\"path\":\"/local/domain/1/device/echo/0/state\"}");
	ck_assert_msg(ok(rep), "%s", field(rep, "message"));
	json_object_put(rep);
	ck_assert_int_eq(dbl_watches, 1);
	ck_assert_int_eq(dbl_ports, 1);
	ck_assert_int_eq(dbl_pins, 1);
	dom_destroy(h.doms); // the domain goes: its back-end lets go first
	ck_assert_ptr_null(conn.bk);
	ck_assert(conn.dead);
	ck_assert_int_eq(dbl_pins, 0);
	ck_assert_int_eq(dbl_ports, 0);
	ck_assert_int_eq(dbl_watches, 0);
}
END_TEST

// io/bus.h, Unplug: a back-end that leaves when asked takes the device out
// of the guest's store; one cut off for not leaving leaves it Closed for the
// next back-end.
START_TEST(backend_detach_unplugs_unless_cut_off)
{
	const char *again = "{\"op\":\"backend-attach\",\"id\":1,\"type\":\"echo\",\"devid\":0}";
	json_object *rep;

	ck_assert_int_eq(attach_echo(), 1);
	bk_ask_detach(conn.bk, "asked");
	bk_release(&h, conn.bk, true);
	ck_assert_ptr_null(dbl_store("/local/domain/1/device/echo/0/backend"));
	ck_assert_ptr_null(dbl_store("/local/domain/0/backend/echo/1/0/state"));
	ck_assert_ptr_null(dbl_store("/local/domain/0/backend/echo/1/0/frontend"));

	rep = call(again); // the next back-end of the same device
	ck_assert_msg(ok(rep), "attach: %s", field(rep, "message"));
	json_object_put(rep);
	bk_ask_detach(conn.bk, "asked");
	conn.bk->detach_by = 1; // long past
	conn.dead = false; // the double's connection cannot take the event
	bk_pump(&h);
	ck_assert(conn.dead && conn.bk->cut_off);
	bk_release(&h, conn.bk, true);
	ck_assert_str_eq(dbl_store("/local/domain/0/backend/echo/1/0/state"), "6");
	ck_assert_str_eq(dbl_store("/local/domain/1/device/echo/0/backend"),
			 "/local/domain/0/backend/echo/1/0");
}
END_TEST

START_TEST(backend_watch_events_reach_their_backend)
{
	const char *fe_state = "/local/domain/1/device/echo/0/state";
	char buf[HVD_MSG_MAX + 1], tok[64];
	int sv[2];
	json_object *rep;
	bool trunc;
	unsigned nfds;
	ssize_t n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	attach_echo();
	conn.fd = sv[0];
	rep = call("{\"op\":\"store-watch\",\"path\":\"/local/domain/1/device/echo/0/state\"}");
	ck_assert_msg(ok(rep), "%s", field(rep, "message"));
	json_object_put(rep);
	refused("{\"op\":\"store-watch\",\"path\":\"/local/domain/1/device/echo/0/state\"}",
		"EEXIST", "already");
	ck_assert_ptr_nonnull(h.wq);
	snprintf(tok, sizeof(tok), "%s", dbl_watch_token);
	dbl_watch_fn(dbl_watch_arg, fe_state, tok); // as the store's thread does
	dbl_watch_fn(dbl_watch_arg, fe_state, "bk999.0"); // a back-end that is gone
	bk_watch_drain(&h);
	n = hvd_recv(sv[1], buf, HVD_MSG_MAX, NULL, &nfds, &trunc, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	rep = json_tokener_parse(buf);
	ck_assert_str_eq(field(rep, "event"), "watch");
	ck_assert_str_eq(field(rep, "path"), fe_state);
	ck_assert_str_eq(field(rep, "watch"), fe_state);
	json_object_put(rep);
	ck_assert_int_eq(hvd_recv(sv[1], buf, HVD_MSG_MAX, NULL, &nfds, &trunc, MSG_DONTWAIT), -EAGAIN);
	rep = call("{\"op\":\"store-watch\",\"path\":\"/local/domain/1/device/echo/0/state\",\"on\":false}");
	ck_assert(ok(rep));
	json_object_put(rep);
	dbl_watch_fn(dbl_watch_arg, fe_state, tok); // late: its watch is gone
	bk_watch_drain(&h);
	ck_assert_int_eq(hvd_recv(sv[1], buf, HVD_MSG_MAX, NULL, &nfds, &trunc, MSG_DONTWAIT), -EAGAIN);
	ck_assert_int_eq(dbl_watches, 0);
	bk_watchq_free(&h);
	close(sv[0]);
	close(sv[1]);
	conn.fd = -1;
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create("hvd");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, base64_round_trip);
	tcase_add_test(tc, transport_messages_and_fds);
	tcase_add_test(tc, bad_requests_are_named);
	tcase_add_test(tc, ids_are_never_reused);
	tcase_add_test(tc, list_and_get_give_back_the_config);
	tcase_add_test(tc, console_backlog_keeps_the_latest);
	tcase_add_test(tc, clients_get_errors_and_may_vanish);
	tcase_add_test(tc, stop_all_destroys_everything);
	tcase_add_test(tc, backend_checks_are_pure);
	tcase_add_test(tc, backend_attach_sets_up_the_store);
	tcase_add_test(tc, backend_map_refuses_what_was_not_granted);
	tcase_add_test(tc, backend_release_drops_everything);
	tcase_add_test(tc, backend_detach_unplugs_unless_cut_off);
	tcase_add_test(tc, backend_watch_events_reach_their_backend);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
