// SPDX-License-Identifier: MIT
// Unit tests for libbackend's sandbox (pvdrivers/lib/sandbox.c): in forked children, a forbidden call kills, allowed ones pass, the diagnostics work (Check).
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libbackend.h"

#ifndef SUITE_NAME
#define SUITE_NAME "sandbox"
#endif

// Leave the child at once: no atexit handlers, no sanitizer exit work
// (the sandbox would not allow it, and it is not the child's to do).
static void leave(int code)
{
	syscall(SYS_exit_group, code);
	abort();
}

// Run body() in a child with LAMINA_SANDBOX=mode (NULL: unset) and its
// stderr on a pipe; the wait status, the stderr text in err.
static int in_child(const char *mode, int (*body)(void), char *err, size_t len)
{
	int p[2], st = -1;
	ssize_t n = 0, r;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		if (mode)
			setenv("LAMINA_SANDBOX", mode, 1);
		else
			unsetenv("LAMINA_SANDBOX");
		leave(body());
	}
	close(p[1]);
	while ((size_t)n + 1 < len && (r = read(p[0], err + n, len - 1 - (size_t)n)) > 0)
		n += r;
	err[n] = 0;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static struct lbk b;

static int sandbox(void)
{
	return lbk_sandbox(&b, NULL, 0) ? 10 : 0;
}

static int forbidden_open(void)
{
	if (sandbox())
		return 10;
	open("/etc/passwd", O_RDONLY);
	return 11; // must not get here
}

START_TEST(kill_on_forbidden_call)
{
	char err[256];
	int st = in_child(NULL, forbidden_open, err, sizeof(err));

	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "open in the sandbox: status 0x%x, not SIGSYS", st);
	st = in_child("kill", forbidden_open, err, sizeof(err));
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "LAMINA_SANDBOX=kill: status 0x%x", st);
	ck_assert_str_eq(err, ""); // the filter itself says nothing
}
END_TEST

// Allowed: write and read on descriptors it has, close, mmap, time, exit.
static int allowed_calls(void)
{
	int p[2];
	char c = 0;
	struct timespec ts;
	void *m;

	if (pipe(p) || sandbox())
		return 10;
	if (write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1 || c != 'x')
		return 12;
	if ((m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED ||
	    munmap(m, 8192))
		return 13;
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) || close(p[0]) || close(p[1]))
		return 14;
	return 0;
}

START_TEST(allowed_calls_pass)
{
	char err[256];
	int st = in_child(NULL, allowed_calls, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "allowed calls: status 0x%x", st);
}
END_TEST

static int getppid_extra(void)
{
	static const int extra[] = { __NR_getppid };

	if (lbk_sandbox(&b, extra, 1))
		return 10;
	return syscall(SYS_getppid) > 0 ? 0 : 12;
}

static int getppid_common(void)
{
	if (sandbox())
		return 10;
	syscall(SYS_getppid);
	return 11;
}

// A back-end's own extra calls pass; without them, the same call kills.
START_TEST(extra_calls)
{
	char err[256];
	int st = in_child(NULL, getppid_extra, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "getppid in the extra list: status 0x%x", st);
	st = in_child(NULL, getppid_common, err, sizeof(err));
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "getppid not listed: status 0x%x", st);
}
END_TEST

static int trapped_open(void)
{
	int fd;

	if (sandbox())
		return 10;
	fd = (int)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	return fd == -1 && errno == ENOSYS ? 0 : 12;
}

// LAMINA_SANDBOX=trap: the call is named on stderr and fails with ENOSYS.
START_TEST(trap_names_the_call)
{
	char err[256];
	int st = in_child("trap", trapped_open, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "trap: status 0x%x, stderr '%s'", st, err);
	ck_assert_msg(strstr(err, "forbidden system call openat (257)"), "trap: stderr '%s'", err);
}
END_TEST

static int logged_open(void)
{
	int fd;

	if (sandbox())
		return 10;
	fd = open("/dev/null", O_RDONLY);
	return fd >= 0 && close(fd) == 0 ? 0 : 12;
}

// LAMINA_SANDBOX=log: the call runs (the kernel logs it).
START_TEST(log_lets_it_run)
{
	char err[256];
	int st = in_child("log", logged_open, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "log: status 0x%x", st);
}
END_TEST

static int bad_mode(void)
{
	int fd, rc = lbk_sandbox(&b, NULL, 0);

	if (rc != -EINVAL || !strstr(b.err, "LAMINA_SANDBOX is 'lax'"))
		return 12;
	fd = open("/dev/null", O_RDONLY); // no filter was loaded
	return fd >= 0 ? 0 : 13;
}

START_TEST(bad_mode_refused)
{
	char err[256];
	int st = in_child("lax", bad_mode, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "LAMINA_SANDBOX=lax: status 0x%x", st);
}
END_TEST

static Suite *sandbox_suite(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *tc = tcase_create("seccomp");

	tcase_add_test(tc, kill_on_forbidden_call);
	tcase_add_test(tc, allowed_calls_pass);
	tcase_add_test(tc, extra_calls);
	tcase_add_test(tc, trap_names_the_call);
	tcase_add_test(tc, log_lets_it_run);
	tcase_add_test(tc, bad_mode_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sandbox_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
