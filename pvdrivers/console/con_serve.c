// SPDX-License-Identifier: MIT
// con_serve.c: lamina-console's service: rounds over the ring (output out, input in, kicks) and the hypervisor's messages.
#include <errno.h>
#include <string.h>
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

/* Send pending output, up to the round's budget; each piece is consumed
 * only once the hypervisor has it. 1 if some may be left, 0, or -errno. */
static int pump_output(struct con_dev *c)
{
	uint32_t budget = c->budget ? c->budget : CON_ROUND_BUDGET, done = 0;
	char buf[CON_OUT_BYTES];
	bool full;
	int n;

	while (done < budget) {
		uint32_t cap = budget - done < sizeof(buf) ? budget - done : (uint32_t)sizeof(buf);
		n = con_peek_output(c->ring, c->out_cons, buf, cap, &full);
		if (n < 0)
			ring_dead(c, "out_prod");
		if (n <= 0)
			return 0;
		int rc = con_send(c, CL_OUTPUT, buf, (uint32_t)n);
		if (rc < 0)
			return rc;
		con_commit_output(c->ring, &c->out_cons, (uint32_t)n);
		c->out_bytes += (uint32_t)n;
		c->notify |= full;
		done += (uint32_t)n;
	}
	return 1;
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
