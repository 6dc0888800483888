// SPDX-License-Identifier: MIT
// lifecycle_guest/main.c: heartbeat on the console, balloon to memory/target, stop on control/shutdown.
//
// What lamina(1) drives in tests/e2e/lifecycle.sh. Every heartbeat_ms
// (command line, default 500) of PV-clock time it
//  - reads memory/target (KiB) from its store home and balloons to it:
//    decrease_reservation of its highest pages, or populate_physmap to
//    take them back (never below its own image);
//  - prints "heartbeat N: M KiB (clock T ms)", M its current reservation;
//  - reads control/shutdown: "poweroff" or "reboot" is acknowledged by
//    writing "" and answered with sched_op SHUTDOWN and that reason.
// Between heartbeats it sleeps in sched_op POLL on the store port. Each
// heartbeat also sends a masked self-IPI port through the event_send stub:
// a doorbell no ioeventfd completes, so `lamina trace` must show it.
#include "rt.h"
#include "store_client.h"

const char test_title[] = "lifecycle: heartbeat, balloon to memory/target, obey control/shutdown";

#define STORE_GFN (RT_HOLE_GFN + 1)
#define BATCH 512

static uint64_t top;    /* gfns [0, top) are populated */
static uint64_t lowest;  /* never balloon below this gfn */
static uint64_t gfns[BATCH];

static long reservation(void)
{
	return HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_CURRENT_RESERVATION, LAMINA_DOMID_SELF);
}

static long extents(unsigned cmd, long n)
{
	struct lamina_mem_reservation r = { .extent_start = (uint64_t)gfns,
		.nr_extents = (uint64_t)n, .extent_order = 0, .domid = LAMINA_DOMID_SELF };

	return HC2(LAMINA_HC_memory_op, cmd, &r);
}

/* Release or populate up to BATCH pages at the top; false if the hypervisor refused. */
static int step(uint64_t want)
{
	int shrink = want < top;
	long n = (long)(shrink ? top - want : want - top), done;

	if (n > BATCH)
		n = BATCH;
	for (long i = 0; i < n; i++)
		gfns[i] = shrink ? top - 1 - (uint64_t)i : top + (uint64_t)i;
	done = extents(shrink ? LAMINA_MEMOP_DECREASE_RESERVATION : LAMINA_MEMOP_POPULATE_PHYSMAP,
		       n);
	if (done > 0)
		top = shrink ? top - (uint64_t)done : top + (uint64_t)done;
	if (done != n)
		rt_printf("balloon: %s %ld pages at gfn 0x%lx: %ld\n",
			  shrink ? "releasing" : "populating", n, gfns[0], done);
	return done == n;
}

static long parse_num(const char *s)
{
	long n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	return *s ? -1 : n;
}

static void follow_target(void)
{
	char val[32];
	long r = sc_read("memory/target", val, sizeof(val)), kib = r < 0 ? -1 : parse_num(val);
	uint64_t want;

	if (kib < 0) {
		rt_printf("balloon: memory/target unreadable (%ld, '%s')\n", r, r < 0 ? "" : val);
		return;
	}
	want = (uint64_t)kib / 4;
	if (want < lowest)
		want = lowest;
	while (want != top && step(want))
		;
}

static void obey_control(void)
{
	char val[32];
	unsigned reason;

	if (sc_read("control/shutdown", val, sizeof(val)) <= 0)
		return;    /* no key, or empty: nothing asked */
	if (!rt_strncmp(val, "poweroff", 9))
		reason = LAMINA_SHUTDOWN_POWEROFF;
	else if (!rt_strncmp(val, "reboot", 7))
		reason = LAMINA_SHUTDOWN_REBOOT;
	else {
		rt_printf("lifecycle: ignoring control/shutdown '%s'\n", val);
		return;
	}
	sc_write("control/shutdown", "");
	rt_printf("lifecycle: control/shutdown is %s: stopping\n", val);
	rt_shutdown(reason);
}

static uint32_t beat_port;   /* masked IPI port: sending it only sets pending */

static void beat_port_init(void)
{
	struct lamina_evtchn_bind_ipi b = { .vcpu = 0 };
	long r = HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_BIND_IPI, &b);

	if (r)
		rt_fail("binding the heartbeat IPI port: %ld", r);
	beat_port = b.port;
	rt_map_shared_info();
	__atomic_fetch_or(&rt_shinfo->evtchn_mask[beat_port / 64], 1ull << (beat_port % 64),
			  __ATOMIC_SEQ_CST);
}

/* Sleep for period ns of PV-clock time (store events may wake us early);
 * a clock that steps backwards ends the wait rather than stretching it. */
static void idle(uint64_t period)
{
	lamina_port_t port = sc_port();
	uint64_t start = rt_now(), now;

	while ((now = rt_now()) >= start && now - start < period) {
		struct lamina_sched_poll p = { .ports = (uint64_t)&port, .nr_ports = 1,
					       .timeout = start + period };
		sc_ack();
		HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_POLL, &p);
	}
}

void test_main(void)
{
	extern char rt_bss_end[];
	uint64_t period = (uint64_t)rt_arg_num("heartbeat_ms", 500) * 1000000ull;
	long r;

	if ((r = sc_init(STORE_GFN)))
		rt_fail("mapping the store ring: %ld", r);
	beat_port_init();
	top = (uint64_t)reservation();
	lowest = (((uint64_t)rt_bss_end + 4095) >> 12) + 16;
	rt_printf("lifecycle: %lu KiB, store port %u, heartbeat every %lu ms\n", top * 4,
		  sc_port(), period / 1000000);
	for (unsigned long beat = 1;; beat++) {
		follow_target();
		rt_printf("heartbeat %lu: %ld KiB (clock %lu ms)\n", beat, reservation() * 4,
			  rt_now() / 1000000);
		obey_control();
		if ((r = HC1(LAMINA_HC_event_send, beat_port)))
			rt_printf("lifecycle: event_send(%u): %ld\n", beat_port, r);
		idle(period);
	}
}
