// SPDX-License-Identifier: MIT
// libbackend's sandbox: after setup a back-end keeps only the system calls its serving loop needs (libseccomp allowlist).
#include "libbackend.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

// Serving: descriptors it has (socket, eventfds, udmabuf mappings), memory
// for json-c, time, and leaving. No open, no socket, no exec, no ioctl.
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(close), SCMP_SYS(munmap),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(futex), SCMP_SYS(getpid),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(pause),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
};

int lbk_sandbox(struct lbk *b)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int rc = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; !rc && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (!rc)
		rc = seccomp_load(ctx); // sets no_new_privs itself
	if (rc)
		snprintf(b->err, sizeof(b->err), "seccomp: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc;
}
