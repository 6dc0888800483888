// SPDX-License-Identifier: MIT
// test_vcpu.c: Check unit tests of vcpu_op UP (hc_vcpu.c) against a fake domain whose guest memory is host memory.
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <lamina/errno.h>
#include <lamina/vcpu.h>
#include "hcall.h"
#include "hv_int.h"
#include "mem.h"
#include "vcpu.h"

#ifndef SUITE_NAME
#define SUITE_NAME "vcpu"
#endif

#define FAKE_FD 1000                /* the fake vCPU fds: FAKE_FD + id */

/* ---- Doubles ---- */
static pthread_barrier_t ctx_read;  /* gmem_read of a context waits here when armed */
static bool ctx_armed;
static int wakes;                   /* dom_wake_all() calls (d->lock) */

/* Guest virtual addresses are host pointers; a context read can be made to
 * wait for the other caller's, so both are past UP's first look at t. */
int gmem_read(struct vcpu *v, uint64_t va, void *buf, size_t len)
{
	(void)v;
	if (ctx_armed && len == sizeof(struct lamina_vcpu_up))
		pthread_barrier_wait(&ctx_read);
	if (va < 4096)
		return -LAMINA_EFAULT;
	memcpy(buf, (const void *)(uintptr_t)va, len);
	return 0;
}

int gmem_write(struct vcpu *v, uint64_t va, const void *buf, size_t len)
{
	(void)v;
	if (va < 4096)
		return -LAMINA_EFAULT;
	memcpy((void *)(uintptr_t)va, buf, len);
	return 0;
}

/* KVM_GET_SREGS of a fake vCPU fd: its caller's registers, here zeros with
 * a recognisable cr0. Every other ioctl goes to the kernel. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;

	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= FAKE_FD && fd < FAKE_FD + HV_MAX_VCPUS && req == KVM_GET_SREGS) {
		memset(arg, 0, sizeof(struct kvm_sregs));
		((struct kvm_sregs *)arg)->cr0 = 0x80050033;
		return 0;
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

int64_t dom_time_ns(struct domain *d) { (void)d; return 1000; }
void dom_wake_all(struct domain *d) { (void)d; wakes++; }
void *mem_gpa(struct domain *d, uint64_t gpa, size_t len)
{
	return gpa + len <= d->ram_bytes ? d->ram + gpa : NULL;
}
void runstate_set_area(struct vcpu *v, uint64_t gpa) { v->runstate_gpa = gpa; }
void runstate_snapshot(struct vcpu *v, struct lamina_vcpu_runstate_info *ri)
{
	(void)v;
	memset(ri, 0, sizeof(*ri));
}
void vcpu_kick_out(struct vcpu *v) { (void)v; }
void vcpu_retime(struct vcpu *v) { (void)v; }
int vcpu_route_upcalls(struct domain *d) { (void)d; return 0; }
void vcpu_set_deadline(struct vcpu *v, int64_t deadline) { (void)v; (void)deadline; }

/* ---- Fixture: a domain of 3 vCPUs, vCPU 0 up ---- */
static struct domain *d;

static void setup(void)
{
	d = calloc(1, sizeof(*d));
	ck_assert_ptr_nonnull(d);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	d->ram_bytes = 1u << 20;
	d->nr_vcpus = 3;
	for (int i = 0; i < d->nr_vcpus; i++)
		d->vcpu[i] = (struct vcpu){ .d = d, .id = i, .fd = FAKE_FD + i };
	d->vcpu[0].up = d->vcpu[0].ever_ran = true;
	ctx_armed = false;
	wakes = 0;
}

static void teardown(void)
{
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static int64_t vop(struct vcpu *v, unsigned cmd, unsigned id, const void *arg)
{
	const uint64_t a[5] = { cmd, id, (uint64_t)(uintptr_t)arg };

	return hc_vcpu_op(v, a);
}

/* ---- Tests ---- */

START_TEST(up_with_a_context_then_again)
{
	struct lamina_vcpu_up c = { .rip = 0x1234, .rsp = 0x8000, .cr3 = 0x3000, .rdi = 7 };

	ck_assert_int_eq(vop(&d->vcpu[0], LAMINA_VCPUOP_UP, 1, NULL), -LAMINA_EINVAL);  /* never ran */
	ck_assert_int_eq(vop(&d->vcpu[0], LAMINA_VCPUOP_UP, 1, (void *)16), -LAMINA_EFAULT);
	c.cr3 = d->ram_bytes;
	ck_assert_int_eq(vop(&d->vcpu[0], LAMINA_VCPUOP_UP, 1, &c), -LAMINA_EINVAL);
	ck_assert(!d->vcpu[1].up && !d->vcpu[1].start_pending);
	c.cr3 = 0x3000;
	ck_assert_int_eq(vop(&d->vcpu[0], LAMINA_VCPUOP_UP, 1, &c), 0);
	ck_assert(d->vcpu[1].up && d->vcpu[1].start_pending);
	ck_assert_uint_eq(d->vcpu[1].start_regs.rip, 0x1234);
	ck_assert_uint_eq(d->vcpu[1].start_sregs.cr3, 0x3000);
	ck_assert_uint_eq(d->vcpu[1].start_sregs.cr0, 0x80050033);
	c.rip = 0x5678;
	ck_assert_int_eq(vop(&d->vcpu[0], LAMINA_VCPUOP_UP, 1, &c), -LAMINA_EALREADY);
	ck_assert_int_eq(vop(&d->vcpu[0], LAMINA_VCPUOP_UP, 1, NULL), -LAMINA_EALREADY);
	ck_assert_uint_eq(d->vcpu[1].start_regs.rip, 0x1234);   /* untouched */
	ck_assert_int_eq(vop(&d->vcpu[0], LAMINA_VCPUOP_IS_UP, 1, NULL), 1);
}
END_TEST

/* Two vCPUs bring up vCPU 2 at once, each with its own context. */
struct racer {
	struct vcpu *self;
	struct lamina_vcpu_up ctx;
	int64_t rc;
};

static void *race_up(void *arg)
{
	struct racer *r = arg;

	r->rc = vop(r->self, LAMINA_VCPUOP_UP, 2, &r->ctx);
	return NULL;
}

/* vcpu.h: UP of a vCPU that is up is -EALREADY. Of two concurrent UPs
 * exactly one returns 0, and the vCPU starts with the winner's context. */
START_TEST(concurrent_ups_one_wins)
{
	struct racer r[2] = {
		{ .self = &d->vcpu[0], .ctx = { .rip = 0xa000, .cr3 = 0x1000 } },
		{ .self = &d->vcpu[1], .ctx = { .rip = 0xb000, .cr3 = 0x2000 } },
	};
	pthread_t th[2];

	d->vcpu[1].up = d->vcpu[1].ever_ran = true;
	pthread_barrier_init(&ctx_read, NULL, 2);
	ctx_armed = true;
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, race_up, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&ctx_read);
	ck_assert_msg((r[0].rc == 0) + (r[1].rc == 0) == 1, "UP returned %ld and %ld",
		      (long)r[0].rc, (long)r[1].rc);
	int win = r[0].rc == 0 ? 0 : 1;
	ck_assert_int_eq(r[!win].rc, -LAMINA_EALREADY);
	ck_assert(d->vcpu[2].up && d->vcpu[2].start_pending);
	ck_assert_uint_eq(d->vcpu[2].start_regs.rip, r[win].ctx.rip);
	ck_assert_uint_eq(d->vcpu[2].start_sregs.cr3, r[win].ctx.cr3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create("up");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, up_with_a_context_then_again);
	tcase_add_test(tc, concurrent_ups_one_wins);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
