// SPDX-License-Identifier: MIT
// conhost.c: the PV console device's host side: its port, and a thread per domain that supervises lamina-console and relays for it.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <lamina/shared_info.h>
#include "conhost_int.h"
#include "console.h"
#include "evtchn.h"
#include "hv_dev.h"
#include "hv_int.h"

static void drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;   /* EAGAIN: nothing to take */
}

static void poke(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		return;   /* saturated: a wake-up is due anyway */
}

/* The guest has mapped its console ring: input may go there. */
static bool ring_mapped(struct domain *d)
{
	bool mapped = false;

	pthread_mutex_lock(&d->lock);
	for (int i = 0; i < PHYSMAP_MAX && !mapped; i++)
		mapped = d->pm[i].used && d->pm[i].host == d->console_page;
	pthread_mutex_unlock(&d->lock);
	return mapped;
}

/* ---- answering the back-end ---- */

struct pull { struct conhost *h; int rc; };

/* console_input_read's copy (console lock held): the bytes and whether
 * more wait, as one CL_INPUT. Consumed only if it went out. */
static int send_input(void *ctx, const char *buf, size_t n)
{
	struct pull *p = ctx;
	struct hv_console *c = p->h->d->con;
	struct conlink_more more = { .more = c->in_len > n };
	char msg[CONLINK_DATA_MAX + sizeof(more)];

	memcpy(msg, buf, n);
	memcpy(msg + n, &more, sizeof(more));
	p->rc = conhost_send(p->h, CL_INPUT, msg, (uint32_t)(n + sizeof(more)));
	return p->rc;
}

/* CL_PULL: up to max bytes of queued input, once the guest mapped the
 * ring (before that: none, more = 2, "ask again after its next event"). */
static int on_pull(struct conhost *h, const char *data, uint32_t len)
{
	struct conlink_pull p;
	struct conlink_more none = { 0 };

	if (len != sizeof(p))
		return -EPROTO;
	memcpy(&p, data, sizeof(p));
	if (p.max == 0 || p.max > CONLINK_DATA_MAX)
		return -EPROTO;
	if (!ring_mapped(h->d)) {
		none.more = console_input_len(h->d) ? 2 : 0;
		return conhost_send(h, CL_INPUT, &none, sizeof(none));
	}
	struct pull ctx = { h, 0 };
	int64_t n = console_input_read(h->d, p.max, send_input, &ctx);
	if (n == 0)
		return conhost_send(h, CL_INPUT, &none, sizeof(none));
	return n < 0 ? (int)n : 0;
}

/* CL_LOG: one line, non-printing bytes shown as '?'; CONHOST_LOG_LINES
 * per back-end, so that one cannot fill the domain's log. */
static int on_log(struct conhost *h, const char *data, uint32_t len)
{
	char line[CONHOST_LOG_MAX + 1];
	uint32_t n = len < CONHOST_LOG_MAX ? len : CONHOST_LOG_MAX;

	if (++h->log_lines > CONHOST_LOG_LINES)
		return 0;

	for (uint32_t i = 0; i < n; i++)
		line[i] = data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?';
	line[n] = 0;
	dom_log(h->d, "%s", line);
	return 0;
}

