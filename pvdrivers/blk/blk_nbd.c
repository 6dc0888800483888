// SPDX-License-Identifier: MIT
// blk_nbd: the NBD image engine: requests go to an NBD server through libnbd's asynchronous API, driven from lamina-blkback's poll loop; the server is a URI's or a qemu-nbd this process runs on a qemu-img format image.
//
// Writes, flushes and FUA writes are answered only from the server's
// reply: an acknowledged flush is one the server acknowledged.
#include "blk.h"
#include "blk_image.h"

#include <errno.h>
#include <libnbd.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

bool blk_is_nbd_uri(const char *path)
{
	return !strncmp(path, "nbd://", 6) || !strncmp(path, "nbd+unix://", 11) ||
	       !strncmp(path, "nbds://", 7) || !strncmp(path, "nbds+unix://", 12);
}

// libnbd's completion callback: only note the result; blk_nbd_reap
// answers (callbacks run inside libnbd, where we issue nothing).
static int nbd_done(void *user_data, int *error)
{
	struct blk_slot *s = user_data;
	struct blk_dev *d = s->dev;

	s->res = *error ? -*error : blk_is_rw(s->plan.op) ? (int)s->plan.len : 0;
	s->nbd_wait = false;
	s->done_next = d->done;
	d->done = s;
	return 1; // retire the command
}

static int64_t issue(struct blk_dev *d, struct blk_slot *s)
{
	struct blk_plan *p = &s->plan;
	nbd_completion_callback cb = { .callback = nbd_done, .user_data = s };

	switch (p->op) {
	case LAMINA_BLKIF_OP_READ:
		return nbd_aio_pread(d->nbd, s->bounce, p->len, p->offset, cb, 0);
	case LAMINA_BLKIF_OP_WRITE:
	case LAMINA_BLKIF_OP_WRITE_FUA:
		return nbd_aio_pwrite(d->nbd, s->bounce, p->len, p->offset, cb,
				      p->op == LAMINA_BLKIF_OP_WRITE_FUA ? LIBNBD_CMD_FLAG_FUA : 0);
	case LAMINA_BLKIF_OP_FLUSH:
		return nbd_aio_flush(d->nbd, cb, 0);
	case LAMINA_BLKIF_OP_DISCARD:
		return nbd_aio_trim(d->nbd, p->len, p->offset, cb, 0);
	default: // WRITE_ZEROES
		return nbd_aio_zero(d->nbd, p->len, p->offset, cb, 0);
	}
}

// Reads and writes go through a private buffer (libnbd takes one buffer;
// the segments are scattered over the mapped pages).
static int nbd_submit(struct blk_dev *d, struct blk_slot *s)
{
	if (blk_is_rw(s->plan.op) && blk_bounce_in(s))
		return -ENOMEM;
	s->nbd_wait = true;
	if (issue(d, s) == -1 && s->nbd_wait) { // refused at once, no callback
		fprintf(stderr, "lamina-blkback: %s: %s\n", d->path, nbd_get_error());
		s->nbd_wait = false;
		return -EIO;
	}
	d->inflight++; // it completes through nbd_done (perhaps already)
	return 0;
}

static void nbd_push(struct blk_dev *d)
{
	(void)d; // libnbd sends as it issues, then as the socket takes more
}

static int nbd_reap(struct blk_dev *d, bool wait)
{
	int n = 0;

	if (wait && d->inflight && !d->done && nbd_poll(d->nbd, -1) < 0) {
		fprintf(stderr, "lamina-blkback: %s: %s\n", d->path, nbd_get_error());
		return -EIO;
	}
	while (d->done && n < (int)BLK_REAP_BUDGET) {
		struct blk_slot *s = d->done;
		d->done = s->done_next;
		d->inflight--;
		blk_complete(d, s, s->res);
		n++;
	}
	return nbd_aio_is_dead(d->nbd) || nbd_aio_is_closed(d->nbd) ? -EIO : n;
}

static void nbd_poll_fd(struct blk_dev *d, struct pollfd *p)
{
	unsigned dir = nbd_aio_get_direction(d->nbd);

	*p = (struct pollfd){ .fd = nbd_aio_get_fd(d->nbd),
			      .events = (short)((dir & LIBNBD_AIO_DIRECTION_READ ? POLLIN : 0) |
						(dir & LIBNBD_AIO_DIRECTION_WRITE ? POLLOUT : 0)) };
}

