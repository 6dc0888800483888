// SPDX-License-Identifier: MIT
// laminad's hands on the host network: run ip and nft, start and stop helper processes, look at links.
#include "net.h"
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CMD_MAX_ARGS 32

// execv prog from the system directories (laminad's PATH may lack sbin), else PATH.
static void exec_prog(const char *prog, char *const argv[])
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	char path[PATH_MAX];

	if (!strchr(prog, '/'))
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], prog);
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	execvp(prog, argv);
}

static void child_cmd(int in, int out, const char *prog, char *const argv[])
{
	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	close_range(3, ~0u, 0);
	signal(SIGPIPE, SIG_DFL);
	exec_prog(prog, argv);
	dprintf(2, "cannot run %s: %s\n", prog, strerror(errno));
	_exit(127);
}

// Read the command's output (up to the buffer) until it closes (true) or
// time runs out (false).
static bool collect(int fd, char *buf, size_t len)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t used = 0;
	bool closed = false;
	ssize_t n;

	while (!closed && poll(&pf, 1, NET_CMD_MS) == 1) {
		char scratch[512];
		char *dst = used + 1 < len ? buf + used : scratch;
		size_t room = used + 1 < len ? len - used - 1 : sizeof(scratch);
		if ((n = read(fd, dst, room)) <= 0)
			closed = true;
		else if (dst != scratch)
			used += (size_t)n;
	}
	buf[used] = 0;
	return closed;
}

static int wait_cmd(pid_t pid, bool closed, const char *prog, const char *out, char *err,
		    size_t errlen)
{
	int status = 0;

	if (!closed) { // still running after NET_CMD_MS
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "%s did not finish within %d s", prog, NET_CMD_MS / 1000);
		return -1;
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (*out)
		snprintf(err, errlen, "%s: %.*s", prog, (int)strcspn(out, "\n"), out);
	else if (WIFEXITED(status))
		snprintf(err, errlen, "%s exited with status %d", prog, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "%s was killed by signal %d", prog, WTERMSIG(status));
	return -1;
}

int net_cmd(const char *input, char *err, size_t errlen, const char *prog, ...)
{
	char *argv[CMD_MAX_ARGS + 1], out[1024];
	int inp[2], outp[2];
	size_t n = 0;
	va_list ap;
	pid_t pid;

	va_start(ap, prog);
	for (char *a; n < CMD_MAX_ARGS && (a = va_arg(ap, char *));)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	if (pipe2(inp, O_CLOEXEC) || pipe2(outp, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot run %s: %s", prog, strerror(errno));
		return -1;
	}
	if ((pid = fork()) == 0)
		child_cmd(inp[0], outp[1], prog, argv);
	close(inp[0]);
	close(outp[1]);
	if (pid > 0 && input && write(inp[1], input, strlen(input)) < 0)
		(void)0; // it said why on its output, or it will fail for lack of input
	close(inp[1]);
	if (pid < 0) {
		close(outp[0]);
		snprintf(err, errlen, "cannot run %s: %s", prog, strerror(errno));
		return -1;
	}
	bool closed = collect(outp[0], out, sizeof(out));
	close(outp[0]);
	return wait_cmd(pid, closed, prog, out, err, errlen);
}

pid_t net_spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int null = open("/dev/null", O_RDWR);
	int out = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);
	setsid();
	dup2(null, 0);
	dup2(out >= 0 ? out : null, 1);
	dup2(out >= 0 ? out : null, 2);
	close_range(3, ~0u, 0);
	signal(SIGPIPE, SIG_DFL);
	exec_prog(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static bool gone(int pidfd, int ms)
{
	struct pollfd pf = { .fd = pidfd, .events = POLLIN };

	return poll(&pf, 1, ms) == 1;
}

bool net_kill(pid_t pid, unsigned long long start, const char *exe)
{
	int fd;

	if (!dev_pid_matches(pid, start, exe) || (fd = dev_pidfd_open(pid)) < 0) {
		waitpid(pid, NULL, WNOHANG); // a child of ours that ended: reap it
		return false;
	}
	syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
	if (!gone(fd, 3000)) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		gone(fd, 1000);
	}
	close(fd);
	waitpid(pid, NULL, WNOHANG);
	return true;
}

static bool sys_has(const char *ifname, const char *what)
{
	char path[PATH_MAX];

	if (!*ifname || strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s%s%s", ifname, *what ? "/" : "", what);
	return access(path, F_OK) == 0;
}

bool net_link_exists(const char *ifname)
{
	return sys_has(ifname, "");
}

bool net_link_is_bridge(const char *ifname)
{
	return sys_has(ifname, "bridge");
}

bool net_link_is_tap(const char *ifname)
{
	return sys_has(ifname, "tun_flags");
}

#define FORWARD_PATH "/proc/sys/net/ipv4/ip_forward"

int net_forwarding(void)
{
	FILE *f = fopen(FORWARD_PATH, "re");
	int v = -1;

	if (f && fscanf(f, "%d", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

int net_set_forwarding(int on)
{
	int fd = open(FORWARD_PATH, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, on ? "1\n" : "0\n", 2) == 2 ? 0 : -1;
	if (close(fd))
		rc = -1;
	return rc;
}
