// SPDX-License-Identifier: MIT
// xs.h: a small store client for conformance guests: the byte rings of store.h, requests, replies, watch events.
#ifndef XS_H
#define XS_H
#include "rt.h"

#define MS 1000000ull
#define XS_GFN (RT_HOLE_GFN + 1)       /* where the store ring is mapped */
#define XS_RB LAMINA_STORE_RING_BYTES
#define XS_HDR ((uint32_t)sizeof(struct lamina_store_msg))
#define XS_WAIT (10000 * MS)           /* longest wait for a reply */

struct xs_msg {
	struct lamina_store_msg h;
	char pl[LAMINA_STORE_PAYLOAD_MAX + 1];   /* NUL added after the payload */
};

extern volatile struct lamina_store_ring *xs_ring;
extern uint32_t xs_port;
extern uint32_t xs_req_prod, xs_rsp_cons;    /* our private indices */

void xs_init(void);                          /* shared_info, the ring page, the port */
void xs_notify(void);
/* Sleep until the store port is pending or ns pass; clears it after. */
void xs_wait(uint64_t ns);
/* Raw ring access: put n request bytes (waiting for room), and take one
 * whole message (1) or nothing within ns (0). Both notify the store. */
void xs_put(const void *p, uint32_t n);
int xs_get(struct xs_msg *m, uint64_t ns);
/* The LAMINA_E* number of a store error name, or 0. */
int xs_errno(const char *name);

/* One request: send it, wait for its reply (watch events meanwhile are
 * queued). The reply payload length, or -LAMINA_E* for an ERROR reply,
 * or -LAMINA_ETIMEDOUT. The reply is in *r if r is not NULL. */
int xs_req(uint32_t type, uint32_t tx, const void *pl, uint32_t len, struct xs_msg *r);
/* A request with payload path NUL data[0..n). */
int xs_path_req(uint32_t type, uint32_t tx, const char *path, const void *data, uint32_t n,
		struct xs_msg *r);

int xs_read(uint32_t tx, const char *path, char *buf, uint32_t cap);  /* NUL-terminated */
int xs_write(uint32_t tx, const char *path, const char *val);
int xs_mkdir(const char *path);
int xs_rm(const char *path);
/* set_perms with a list written like "n1 b2" (spaces become NULs). */
int xs_set_perms(const char *path, const char *perms);
int xs_watch(const char *path, const char *token);
int xs_unwatch(const char *path, const char *token);
int xs_tx_start(uint32_t *tx);
int xs_tx_end(uint32_t tx, int commit);

/* Wait for a watch event (path, token) up to ns: 1 if it came (and is
 * removed from the queue), 0 if not. */
int xs_event(const char *path, const char *token, uint64_t ns);
/* Forget queued events; how many there were. */
int xs_events_clear(void);
int xs_streq(const char *a, const char *b);
/* A path or value formatted into one of four rotating buffers: valid until
 * the fourth call after. */
const char *xs_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
