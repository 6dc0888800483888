// SPDX-License-Identifier: MIT
// lamina-blkback: the block device back-end process: one disk image for one vbd device of one domain, on lamina-hvd's back-end interface.
//
// usage: lamina-blkback [options] ID DEVID IMAGE (see docs/man/lamina-blkback.8)
#include "blk.h"

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
#include <sys/syscall.h>
#include <unistd.h>

#define WAIT_MS 1000 // longest sleep before looking at the front's state again
#define URING_ENTRIES 256

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
		"[--max-indirect N] [--verbose] [--socket PATH] [--ready-fd FD] ID DEVID IMAGE\n");
	ready("ERR bad arguments (lamina-blkback --help)\n", "", "");
	return 2;
}

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "lamina-blkback: %s: %s\n", what, detail);
	ready("ERR %s: %s\n", what, detail);
	return 1;
}

// One writer or any number of readers per image, across processes: a
// read-write disk takes an exclusive lock, a read-only one a shared lock.
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

// Open the image twice (O_DIRECT where allowed, and buffered) and learn its facts.
static int open_image(struct blk_dev *d)
{
	int fl = (d->disk.ro ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	off_t size;

	if ((d->fd_buf = open(d->path, fl)) < 0)
		return die(d->path, strerror(errno));
	if (lock_image(d))
		return 1;
	if ((d->fd_direct = open(d->path, fl | O_DIRECT)) < 0)
		fprintf(stderr, "lamina-blkback: warning: %s: O_DIRECT refused (%s); using buffered I/O, "
			"flushes still reach the disk\n", d->path, strerror(errno));
	size = lseek(d->fd_buf, 0, SEEK_END);
	if (size < 0)
		return die(d->path, strerror(errno));
	if (size == 0 || size % d->disk.sector_size)
		return die(d->path, "size is not a non-zero multiple of the sector size");
	d->disk.sectors = (uint64_t)size / LAMINA_BLKIF_SECTOR_SIZE;
	d->disk.flush = true;
	d->disk.fua = !d->disk.ro;
	// Punching a hole past the end frees nothing and tells whether holes work.
	d->disk.discard = !d->disk.ro &&
		fallocate(d->fd_buf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size + 4096, 4096) == 0;
	d->disk.zeroes = d->disk.discard;
	return 0;
}

static int parse(int argc, char **argv, struct blk_dev *d, const char **sock, unsigned *id, unsigned *devid)
{
	static const struct option opts[] = {
		{ "read-only", no_argument, 0, 'r' }, { "sector-size", required_argument, 0, 's' },
		{ "max-indirect", required_argument, 0, 'i' }, { "verbose", no_argument, 0, 'v' },
		{ "socket", required_argument, 0, 'S' }, { "ready-fd", required_argument, 0, 'R' },
		{ 0, 0, 0, 0 } };
	int c;

	d->disk.sector_size = 512;
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
			ready_fd = atoi(optarg);
		else
			return usage();
	}
	if (argc - optind != 3 || (d->disk.sector_size != 512 && d->disk.sector_size != 4096) ||
	    d->disk.max_indirect > BLK_MAX_SEGS)
		return usage();
	*id = (unsigned)atoi(argv[optind]);
	*devid = (unsigned)atoi(argv[optind + 1]);
	d->path = argv[optind + 2];
	return *id ? 0 : usage();
}

static int fe_state(struct blk_dev *d)
{
	unsigned long s;

	return lbk_read_uint(&d->b, lbk_fe(&d->b, LAMINA_BUS_KEY_STATE), &s) ? 0 : (int)s;
}

static int set_state(struct blk_dev *d, int s)
{
	char v[4];

	snprintf(v, sizeof(v), "%d", s);
	return lbk_write(&d->b, lbk_be(&d->b, LAMINA_BUS_KEY_STATE), v);
}

// Wait until the front's state satisfies ok(); GO_ON, or STOP (detached, hvd gone).
static int wait_front(struct blk_dev *d, bool (*ok)(int))
{
	char path[256];

	for (;;) {
		if (ok(fe_state(d)))
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
	w = fe_state(d); // anything but Initialised/Connected ends this connection
	return w == LAMINA_BUS_INITIALISED || w == LAMINA_BUS_CONNECTED ? GO_ON : STOP;
}

static void drain_fd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fprintf(stderr, "lamina-blkback: eventfd read: %s\n", strerror(errno));
}

