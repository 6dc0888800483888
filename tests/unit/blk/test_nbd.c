// SPDX-License-Identifier: MIT
// Unit tests for lamina-blkback's NBD engine (pvdrivers/blk/blk_nbd.c) against a real qemu-nbd on a temporary qcow2 image (Check); skipped, saying so, where qemu-img or qemu-nbd is missing.
#include <check.h>
#include <libnbd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blk.h"

TCase *nbd_tcase(void);

static int died; // blk_die calls
static char why[256];

int blk_die(const char *what, const char *detail)
{
	died++;
	snprintf(why, sizeof(why), "%s: %s", what, detail);
	return 1;
}

static int completed, last_res;

void blk_complete(struct blk_dev *d, struct blk_slot *s, int res) // stands in for blk_io.c's
{
	(void)d;
	if (res >= 0 && s->plan.op == LAMINA_BLKIF_OP_READ)
		for (size_t i = 0, o = 0; i < s->plan.nseg; o += s->iov[i++].iov_len)
			memcpy(s->iov[i].iov_base, (char *)s->bounce + o, s->iov[i].iov_len);
	free(s->bounce);
	s->bounce = NULL;
	completed++;
	last_res = res;
}

static char dir[64], img[128], sock[160];
static bool have_qemu;

static void setup(void)
{
	char cmd[512];

	have_qemu = !system("command -v qemu-img >/dev/null && command -v qemu-nbd >/dev/null");
	snprintf(dir, sizeof(dir), "/tmp/test-nbd.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/disk.qcow2", dir);
	snprintf(sock, sizeof(sock), "%s/nbd.sock", dir);
	snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 %s 16M", img);
	if (have_qemu)
		ck_assert_int_eq(system(cmd), 0);
	died = completed = 0;
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

#define NEED_QEMU()                                                                                \
	do {                                                                                       \
		if (!have_qemu) {                                                                  \
			printf("SKIP %s: qemu-img or qemu-nbd not installed (tools/deps)\n", __func__); \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void open_dev(struct blk_dev *d, const char *path, const char *format, bool ro)
{
	memset(d, 0, sizeof(*d));
	d->path = path;
	d->format = format;
	d->disk.ro = ro;
	ck_assert_msg(blk_nbd_open(d) == 0, "blk_nbd_open: %s", why);
}

static void close_dev(struct blk_dev *d)
{
	nbd_close(d->nbd); // kills a qemu-nbd it runs
	d->nbd = NULL;
}

// One request with nseg segments of seglen bytes from buf, run to completion.
static int run(struct blk_dev *d, unsigned op, uint64_t off, char *buf, unsigned nseg, size_t seglen)
{
	static struct blk_slot s;

	memset(&s, 0, sizeof(s));
	s.dev = d;
	s.plan = (struct blk_plan){ .op = (uint8_t)op, .offset = off, .len = nseg * seglen, .nseg = nseg };
	for (unsigned i = 0; i < nseg; i++)
		s.iov[i] = (struct iovec){ .iov_base = buf + i * seglen, .iov_len = seglen };
	completed = 0;
	ck_assert_int_eq(d->eng->submit(d, &s), 0);
	ck_assert_uint_eq(d->inflight, 1);
	while (!completed)
		ck_assert_int_ge(d->eng->reap(d, true), 0);
	ck_assert_uint_eq(d->inflight, 0);
	return last_res;
}

static void fill(char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (char)(seed * 31 + i * 7 + i / 4096);
}

START_TEST(qcow2_facts)
{
	struct blk_dev d;

	NEED_QEMU();
	open_dev(&d, img, "qcow2", false);
	ck_assert_ptr_eq(d.eng, &blk_nbd_engine);
	ck_assert_uint_eq(d.disk.sectors, 16u << 11);
	ck_assert_uint_eq(d.disk.sector_size, 512);
	ck_assert(d.disk.flush && d.disk.fua && d.disk.discard && d.disk.zeroes);
	close_dev(&d);
}
END_TEST

// Write (scattered segments, FUA), flush, read back; then reconnect and
// read again: the data is in the qcow2 image, not in a cache that died.
START_TEST(qcow2_write_flush_read)
{
	static char w[8 * 4096], r[8 * 4096];
	struct blk_dev d;

	NEED_QEMU();
	fill(w, sizeof(w), 3);
	open_dev(&d, img, "qcow2", false);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_WRITE, 1 << 20, w, 8, 4096), (int)sizeof(w));
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_WRITE_FUA, 4 << 20, w, 2, 4096), 8192);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_FLUSH, 0, NULL, 0, 0), 0);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_READ, 1 << 20, r, 8, 4096), (int)sizeof(r));
	ck_assert_mem_eq(r, w, sizeof(w));
	close_dev(&d);
	memset(r, 0, sizeof(r));
	open_dev(&d, img, "qcow2", true);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_READ, 4 << 20, r, 2, 4096), 8192);
	ck_assert_mem_eq(r, w, 8192);
	close_dev(&d);
}
END_TEST

