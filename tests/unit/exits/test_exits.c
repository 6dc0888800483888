// SPDX-License-Identifier: MIT
// test_exits.c: Check unit tests for exit kinds and their text (exits.c) and the console's line hook and stats marker (console.c).
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "console.h"
#include "exits.h"
#include "hcall.h"

#ifndef SUITE_NAME
#define SUITE_NAME "exits"
#endif

/* ---- doubles for what exits.c and console.c call elsewhere in libhv ---- */
static uint64_t fake_exits[HV_EXIT_KINDS];

int hv_stats(struct domain *d, struct hv_dom_stats *s)
{
	(void)d;
	memset(s, 0, sizeof(*s));
	memcpy(s->user_exits, fake_exits, sizeof(fake_exits));
	return 0;
}

int hv_dom_id(struct domain *d) { return d->id; }
int64_t hv_now_ns(void) { return 5000000123ll; }

/* ---- exit_kind ---- */

static struct kvm_run run;

static unsigned io(uint16_t port, uint8_t dir, uint8_t size, uint32_t count)
{
	memset(&run, 0, sizeof(run));
	run.exit_reason = KVM_EXIT_IO;
	run.io.port = port;
	run.io.direction = dir;
	run.io.size = size;
	run.io.count = count;
	return exit_kind(&run);
}

static unsigned reason(uint32_t r)
{
	memset(&run, 0, sizeof(run));
	run.exit_reason = r;
	return exit_kind(&run);
}

START_TEST(kind_of_port_io)
{
	ck_assert_uint_eq(io(HC_PORT, KVM_EXIT_IO_IN, 4, 1), HV_EXIT_HYPERCALL);
	ck_assert_uint_eq(io(HC_DOORBELL, KVM_EXIT_IO_OUT, 4, 1), HV_EXIT_DOORBELL);
	/* the wrong direction, width or count is device I/O, as vcpu.c treats it */
	ck_assert_uint_eq(io(HC_PORT, KVM_EXIT_IO_OUT, 4, 1), HV_EXIT_IO);
	ck_assert_uint_eq(io(HC_DOORBELL, KVM_EXIT_IO_IN, 4, 1), HV_EXIT_IO);
	ck_assert_uint_eq(io(HC_PORT, KVM_EXIT_IO_IN, 2, 1), HV_EXIT_IO);
	ck_assert_uint_eq(io(HC_PORT, KVM_EXIT_IO_IN, 4, 2), HV_EXIT_IO);
	ck_assert_uint_eq(io(0x80, KVM_EXIT_IO_OUT, 1, 1), HV_EXIT_IO);
}
END_TEST

