// SPDX-License-Identifier: MIT
// laminad's back-end processes: start one and wait until it is ready, notice its end, stop it.
#include "devices.h"
#include "laminad.h"
#include "ready.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define READY_FD 3 // where a back-end finds its end of the ready pipe

int dev_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

// Signal through the pidfd, so a reused pid is never hit.
static void send_sig(const struct dev_proc *p, int sig)
{
	if (p->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
}

// In the child: its own session; stdin /dev/null, stdout and stderr the
// domain's log, the ready pipe as READY_FD, nothing else inherited.
static void child_exec(const char *exe, char *const argv[], int ready, int log)
{
	int null = open("/dev/null", O_RDWR);

	setsid();
	if (null >= 0)
		dup2(null, 0);
	dup2(log >= 0 ? log : null, 1);
	dup2(log >= 0 ? log : null, 2);
	if (ready == READY_FD)
		fcntl(ready, F_SETFD, 0);
	else
		dup2(ready, READY_FD);
	close_range(READY_FD + 1, ~0u, 0);
	signal(SIGPIPE, SIG_DFL);
	if (strchr(exe, '/'))
		execv(exe, argv);
	else
		execvp(exe, argv);
	dprintf(READY_FD, "ERR cannot run %s: %s\n", exe, strerror(errno));
	_exit(127);
}

// Wait for "OK" (0) or "ERR why" (-1, why in err) on fd, which is closed.
static int await_ready(int fd, const char *exe, char *err, size_t len)
{
	char why[600];
	enum ready_status st = ready_await(fd, DEV_READY_MS, why, sizeof(why));

	if (st == READY_OK)
		return 0;
	if (st == READY_ERR)
		snprintf(err, len, "%s", why);
	else
		snprintf(err, len, "%s %s", exe, ready_failure(st));
	return -1;
}

// How a process ended, for people; reaps it if it is laminad's child.
void dev_reap(struct dev_proc *p, char *out, size_t len)
{
	siginfo_t si = { 0 };

	if (!p->child || waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) ||
	    !si.si_pid)
		snprintf(out, len, "ended");
	else if (si.si_code == CLD_EXITED)
		snprintf(out, len, "exited with status %d", si.si_status);
	else
		snprintf(out, len, "was killed by signal %d (%s)", si.si_status,
			 strsignal(si.si_status));
}

// Close p's pidfd (which also takes it out of laminad's epoll set).
void dev_release(struct dev_proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	p->pid = 0;
}

void dev_watch(struct daemon *dm, struct dev_proc *p)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (dm->dev_epfd >= 0 && p->pidfd >= 0)
		epoll_ctl(dm->dev_epfd, EPOLL_CTL_ADD, p->pidfd, &ev);
}

static int fork_exec(const char *exe, struct dev_argv *av, int log, int *ready, pid_t *pid)
{
	int pp[2];

	if (pipe2(pp, O_CLOEXEC))
		return -1;
	*pid = fork();
	if (*pid == 0)
		child_exec(exe, av->argv, pp[1], log);
	close(pp[1]);
	if (*pid < 0) {
		close(pp[0]);
		return -1;
	}
	*ready = pp[0];
	return 0;
}

// Wait up to ms for every process in ps[] (pidfd >= 0) to end.
static void wait_ends(struct dev_proc **ps, size_t n, int ms)
{
	uint64_t until = dev_now_ms() + (uint64_t)ms;
	struct pollfd pf[DEV_MAX];
	size_t k = 0;

	for (size_t i = 0; i < n && k < DEV_MAX; i++)
		if (ps[i]->pidfd >= 0)
			pf[k++] = (struct pollfd){ .fd = ps[i]->pidfd, .events = POLLIN };
	for (uint64_t now = dev_now_ms(); k && now < until; now = dev_now_ms()) {
		if (poll(pf, k, (int)(until - now)) < 0 && errno != EINTR)
			return;
		for (size_t i = 0; i < k;)
			if (pf[i].revents)
				pf[i] = pf[--k];
			else
				i++;
	}
}

