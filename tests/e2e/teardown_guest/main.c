// SPDX-License-Identifier: MIT
// teardown_guest: fills every per-domain quota (store nodes, watches, transactions, ports, grant frames), says so, then idles until destroyed.
#include "rt.h"
#include "xs.h"

#define EOP(cmd, arg) HC2(LAMINA_HC_event_channel_op, cmd, arg)
#define GOP(cmd, arg, n) HC3(LAMINA_HC_grant_table_op, LAMINA_GNTTABOP_##cmd, arg, n)
#define VAL_BYTES 100u      /* small values: one ring fill holds several requests */

const char test_title[] = "teardown: every quota used, then destroyed";
static char val[VAL_BYTES + 1];

#define BATCH 8             /* writes in flight at once (the store takes up to 20) */

/* Queue WRITE fill/<i> without waiting for its reply. */
static void put_write(int i)
{
	static char msg[XS_HDR + 32 + VAL_BYTES];
	char *pl = msg + XS_HDR;
	uint32_t l = (uint32_t)rt_snprintf(pl, 32, "fill/%d", i) + 1;
	struct lamina_store_msg h = { LAMINA_STORE_WRITE, 100000u + (uint32_t)i, 0, l + VAL_BYTES };

	rt_memcpy(msg, &h, XS_HDR);
	rt_memcpy(pl + l, val, VAL_BYTES);
	xs_put(msg, XS_HDR + l + VAL_BYTES);
}

/* The next reply: 0 for a WRITE reply, -LAMINA_E* for an error. */
static long take_reply(void)
{
	static struct xs_msg m;

	if (!xs_get(&m, XS_WAIT))
		return -LAMINA_ETIMEDOUT;
	if (m.h.type == LAMINA_STORE_ERROR)
		return xs_errno(m.pl) ? -xs_errno(m.pl) : -LAMINA_EIO;
	return m.h.type == LAMINA_STORE_WRITE ? 0 : -LAMINA_EIO;
}

/* Store nodes under fill/, BATCH writes at a time, until the node quota
 * answers ENOSPC: how many were written. */
static int fill_nodes(void)
{
	long r = 0, first_err = 0;
	int n = 0, b;

	rt_memset(val, 'v', VAL_BYTES);
	while (!first_err) {
		for (b = 0; b < BATCH; b++)
			put_write(n + b);
		for (b = 0; b < BATCH; b++)
			if ((r = take_reply()) == 0 && !first_err)
				n++;
			else if (r && !first_err)
				first_err = r;
	}
	rt_expect(first_err, -LAMINA_ENOSPC, "the node quota ends the writes");
	return n;
}

static int fill_watches(void)
{
	int n = 0;
	long r;

	while ((r = xs_watch(xs_fmt("fill/%d", n), "t")) == 0)
		n++;
	rt_expect(r, -LAMINA_ENOSPC, "the watch quota ends the watches");
	return n;
}

static int fill_transactions(void)
{
	uint32_t tx;
	int n = 0;
	long r;

	while ((r = xs_tx_start(&tx)) == 0)
		n++;
	rt_expect(r, -LAMINA_ENOSPC, "the transaction quota ends the starts");
	return n;
}

static int fill_ports(void)
{
	int n = 0;

	for (;;) {
		struct lamina_evtchn_alloc_unbound op = { .dom = LAMINA_DOMID_SELF, .remote_dom = 0 };
		long r = EOP(LAMINA_EVTCHNOP_ALLOC_UNBOUND, &op);
		if (r) {
			rt_expect(r, -LAMINA_ENOSPC, "the port table ends the allocations");
			return n;
		}
		n++;
	}
}

static int fill_grant_frames(void)
{
	struct lamina_gnttab_setup_table s = { .dom = LAMINA_DOMID_SELF,
		.nr_frames = LAMINA_GNTTAB_MAX_FRAMES };

	rt_expect(GOP(SETUP_TABLE, &s, 1), 0, "the grant table grows to its largest");
	return (int)s.nr_frames;
}

void test_main(void)
{
	xs_init();
	int nodes = fill_nodes(), watches = fill_watches(), tx = fill_transactions();
	int ports = fill_ports(), frames = fill_grant_frames();

	rt_printf("FILLED nodes=%d watches=%d transactions=%d ports=%d frames=%d\n",
		  nodes, watches, tx, ports, frames);
	for (;;)
		HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_BLOCK, 0);
}
