// SPDX-License-Identifier: MIT
// console.c: per-domain console: output to the log and an attached fd, input queued for the guest.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "console.h"
#include "pvconsole.h"

int console_init(struct domain *d, int out_fd, const char *prefix)
{
	d->con = calloc(1, sizeof(*d->con));
	if (!d->con)
		return -1;
	d->con->out_fd = out_fd;
	if (prefix)
		snprintf(d->con->prefix, sizeof(d->con->prefix), "[%s] ", prefix);
	pthread_mutex_init(&d->con->lock, NULL);
	return 0;
}

void console_free(struct domain *d)
{
	free(d->con);
	d->con = NULL;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (fd >= 0 && len) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Copy output to the log and the attached fd, one line at a time so that
 * domains sharing a terminal get their prefix at each line start. */
void console_output(struct domain *d, const char *buf, size_t len)
{
	struct hv_console *c = d->con;

	pthread_mutex_lock(&c->lock);
	write_all(d->log_fd, buf, len);
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) + 1 : len;
		if (!c->mid_line)
			write_all(c->out_fd, c->prefix, strlen(c->prefix));
		write_all(c->out_fd, buf, n);
		c->mid_line = !nl;
		buf += n;
		len -= n;
	}
	pthread_mutex_unlock(&c->lock);
}

size_t console_input_take(struct domain *d, char *buf, size_t max)
{
	struct hv_console *c = d->con;

	pthread_mutex_lock(&c->lock);
	size_t n = c->in_len < max ? c->in_len : max;
	memcpy(buf, c->in, n);
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Queue input; returns bytes accepted (the rest waits for room). */
int console_input_put(struct domain *d, const char *buf, size_t len)
{
	struct hv_console *c = d->con;

	pthread_mutex_lock(&c->lock);
	size_t n = sizeof(c->in) - c->in_len;
	if (n > len)
		n = len;
	memcpy(c->in + c->in_len, buf, n);
	c->in_len += n;
	pthread_mutex_unlock(&c->lock);
	if (n)
		pvconsole_kick(d);   /* the PV console ring may take it */
	return (int)n;
}

int hv_console_input(struct domain *d, const char *buf, size_t len)
{
	return console_input_put(d, buf, len);
}
