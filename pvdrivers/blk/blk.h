// SPDX-License-Identifier: MIT
// blk.h: lamina-blkback's state: the disk, its rings (queues), the requests in flight, and the functions of its parts.
//
// One process serves one disk and is single-threaded: every field below
// is owned by the main loop. Shared memory (rings, granted pages) is read
// only through private copies (blk_io.c), never validated in place.
#ifndef BLK_H
#define BLK_H

#include "blk_check.h"
#include "libbackend.h"

#include <lamina/io/bus.h>

#include <liburing.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define BLK_MAP_CHUNK 64u // refs per lbk_map (lamina-hvd's limit)
#define BLK_MAX_MAPS ((BLK_MAX_SEGS + BLK_MAP_CHUNK - 1) / BLK_MAP_CHUNK)
#define BLK_TAKE_BUDGET 64u // requests taken per ring per turn
#define BLK_REAP_BUDGET 256u // completions reaped per turn
#define BLK_PARK_MAX_NS 5000000000ll // a parked request with nothing else in flight fails after this
#define BLK_PARK_RETRY_MS 10 // how often it is tried meanwhile

struct blk_map { // one udmabuf over granted pages
	uint32_t handle;
	void *mem;
	unsigned pages;
};

struct blk_slot { // a request in flight
	bool busy;
	struct blk_queue *q;
	struct blk_dev *dev;
	struct blk_plan plan;
	unsigned nmap;
	struct blk_map map[BLK_MAX_MAPS];
	void *bounce; // aligned private buffer for O_DIRECT (len bytes)
	struct iovec iov[BLK_MAX_SEGS]; // the segments in the mapped pages
	bool buffered; // retried (or issued) on the buffered descriptor
	bool segs_read; // INDIRECT: the segment list is copied out and checked
	int res; // NBD engine: the finished command's result (bytes or -errno)
	bool nbd_wait; // NBD engine: issued, its completion callback not yet run
	struct blk_slot *done_next; // NBD engine: the list of finished commands
};

// An image engine: how requests reach the image. The ring code (blk_io.c)
// names only these operations, never io_uring or libnbd.
struct blk_engine {
	const char *name;
	// Queue s's I/O (its pages mapped, s->plan checked); on success it
	// completes later through blk_complete. 0 or -errno (nothing queued).
	int (*submit)(struct blk_dev *d, struct blk_slot *s);
	void (*push)(struct blk_dev *d); // send what submit queued (a batch)
	// Finish completed I/O (at most BLK_REAP_BUDGET, waiting for one if
	// wait): count, or -errno when the image is lost.
	int (*reap)(struct blk_dev *d, bool wait);
	void (*poll_fd)(struct blk_dev *d, struct pollfd *p); // what to poll for completions
	void (*after_poll)(struct blk_dev *d, short revents); // p's revents, after poll
	const int *sandbox; // system calls the engine needs once sandboxed
	size_t nsandbox;
};
extern const struct blk_engine blk_uring_engine, blk_nbd_engine;

struct blk_queue { // one ring and its event channel
	struct lamina_blkif_back ring;
	struct blk_map rmap; // the ring pages
	int bell, kick; // doorbell (guest -> us), kick (us -> guest); -1 if unbound
	uint32_t port;
	struct blk_slot *slots;
	unsigned nslots, busy;
	bool push; // responses written and not yet pushed
};

struct blk_dev {
	struct lbk b;
	struct blk_disk disk;
	const struct blk_engine *eng;
	const char *path;
	const char *format; // --format: a qemu-img format served by qemu-nbd (NBD engine), or NULL
	struct nbd_handle *nbd; // NBD engine: the connection
	struct blk_slot *done; // NBD engine: finished commands not yet answered
	bool lost; // the image is gone (NBD server died): serve no more
	bool blockdev; // the image is a block device (e.g. /dev/nbdN), not a file
	int fd_direct, fd_buf; // fd_direct is -1 where O_DIRECT was refused
	struct io_uring uring;
	int uring_efd; // readable when completions wait
	unsigned nq, order;
	struct blk_queue q[LAMINA_BLKIF_MAX_QUEUES];
	unsigned inflight; // requests submitted to the engine, all queues
	// Mapping room: lamina-hvd caps the udmabufs and pages a back-end holds
	// (and the host its grant mappings). A request that finds no room is
	// parked, still holding its id, and no ring is read until it is mapped
	// and started: the front's further requests wait on the rings.
	struct blk_slot *parked; // the request waiting for room, or NULL
	int64_t parked_ns; // CLOCK_MONOTONIC when it was parked
	bool room; // mappings were released since its last try
	unsigned long parks; // requests parked on this connection
	unsigned first_q; // the ring read first next turn (rotates, so none starves)
	bool corrupt; // a ring went bad: stop reading it, answer nothing more
	bool verbose;
};

// blk_conn.c: the store handshake.
int blk_publish(struct blk_dev *d); // facts, then state InitWait
int blk_connect(struct blk_dev *d); // read the front's keys, map rings, bind; 0 or -errno (error key written)
void blk_disconnect(struct blk_dev *d); // unmap and unbind everything (no I/O may be in flight)
int blk_map_pages(struct blk_dev *d, const uint32_t *refs, unsigned n, struct blk_map *m);
void blk_unmap_pages(struct blk_dev *d, struct blk_map *m);
#define blk_fail(d, ...) lbk_fail(&(d)->b, "lamina-blkback", LAMINA_BLKIF_KEY_ERROR, __VA_ARGS__)

// blk_io.c: requests.
int blk_take(struct blk_dev *d); // take requests from every ring; >0 if a budget ran out
int blk_reap(struct blk_dev *d, bool wait); // finish completed I/O; count, or -errno
int blk_unpark(struct blk_dev *d); // try the parked request again; 1 if one is still parked
void blk_flush_responses(struct blk_dev *d); // push responses and kick where needed
void blk_drain(struct blk_dev *d); // wait for every request in flight, drop a parked one (teardown)
void blk_complete(struct blk_dev *d, struct blk_slot *s, int res); // engines: s finished with res (bytes or -errno)
int blk_bounce_in(struct blk_slot *s); // allocate s->bounce; for a write, copy the segments into it
bool blk_is_rw(unsigned op);

// blk_uring.c, blk_nbd.c: setting the engines up (0, or -1 after die()).
int blk_uring_setup(struct blk_dev *d);
int blk_nbd_open(struct blk_dev *d); // connect to d->path (URI) or run qemu-nbd on it (d->format)
bool blk_is_nbd_uri(const char *path);
int blk_die(const char *what, const char *detail); // blkback.c: report, tell the toolstack; 1
int64_t blk_now_ns(void); // blkback.c: CLOCK_MONOTONIC in nanoseconds
#endif
