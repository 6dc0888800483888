// SPDX-License-Identifier: MIT
// lamina-hvd internals: the server, its client connections and its domains (one thread: the poll loop).
//
// Ownership: everything here belongs to the poll-loop thread, except the
// trace ring of a domain (struct hvd_dom, tr_* fields), which libhv's vCPU
// threads fill under tr_lock.  libhv's own threads (vCPUs, timers, store,
// console) reach the loop only through a domain's console pipe and the
// server's end eventfd.
#ifndef LAMINA_HVD_H
#define LAMINA_HVD_H

#include "hvd_proto.h"

#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define HVD_VERSION "0.1.0"
#define HVD_MAX_CONNS 64
#define HVD_MAX_DOMAINS 1024
#define HVD_OUT_MAX (8u << 20) // bytes queued for a client; beyond, it is dropped as too slow
#define HVD_MAX_TRACERS 8 // trace subscribers per domain
#define HVD_TRACE_MAX 8192 // events buffered per traced domain; more are dropped and counted
#define HVD_TRACE_BATCH 128 // events per "trace" event message
#define HVD_TRACE_TICK_NS 100000000ll // the loop drains traces every 100 ms while any is on

struct hv;
struct domain;

struct hvd_out {
	struct hvd_out *next;
	int fds[HVD_MAX_FDS]; // sent with the message, then closed (ours)
	unsigned nfds;
	size_t len;
	char data[];
};

struct hvd_conn {
	int fd;
	bool subscribed; // receives events (op "subscribe")
	bool dead; // close at the end of this loop turn
	struct hvd_out *head, *tail; // messages not yet sent, oldest first
	size_t queued; // their bytes
	struct hvd_backend *bk; // a back-end connection's device (backend.h), or NULL
	int rfd[HVD_MAX_FDS]; // descriptors the op being handled sends with its reply
	unsigned nrfd;
};

struct hvd_raw {
	uint64_t ts_ns;
	int vcpu;
	uint64_t a[6]; // hypercall number, then its five arguments
	int64_t ret;
};

struct hvd_dom {
	struct hvd_dom *next;
	struct hvd *h;
	unsigned id; // hvd's id, never reused while hvd runs
	char name[HVD_NAME_MAX];
	char *config; // the creating client's opaque string, returned by "get"
	int64_t created; // CLOCK_REALTIME seconds
	struct domain *d; // libhv's domain
	unsigned vcpus, max_vcpus;
	int con_rd, con_wr; // console pipe: libhv writes, the loop reads; -1 = no console
	bool started; // hv_start() done (created paused: starts at unpause)
	bool waiting; // its waiter thread runs or ran: join it
	bool shutdown_asked; // a shutdown was requested: running means shutting down
	bool end_told; // the "ended" event went out
	pthread_t waiter;
	int64_t t0_ns; // CLOCK_MONOTONIC at creation: trace time zero
	// Console backlog: the last HVD_BACKLOG bytes; con_total counts every byte ever.
	char *backlog;
	size_t bl_len, bl_head; // bytes held, index of the oldest
	uint64_t con_total;
	// Trace subscribers (loop) and ring (vCPU threads push under tr_lock).
	struct hvd_conn *tracers[HVD_MAX_TRACERS];
	unsigned ntracers;
	pthread_mutex_t tr_lock;
	bool tracing;
	struct hvd_raw *ring;
	unsigned tr_head, tr_len;
	uint64_t tr_dropped;
};

struct hvd {
	struct hv *hv; // NULL in unit tests: ops that need KVM then fail with ENODEV
	int lfd, lock_fd; // listening socket, lock file
	int efd; // eventfd: a domain ended (its waiter thread writes it)
	int tfd; // timerfd: trace drain ticks while ntraced > 0
	char sock[PATH_MAX], dir[PATH_MAX];
	struct hvd_conn *conns[HVD_MAX_CONNS];
	unsigned nconns;
	struct hvd_dom *doms; // newest first
	unsigned ndoms, ntraced;
	unsigned next_id; // starts at 1, only grows
	bool stop; // leave the loop (after stop-all or a signal)
	struct bk_watchq *wq; // back-ends' store watch events (backend.h); NULL until the first watch
};

// conn.c: queue and send messages, receive and dispatch requests.
void conn_queue(struct hvd_conn *c, const char *buf, size_t len);
void conn_queue_json(struct hvd_conn *c, json_object *o); // takes o
// Queue o with nfds descriptors (taken: closed once sent or dropped).
void conn_queue_json_fds(struct hvd_conn *c, json_object *o, const int *fds, unsigned nfds);
void conn_flush(struct hvd_conn *c);
void conn_read(struct hvd *h, struct hvd_conn *c);
void conn_broadcast(struct hvd *h, json_object *ev); // to every subscriber; takes ev
void conn_close(struct hvd *h, unsigned i);

// ops.c: one request in, one reply out.  Takes rq; returns the reply.
json_object *ops_handle(struct hvd *h, struct hvd_conn *c, json_object *rq, unsigned nfds);
// An error reply for op (may be NULL): {"reply", "ok": false, "error", "message"}.
json_object *ops_error(const char *op, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// dom.c: domains on libhv.
struct hvd_dom_params {
	const char *name, *kernel, *initrd, *cmdline, *config;
	uint64_t mem_kib, maxmem_kib;
	unsigned vcpus, vcpus_online, evtchns, grant_frames;
	bool console, paused;
};
struct hvd_dom *dom_create(struct hvd *h, const struct hvd_dom_params *p, char *err, size_t len);
void dom_destroy(struct hvd_dom *hd);
struct hvd_dom *dom_find(struct hvd *h, unsigned id);
int dom_pause(struct hvd_dom *hd);
int dom_unpause(struct hvd_dom *hd);
const char *dom_state(struct hvd_dom *hd, const char **reason); // "running", ... and why
json_object *dom_stats_json(struct hvd_dom *hd);
void dom_console_pump(struct hvd_dom *hd); // console pipe -> backlog and subscribers
size_t dom_backlog(struct hvd_dom *hd, char *out); // the backlog in order (HVD_BACKLOG max)
void dom_check_ends(struct hvd *h); // after the end eventfd: tell subscribers
int64_t hvd_now_ns(void);
void hvd_block_signals(sigset_t *old); // around calls that start libhv threads

// trace.c: hypercall trace ring and decoding.
int trace_subscribe(struct hvd_dom *hd, struct hvd_conn *c, bool on);
void trace_drop_conn(struct hvd *h, struct hvd_conn *c); // c goes away
void trace_drain(struct hvd *h); // on the tick: send queued events to subscribers
void trace_decode(const uint64_t a[6], char *out, size_t len);

#endif
