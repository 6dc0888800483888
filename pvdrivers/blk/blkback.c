// SPDX-License-Identifier: MIT
// lamina-blkback: the block device back-end process: one disk image for one vbd device of one domain, on lamina-hvd's back-end interface.
//
// usage: lamina-blkback [options] ID DEVID IMAGE (see docs/man/lamina-blkback.8)
#include "blk.h"
#include "blk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/falloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 1000 // longest sleep before looking at the front's state again

enum { GO_ON, STOP }; // after a connection: serve the next one, or exit

// --ready-fd: the toolstack's pipe; "OK" once attached, or "ERR why" (then -1).
static int ready_fd = -1;

static void ready(const char *fmt, const char *a, const char *b)
{
	char msg[256];
	int n;

	if (ready_fd < 0)
		return;
	// snprintf + write, not dprintf: glibc's dprintf calls lseek on the
	// fd, which the sandbox (on by the time "OK" is sent) kills.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = snprintf(msg, sizeof(msg), fmt, a, b);
#pragma GCC diagnostic pop
	if (n > 0 && write(ready_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0)
		n = -1; // the toolstack went away: nothing to tell
	close(ready_fd);
	ready_fd = -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: lamina-blkback [--read-only] [--sector-size 512|4096] "
		"[--max-indirect N] [--verbose] [--socket PATH] [--ready-fd FD] [--format FMT] ID DEVID IMAGE|NBD-URI\n");
	ready("ERR bad arguments (lamina-blkback --help)\n", "", "");
	return 2;
}

int64_t blk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int blk_die(const char *what, const char *detail)
{
	fprintf(stderr, "lamina-blkback: %s: %s\n", what, detail);
	ready("ERR %s: %s\n", what, detail);
	return 1;
}

// One writer or any number of readers per image, across processes: a
// read-write disk takes an exclusive lock, a read-only one a shared lock.
#define die blk_die

