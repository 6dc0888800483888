// SPDX-License-Identifier: MIT
// Unit tests for the vCPU threads' seccomp filter (hypervisor/domain/vcpu_sandbox.c): in forked children, it binds only the thread that loads it, allows KVM's requests, kills on others (Check).
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "vcpu.h"

#ifndef SUITE_NAME
#define SUITE_NAME "vcpu_sandbox"
#endif

// Leave the child at once, with no exit handlers (they are not its to run).
static void leave(int code)
{
	syscall(SYS_exit_group, code);
	abort();
}

static void *(*thread_body)(void *);

// A child whose one extra thread loads the filter and runs thread_body;
// the main thread then opens a file (no TSYNC: it has no filter). Status.
static int in_child(void *(*body)(void *))
{
	int st = -1;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pthread_t t;
		void *rc = NULL;
		thread_body = body;
		if (pthread_create(&t, NULL, thread_body, NULL) || pthread_join(t, &rc))
			leave(20);
		if (rc)
			leave((int)(long)rc);
		int fd = open("/dev/null", O_RDONLY);
		leave(fd >= 0 ? 0 : 21);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void *load(void)
{
	char err[128];

	return vcpu_sandbox(NULL, err, sizeof(err)) ? (void *)10 : NULL;
}

// KVM's requests pass the filter (and fail on a descriptor that is not KVM's).
static void *kvm_requests(void *arg)
{
	struct kvm_regs r;

	(void)arg;
	if (load())
		return (void *)10;
	if (ioctl(0, KVM_GET_REGS, &r) != -1 || (errno != ENOTTY && errno != EINVAL && errno != EBADF))
		return (void *)12;
	return ioctl(-1, KVM_RUN, 0) == -1 && errno == EBADF ? NULL : (void *)13;
}

START_TEST(kvm_requests_pass)
{
	int st = in_child(kvm_requests);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "KVM requests: status 0x%x", st);
}
END_TEST

static void *other_ioctl(void *arg)
{
	struct termios t;

	(void)arg;
	if (load())
		return (void *)10;
	ioctl(0, TCGETS, &t);
	return (void *)11;
}

static void *opens_a_file(void *arg)
{
	(void)arg;
	if (load())
		return (void *)10;
	open("/dev/null", O_RDONLY);
	return (void *)11;
}

// Another ioctl request, or any open, from the filtered thread kills the process.
START_TEST(forbidden_calls_kill)
{
	int st = in_child(other_ioctl);

	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "TCGETS: status 0x%x", st);
	st = in_child(opens_a_file);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "open: status 0x%x", st);
}
END_TEST

static void *allowed_calls(void *arg)
{
	int p[2];
	char c = 0;
	struct timespec ts = { 0, 1000 };
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

	(void)arg;
	if (pipe(p) || load())
		return (void *)10;
	if (write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1 || c != 'x')
		return (void *)12;
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	if (nanosleep(&ts, NULL) || sched_yield())
		return (void *)13;
	return NULL; // ending the thread (exit, its stack's madvise) is allowed too
}

// What every vCPU thread does passes, and the thread ends normally.
START_TEST(allowed_calls_pass)
{
	int st = in_child(allowed_calls);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "allowed calls: status 0x%x", st);
}
END_TEST

static Suite *vcpu_sandbox_suite(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create("filter");

	tcase_add_test(tc, kvm_requests_pass);
	tcase_add_test(tc, forbidden_calls_kill);
	tcase_add_test(tc, allowed_calls_pass);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vcpu_sandbox_suite());
	int failed;

	unsetenv("LAMINA_SANDBOX");
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