/* One message from the back-end: 0, 1 (EOF) or -errno (it broke the rules). */
static int take_one(struct conhost *h)
{
	struct conlink_msg m;
	ssize_t n = recv(h->sock, &m, sizeof(m), MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return 1;
	if ((size_t)n < sizeof(m.h) || (size_t)n > sizeof(m.h) + CONLINK_DATA_MAX ||
	    m.h.len != (size_t)n - sizeof(m.h))
		return -EPROTO;
	switch (m.h.type) {
	case CL_OUTPUT:
		console_output(h->d, m.data, m.h.len);
		h->out_bytes += m.h.len;
		return 0;
	case CL_PULL:
		return on_pull(h, m.data, m.h.len);
	case CL_LOG:
		return on_log(h, m.data, m.h.len);
	case CL_DONE:
		h->done = true;
		return m.h.len ? -EPROTO : 0;
	}
	return -EPROTO;
}

/* Up to CONHOST_MSG_BUDGET messages; on EOF or a broken rule the back-end
 * is lost (and restarted later). */
static void take_messages(struct conhost *h)
{
	for (int i = 0; i < CONHOST_MSG_BUDGET && h->sock >= 0; i++) {
		int rc = take_one(h);
		if (rc == -EAGAIN)
			return;
		if (rc == 1)
			conhost_lost(h, "went away");
		else if (rc < 0)
			conhost_lost(h, rc == -EPROTO ? "broke the link's rules" : strerror(-rc));
	}
}

/* ---- the thread ---- */

/* Stopping: CL_STOP, then its last output until CL_DONE or end of link,
 * at most CONLINK_STOP_MS; then it is reaped (killed if need be). */
static void finish(struct conhost *h)
{
	int64_t end = hv_now_ns() + CONLINK_STOP_MS * 1000000ll;

	if (h->sock >= 0 && conhost_send(h, CL_STOP, NULL, 0) == 0)
		while (h->sock >= 0 && !h->done) {
			int64_t left = (end - hv_now_ns()) / 1000000;
			struct pollfd p = { .fd = h->sock, .events = POLLIN };
			if (left <= 0 || poll(&p, 1, (int)left) == 0)
				break;
			take_messages(h);
		}
	if (h->sock >= 0 || h->pid > 0)
		conhost_lost(h, "stopped");
}

static int timeout_ms(struct conhost *h)
{
	if (h->sock >= 0)
		return -1;
	int64_t ms = (h->respawn_ns - hv_now_ns()) / 1000000;
	return ms < 0 ? 0 : (int)ms + 1;
}

static void *host_main(void *arg)
{
	struct conhost *h = arg;

	for (;;) {
		if (h->sock < 0 && hv_now_ns() >= h->respawn_ns && !atomic_load(&h->stop))
			conhost_start(h);
		struct pollfd p[3] = { { .fd = h->wake, .events = POLLIN },
				       { .fd = h->kick, .events = POLLIN },
				       { .fd = h->sock, .events = POLLIN } };
		if (poll(p, h->sock >= 0 ? 3 : 2, timeout_ms(h)) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			drain(h->wake);
		if (atomic_load(&h->stop))
			break;
		if (p[1].revents) {
			drain(h->kick);
			evt_host_notify(h->d, h->port);
		}
		if (atomic_exchange(&h->avail, false) && h->sock >= 0 &&
		    conhost_send(h, CL_AVAIL, NULL, 0) < 0)
			conhost_lost(h, "does not read its link");
		if (h->sock >= 0 && p[2].revents)
			take_messages(h);
	}
	finish(h);
	return NULL;
}

/* ---- the device ---- */

/* console_input_put() queued input (console lock held). */
static void input_queued(struct domain *d)
{
	struct conhost *h = d->con->host;

	atomic_store(&h->avail, true);
	poke(h->wake);
}

static void host_close(struct conhost *h)
{
	if (h->efd >= 0)
		evt_host_close(h->d->hv, h->efd);
	if (h->kick >= 0)
		close(h->kick);
	if (h->wake >= 0)
		close(h->wake);
	free(h);
}

static int conhost_init(struct domain *d)
{
	struct conhost *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	*h = (struct conhost){ .d = d, .efd = -1, .sock = -1 };
	h->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->kick < 0 || h->wake < 0 || d->console_page_fd < 0 ||
	    evt_host_alloc(d, &h->port, &h->efd) < 0) {
		dom_log(d, "lamina: console: cannot set up the console port");
		host_close(h);
		return -1;
	}
	__atomic_store_n(&((struct lamina_shared_info *)d->shinfo)->console_port, h->port,
			 __ATOMIC_RELEASE);
	d->con->host = h;
	console_set_input_hook(d, input_queued);
	if (pthread_create(&h->thread, NULL, host_main, h)) {
		dom_log(d, "lamina: console: cannot start its thread");
		console_set_input_hook(d, NULL);
		d->con->host = NULL;
		host_close(h);
		return -1;
	}
	return 0;
}

static void conhost_free(struct domain *d)
{
	struct conhost *h = d->con ? d->con->host : NULL;

	if (!h)
		return;
	console_set_input_hook(d, NULL);
	atomic_store(&h->stop, true);
	poke(h->wake);
	pthread_join(h->thread, NULL);
	dom_log(d, "lamina: console: %llu bytes of output through lamina-console, %u restarts",
		(unsigned long long)h->out_bytes, h->restarts);
	d->con->host = NULL;
	host_close(h);
}

static struct hv_dev_ops conhost_ops = { .name = "console", .init = conhost_init,
					 .free = conhost_free };
HV_DEV_REGISTER(conhost_ops)