static int lock_image(struct blk_dev *d)
{
	if (flock(d->fd_buf, (d->disk.ro ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return die(d->path, d->disk.ro ? "in use: another process writes to it (it holds an "
				"exclusive lock), for example another domain's read-write disk"
			   : "in use: another process holds a lock on it, for example another "
			     "domain's disk");
	return die(d->path, strerror(errno));
}

// Open the image twice (O_DIRECT where allowed, and buffered) and learn its
// facts: size and sector size (a block device's own, blk_image.c).
static int open_image(struct blk_dev *d)
{
	int fl = (d->disk.ro ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct blk_image_facts f;
	const char *why;

	if ((d->fd_buf = open(d->path, fl)) < 0)
		return die(d->path, strerror(errno));
	if (lock_image(d))
		return 1;
	if (blk_image_probe(d->fd_buf, &f, &why) ||
	    blk_image_sector_size(&f, d->disk.sector_size, &d->disk.sector_size, &why) ||
	    blk_image_sectors(&f, d->disk.sector_size, &d->disk.sectors, &why))
		return die(d->path, why);
	d->blockdev = f.blockdev;
	if ((d->fd_direct = open(d->path, fl | O_DIRECT)) < 0)
		fprintf(stderr, "lamina-blkback: warning: %s: O_DIRECT refused (%s); using buffered I/O, "
			"flushes still reach the disk\n", d->path, strerror(errno));
	d->disk.flush = true;
	d->disk.fua = !d->disk.ro;
	// Punching a hole past the end frees nothing and tells whether holes
	// work (a block device refuses a range past its end: no discard).
	d->disk.discard = !d->disk.ro && fallocate(d->fd_buf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
						   (off_t)f.bytes + 4096, 4096) == 0;
	d->disk.zeroes = d->disk.discard;
	return 0;
}

static int parse(int argc, char **argv, struct blk_dev *d, const char **sock, unsigned *id, unsigned *devid)
{
	static const struct option opts[] = {
		{ "read-only", no_argument, 0, 'r' }, { "sector-size", required_argument, 0, 's' },
		{ "max-indirect", required_argument, 0, 'i' }, { "verbose", no_argument, 0, 'v' },
		{ "socket", required_argument, 0, 'S' }, { "ready-fd", required_argument, 0, 'R' },
		{ "format", required_argument, 0, 'f' },
		{ 0, 0, 0, 0 } };
	int c;

	d->disk.sector_size = 0; // the image's default (blk_image_sector_size)
	d->disk.max_indirect = 256;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			d->disk.ro = true;
		else if (c == 's')
			d->disk.sector_size = (unsigned)atoi(optarg);
		else if (c == 'i')
			d->disk.max_indirect = (unsigned)atoi(optarg);
		else if (c == 'v')
			d->verbose = true;
		else if (c == 'S')
			*sock = optarg;
		else if (c == 'R')
			ready_fd = atoi(optarg), fcntl(ready_fd, F_SETFD, FD_CLOEXEC); // not qemu-nbd's
		else if (c == 'f')
			d->format = optarg;
		else
			return usage();
	}
	if (argc - optind != 3 || (d->disk.sector_size && d->disk.sector_size != 512 && d->disk.sector_size != 4096) ||
	    d->disk.max_indirect > BLK_MAX_SEGS)
		return usage();
	if (d->format && !strcmp(d->format, "raw"))
		d->format = NULL; // a raw image needs no server: io_uring serves it directly
	*id = (unsigned)atoi(argv[optind]);
	*devid = (unsigned)atoi(argv[optind + 1]);
	d->path = argv[optind + 2];
	return *id ? 0 : usage();
}

// Wait until the front's state satisfies ok(); GO_ON, or STOP (detached, hvd gone).
// A detach comes first: a front already back at Initialising must not start
// a second handshake with a back-end that is leaving.
static int wait_front(struct blk_dev *d, bool (*ok)(int))
{
	char path[256];

	for (;;) {
		if (d->b.detach)
			return STOP;
		if (ok(lbk_front_state(&d->b)))
			return GO_ON;
		int w = lbk_wait(&d->b, -1, path, sizeof(path));
		if (w < 0)
			return STOP;
	}
}

static bool initialised(int s) { return s == LAMINA_BUS_INITIALISED; }
static bool reinit(int s) { return s == LAMINA_BUS_INITIALISING || s == LAMINA_BUS_UNKNOWN; }

// Watch events and the front's state: GO_ON while it stays connected.
static int check_front(struct blk_dev *d)
{
	char path[256];
	int w, seen = 0;

	while ((w = lbk_wait(&d->b, 0, path, sizeof(path))) == 1)
		seen++;
	if (w < 0 || !seen)
		return w < 0 ? STOP : GO_ON;
	w = lbk_front_state(&d->b); // anything but Initialised/Connected ends this connection
	return w == LAMINA_BUS_INITIALISED || w == LAMINA_BUS_CONNECTED ? GO_ON : STOP;
}

static void drain_fd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fprintf(stderr, "lamina-blkback: eventfd read: %s\n", strerror(errno));
}

// Serve the connected rings until the front closes, a ring goes bad or
// the image is lost.
static void serve(struct blk_dev *d)
{
	struct pollfd p[2 + LAMINA_BLKIF_MAX_QUEUES];
	unsigned n = 2;

	p[0] = (struct pollfd){ .fd = d->b.fd, .events = POLLIN };
	for (unsigned i = 0; i < d->nq; i++)
		p[n++] = (struct pollfd){ .fd = d->q[i].bell, .events = POLLIN };
	for (;;) {
		// completions first: they make room for a parked request,
		// which goes before anything new on the rings
		if (blk_reap(d, false) < 0) {
			d->lost = d->nbd != NULL; // io_uring: end this connection only
			return;
		}
		int more = blk_unpark(d) ? 0 : blk_take(d);
		blk_flush_responses(d);
		if (d->corrupt || check_front(d) == STOP)
			return;
		// parked with none of our I/O to free room: look again soon
		int ms = more ? 0 : d->parked && !d->inflight ? BLK_PARK_RETRY_MS : WAIT_MS;
		d->eng->poll_fd(d, &p[1]); // its events change (NBD: send when the socket has room)
		if (poll(p, n, ms) < 0 && errno != EINTR)
			return;
		d->eng->after_poll(d, p[1].revents);
		for (unsigned i = 2; i < n; i++)
			if (p[i].revents & POLLIN)
				drain_fd(p[i].fd);
	}
}

// One connection, from InitWait to Closed.
static int one_connection(struct blk_dev *d)
{
	int rc;

	lbk_write(&d->b, lbk_be(&d->b, LAMINA_BLKIF_KEY_ERROR), "");
	if ((rc = blk_publish(d)))
		return die("cannot publish the disk", d->b.err), STOP;
	if (wait_front(d, initialised) == STOP)
		return STOP;
	if (blk_connect(d) == 0 && lbk_set_state(&d->b, LAMINA_BUS_CONNECTED) == 0) {
		fprintf(stderr, "lamina-blkback: domain %u: connected, %u ring(s) of %u page(s)\n",
			d->b.domid, d->nq, 1u << d->order);
		serve(d);
	}
	lbk_set_state(&d->b, LAMINA_BUS_CLOSING);
	blk_drain(d);
	blk_disconnect(d);
	lbk_set_state(&d->b, LAMINA_BUS_CLOSED);
	fprintf(stderr, "lamina-blkback: domain %u: closed; %lu request(s) waited for mapping room\n",
		d->b.domid, d->parks);
	d->parks = 0;
	if (d->lost)
		return die(d->path, "the image is lost (its NBD server went away)"), STOP;
	return wait_front(d, reinit);
}

int main(int argc, char **argv)
{
	static struct blk_dev d;
	const char *sock = NULL;
	unsigned id = 0, devid = 0;
	int rc;

	if (parse(argc, argv, &d, &sock, &id, &devid))
		return 2;
	if (d.format || blk_is_nbd_uri(d.path) ? blk_nbd_open(&d) : open_image(&d) || blk_uring_setup(&d))
		return 1;
	if ((rc = lbk_connect(&d.b, sock)) || (rc = lbk_attach(&d.b, id, "vbd", devid)))
		return die("attach", d.b.err);
	if ((rc = lbk_watch(&d.b, lbk_fe(&d.b, LAMINA_BUS_KEY_STATE))))
		return die("watch", d.b.err);
	if ((rc = lbk_sandbox(&d.b, d.eng->sandbox, d.eng->nsandbox)))
		return die("sandbox", d.b.err);
	fprintf(stderr, "lamina-blkback: %s: %s%llu units of 512 bytes, sector size %u%s%s\n", d.path,
		d.nbd ? "NBD, " : d.blockdev ? "block device, " : "", (unsigned long long)d.disk.sectors,
		d.disk.sector_size, d.disk.ro ? ", read-only" : "",
		d.nbd ? "" : d.fd_direct < 0 ? ", buffered" : ", O_DIRECT");
	ready("OK\n", "", "");
	while (one_connection(&d) == GO_ON)
		;
	lbk_close(&d.b);
	return d.lost ? 1 : 0; // 1: the image (its NBD server) went away
}
