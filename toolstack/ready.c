// SPDX-License-Identifier: MIT
// ready.c: wait for a started process's "OK" or "ERR why" on its ready pipe (ready.h).
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ready.h"

enum ready_status ready_await(int fd, int ms, char *why, size_t len)
{
	char buf[600] = { 0 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = 0;
	int rc;

	while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (rc == 1)
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!strcmp(buf, "OK"))
		return READY_OK;
	if (!strncmp(buf, "ERR ", 4)) {
		snprintf(why, len, "%s", buf + 4);
		return READY_ERR;
	}
	return rc == 1 ? READY_EXITED : READY_TIMEOUT;
}

const char *ready_failure(enum ready_status s)
{
	return s == READY_TIMEOUT ? "was not ready in time" : "exited before it was ready";
}
