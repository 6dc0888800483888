// SPDX-License-Identifier: MIT
// KVM back-end internals: the per-domain state shared by hvif_libhv.c and hvif_libhv_trace.c.
#ifndef LAMINA_HVIF_LIBHV_INT_H
#define LAMINA_HVIF_LIBHV_INT_H

#include "hvif.h"

#include <hv.h>
#include <pthread.h>
#include <stdatomic.h>

#define LHV_TRACE_MAX 8192 // events buffered per traced domain; more are dropped (and counted)
#define LHV_TRACE_TICK_NS 100000000ll // the daemon drains traces every 100 ms while any is on
#define LHV_CONSOLE_PIPE (1 << 20) // console pipe size asked for; full: output is dropped

struct hv_backend {
	struct hv *hv;
	int epfd; // event_fd(): readable when efd, tfd or a console pipe is
	int efd; // eventfd: a domain ended (its waiter thread writes it)
	int tfd; // timerfd: trace drain ticks, armed while ntraced > 0
	unsigned ntraced;
	struct hv_dom *doms;
};

struct lhv_raw {
	uint64_t ts_ns;
	int vcpu;
	uint64_t a[6]; // number, then the five arguments
	int64_t ret;
};

struct hv_dom {
	struct hv_backend *be;
	struct hv_dom *next;
	struct domain *d; // the libhv domain
	unsigned vcpus, max_vcpus;
	int con_rd, con_wr; // console pipe: libhv writes, the daemon reads; -1 = none
	bool started; // hv_start() done (a domain created paused starts at unpause)
	bool waiting; // the waiter thread runs or ran: join it
	bool shutdown_asked; // control/shutdown written; running means shutting down
	pthread_t waiter;
	int64_t t0_ns; // CLOCK_MONOTONIC at creation: trace time zero
	// Trace ring: vCPU threads push, the daemon pops (tr_lock).
	pthread_mutex_t tr_lock;
	bool tracing;
	struct lhv_raw *ring;
	unsigned head, len;
	uint64_t dropped;
};

int64_t lhv_now_ns(void);
// hvif_libhv_trace.c
int lhv_trace_subscribe(struct hv_dom *hd, bool on);
int lhv_trace_read(struct hv_dom *hd, struct hv_trace_event *ev);
// Decode one hypercall (a[0] = number) into text such as "sched_op(cmd=poll, arg=0x1000)".
void lhv_decode(const uint64_t a[6], char *out, size_t len);

#endif
