// SPDX-License-Identifier: MIT
// laminad per-domain logs: NAME.log (toolstack events) and NAME.console.log (guest output).
#include "laminad.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int open_log(struct daemon *dm, const char *name, const char *suffix)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s%s", dm->logdir, name, suffix);
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

int domlog_open(struct daemon *dm, struct domain *d)
{
	d->log_fd = open_log(dm, d->cfg.name, ".log");
	d->con_log_fd = open_log(dm, d->cfg.name, ".console.log");
	return d->log_fd < 0 || d->con_log_fd < 0 ? -1 : 0;
}

void domlog_close(struct domain *d)
{
	if (d->log_fd >= 0)
		close(d->log_fd);
	if (d->con_log_fd >= 0)
		close(d->con_log_fd);
	d->log_fd = d->con_log_fd = -1;
}

void domlog(struct domain *d, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n;

	if (d->log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	if (write(d->log_fd, line, n) < 0)
		return; // a full disk must not stop the daemon
}