START_TEST(kind_of_other_reasons)
{
	ck_assert_uint_eq(reason(KVM_EXIT_X86_RDMSR), HV_EXIT_MSR);
	ck_assert_uint_eq(reason(KVM_EXIT_X86_WRMSR), HV_EXIT_MSR);
	ck_assert_uint_eq(reason(KVM_EXIT_INTR), HV_EXIT_INTR);
	ck_assert_uint_eq(reason(KVM_EXIT_HLT), HV_EXIT_HLT);
	ck_assert_uint_eq(reason(KVM_EXIT_SHUTDOWN), HV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(reason(KVM_EXIT_MMIO), HV_EXIT_MMIO);
	ck_assert_uint_eq(reason(KVM_EXIT_INTERNAL_ERROR), HV_EXIT_OTHER);
	ck_assert_uint_eq(reason(KVM_EXIT_FAIL_ENTRY), HV_EXIT_OTHER);
	ck_assert_uint_eq(reason(KVM_EXIT_UNKNOWN), HV_EXIT_OTHER);
	ck_assert_uint_eq(reason(12345), HV_EXIT_OTHER);
}
END_TEST

/* ---- names and text ---- */

START_TEST(names_are_the_interface)
{
	static const char *const want[HV_EXIT_KINDS] = { "hypercall", "doorbell", "io", "msr",
		"intr", "hlt", "shutdown", "mmio", "other" };

	for (unsigned k = 0; k < HV_EXIT_KINDS; k++)
		ck_assert_str_eq(hv_exit_name(k), want[k]);
	ck_assert_ptr_null(hv_exit_name(HV_EXIT_KINDS));
	ck_assert_ptr_null(hv_exit_name(~0u));
}
END_TEST

START_TEST(format_counts)
{
	const uint64_t e[HV_EXIT_KINDS] = { [HV_EXIT_HYPERCALL] = 1000, [HV_EXIT_INTR] = 233,
					    [HV_EXIT_MSR] = 1, [HV_EXIT_OTHER] = 18446744073709551ull };
	const char *want = "total=18446744073710785 hypercall=1000 doorbell=0 io=0 msr=1 "
			   "intr=233 hlt=0 shutdown=0 mmio=0 other=18446744073709551";
	char buf[512];

	ck_assert_int_eq(hv_exits_format(buf, sizeof(buf), e, 0), (int)strlen(want));
	ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(format_rates)
{
	const uint64_t e[HV_EXIT_KINDS] = { [HV_EXIT_HYPERCALL] = 1000, [HV_EXIT_DOORBELL] = 3 };
	char buf[512];

	hv_exits_format(buf, sizeof(buf), e, 2000000000ull);   /* 2 s */
	ck_assert_str_eq(buf, "total=1003 (501.5/s) hypercall=1000 (500.0/s) doorbell=3 (1.5/s) "
			      "io=0 (0.0/s) msr=0 (0.0/s) intr=0 (0.0/s) hlt=0 (0.0/s) "
			      "shutdown=0 (0.0/s) mmio=0 (0.0/s) other=0 (0.0/s)");
}
END_TEST

START_TEST(format_truncates_safely)
{
	const uint64_t e[HV_EXIT_KINDS] = { 0 };
	char full[512], small[20];

	int n = hv_exits_format(full, sizeof(full), e, 1000000000ull);
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(hv_exits_format(small, sizeof(small), e, 1000000000ull), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(!strncmp(small, full, sizeof(small) - 1));
	ck_assert_int_eq(hv_exits_format(NULL, 0, e, 0), hv_exits_format(full, sizeof(full), e, 0));
}
END_TEST

/* ---- the console's line hook ---- */

static struct domain *d;
static int out[2], logp[2];        /* console_fd and log pipes: [0] is read here */
static char lines[8][1100];        /* what the hook was told */
static int nlines;
static size_t seen_out;            /* console_fd bytes already written when told */

static size_t drain(int fd, char *buf, size_t n)
{
	ssize_t k = read(fd, buf, n - 1);

	buf[k > 0 ? k : 0] = 0;
	return k > 0 ? (size_t)k : 0;
}

static void record(void *ctx, struct domain *dd, const char *line, size_t len)
{
	int avail = 0;

	ck_assert_ptr_eq(ctx, &nlines);
	ck_assert_ptr_eq(dd, d);
	ck_assert_int_lt(nlines, 8);
	memcpy(lines[nlines], line, len);
	lines[nlines++][len] = 0;
	ck_assert_int_eq(ioctl(out[0], FIONREAD, &avail), 0);
	seen_out = (size_t)avail;
}

static void open_console(void (*fn)(void *, struct domain *, const char *, size_t), void *ctx)
{
	struct hv_dom_params p = { .console_fd = -1, .console_line = fn, .console_line_ctx = ctx };

	ck_assert_int_eq(pipe2(out, O_NONBLOCK), 0);
	ck_assert_int_eq(pipe2(logp, O_NONBLOCK), 0);
	p.console_fd = out[1];
	d = calloc(1, sizeof(*d));
	d->id = 7;
	d->log_fd = logp[1];
	ck_assert_int_eq(console_init(d, &p), 0);
	nlines = 0;
}

static void teardown(void)
{
	if (d && d->con)
		console_free(d);
	free(d);
	d = NULL;
	for (int i = 0; i < 2; i++) {
		close(out[i]);
		close(logp[i]);
	}
}

static void put(const char *s) { console_output(d, s, strlen(s)); }

START_TEST(hook_gets_whole_lines_without_endings)
{
	char buf[256];

	open_console(record, &nlines);
	put("one\r\ntw");
	ck_assert_int_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "one");
	put("o\n\n\r\nthree");   /* an empty line, a bare "\r" line, a partial one */
	ck_assert_int_eq(nlines, 4);
	ck_assert_str_eq(lines[1], "two");
	ck_assert_str_eq(lines[2], "");
	ck_assert_str_eq(lines[3], "");
	ck_assert_uint_eq(seen_out, strlen("one\r\ntwo\n\n\r\n"));   /* told after the write */
	drain(out[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "one\r\ntwo\n\n\r\n");
}
END_TEST

START_TEST(hook_skips_lines_longer_than_the_buffer)
{
	char big[1100];

	open_console(record, &nlines);
	memset(big, 'a', sizeof(big));
	big[1023] = '\n';           /* 1023 characters and the newline: whole */
	console_output(d, big, 1024);
	ck_assert_int_eq(nlines, 1);
	ck_assert_uint_eq(strlen(lines[0]), 1023);
	console_output(d, big, 1023);    /* 1024 characters: too long, and so is */
	put("@tail\n");                 /* its tail, which is no line of its own */
	ck_assert_int_eq(nlines, 1);
	put("next\n");
	ck_assert_int_eq(nlines, 2);
	ck_assert_str_eq(lines[1], "next");
}
END_TEST

START_TEST(no_hook_no_calls)
{
	char buf[64];

	open_console(NULL, NULL);
	put("@hvstats\n");
	drain(out[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "@hvstats\n");
}
END_TEST

START_TEST(marker_prints_the_counts_after_its_line)
{
	char buf[1024], lg[1024];

	memset(fake_exits, 0, sizeof(fake_exits));
	fake_exits[HV_EXIT_HYPERCALL] = 41;
	fake_exits[HV_EXIT_INTR] = 1;
	open_console(hv_exits_on_marker, "@hvstats");
	put("before\n@hvstats\r\nafter\n");
	drain(out[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "before\n@hvstats\r\n"
			      "@HVSTATS dom=7 t_ns=5000000123 total=42 hypercall=41 doorbell=0 io=0 "
			      "msr=0 intr=1 hlt=0 shutdown=0 mmio=0 other=0\n"
			      "after\n");
	drain(logp[0], lg, sizeof(lg));  /* the log has the guest's bytes as they came, then the line */
	ck_assert_str_eq(lg, "before\n@hvstats\r\nafter\n"
			     "@HVSTATS dom=7 t_ns=5000000123 total=42 hypercall=41 doorbell=0 io=0 "
			     "msr=0 intr=1 hlt=0 shutdown=0 mmio=0 other=0\n");
}
END_TEST

START_TEST(marker_must_be_the_whole_line)
{
	char buf[256];

	open_console(hv_exits_on_marker, "@hvstats");
	put("@hvstats \n @hvstats\n@hvstat\nx@hvstats\n@HVSTATS\n");
	drain(out[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "@hvstats \n @hvstats\n@hvstat\nx@hvstats\n@HVSTATS\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *k = tcase_create("kinds");
	TCase *c = tcase_create("console");

	tcase_add_test(k, kind_of_port_io);
	tcase_add_test(k, kind_of_other_reasons);
	tcase_add_test(k, names_are_the_interface);
	tcase_add_test(k, format_counts);
	tcase_add_test(k, format_rates);
	tcase_add_test(k, format_truncates_safely);
	tcase_add_checked_fixture(c, NULL, teardown);
	tcase_add_test(c, hook_gets_whole_lines_without_endings);
	tcase_add_test(c, hook_skips_lines_longer_than_the_buffer);
	tcase_add_test(c, no_hook_no_calls);
	tcase_add_test(c, marker_prints_the_counts_after_its_line);
	tcase_add_test(c, marker_must_be_the_whole_line);
	suite_add_tcase(s, k);
	suite_add_tcase(s, c);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_ENV);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
