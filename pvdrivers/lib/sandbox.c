// SPDX-License-Identifier: MIT
// libbackend's sandbox: after setup a back-end keeps only the system calls its serving loop needs (libseccomp allowlist, kill by default).
#include "libbackend.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#define NAMES_MAX 512 // system call numbers the trap diagnostic can name

// What every back-end's serving loop does, through libbackend or libc:
// requests and replies with descriptors on its socket to lamina-hvd
// (sendmsg, recvmsg, poll; close of a received descriptor), eventfd reads
// and kicks and its own log lines (read, write), udmabuf mappings
// (mmap, munmap), malloc (brk, mmap, munmap, mremap, madvise), time
// (clock_gettime, when the vDSO cannot answer), signal returns and
// restarts, leaving. Nothing that names a path, makes a descriptor or
// reaches another process: no open, socket, exec, ioctl, ptrace,
// process_vm_readv.
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(close),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(clock_gettime), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

// Trap diagnostic (LAMINA_SANDBOX=trap): names resolved before the filter
// is loaded, so the handler only formats and writes (async-signal-safe).
static char *names[NAMES_MAX];
static pid_t trap_pid; // getpid() itself is not allowed in the handler

static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		buf[at++] = *s++;
	return at;
}

static size_t put_uint(char *buf, size_t at, size_t cap, unsigned long v)
{
	char d[24];
	int n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(d));
	while (n && at + 1 < cap)
		buf[at++] = d[--n];
	return at;
}

// SIGSYS from SCMP_ACT_TRAP: say which call, make it fail with ENOSYS, go on.
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	int nr = si->si_syscall;
	char msg[160];
	size_t n = 0;

	(void)sig;
	n = put_str(msg, n, sizeof(msg), "lamina-sandbox: pid ");
	n = put_uint(msg, n, sizeof(msg), (unsigned long)trap_pid);
	n = put_str(msg, n, sizeof(msg), ": forbidden system call ");
	n = put_str(msg, n, sizeof(msg), nr >= 0 && nr < NAMES_MAX && names[nr] ? names[nr] : "?");
	n = put_str(msg, n, sizeof(msg), " (");
	n = put_uint(msg, n, sizeof(msg), (unsigned long)nr);
	n = put_str(msg, n, sizeof(msg), "); it fails with ENOSYS (LAMINA_SANDBOX=trap)\n");
	if (write(STDERR_FILENO, msg, n) < 0)
		n = 0;
#ifdef __x86_64__
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
	(void)ctx;
#endif
}

static int trap_setup(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	trap_pid = getpid();
	for (int nr = 0; nr < NAMES_MAX; nr++)
		if (!names[nr])
			names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

// The default action LAMINA_SANDBOX asks for (see libbackend.h), or -EINVAL.
static int default_action(struct lbk *b, uint32_t *act)
{
	const char *m = getenv("LAMINA_SANDBOX");

	if (!m || !*m || !strcmp(m, "kill"))
		*act = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(m, "log"))
		*act = SCMP_ACT_LOG;
	else if (!strcmp(m, "trap"))
		*act = SCMP_ACT_TRAP;
	else {
		snprintf(b->err, sizeof(b->err), "LAMINA_SANDBOX is '%.64s'; it must be kill, log or trap", m);
		return -EINVAL;
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const int *extra, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; !rc && i < n; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, extra[i], 0);
	return rc;
}

int lbk_sandbox(struct lbk *b, const int *extra, size_t n)
{
	scmp_filter_ctx ctx;
	uint32_t act;
	int rc;

	if ((rc = default_action(b, &act)))
		return rc;
	if (act == SCMP_ACT_TRAP && (rc = trap_setup())) {
		snprintf(b->err, sizeof(b->err), "sandbox: SIGSYS handler: %s", strerror(-rc));
		return rc;
	}
	if (!(ctx = seccomp_init(act))) {
		snprintf(b->err, sizeof(b->err), "seccomp_init: out of memory");
		return -ENOMEM;
	}
	rc = add_rules(ctx, extra, n);
	if (rc)
		snprintf(b->err, sizeof(b->err), "seccomp: cannot allow a call: %s", strerror(-rc));
	else if ((rc = seccomp_load(ctx))) // sets no_new_privs itself
		snprintf(b->err, sizeof(b->err), "seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc;
}
