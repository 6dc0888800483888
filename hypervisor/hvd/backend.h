// SPDX-License-Identifier: MIT
// lamina-hvd back-end connections: one device per connection, its scoped store access, granted pages as udmabufs, event channels as eventfds.
//
// Everything here belongs to the poll-loop thread, except the watch queue
// (struct bk_watchq), which the store's thread fills under its lock.
#ifndef LAMINA_HVD_BACKEND_H
#define LAMINA_HVD_BACKEND_H

#include "hvd.h"

#define BK_TYPE_MAX 32 // a device type name, NUL included ("vbd", "echo")
#define BK_DEVID_MAX 65535
#define BK_PATH_MAX 128
#define BK_MAPS 64 // udmabufs a back-end may hold at once
#define BK_PAGES 1024 // pages a back-end may have pinned at once
#define BK_MAP_PAGES 64 // pages per map request
#define BK_PORTS 8 // event channels per back-end
#define BK_WATCHES 16 // store watches per back-end
#define BK_WQ_MAX 4096 // watch events waiting for the loop (all back-ends); more are dropped
#define BK_WQ_TURN 256 // watch events the loop hands out per turn
#define BK_KICKS_TURN 64 // back-end-to-guest kicks relayed per port per turn
#define BK_DETACH_NS 2000000000ll // a back-end told to detach is cut off after this

struct bk_map {
	uint32_t handle; // the back-end's name for it: never reused on its connection
	unsigned n; // pages
	uint32_t ref[BK_MAP_PAGES], pin[BK_MAP_PAGES]; // grant refs, libhv pin handles
};

struct bk_port {
	uint32_t port; // the guest's port
	int efd; // libhv's: signalled in the kernel on the guest's doorbell (a dup went out)
	int kick; // ours: the back-end writes it (a dup went out), the loop relays it to the guest
};

struct hvd_backend {
	struct hvd_conn *c; // its connection (c->bk points back)
	struct hvd_dom *hd; // the device's domain
	unsigned domid;
	char type[BK_TYPE_MAX];
	unsigned devid;
	char fe[BK_PATH_MAX], be[BK_PATH_MAX]; // front-end and back-end store directories
	struct bk_map *map[BK_MAPS];
	unsigned nmaps, npages, next_handle;
	struct bk_port port[BK_PORTS];
	unsigned nports;
	char *watch[BK_WATCHES]; // watched paths; watch i has token "bk<serial>.<i>"
	unsigned serial; // unique per back-end connection while hvd runs
	int64_t detach_by; // CLOCK_MONOTONIC ns: cut off if still here then; 0 = not asked
	bool cut_off; // it was asked to detach and did not: no unplug, the next back-end takes over
};

// A store watch event on its way from the store's thread to the loop.
struct bk_wev {
	struct bk_wev *next;
	char *path, *token;
};

struct bk_watchq {
	pthread_mutex_t lock;
	int efd; // signalled when events wait
	struct bk_wev *head, *tail; // (lock)
	unsigned len, dropped; // (lock)
	unsigned serial; // loop only: the next back-end's serial
};

// bk_check.c: pure checks of back-end requests (unit-tested).
// A device type: 1 to BK_TYPE_MAX - 1 of [a-z0-9_-].  0 or -EINVAL.
int bk_check_type(const char *type);
// The two directories of device type/devid of domain domid (bus.h).
void bk_dirs(unsigned domid, const char *type, unsigned devid, char *fe, char *be);
// path lies in dir (dir itself or below it), with no empty, "." or ".."
// component and no trailing slash.  0 or -EACCES (outside) / -EINVAL.
int bk_check_path(const char *path, const char *fe, const char *be);
// Grant refs from JSON array v: 1 to BK_MAP_PAGES integers in [0, 2^32),
// no repeats; into refs, count into *n.  0 or -EINVAL with why in msg.
int bk_parse_refs(json_object *v, uint32_t *refs, unsigned *n, char *msg, size_t len);
// The map of b holding ref, or NULL.
struct bk_map *bk_map_of_ref(struct hvd_backend *b, uint32_t ref);

// backend.c: life cycle and the loop's work for back-ends.
struct hvd_backend *bk_of(struct hvd *h, unsigned domid, const char *type, unsigned devid);
// Attach c to a device; -errno with msg set.
int bk_attach(struct hvd *h, struct hvd_conn *c, struct hvd_dom *hd, const char *type,
	      unsigned devid, char *msg, size_t len);
// Release everything b holds; state Closed in the store if its domain lives.
void bk_release(struct hvd *h, struct hvd_backend *b, bool dom_alive);
// hd is about to be destroyed: detach its back-ends (told, then cut off).
void bk_domain_gone(struct hvd *h, struct hvd_dom *hd);
// Ask b's back-end to detach and exit: event "detach"; cut off after BK_DETACH_NS.
void bk_ask_detach(struct hvd_backend *b, const char *why);
// Loop turn: relay kicks, hand out watch events, cut off late detachers.
void bk_pump(struct hvd *h);
// The loop's descriptors for back-ends (the watch queue, every kick eventfd): how many.
struct pollfd;
size_t bk_fill(struct hvd *h, struct pollfd *pfd);
#define BK_POLLFDS (1 + HVD_MAX_CONNS * BK_PORTS)
// Poll timeout in ms until the nearest detach deadline (-1: none).
int bk_timeout_ms(struct hvd *h);
// Map and unmap (pins and a udmabuf); -errno with msg set.  *fd: the udmabuf.
int bk_map(struct hvd *h, struct hvd_backend *b, const uint32_t *refs, unsigned n,
	   uint32_t *handle, int *fd, char *msg, size_t len);
int bk_unmap(struct hvd *h, struct hvd_backend *b, uint32_t handle);
// Bind the guest's port: fds[0] (doorbell, read) and fds[1] (kick, write) to send.
int bk_bind(struct hvd *h, struct hvd_backend *b, uint32_t port, int fds[2], char *msg,
	    size_t len);
int bk_unbind(struct hvd *h, struct hvd_backend *b, uint32_t port);

// bk_watch.c: store watches routed to the loop.
int bk_watch(struct hvd *h, struct hvd_backend *b, const char *path);
int bk_unwatch(struct hvd *h, struct hvd_backend *b, const char *path);
void bk_unwatch_all(struct hvd *h, struct hvd_backend *b);
void bk_watch_drain(struct hvd *h); // hand queued events to their back-ends (a budget per turn)
void bk_watchq_free(struct hvd *h);

#endif