static bool ended(const struct dev_proc *p)
{
	struct pollfd pf = { .fd = p->pidfd, .events = POLLIN };

	return p->pidfd < 0 || poll(&pf, 1, 0) == 1;
}

// Signal every process in ps[] still running, and wait up to ms.
static void escalate(struct dev_proc **ps, size_t n, int sig, int ms)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++)
		if (!ended(ps[i])) {
			send_sig(ps[i], sig);
			left++;
		}
	if (left)
		wait_ends(ps, n, ms);
}

void dev_stop_procs(struct daemon *dm, struct domain *d, struct dev_proc **ps, size_t n)
{
	char how[96];

	for (size_t i = 0; i < n; i++) {
		struct dev_proc *p = ps[i];
		int rc = p->pidfd >= 0 && d->hd
				 ? HVCALL(dm, backend_detach, d->hd, p->kind->type, p->devid)
				 : -ENOSYS;
		if (rc)
			send_sig(p, SIGTERM); // no hypervisor to ask: the back-end's own way out
		p->state = DEV_STOPPING;
	}
	wait_ends(ps, n, DEV_STOP_MS);
	escalate(ps, n, SIGTERM, 1000);
	escalate(ps, n, SIGKILL, 1000);
	for (size_t i = 0; i < n; i++) {
		struct dev_proc *p = ps[i];
		if (p->kind->host_teardown)
			p->kind->host_teardown(d->id, p->devid);
		if (p->pidfd < 0)
			continue;
		dev_reap(p, how, sizeof(how));
		domlog(d, "%s %s: back-end %s (pid %d) stopped: it %s", p->kind->what, p->key,
		       p->kind->exe, (int)p->pid, how);
		dev_pidfile_remove(dm, d, p);
		dev_release(p);
	}
}

static void log_argv(struct domain *d, const struct dev_proc *p, const char *exe,
		     const struct dev_argv *av)
{
	char line[768];
	size_t n = 0;

	for (size_t i = 1; i < av->argc && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", av->argv[i]);
	domlog(d, "%s %s: starting back-end %s%s", p->kind->what, p->key, exe, line);
}

int dev_spawn(struct daemon *dm, struct domain *d, struct dev_proc *p, size_t i, char *err,
	      size_t len)
{
	struct dev_ctx ctx = { .domid = d->id, .devid = p->devid, .socket = dm->bk_socket,
			       .ready_fd = READY_FD };
	char exe[PATH_MAX], why[512];
	struct dev_argv av;
	int ready;

	if (p->kind->host_setup && p->kind->host_setup(&d->cfg, i, &ctx, err, len))
		return -1;
	if (dev_argv_build(p->kind, &d->cfg, i, &ctx, &av)) {
		snprintf(err, len, "its back-end's arguments cannot be built (too long, or "
			 "what they name is gone)");
		return -1;
	}
	dev_find_exe(p->kind, exe, sizeof(exe));
	log_argv(d, p, exe, &av);
	if (fork_exec(exe, &av, d->log_fd, &ready, &p->pid)) {
		snprintf(err, len, "cannot start %s: %s", exe, strerror(errno));
		return -1;
	}
	p->child = true;
	p->pidfd = dev_pidfd_open(p->pid);
	p->started_ms = dev_now_ms();
	p->state = DEV_STARTING;
	if (await_ready(ready, exe, why, sizeof(why))) {
		char how[96];
		send_sig(p, SIGKILL);
		wait_ends(&p, 1, 1000);
		dev_reap(p, how, sizeof(how));
		snprintf(err, len, "%s", why);
		dev_release(p);
		return -1;
	}
	p->state = DEV_RUNNING;
	dev_watch(dm, p);
	if (dev_pidfile_write(dm, d, p))
		domlog(d, "%s %s: cannot record the back-end's pid: %s", p->kind->what, p->key,
		       strerror(errno));
	domlog(d, "%s %s: back-end ready, pid %d", p->kind->what, p->key, (int)p->pid);
	return 0;
}
