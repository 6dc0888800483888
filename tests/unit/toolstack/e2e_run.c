// SPDX-License-Identifier: MIT
// Toolstack end-to-end test helpers: a private laminad --fake and lamina runs (no shell).
#include "e2e.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[256];

const char *e2e_dir(void)
{
	return tmp;
}

void e2e_env(void)
{
	char path[512];

	snprintf(tmp, sizeof(tmp), "/tmp/lamina-e2e-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/run", tmp);
	setenv("LAMINA_RUN_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/log", tmp);
	setenv("LAMINA_LOG_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/state", tmp);
	setenv("LAMINA_STATE_DIR", path, 1);
	setenv("LAMINA_MEMINFO", TEST_DATA_DIR "/meminfo-1g", 1);
	unsetenv("LAMINA_BACKEND");
	unsetenv("XDG_RUNTIME_DIR");
}

pid_t e2e_daemon(void)
{
	char arg[32], buf[256] = { 0 };
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		snprintf(buf, sizeof(buf), "%s/laminad.stderr", tmp);
		int log = open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (log >= 0)
			dup2(log, 2);
		snprintf(arg, sizeof(arg), "--ready-fd=%d", p[1]);
		execl(TOOLSTACK_BIN_DIR "/laminad", "laminad", "--fake", arg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	ck_assert_int_gt(read(p[0], buf, sizeof(buf) - 1), 0);
	close(p[0]);
	ck_assert_str_eq(buf, "OK\n");
	return pid;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void e2e_cleanup(pid_t daemon)
{
	int status;

	if (daemon > 0) {
		kill(daemon, SIGTERM);
		waitpid(daemon, &status, 0);
	}
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

// Read stdout and stderr together until both close.
static void slurp(struct run *r, int out, int err)
{
	struct pollfd p[2] = { { .fd = out, .events = POLLIN }, { .fd = err, .events = POLLIN } };
	char *buf[2] = { r->out, r->err };
	size_t cap[2] = { sizeof(r->out), sizeof(r->err) }, len[2] = { 0, 0 };

	while ((p[0].fd >= 0 || p[1].fd >= 0) && poll(p, 2, 20000) > 0) {
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t n = read(p[i].fd, buf[i] + len[i], cap[i] - 1 - len[i]);
			if (n > 0) {
				len[i] += (size_t)n;
			} else {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
	}
	r->out[len[0]] = 0;
	r->err[len[1]] = 0;
}

static void child(const char *in, int out, int err, char **argv)
{
	int inp[2];

	if (pipe(inp) == 0) {
		if (in && write(inp[1], in, strlen(in)) < 0)
			_exit(126);
		close(inp[1]);
		dup2(inp[0], 0);
	}
	dup2(out, 1);
	dup2(err, 2);
	execv(TOOLSTACK_BIN_DIR "/lamina", argv);
	_exit(127);
}

void e2e_lamina(struct run *r, const char *in, ...)
{
	char *argv[16] = { "lamina" };
	int out[2], err[2], n = 1, st;
	va_list ap;
	pid_t pid;

	va_start(ap, in);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	ck_assert(pipe(out) == 0 && pipe(err) == 0);
	pid = fork();
	if (pid == 0)
		child(in, out[1], err[1], argv);
	close(out[1]);
	close(err[1]);
	slurp(r, out[0], err[0]);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
