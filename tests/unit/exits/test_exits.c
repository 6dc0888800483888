// SPDX-License-Identifier: MIT
// test_exits.c: Check unit tests for exit kinds and their text (exits.c).
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exits.h"
#include "hcall.h"

#ifndef SUITE_NAME
#define SUITE_NAME "exits"
#endif

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

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *k = tcase_create("kinds");

	tcase_add_test(k, kind_of_port_io);
	tcase_add_test(k, kind_of_other_reasons);
	tcase_add_test(k, names_are_the_interface);
	tcase_add_test(k, format_counts);
	tcase_add_test(k, format_rates);
	tcase_add_test(k, format_truncates_safely);
	suite_add_tcase(s, k);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_ENV);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
