// SPDX-License-Identifier: MIT
// store_peer/main.c: the store tester's second domain: answers commands written to the tester's shared/ directory.
#include "../store/xs.h"

/*
 * Runs beside the store tester (see store/main.c); the ids swap in this
 * directory's args. It prints no verdict of its own: it reports each
 * command's outcome in the tester's shared/reply, which the tester checks,
 * and powers off after "done". If it cannot go on it fails, and so does
 * the run.
 */
const char test_title[] = "the store tester's peer";

#define WAIT (50000 * MS)

static unsigned me, tester;
static char base[48];       /* the tester's shared/ */

/* Wait until the tester has written shared/ready and granted us shared/. */
static void wait_ready(void)
{
	uint64_t until = rt_now() + WAIT;
	char v[8];

	if (xs_watch(xs_fmt("%s/ready", base), "ready"))
		rt_fail("WATCH the tester's shared/ready");
	while (xs_read(0, xs_fmt("%s/ready", base), v, sizeof(v)) != 1) {
		if (rt_now() > until)
			rt_fail("the tester never wrote shared/ready");
		xs_event(xs_fmt("%s/ready", base), "ready", 1000 * MS);
	}
	if (xs_watch(xs_fmt("%s/cmd", base), "cmd"))
		rt_fail("WATCH the tester's shared/cmd");
}

/* Run one command; the answer text. */
static const char *run(const char *name)
{
	int rc = 0;

	if (xs_streq(name, "private"))
		rc = xs_write(0, xs_fmt("/local/domain/%u/private", me), "secret");
	else if (xs_streq(name, "public")) {
		if (!(rc = xs_mkdir("pub")) && !(rc = xs_set_perms("pub", xs_fmt("n%u r%u", me, tester))))
			rc = xs_write(0, "pub/k", "hello");
	} else if (xs_streq(name, "create"))
		rc = xs_write(0, xs_fmt("%s/by-peer", base), "x");
	else if (xs_streq(name, "readonly"))
		rc = xs_write(0, xs_fmt("%s/ro", base), "peer");
	else if (xs_streq(name, "bump"))
		rc = xs_write(0, xs_fmt("%s/counter", base), "bumped");
	else if (xs_streq(name, "done"))
		return "bye";
	else
		return "unknown";
	return rc ? xs_fmt("err %d", -rc) : "ok";
}

void test_main(void)
{
	char cmd[64];
	unsigned last = 0;
	uint64_t until;

	xs_init();
	me = rt_shinfo->domid;
	tester = me == 1 ? 2 : 1;
	rt_snprintf(base, sizeof(base), "/local/domain/%u/shared", tester);
	wait_ready();
	for (;;) {
		until = rt_now() + WAIT;
		unsigned s = 0;
		const char *name = cmd;
		while (rt_now() < until) {
			if (xs_read(0, xs_fmt("%s/cmd", base), cmd, sizeof(cmd)) > 0) {
				for (s = 0, name = cmd; *name >= '0' && *name <= '9'; name++)
					s = s * 10 + (unsigned)(*name - '0');
				if (s != last && *name == ' ')
					break;
			}
			xs_event(xs_fmt("%s/cmd", base), "cmd", 1000 * MS);
		}
		if (s == last)
			rt_fail("no command from the tester");
		last = s;
		const char *answer = run(name + 1);
		if (xs_write(0, xs_fmt("%s/reply", base), xs_fmt("%u %s", s, answer)))
			rt_fail("cannot answer the tester");
		if (xs_streq(answer, "bye"))
			rt_shutdown(LAMINA_SHUTDOWN_POWEROFF);
	}
}
