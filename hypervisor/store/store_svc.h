// SPDX-License-Identifier: MIT
// store_svc.h: the store's ring service: requests from a domain's store ring page, answered from a store_db.
#ifndef HV_STORE_SVC_H
#define HV_STORE_SVC_H
#include <stdbool.h>
#include <stdint.h>
#include <lamina/store.h>
#include "store_db.h"

/* What a request made by domain 0 may ask of the host (INTRODUCE, RELEASE).
 * Each hook returns 0 or -LAMINA_E*; a NULL hook answers -LAMINA_EINVAL. */
struct store_host_ops {
	int (*introduce)(void *arg, unsigned domid, uint64_t gfn, uint32_t port);
	int (*release)(void *arg, unsigned domid);
	void *arg;
};

/*
 * Handle one request of domain dom. h and payload (h->len bytes) must be
 * private copies: they are parsed in place. The reply payload goes to rsp
 * (LAMINA_STORE_PAYLOAD_MAX bytes) and its length to *rlen; the result is
 * the reply's type: h->type, or LAMINA_STORE_ERROR with an error name.
 * Malformed payloads (a string without its NUL, extra bytes after the last
 * string, a bad number), unknown types and the store-to-domain types
 * answer EINVAL. A successful WATCH fires its initial event (through the
 * database's callback) before this returns.
 */
uint32_t store_dispatch(struct store_db *db, uint16_t dom, const struct store_host_ops *host,
			const struct lamina_store_msg *h, const uint8_t *payload,
			uint8_t *rsp, uint32_t *rlen);

/* Watch events may wait in a connection's private queue (all its output
 * not yet in the ring) only while the queue is below this many bytes;
 * later ones are dropped and counted. Replies are always queued: the
 * LAMINA_STORE_QUOTA_REQUESTS limit bounds them. */
#define STORE_CONN_EVENT_ROOM (64u * 1024u)

/*
 * One domain's connection: its store ring page (struct lamina_store_ring,
 * writable by the domain at any time) and a notify callback that sends
 * the domain an event on its store port. Calls on one connection, and on
 * all connections of one database, must be serialised by the caller.
 *
 * The service trusts nothing in the page: it keeps its own req_cons and
 * rsp_prod and only publishes them; it reads each guest index once per
 * step and checks it (a producer more than LAMINA_STORE_RING_BYTES ahead
 * of our consumer, or a consumer behind our producer by more than that,
 * is corruption); it copies each request byte exactly once into private
 * memory before looking at it. Corruption or a header with len >
 * LAMINA_STORE_PAYLOAD_MAX (after which the byte stream cannot be
 * resynchronised) ends the connection: nothing more is read or written,
 * store_conn_error() says why, and the rest of the store carries on.
 *
 * At most LAMINA_STORE_QUOTA_REQUESTS replies may be outstanding (queued,
 * or in the ring but not consumed); at the limit the service stops
 * reading requests until the domain consumes replies and notifies.
 * Replies are in request order. Watch events the request itself caused
 * (such as WATCH's initial event) follow its reply.
 */
struct store_conn;
struct store_conn *store_conn_new(struct store_db *db, uint16_t dom, void *ring_page,
				  const struct store_host_ops *host,
				  void (*notify)(void *arg), void *arg);
void store_conn_free(struct store_conn *c);
/* Take up to `budget` requests and move output while possible; notify if
 * anything moved. 1 if the budget ran out (requests may be left: serve the
 * other connections, then call again), 0 if none are left for now, or
 * -LAMINA_EIO once the connection has ended. */
int store_conn_service(struct store_conn *c, unsigned budget);
/* Queue a watch event (sent by the next service or flush call). 0, or
 * -LAMINA_ENOSPC (dropped: queue full), -LAMINA_E2BIG, -LAMINA_EIO. */
int store_conn_event(struct store_conn *c, const char *path, const char *token);
/* Move queued output to the ring only; notify if anything moved. */
int store_conn_flush(struct store_conn *c);
/* Output bytes not yet in the ring. */
size_t store_conn_queued(const struct store_conn *c);
/* Why the connection ended, or NULL while it works. */
const char *store_conn_error(const struct store_conn *c);
/* Watch events dropped so far because the queue was full. */
unsigned long store_conn_dropped(const struct store_conn *c);
#endif
