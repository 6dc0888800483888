// SPDX-License-Identifier: MIT
// store_fairness.c: hostile/store-fairness: domain A floods its store ring; domain B's reads and the toolstack's writes must each be answered within one round-robin round.
//
// usage: store_fairness [SECONDS]   (default 10)
// Runs the real store thread (store.c) over two in-memory domains. A's
// "guest" thread keeps A's request ring full of READs and acknowledges
// every reply at once by setting rsp_cons = rsp_prod, the pattern that kept
// the store's old service loop on A forever. Meanwhile B reads its own home
// every 10 ms, one request at a time, and the toolstack (domain 0, through
// the host API) writes B's control/shutdown every 500 ms. Prints one RESULT.
//
// "Each within 100 ms" is judged by work, not by the wall clock, which a
// loaded machine stretches at will: the store must answer each of B's
// reads, and each toolstack write, after at most MAX_A_REQS of A's
// requests (one round of the store; well under 100 ms of its work), counted
// on A's ring by the store's own consumer index. Times are reported; B's
// 90th percentile is held to 100 ms and no single request to 2 s.
//
// A hostile guest's vCPU has a CPU of its own: the flood thread runs alone
// on CPU 1, the store thread and B on CPU 0 (with one CPU, all share it), so
// nothing preempts the flood and lets the store's loop run dry by chance.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include <lamina/store.h>
#include "doubles.h"
#include "hv_int.h"
#include "store.h"

#define LIMIT_NS 100000000ll   /* 100 ms: B's 90th percentile */
/* Never locked out: B's slowest read and every toolstack write. The slowest
 * single read is not held to 100 ms: on a loaded 2-CPU machine (a CI run
 * with testbeds beside it) one read took 597 ms while the median stayed at
 * 1.1x, which is the machine descheduling the store thread, not the flood. */
#define LOCKOUT_NS 2000000000ll
/* B's median read under the flood against its median alone, measured in the
 * same run, is reported but not judged here: it swings with whatever else
 * the machine runs (a speed goal belongs in make bench). Measured on a quiet
 * machine: 1.0x to 4.4x with the per-round budget, 24x without it. */
/* A's requests the store may take between B's event and B's reply: the
 * rest of A's turn in the round in progress, then A's turn in the round
 * that serves B, STORE_TURN (16) each (store.c, serve_round). More would
 * mean B waited longer than one round. */
#define MAX_A_REQS 32
#define A_PATH "/local/domain/7/name"
#define RB LAMINA_STORE_RING_BYTES
#define HDR sizeof(struct lamina_store_msg)

struct guest {
	struct domain d;
	struct lamina_shared_info sh __attribute__((aligned(4096)));
	struct lamina_store_ring ring __attribute__((aligned(4096)));
	int efd;          /* the store's end of the guest's store port */
	uint32_t prod;    /* the guest's own request producer */
};

static struct hv hv;
static struct guest ga, gb;
static atomic_bool stop;
/* Written by the store thread through on_notify(), read by B's thread. */
static atomic_uint b_replied_at;   /* A's req_cons when the store last notified B */
static atomic_ulong b_notes;       /* the store's notifications to B */


static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void on_notify(struct domain *guest)
{
	if (guest == &gb.d) {
		atomic_store(&b_replied_at, __atomic_load_n(&ga.ring.req_cons, __ATOMIC_ACQUIRE));
		atomic_fetch_add(&b_notes, 1);
	}
}

/* A's requests the store took between A's consumer index at0 and now. */
static unsigned long a_reqs_since(uint32_t at0, uint32_t now)
{
	return (uint32_t)(now - at0) / (HDR + sizeof(A_PATH));
}

/* A's requests taken from at_kick (A's req_cons) to the store's next
 * notification to B after notes_at_kick: it follows the reply B has just
 * seen (the store notifies at the end of B's turn), so wait for it. */
static unsigned long reqs_to_reply(uint32_t at_kick, unsigned long notes_at_kick)
{
	for (int64_t t0 = now_ns(); atomic_load(&b_notes) == notes_at_kick;)
		if (now_ns() - t0 > LOCKOUT_NS)
			return ~0ul;
	return a_reqs_since(at_kick, atomic_load(&b_replied_at));
}

/* The guest sends an event on its store port. */
static void kick(struct guest *g)
{
	uint64_t one = 1;

	if (write(g->efd, &one, sizeof(one)) != sizeof(one))
		return;   /* saturated: the store will look anyway */
}

