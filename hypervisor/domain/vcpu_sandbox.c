// SPDX-License-Identifier: MIT
// vcpu_sandbox.c: each vCPU thread's own seccomp filter (libseccomp, loaded by that thread for itself only): the calls its exits and hypercalls make, KVM ioctls by request number.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vcpu.h"

/* What a vCPU thread does once it runs (vcpu_main, the exit handlers and
 * every hypercall handler run on it): locks and condition waits (futex),
 * its POSIX timer and the clock, signals to kick other vCPUs of its
 * domain (tgkill, getpid for pthread_kill) and their return, eventfd and
 * pipe writes (upcalls, the store, console output and logs), grant
 * mappings and ballooning on descriptors it already has (mmap, munmap,
 * fallocate), malloc (brk, mmap, mprotect and madvise for its arena),
 * yielding, and ending the thread (rt_sigprocmask, madvise, exit). No
 * open, socket, exec, clone, ptrace or process_vm_*: a guest that took
 * over a vCPU thread can reach no file, process or other guest's memory
 * that the thread did not already hold. */
static const int calls[] = {
	SCMP_SYS(futex), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(timer_settime), SCMP_SYS(timer_gettime), SCMP_SYS(timer_delete),
	SCMP_SYS(tgkill), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(restart_syscall), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(fallocate), SCMP_SYS(sched_yield), SCMP_SYS(exit), SCMP_SYS(exit_group),
#ifdef __SANITIZE_ADDRESS__
	SCMP_SYS(sigaltstack), /* ASan's thread teardown removes its signal stack */
#endif
};

/* The KVM requests a vCPU thread makes: running and loading its vCPU
 * (vcpu.c, boot.c, hc_vcpu.c), translating guest addresses (gmem.c), the
 * PV clock (clock.c), memory slots for grant maps and the physmap
 * (kvm.c), upcall routing (dom.c). No other ioctl, on any descriptor. */
static const unsigned long kvm_requests[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_SET_MP_STATE,
	KVM_TRANSLATE, KVM_SET_MSRS, KVM_GET_CLOCK, KVM_HAS_DEVICE_ATTR, KVM_GET_DEVICE_ATTR,
	KVM_SET_DEVICE_ATTR, KVM_GET_TSC_KHZ, KVM_SET_USER_MEMORY_REGION, KVM_IOEVENTFD,
	KVM_SET_GSI_ROUTING, KVM_IRQFD,
};

/* LAMINA_SANDBOX: unset or "kill" kills the process; "log" lets the call
 * run and the kernel log it. ("trap" is a back-end diagnostic: here it
 * logs too, since a failed call would break the domain anyway.) */
static uint32_t action(void)
{
	const char *m = getenv("LAMINA_SANDBOX");

	return m && (!strcmp(m, "log") || !strcmp(m, "trap")) ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
}

static int rules(scmp_filter_ctx ctx)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < sizeof(calls) / sizeof(calls[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
	/* The request is an unsigned int in the kernel: compare its low 32 bits. */
	for (size_t i = 0; !rc && i < sizeof(kvm_requests) / sizeof(kvm_requests[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, kvm_requests[i]));
	return rc;
}

int vcpu_sandbox(struct vcpu *v, char *err, size_t n)
{
	scmp_filter_ctx ctx = seccomp_init(action());
	int rc = ctx ? 0 : -ENOMEM;

	(void)v;
	/* This thread only (no TSYNC); no_new_privs is set for it too. */
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 0);
	if (!rc)
		rc = rules(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		snprintf(err, n, "seccomp: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc;
}