static void nbd_after_poll(struct blk_dev *d, short revents)
{
	if (revents & (POLLIN | POLLHUP | POLLERR))
		nbd_aio_notify_read(d->nbd);
	if (revents & POLLOUT)
		nbd_aio_notify_write(d->nbd);
}

// Connect: to the URI, or to a qemu-nbd run on the image (socket
// activation: it gets a connected socket and exits when this process
// closes it, or dies).
static int nbd_start(struct blk_dev *d)
{
	char *argv[] = { "qemu-nbd", "--format", (char *)d->format, "--discard=unmap", "--cache=writeback",
			 (char *)d->path, d->disk.ro ? "--read-only" : NULL, NULL };

	if (!(d->nbd = nbd_create()))
		return blk_die("libnbd", nbd_get_error());
	nbd_set_uri_allow_local_file(d->nbd, true);
	if (d->format ? nbd_connect_systemd_socket_activation(d->nbd, argv)
		      : nbd_connect_uri(d->nbd, d->path))
		return blk_die(d->format ? "cannot run qemu-nbd on the image" : "cannot connect to the NBD server",
			       nbd_get_error());
	return 0;
}

// What the server offers, as the disk's facts. A read-write disk needs a
// server that flushes: without it no write could be made durable.
static int nbd_facts(struct blk_dev *d)
{
	int64_t size = nbd_get_size(d->nbd), min = nbd_get_block_size(d->nbd, LIBNBD_SIZE_MINIMUM);
	struct blk_image_facts f = { .blockdev = min > 1, .bytes = size > 0 ? (uint64_t)size : 0,
				     .lbs = min > 1 ? (unsigned)min : 0 };
	const char *why;

	if (nbd_is_read_only(d->nbd) == 1 && !d->disk.ro)
		return blk_die(d->path, "the NBD server exports it read-only; use --read-only");
	if (!d->disk.ro && nbd_can_flush(d->nbd) != 1)
		return blk_die(d->path, "the NBD server cannot flush: writes could never be made durable");
	if (blk_image_sector_size(&f, d->disk.sector_size, &d->disk.sector_size, &why) ||
	    blk_image_sectors(&f, d->disk.sector_size, &d->disk.sectors, &why))
		return blk_die(d->path, why);
	d->disk.flush = nbd_can_flush(d->nbd) == 1;
	d->disk.fua = !d->disk.ro && nbd_can_fua(d->nbd) == 1;
	d->disk.discard = !d->disk.ro && nbd_can_trim(d->nbd) == 1;
	d->disk.zeroes = !d->disk.ro && nbd_can_zero(d->nbd) == 1;
	return 0;
}

static bool format_ok(const char *f)
{
	if (!*f)
		return false;
	for (; *f; f++)
		if (!((*f >= 'a' && *f <= 'z') || (*f >= '0' && *f <= '9')))
			return false;
	return true;
}

int blk_nbd_open(struct blk_dev *d)
{
	if (d->format && !format_ok(d->format))
		return blk_die(d->format, "not a qemu-img format name (lower-case letters and digits)");
	if (d->format && blk_is_nbd_uri(d->path))
		return blk_die(d->path, "--format is for an image file, not an NBD URI");
	if (nbd_start(d) || nbd_facts(d))
		return 1;
	d->fd_buf = d->fd_direct = d->uring_efd = -1;
	d->eng = &blk_nbd_engine;
	return 0;
}

// Beyond libbackend's common list: libnbd sends and receives with
// send/recv (sendto/recvfrom) and may wait on its handle's lock.
static const int nbd_sandbox[] = { __NR_sendto, __NR_recvfrom, __NR_futex };

const struct blk_engine blk_nbd_engine = {
	.name = "nbd", .submit = nbd_submit, .push = nbd_push, .reap = nbd_reap,
	.poll_fd = nbd_poll_fd, .after_poll = nbd_after_poll,
	.sandbox = nbd_sandbox, .nsandbox = sizeof(nbd_sandbox) / sizeof(nbd_sandbox[0]),
};