/* Run the calling thread (and threads it creates later) on CPU cpu, if
 * there is such a CPU. */
static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) <= cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Copy a request into g's ring if it fits; true if it did. */
static bool put_req(struct guest *g, uint32_t id, const char *path)
{
	struct lamina_store_msg h = { LAMINA_STORE_READ, id, 0, (uint32_t)strlen(path) + 1 };
	uint32_t cons = __atomic_load_n(&g->ring.req_cons, __ATOMIC_ACQUIRE);

	if (g->prod - cons + HDR + h.len > RB)
		return false;
	for (size_t i = 0; i < HDR; i++)
		g->ring.req[(g->prod + i) % RB] = ((const char *)&h)[i];
	for (size_t i = 0; i < h.len; i++)
		g->ring.req[(g->prod + HDR + i) % RB] = path[i];
	g->prod += (uint32_t)(HDR + h.len);
	__atomic_store_n(&g->ring.req_prod, g->prod, __ATOMIC_RELEASE);
	return true;
}

/* Domain A: keep the request ring full, drop every reply unread as soon as
 * it appears (so that none is outstanding), and send an event only when
 * the store seems to have stopped reading (no progress for 50 us): a store
 * that keeps reading as long as there are requests never stops. */
static void *flood(void *arg)
{
	unsigned long *sent = arg;
	uint32_t seen = 0;

	pin(1);
	int64_t since = now_ns();

	while (!atomic_load(&stop)) {
		if (put_req(&ga, 1, A_PATH))
			(*sent)++;
		__atomic_store_n(&ga.ring.rsp_cons, __atomic_load_n(&ga.ring.rsp_prod, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
		uint32_t cons = __atomic_load_n(&ga.ring.req_cons, __ATOMIC_ACQUIRE);
		if (cons != seen) {
			seen = cons;
			since = now_ns();
		} else if (now_ns() - since > 50000) {
			kick(&ga);
			since = now_ns();
		}
	}
	return NULL;
}

/* Domain B: one READ of its own name; ns until the whole reply is in, or -1
 * (no reply within LOCKOUT_NS, or a wrong one). The late reply to a read
 * that already failed is skipped, so one slow read fails only itself. A's
 * requests served between B's event and the store's notification to B into
 * *turns. */
static int64_t b_read(uint32_t id, unsigned long *turns)
{
	int64_t t0 = now_ns();
	uint32_t cons = gb.ring.rsp_cons;

	if (!put_req(&gb, id, "/local/domain/8/name"))
		return -1;
	unsigned long notes = atomic_load(&b_notes);
	uint32_t at_kick = __atomic_load_n(&ga.ring.req_cons, __ATOMIC_ACQUIRE);   /* before the store can see B */
	kick(&gb);
	while (now_ns() - t0 < LOCKOUT_NS) {
		uint32_t prod = __atomic_load_n(&gb.ring.rsp_prod, __ATOMIC_ACQUIRE);
		struct lamina_store_msg h;
		if (prod - cons >= HDR) {
			for (size_t i = 0; i < HDR; i++)
				((char *)&h)[i] = gb.ring.rsp[(cons + i) % RB];
			if (prod - cons >= HDR + h.len) {
				cons += (uint32_t)(HDR + h.len);
				__atomic_store_n(&gb.ring.rsp_cons, cons, __ATOMIC_RELEASE);
				if (h.req_id < id && h.type == LAMINA_STORE_READ)
					continue;   /* an earlier read's late reply */
				*turns = reqs_to_reply(at_kick, notes);
				return h.req_id == id && h.type == LAMINA_STORE_READ ? now_ns() - t0 : -1;
			}
		}
		usleep(50);
	}
	return -1;
}

static void guest_init(struct guest *g, unsigned id)
{
	g->d.hv = &hv;
	g->d.id = (uint16_t)id;
	snprintf(g->d.name, sizeof(g->d.name), "guest%u", id);
	g->d.nr_vcpus = 1;
	atomic_store(&g->d.cur_pages, 256);
	g->d.max_pages = 256;
	g->d.shinfo = (uint8_t *)&g->sh;
	g->d.store_page = &g->ring;
	if (store_domain_init(&g->d) < 0) {
		printf("RESULT FAIL hostile/store-fairness: store_domain_init(%u) failed\n", id);
		exit(1);
	}
	g->efd = dbl_efd;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The most of A's requests any one of B's reads or toolstack writes waited for. */
struct waits {
	unsigned long read, tool;
};

/* One toolstack write to B; its time returned, A's requests served meanwhile noted. */
static int64_t tool_write(struct waits *w, int *bad)
{
	int64_t t0 = now_ns();
	uint32_t a0 = __atomic_load_n(&ga.ring.req_cons, __ATOMIC_ACQUIRE);

	if (hv_store_write(&hv, "/local/domain/8/control/shutdown", "poweroff") != 0)
		(*bad)++;
	unsigned long turns = a_reqs_since(a0, __atomic_load_n(&ga.ring.req_cons, __ATOMIC_ACQUIRE));
	w->tool = turns > w->tool ? turns : w->tool;
	return now_ns() - t0;
}

/* B reads every 10 ms until `end`; the latencies into lat (sorted), their
 * number returned. With `tool`, the toolstack also writes to B every 500
 * ms (worst time into *tool_worst, count into *tools). Failures into *bad,
 * the most of A's requests waited for into *w. */
static int b_phase(int64_t end, int64_t *lat, int max, bool tool, int64_t *tool_worst, int *tools,
		   int *bad, struct waits *w)
{
	int n = 0;
	static uint32_t id;   /* B's request ids, increasing over both phases */

	for (int64_t next_tool = now_ns() + 500000000; now_ns() < end && n < max;) {
		unsigned long turns = 0;
		int64_t t = b_read(++id, &turns);
		if (t < 0)
			(*bad)++;
		else
			lat[n++] = t;
		w->read = turns > w->read ? turns : w->read;
		if (tool && now_ns() >= next_tool) {
			int64_t t = tool_write(w, bad);
			*tool_worst = t > *tool_worst ? t : *tool_worst;
			(*tools)++;
			next_tool += 500000000;
		}
		usleep(10000);
	}
	qsort(lat, (size_t)n, sizeof(lat[0]), cmp64);
	return n;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	static int64_t quiet[1000], lat[100000];
	int64_t worst_tool = 0;
	unsigned long sent = 0;
	int bad = 0, tools = 0, unused = 0;
	struct waits w0 = { 0 }, w = { 0 };
	pthread_t th;

	if (secs < 1 || secs > 600) {
		fprintf(stderr, "store_fairness: SECONDS must be 1 to 600\n");
		return 2;
	}
	pin(0);   /* before the store thread starts: it inherits CPU 0 */
	prctl(PR_SET_TIMERSLACK, 1000UL);   /* B's 50 us polling sleeps: 1 us late, not 50 */
	guest_init(&ga, 7);
	guest_init(&gb, 8);
	dbl_on_notify = on_notify;
	/* B alone for a second: the baseline of this run */
	int nq = b_phase(now_ns() + 1000000000, quiet, 1000, false, &worst_tool, &unused, &bad, &w0);
	pthread_create(&th, NULL, flood, &sent);
	int n = b_phase(now_ns() + (int64_t)secs * 1000000000, lat, 100000, true, &worst_tool, &tools, &bad, &w);
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	int64_t worst = n ? lat[n - 1] : 0, med = n ? lat[n / 2] : 0, med0 = nq ? quiet[nq / 2] : 0;
	int64_t p90 = n ? lat[n * 9 / 10] : 0;
	double ratio = med0 ? (double)med / (double)med0 : 0;
	bool ok = !bad && n > 0 && nq > 0 && tools > 0 && p90 < LIMIT_NS && worst < LOCKOUT_NS &&
		  worst_tool < LOCKOUT_NS && w.read <= MAX_A_REQS && w.tool <= MAX_A_REQS &&
		  sent > 10000;
	printf("RESULT %s hostile/store-fairness: domain A sent %lu requests in %d s; each of domain "
	       "B's %d reads waited for at most %lu of A's requests and each of %d toolstack writes "
	       "to B for at most %lu (limit %d: one round of the store); B's reads took at most %.1f ms (90%% within "
	       "%.1f ms; limits 2 s and 100 ms), median %.0f us (%.1fx its %.0f us alone), %d failed; "
	       "toolstack writes at most %.1f ms (limit 2 s)\n",
	       ok ? "PASS" : "FAIL", sent, secs, n, w.read, tools, w.tool, MAX_A_REQS,
	       worst / 1e6, p90 / 1e6, med / 1e3, ratio, med0 / 1e3, bad, worst_tool / 1e6);
	store_domain_free(&gb.d);
	store_domain_free(&ga.d);
	store_hv_close(&hv);
	return ok ? 0 : 1;
}
