// SPDX-License-Identifier: MIT
// laminad streams: guest console to log and client, console input, hypercall trace fan-out.
#include "laminad.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define PUMP_MAX_TRACE 4096

static void tail_add(struct domain *d, const char *buf, size_t n)
{
	size_t cap = sizeof(d->con_tail);

	if (n >= cap) {
		memcpy(d->con_tail, buf + n - cap, cap);
		d->con_tail_len = cap;
		return;
	}
	if (d->con_tail_len + n > cap) {
		size_t drop = d->con_tail_len + n - cap;
		memmove(d->con_tail, d->con_tail + drop, d->con_tail_len - drop);
		d->con_tail_len -= drop;
	}
	memcpy(d->con_tail + d->con_tail_len, buf, n);
	d->con_tail_len += n;
}

static void pump_console(struct daemon *dm, struct domain *d)
{
	char buf[4096];
	ssize_t n;

	while (dm->ops->console_read && (n = dm->ops->console_read(d->hd, buf, sizeof(buf))) > 0) {
		if (d->con_log_fd >= 0) {
			ssize_t w = write(d->con_log_fd, buf, (size_t)n);
			(void)w; // a full disk must not stop the console
		}
		tail_add(d, buf, (size_t)n);
		if (d->console)
			conn_send(d->console, LP_CONSOLE_DATA, buf, (size_t)n, NULL, 0);
	}
}

static void pump_trace(struct daemon *dm, struct domain *d)
{
	struct hv_trace_event ev;
	struct lp_trace_event out;

	for (int i = 0; i < PUMP_MAX_TRACE && dm->ops->trace_read &&
			dm->ops->trace_read(d->hd, &ev) == 1;
	     i++) {
		out = (struct lp_trace_event){ .ts_ns = ev.ts_ns, .vcpu = ev.vcpu, .nr = ev.nr,
					       .ret = ev.ret };
		memcpy(out.args, ev.args, sizeof(out.args));
		memcpy(out.text, ev.text, sizeof(out.text));
		out.text[sizeof(out.text) - 1] = 0;
		for (size_t t = 0; t < d->ntracers; t++)
			conn_send(d->tracers[t], LP_TRACE_EVENT, &out, sizeof(out), NULL, 0);
	}
}

void streams_pump(struct daemon *dm, struct domain *d)
{
	pump_console(dm, d);
	if (d->ntracers)
		pump_trace(dm, d);
}

static void end_one(struct conn *c, const char *why)
{
	struct lp_error le = { 0 };

	conn_send(c, LP_STREAM_END, &le, sizeof(le), why, strlen(why) + 1);
	c->closing = true;
	c->dom = NULL;
}

void streams_end(struct domain *d, const char *why)
{
	if (d->console)
		end_one(d->console, why);
	for (size_t t = 0; t < d->ntracers; t++)
		end_one(d->tracers[t], why);
	d->console = NULL;
	d->ntracers = 0;
}

void streams_detach(struct daemon *dm, struct conn *c)
{
	struct domain *d = c->dom;

	if (!d)
		return;
	if (d->console == c)
		d->console = NULL;
	for (size_t t = 0; t < d->ntracers; t++)
		if (d->tracers[t] == c)
			d->tracers[t--] = d->tracers[--d->ntracers];
	if (c->mode == CONN_TRACE && !d->ntracers)
		HVCALL(dm, trace_subscribe, d->hd, false);
	c->dom = NULL;
}

void op_console(struct daemon *dm, struct conn *c, const void *p)
{
	struct domain *d = op_domain(dm, c, p);

	if (!d)
		return;
	if (d->cfg.console == DOM_CONSOLE_NULL || !dm->ops->console_write) {
		conn_error(c, ENOTSUP, "domain '%s' has no console", d->cfg.name);
		return;
	}
	if (d->console) {
		conn_error(c, EBUSY, "the console of '%s' is in use by another client",
			   d->cfg.name);
		return;
	}
	c->mode = CONN_CONSOLE;
	c->dom = d;
	d->console = c;
	conn_ok(c, d->id);
	if (d->con_tail_len)
		conn_send(c, LP_CONSOLE_DATA, d->con_tail, d->con_tail_len, NULL, 0);
}

void op_trace(struct daemon *dm, struct conn *c, const void *p)
{
	struct domain *d = op_domain(dm, c, p);
	int rc;

	if (!d)
		return;
	if (d->ntracers == REG_MAX_TRACERS) {
		conn_error(c, EBUSY, "'%s' already has %d trace clients", d->cfg.name,
			   REG_MAX_TRACERS);
		return;
	}
	rc = d->ntracers ? 0 : HVCALL(dm, trace_subscribe, d->hd, true);
	if (!op_result(dm, c, d, rc, "trace"))
		return;
	c->mode = CONN_TRACE;
	c->dom = d;
	d->tracers[d->ntracers++] = c;
	conn_ok(c, d->id);
}

void op_console_data(struct daemon *dm, struct conn *c, const uint8_t *p, uint32_t len)
{
	if (c->dom)
		dm->ops->console_write(c->dom->hd, p, len);
}