// Serve the connected rings until the front closes or a ring goes bad.
static void serve(struct blk_dev *d)
{
	struct pollfd p[2 + LAMINA_BLKIF_MAX_QUEUES];
	unsigned n = 2;

	p[0] = (struct pollfd){ .fd = d->b.fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = d->uring_efd, .events = POLLIN };
	for (unsigned i = 0; i < d->nq; i++)
		p[n++] = (struct pollfd){ .fd = d->q[i].bell, .events = POLLIN };
	for (;;) {
		// completions first: they make room for a parked request,
		// which goes before anything new on the rings
		if (blk_reap(d, false) < 0)
			return;
		int more = blk_unpark(d) ? 0 : blk_take(d);
		blk_flush_responses(d);
		if (d->corrupt || check_front(d) == STOP)
			return;
		// parked with none of our I/O to free room: look again soon
		int ms = more ? 0 : d->parked && !d->inflight ? BLK_PARK_RETRY_MS : WAIT_MS;
		if (poll(p, n, ms) < 0 && errno != EINTR)
			return;
		for (unsigned i = 1; i < n; i++)
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
	if (blk_connect(d) == 0 && set_state(d, LAMINA_BUS_CONNECTED) == 0) {
		fprintf(stderr, "lamina-blkback: domain %u: connected, %u ring(s) of %u page(s)\n",
			d->b.domid, d->nq, 1u << d->order);
		serve(d);
	}
	set_state(d, LAMINA_BUS_CLOSING);
	blk_drain(d);
	blk_disconnect(d);
	set_state(d, LAMINA_BUS_CLOSED);
	fprintf(stderr, "lamina-blkback: domain %u: closed; %lu request(s) waited for mapping room\n",
		d->b.domid, d->parks);
	d->parks = 0;
	return wait_front(d, reinit);
}

// The ring may run only the operations blk_io.c submits, each on a
// descriptor we already hold: no openat, connect, accept or the like
// (io_uring operations do not pass through the seccomp filter), and no
// register operation once enabled.
static int uring_setup(struct blk_dev *d)
{
	static const uint8_t ops[] = { IORING_OP_NOP, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV,
				       IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_FALLOCATE };
	struct io_uring_restriction res[sizeof(ops)];
	int rc;

	if ((rc = io_uring_queue_init(URING_ENTRIES, &d->uring, IORING_SETUP_R_DISABLED)))
		return die("io_uring", strerror(-rc));
	if ((d->uring_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    io_uring_register_eventfd(&d->uring, d->uring_efd))
		return die("io_uring eventfd", strerror(errno));
	for (size_t i = 0; i < sizeof(ops); i++)
		res[i] = (struct io_uring_restriction){ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = ops[i] };
	// Raw calls: Debian's liburing 2.3 declares the two helpers but does not export them.
	if (syscall(__NR_io_uring_register, d->uring.ring_fd, IORING_REGISTER_RESTRICTIONS, res, sizeof(ops)) ||
	    syscall(__NR_io_uring_register, d->uring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0))
		return die("io_uring restrictions", strerror(errno));
	return 0;
}

// What the serving loop needs beyond libbackend's common list: submitting
// to and reaping from the ring set up above.
static const int sandbox_extra[] = { __NR_io_uring_enter };

int main(int argc, char **argv)
{
	static struct blk_dev d;
	const char *sock = NULL;
	unsigned id = 0, devid = 0;
	int rc;

	if (parse(argc, argv, &d, &sock, &id, &devid))
		return 2;
	if (open_image(&d))
		return 1;
	if (uring_setup(&d))
		return 1;
	if ((rc = lbk_connect(&d.b, sock)) || (rc = lbk_attach(&d.b, id, "vbd", devid)))
		return die("attach", d.b.err);
	if ((rc = lbk_watch(&d.b, lbk_fe(&d.b, LAMINA_BUS_KEY_STATE))))
		return die("watch", d.b.err);
	if ((rc = lbk_sandbox(&d.b, sandbox_extra, sizeof(sandbox_extra) / sizeof(sandbox_extra[0]))))
		return die("sandbox", d.b.err);
	fprintf(stderr, "lamina-blkback: %s: %llu units of 512 bytes, sector size %u%s%s\n", d.path,
		(unsigned long long)d.disk.sectors, d.disk.sector_size, d.disk.ro ? ", read-only" : "",
		d.fd_direct < 0 ? ", buffered" : ", O_DIRECT");
	ready("OK\n", "", "");
	while (one_connection(&d) == GO_ON)
		;
	lbk_close(&d.b);
	return 0;
}
