// SPDX-License-Identifier: MIT
// lamina-hvd client connections: bounded output queues, one request per message, clean drops.
//
// A client that stops reading is dropped once HVD_OUT_MAX bytes wait for it;
// a client that disconnects mid-request costs only its own queue.
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

static void out_free(struct hvd_out *m)
{
	close_fds(m->fds, m->nfds);
	free(m);
}

void conn_flush(struct hvd_conn *c)
{
	while (c->head && !c->dead) {
		struct hvd_out *m = c->head;
		int rc = hvd_send(c->fd, m->data, m->len, m->fds, m->nfds, MSG_DONTWAIT);
		if (rc == -EAGAIN || rc == -ENOBUFS)
			return;
		if (rc) {
			c->dead = true;
			return;
		}
		c->head = m->next;
		if (!c->head)
			c->tail = NULL;
		c->queued -= m->len;
		out_free(m);
	}
}

static void queue_fds(struct hvd_conn *c, const char *buf, size_t len, const int *fds,
		      unsigned nfds)
{
	struct hvd_out *m;

	if (c->dead || len > HVD_MSG_MAX || c->queued + len > HVD_OUT_MAX ||
	    !(m = malloc(sizeof(*m) + len))) {
		if (!c->dead)
			fprintf(stderr, "lamina-hvd: dropping a client that does not read its messages\n");
		c->dead = true;
		close_fds(fds, nfds);
		return;
	}
	m->next = NULL;
	m->len = len;
	m->nfds = nfds;
	if (nfds)
		memcpy(m->fds, fds, nfds * sizeof(*fds));
	memcpy(m->data, buf, len);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued += len;
	conn_flush(c);
}

void conn_queue(struct hvd_conn *c, const char *buf, size_t len)
{
	queue_fds(c, buf, len, NULL, 0);
}

void conn_queue_json_fds(struct hvd_conn *c, json_object *o, const int *fds, unsigned nfds)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);

	queue_fds(c, s, len, fds, nfds);
	json_object_put(o);
}

void conn_queue_json(struct hvd_conn *c, json_object *o)
{
	conn_queue_json_fds(c, o, NULL, 0);
}

void conn_broadcast(struct hvd *h, json_object *ev)
{
	for (unsigned i = 0; i < h->nconns; i++)
		if (h->conns[i]->subscribed)
			conn_queue_json(h->conns[i], json_object_get(ev));
	json_object_put(ev);
}

// Parse one message: a JSON object and nothing else, or an error reply.
static json_object *parse(const char *buf, size_t len, json_object **err)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;
	enum json_tokener_error e;

	*err = NULL;
	if (!tok) {
		*err = ops_error(NULL, ENOMEM, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	if (!o || e != json_tokener_success) {
		*err = ops_error(NULL, EINVAL, "not JSON: %s at byte %zu",
				 e == json_tokener_continue ? "unexpected end"
							    : json_tokener_error_desc(e),
				 json_tokener_get_parse_end(tok));
	} else if (json_tokener_get_parse_end(tok) != len &&
		   strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n") !=
			   len - json_tokener_get_parse_end(tok)) {
		*err = ops_error(NULL, EINVAL, "one JSON object per message: text follows at byte %zu",
				 json_tokener_get_parse_end(tok));
	} else if (!json_object_is_type(o, json_type_object)) {
		*err = ops_error(NULL, EINVAL, "a message must be a JSON object");
	}
	json_tokener_free(tok);
	if (*err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

// One message, if there is one: a request in, its reply queued.
static bool read_one(struct hvd *h, struct hvd_conn *c, char *buf)
{
	int fds[HVD_MAX_FDS];
	unsigned nfds = 0;
	bool trunc;
	ssize_t n = hvd_recv(c->fd, buf, HVD_MSG_MAX, fds, &nfds, &trunc, MSG_DONTWAIT);
	json_object *rq, *rep;

	if (n == -EAGAIN)
		return false;
	if (n <= 0) {
		c->dead = true; // end of stream or a broken peer
		return false;
	}
	if (trunc) {
		close_fds(fds, nfds);
		rep = ops_error(NULL, EMSGSIZE, "message of %zd bytes (or more than %d descriptors) "
				"refused: at most %d bytes of JSON", n, HVD_MAX_FDS, HVD_MSG_MAX);
	} else if ((rq = parse(buf, (size_t)n, &rep))) {
		c->nrfd = 0;
		rep = ops_handle(h, c, rq, nfds);
		close_fds(fds, nfds); // no op takes descriptors
	} else {
		close_fds(fds, nfds);
	}
	conn_queue_json_fds(c, rep, c->rfd, c->nrfd);
	c->nrfd = 0;
	return !c->dead;
}

void conn_read(struct hvd *h, struct hvd_conn *c)
{
	static char buf[HVD_MSG_MAX + 1];

	for (int i = 0; i < 16 && !h->stop && read_one(h, c, buf); i++)
		;
}

void conn_close(struct hvd *h, unsigned i)
{
	struct hvd_conn *c = h->conns[i];

	trace_drop_conn(h, c);
	if (c->bk)
		bk_release(h, c->bk, true); // the back-end went: its device is Closed
	while (c->head) {
		struct hvd_out *m = c->head;
		c->head = m->next;
		out_free(m);
	}
	close(c->fd);
	free(c);
	h->conns[i] = h->conns[--h->nconns];
}
