// SPDX-License-Identifier: MIT
// blk_uring: the file and block-device image engine: reads, writes, flushes and hole punches on io_uring, O_DIRECT through a bounce buffer where allowed.
#include "blk.h"

#include <errno.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define URING_ENTRIES 256

static struct io_uring_sqe *get_sqe(struct blk_dev *d)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->uring);

	if (!sqe) {
		io_uring_submit(&d->uring);
		sqe = io_uring_get_sqe(&d->uring);
	}
	return sqe;
}

// A read or write: through a bounce buffer with O_DIRECT (granted pages
// are udmabuf PFN mappings, which O_DIRECT cannot pin), else straight
// between the granted pages and the page cache.
static int prep_rw(struct blk_dev *d, struct blk_slot *s, struct io_uring_sqe *sqe)
{
	struct blk_plan *p = &s->plan;
	bool wr = p->op != LAMINA_BLKIF_OP_READ;

	if (d->fd_direct >= 0 && !s->buffered) {
		if (blk_bounce_in(s))
			return -ENOMEM;
		if (wr)
			io_uring_prep_write(sqe, d->fd_direct, s->bounce, (unsigned)p->len, p->offset);
		else
			io_uring_prep_read(sqe, d->fd_direct, s->bounce, (unsigned)p->len, p->offset);
	} else if (wr) {
		io_uring_prep_writev(sqe, d->fd_buf, s->iov, p->nseg, p->offset);
	} else {
		io_uring_prep_readv(sqe, d->fd_buf, s->iov, p->nseg, p->offset);
	}
	if (p->op == LAMINA_BLKIF_OP_WRITE_FUA)
		sqe->rw_flags = RWF_DSYNC;
	return 0;
}

static int uring_submit(struct blk_dev *d, struct blk_slot *s)
{
	struct io_uring_sqe *sqe = get_sqe(d);
	struct blk_plan *p = &s->plan;
	int rc = 0;

	if (!sqe)
		return -EBUSY;
	if (blk_is_rw(p->op))
		rc = prep_rw(d, s, sqe);
	else if (p->op == LAMINA_BLKIF_OP_FLUSH)
		io_uring_prep_fsync(sqe, d->fd_buf, IORING_FSYNC_DATASYNC);
	else // DISCARD, WRITE_ZEROES: a hole reads back as zeroes
		io_uring_prep_fallocate(sqe, d->fd_buf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					p->offset, p->len);
	if (rc) {
		io_uring_prep_nop(sqe);
		sqe->user_data = 0;
		return rc;
	}
	io_uring_sqe_set_data(sqe, s);
	d->inflight++;
	return 0;
}

static void uring_push(struct blk_dev *d)
{
	io_uring_submit(&d->uring);
}

// O_DIRECT refused this alignment: once more, buffered. True if requeued.
static bool retry_buffered(struct blk_dev *d, struct blk_slot *s, int res)
{
	if (!blk_is_rw(s->plan.op) || res != -EINVAL || s->buffered)
		return false;
	s->buffered = true;
	return uring_submit(d, s) == 0;
}

static int uring_reap(struct blk_dev *d, bool wait)
{
	struct io_uring_cqe *cqe;
	int n = 0;

	while (n < (int)BLK_REAP_BUDGET && d->inflight) {
		int rc = n == 0 && wait ? io_uring_wait_cqe(&d->uring, &cqe)
					: io_uring_peek_cqe(&d->uring, &cqe);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return rc == -EINTR ? n : rc;
		struct blk_slot *s = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&d->uring, cqe);
		if (!s)
			continue;
		d->inflight--;
		if (!retry_buffered(d, s, res))
			blk_complete(d, s, res);
		n++;
	}
	io_uring_submit(&d->uring); // any buffered retries
	return n;
}

static void uring_poll_fd(struct blk_dev *d, struct pollfd *p)
{
	*p = (struct pollfd){ .fd = d->uring_efd, .events = POLLIN };
}

static void uring_after_poll(struct blk_dev *d, short revents)
{
	uint64_t v;

	if ((revents & POLLIN) && read(d->uring_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fprintf(stderr, "lamina-blkback: eventfd read: %s\n", strerror(errno));
}

// The ring may run only the operations above, each on a descriptor we
// already hold: no openat, connect, accept or the like (io_uring
// operations do not pass through the seccomp filter), and no register
// operation once enabled.
int blk_uring_setup(struct blk_dev *d)
{
	static const uint8_t ops[] = { IORING_OP_NOP, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV,
				       IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_FALLOCATE };
	struct io_uring_restriction res[sizeof(ops)];
	int rc;

	if ((rc = io_uring_queue_init(URING_ENTRIES, &d->uring, IORING_SETUP_R_DISABLED)))
		return blk_die("io_uring", strerror(-rc));
	if ((d->uring_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    io_uring_register_eventfd(&d->uring, d->uring_efd))
		return blk_die("io_uring eventfd", strerror(errno));
	for (size_t i = 0; i < sizeof(ops); i++)
		res[i] = (struct io_uring_restriction){ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = ops[i] };
	// Raw calls: Debian's liburing 2.3 declares the two helpers but does not export them.
	if (syscall(__NR_io_uring_register, d->uring.ring_fd, IORING_REGISTER_RESTRICTIONS, res, sizeof(ops)) ||
	    syscall(__NR_io_uring_register, d->uring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0))
		return blk_die("io_uring restrictions", strerror(errno));
	d->eng = &blk_uring_engine;
	return 0;
}

// Beyond libbackend's common list: submitting to and reaping from the ring.
static const int uring_sandbox[] = { __NR_io_uring_enter };

const struct blk_engine blk_uring_engine = {
	.name = "io_uring", .submit = uring_submit, .push = uring_push, .reap = uring_reap,
	.poll_fd = uring_poll_fd, .after_poll = uring_after_poll,
	.sandbox = uring_sandbox, .nsandbox = sizeof(uring_sandbox) / sizeof(uring_sandbox[0]),
};