START_TEST(qcow2_discard_zeroes)
{
	static char w[4096], r[4096], z[4096];
	struct blk_dev d;

	NEED_QEMU();
	fill(w, sizeof(w), 5);
	open_dev(&d, img, "qcow2", false);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_WRITE, 65536, w, 1, 4096), 4096);
	static struct blk_slot s;
	memset(&s, 0, sizeof(s));
	s.dev = &d;
	s.plan = (struct blk_plan){ .op = LAMINA_BLKIF_OP_WRITE_ZEROES, .offset = 65536, .len = 4096 };
	completed = 0;
	ck_assert_int_eq(d.eng->submit(&d, &s), 0);
	while (!completed)
		ck_assert_int_ge(d.eng->reap(&d, true), 0);
	ck_assert_int_eq(last_res, 0);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_READ, 65536, r, 1, 4096), 4096);
	ck_assert_mem_eq(r, z, sizeof(r));
	close_dev(&d);
}
END_TEST

START_TEST(read_only_offers_no_writes)
{
	struct blk_dev d;

	NEED_QEMU();
	open_dev(&d, img, "qcow2", true);
	ck_assert(!d.disk.fua && !d.disk.discard && !d.disk.zeroes);
	close_dev(&d);
}
END_TEST

// A server this process did not start: a URI to qemu-nbd's socket. When
// it dies, reaping says the image is lost instead of hanging.
START_TEST(uri_and_server_death)
{
	static char w[4096], r[4096];
	char uri[256], pidf[128], cmd[512];
	struct blk_dev d;
	FILE *f;
	int pid = 0;

	NEED_QEMU();
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	snprintf(cmd, sizeof(cmd), "qemu-nbd --fork --persistent -f qcow2 -k %s --pid-file %s %s", sock, pidf, img);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(uri, sizeof(uri), "nbd+unix:///?socket=%s", sock);
	ck_assert(blk_is_nbd_uri(uri));
	open_dev(&d, uri, NULL, false);
	fill(w, sizeof(w), 9);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_WRITE, 0, w, 1, 4096), 4096);
	ck_assert_int_eq(run(&d, LAMINA_BLKIF_OP_READ, 0, r, 1, 4096), 4096);
	ck_assert_mem_eq(r, w, sizeof(w));
	ck_assert_ptr_nonnull(f = fopen(pidf, "r"));
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 100 && !kill(pid, 0); i++)
		usleep(10000);
	int rc = 0;
	for (int i = 0; i < 50 && rc >= 0; i++) { // the loss shows on the next read from the socket
		struct pollfd p;
		d.eng->poll_fd(&d, &p);
		if (poll(&p, 1, 100) > 0)
			d.eng->after_poll(&d, p.revents);
		rc = d.eng->reap(&d, false);
	}
	ck_assert_int_lt(rc, 0);
	close_dev(&d);
}
END_TEST

// Leave a sandboxed child at once: no atexit or sanitizer exit work (the
// sandbox would not allow it).
static void leave(int code)
{
	syscall(SYS_exit_group, code);
	abort();
}

// Once sandboxed (libbackend's list plus the engine's extras, a forbidden
// call kills), the engine still writes, reads back and flushes.
START_TEST(sandboxed_io)
{
	static char w[4 * 4096], r[4 * 4096];
	int st;
	pid_t pid;

	NEED_QEMU();
	fill(w, sizeof(w), 11);
	if ((pid = fork()) == 0) {
		struct blk_dev d;
		setenv("LAMINA_SANDBOX", "kill", 1);
		open_dev(&d, img, "qcow2", false);
		if (lbk_sandbox(&d.b, d.eng->sandbox, d.eng->nsandbox))
			leave(2);
		if (run(&d, LAMINA_BLKIF_OP_WRITE, 8192, w, 4, 4096) != (int)sizeof(w) ||
		    run(&d, LAMINA_BLKIF_OP_FLUSH, 0, NULL, 0, 0) != 0 ||
		    run(&d, LAMINA_BLKIF_OP_READ, 8192, r, 4, 4096) != (int)sizeof(r) || memcmp(r, w, sizeof(r)))
			leave(3);
		leave(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sandboxed child: %s %d",
		      WIFSIGNALED(st) ? "killed by signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}
END_TEST

START_TEST(bad_arguments_refused)
{
	struct blk_dev d;

	memset(&d, 0, sizeof(d));
	d.path = img;
	d.format = "qcow2 --fork";
	ck_assert_int_ne(blk_nbd_open(&d), 0);
	ck_assert_ptr_nonnull(strstr(why, "not a qemu-img format name"));
	d.path = "nbd+unix:///?socket=/nonexistent";
	d.format = "qcow2";
	ck_assert_int_ne(blk_nbd_open(&d), 0);
	ck_assert_ptr_nonnull(strstr(why, "--format is for an image file"));
	NEED_QEMU();
	d.format = NULL;
	ck_assert_int_ne(blk_nbd_open(&d), 0);
	ck_assert_ptr_nonnull(strstr(why, "cannot connect to the NBD server"));
	nbd_close(d.nbd);
	memset(&d, 0, sizeof(d));
	d.path = "/nonexistent/disk.qcow2";
	d.format = "qcow2";
	ck_assert_int_ne(blk_nbd_open(&d), 0);
	ck_assert_ptr_nonnull(strstr(why, "qemu-nbd"));
	nbd_close(d.nbd);
}
END_TEST

TCase *nbd_tcase(void)
{
	TCase *tc = tcase_create("nbd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, qcow2_facts);
	tcase_add_test(tc, qcow2_write_flush_read);
	tcase_add_test(tc, qcow2_discard_zeroes);
	tcase_add_test(tc, read_only_offers_no_writes);
	tcase_add_test(tc, uri_and_server_death);
	tcase_add_test(tc, sandboxed_io);
	tcase_add_test(tc, bad_arguments_refused);
	return tc;
}
