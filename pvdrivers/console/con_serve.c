// SPDX-License-Identifier: MIT
// con_serve.c: lamina-console's service: setup from the hypervisor, service rounds over the ring, the hypervisor's messages.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lamina/barrier.h>
#include "con.h"

/* The ring is corrupt: stop using it and say why, once. */
static void ring_dead(struct con_dev *c, const char *what)
{
	c->dead = true;
	con_log(c, "lamina: console: domain %u corrupted its console ring (%s); no longer used",
		c->domid, what);
}

static void kick_guest(struct con_dev *c)
{
	uint64_t one = 1;

	if (write(c->kick, &one, sizeof(one)) != sizeof(one))
		return;   /* saturated: the guest has a kick due anyway */
}

/* Send pending output, up to CON_ROUND_BUDGET; each piece is consumed only
 * once the hypervisor has it. 1 if some may be left, 0, or -errno. */
static int pump_output(struct con_dev *c)
{
	char buf[CON_OUT_BYTES];
	uint32_t done = 0;
	bool full;
	int n;

	while ((n = con_peek_output(c->ring, c->out_cons, buf, sizeof(buf), &full)) > 0) {
		int rc = con_send(c, CL_OUTPUT, buf, (uint32_t)n);
		if (rc < 0)
			return rc;
		con_commit_output(c->ring, &c->out_cons, (uint32_t)n);
		c->out_bytes += (uint32_t)n;
		c->notify |= full;
		done += (uint32_t)n;
		if (done >= CON_ROUND_BUDGET)
			return 1;
	}
	if (n < 0)
		ring_dead(c, "out_prod");
	return 0;
}

/* Ask for input if some waits and the ring has room. 0 or -errno. */
static int pull_input(struct con_dev *c)
{
	if (!c->input_waits || c->pulling)
		return 0;
	int room = con_input_room(c->ring, c->in_prod);
	if (room < 0) {
		ring_dead(c, "in_cons");
		return 0;
	}
	if (!room)
		return 0;   /* the guest's next event (it consumed) brings us back */
	struct conlink_pull p = { .max = (uint32_t)room };
	c->pulling = true;
	c->pull_max = p.max;
	return con_send(c, CL_PULL, &p, sizeof(p));
}

int con_round(struct con_dev *c)
{
	int more = 0, rc = 0;

	if (!c->ring || c->dead)
		return 0;
	more = pump_output(c);
	if (more >= 0 && !c->dead)
		rc = pull_input(c);
	if (c->notify && !c->dead)
		kick_guest(c);
	c->notify = false;
	if (more < 0)
		return more;
	return rc < 0 ? rc : more && !c->dead;
}

void con_guest_event(struct con_dev *c)
{
	if (c->input_retry)
		c->input_waits = true;
	c->input_retry = false;
}

/* ---- the hypervisor's messages ---- */

static int on_input(struct con_dev *c, const char *data, uint32_t len, const int *fds, unsigned nfds)
{
	struct conlink_more m;

	(void)fds;
	if (nfds || !c->pulling || len < sizeof(m) || len - sizeof(m) > c->pull_max)
		return -EPROTO;   /* unasked, or more than asked for */
	uint32_t n = len - (uint32_t)sizeof(m);
	memcpy(&m, data + n, sizeof(m));
	if (m.more > 2)
		return -EPROTO;
	c->pulling = false;
	c->input_waits = m.more == 1;
	c->input_retry = m.more == 2;
	if (n && !c->dead) {
		con_put_input(c->ring, &c->in_prod, data, n);
		c->in_bytes += n;
		c->notify = true;
	}
	return 0;
}

static int on_avail(struct con_dev *c, const char *data, uint32_t len, const int *fds, unsigned nfds)
{
	(void)data, (void)fds;
	if (len || nfds)
		return -EPROTO;
	c->input_waits = true;
	return 0;
}

static int on_stop(struct con_dev *c, const char *data, uint32_t len, const int *fds, unsigned nfds)
{
	(void)data, (void)fds;
	if (len || nfds)
		return -EPROTO;
	c->stopping = true;
	return 0;
}

const struct con_ops con_ops[] = {
	{ CL_INPUT, on_input },
	{ CL_AVAIL, on_avail },
	{ CL_STOP, on_stop },
	{ 0, NULL },
};

int con_handle(struct con_dev *c, const struct conlink_msg *m, uint32_t len, const int *fds,
	       unsigned nfds)
{
	for (const struct con_ops *o = con_ops; o->fn; o++)
		if (o->type == m->h.type)
			return o->fn(c, m->data, len, fds, nfds);
	return -EPROTO;   /* unknown, or CL_SETUP again */
}

/* ---- setup ---- */

static int map_ring(struct con_dev *c, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_size != sizeof(struct lamina_console_ring))
		return -EINVAL;
	void *p = mmap(NULL, sizeof(struct lamina_console_ring), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->ring = p;
	/* Go on where the last back-end stopped: its indices are in the page
	 * (read once; a corrupt one is caught by the first check). */
	c->out_cons = LAMINA_READ_ONCE(c->ring->out_cons);
	c->in_prod = LAMINA_READ_ONCE(c->ring->in_prod);
	return 0;
}

int con_init(struct con_dev *c, int link)
{
	struct conlink_msg m;
	struct conlink_setup s;
	int fds[3], rc;
	unsigned nfds;

	memset(c, 0, sizeof(*c));
	c->link = link;
	c->doorbell = c->kick = -1;
	struct pollfd p = { .fd = link, .events = POLLIN };
	while ((rc = con_recv(link, &m, fds, &nfds)) == -EAGAIN)
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -errno;
	if (rc <= 0)
		return rc ? rc : -EPIPE;
	if (m.h.type != CL_SETUP || m.h.len != sizeof(s) || nfds != 3) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	memcpy(&s, m.data, sizeof(s));
	c->domid = s.domid;
	c->port = s.port;
	c->doorbell = fds[1];
	c->kick = fds[2];
	rc = map_ring(c, fds[0]);
	close(fds[0]);
	return rc;
}

void con_exit(struct con_dev *c)
{
	if (c->ring)
		munmap(c->ring, sizeof(*c->ring));
	if (c->doorbell >= 0)
		close(c->doorbell);
	if (c->kick >= 0)
		close(c->kick);
	c->ring = NULL;
	c->doorbell = c->kick = -1;
}
