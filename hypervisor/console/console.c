// SPDX-License-Identifier: MIT
// console.c: per-domain console: output to the log and an attached fd, input queued for the guest.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "console.h"

/* Output to p->console_fd, lines prefixed with p->console_prefix, each
 * whole line told to p->console_line. */
int console_init(struct domain *d, const struct hv_dom_params *p)
{
	d->con = calloc(1, sizeof(*d->con));
	if (!d->con)
		return -1;
	d->con->out_fd = p->console_fd;
	if (p->console_prefix)
		snprintf(d->con->prefix, sizeof(d->con->prefix), "[%s] ", p->console_prefix);
	d->con->line_fn = p->console_line;
	d->con->line_ctx = p->console_line_ctx;
	pthread_mutex_init(&d->con->lock, NULL);
	return 0;
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

/* Emit the buffered line as one write(), prefix included, so lines of
 * domains sharing a terminal or file never interleave. c->lock held. */
static void flush_line(struct hv_console *c)
{
	char out[sizeof(c->prefix) + sizeof(c->line)];
	size_t p = strlen(c->prefix);

	if (!c->line_len)
		return;
	memcpy(out, c->prefix, p);
	memcpy(out + p, c->line, c->line_len);
	write_all(c->out_fd, out, p + c->line_len);
	c->line_len = 0;
}

/* Tell line_fn of the len bytes in line[] that ended with '\n', already
 * flushed: without the '\n' or "\r\n", and not if the line was longer than
 * line[] (only its tail is there). c->lock held. */
static void tell_line(struct domain *d, struct hv_console *c, size_t len)
{
	if (!c->line_fn || c->line_cut)
		return;
	len--;
	if (len && c->line[len - 1] == '\r')
		len--;
	c->line_fn(c->line_ctx, d, c->line, len);
}

/* Copy output to the log at once, and to the attached fd a whole line at a
 * time (a line longer than the buffer goes out in buffer-sized pieces). */
void console_output(struct domain *d, const char *buf, size_t len)
{
	struct hv_console *c = d->con;

	pthread_mutex_lock(&c->lock);
	write_all(d->log_fd, buf, len);
	for (size_t i = 0; i < len; i++) {
		c->line[c->line_len++] = buf[i];
		if (buf[i] == '\n') {
			size_t n = c->line_len;
			flush_line(c);
			tell_line(d, c, n);
			c->line_cut = false;
		} else if (c->line_len == sizeof(c->line)) {
			flush_line(c);
			c->line_cut = true;
		}
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

int64_t console_input_read(struct domain *d, size_t max, console_copy_fn copy, void *ctx)
{
	struct hv_console *c = d->con;

	pthread_mutex_lock(&c->lock);
	size_t n = c->in_len < max ? c->in_len : max;
	int rc = n ? copy(ctx, c->in, n) : 0;
	if (!rc) {
		memmove(c->in, c->in + n, c->in_len - n);
		c->in_len -= n;
	}
	pthread_mutex_unlock(&c->lock);
	return rc ? rc : (int64_t)n;
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
	if (n && c->input_hook)
		c->input_hook(d);   /* the PV console ring may take it */
	pthread_mutex_unlock(&c->lock);
	return (int)n;
}

size_t console_input_len(struct domain *d)
{
	pthread_mutex_lock(&d->con->lock);
	size_t n = d->con->in_len;
	pthread_mutex_unlock(&d->con->lock);
	return n;
}

void console_set_input_hook(struct domain *d, void (*fn)(struct domain *d))
{
	pthread_mutex_lock(&d->con->lock);
	d->con->input_hook = fn;
	pthread_mutex_unlock(&d->con->lock);
}

int hv_console_input(struct domain *d, const char *buf, size_t len)
{
	return console_input_put(d, buf, len);
}

void console_free(struct domain *d)
{
	pthread_mutex_lock(&d->con->lock);
	flush_line(d->con);          /* a last line without its newline */
	pthread_mutex_unlock(&d->con->lock);
	free(d->con);
	d->con = NULL;
}
