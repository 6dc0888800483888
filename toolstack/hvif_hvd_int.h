// SPDX-License-Identifier: MIT
// The lamina-hvd back-end's internals: its two connections to lamina-hvd and each domain's queued streams.
#ifndef LAMINA_HVIF_HVD_INT_H
#define LAMINA_HVIF_HVD_INT_H

#include "hvif.h"

#include <hvd_proto.h>
#include <json-c/json.h>
#include <limits.h>

#define HH_TIMEOUT_MS 10000 // a reply later than this: lamina-hvd counts as gone
// create loads the kernel and initramfs into guest memory first: tens of MiB,
// which take far longer than 10 s in an emulated testbed.
#define HH_CREATE_TIMEOUT_MS 180000
#define HH_READY_MS 15000 // a spawned lamina-hvd must be serving within this
#define HH_CONSOLE_MAX (1u << 20) // console bytes queued per domain; beyond, dropped
#define HH_TRACE_MAX 8192 // trace events queued per domain; beyond, dropped and counted

// Owned by laminad's one thread.
struct hv_backend {
	int ctl; // requests and their replies, one at a time
	int ev; // "subscribe"d: events, and the replies to "trace" requests
	int epfd; // event_fd(): ev while lamina-hvd is there
	bool gone; // lamina-hvd closed a connection or stopped answering
	char sock[PATH_MAX];
	char err[512]; // the message of the last failed call
	struct hv_dom *doms;
};

struct hv_dom {
	struct hv_backend *be;
	struct hv_dom *next;
	unsigned id; // lamina-hvd's
	uint64_t con_seen; // console offset up to which output was queued (or recovered)
	char *con; // console output not yet read by laminad
	size_t con_len;
	uint64_t con_lost; // bytes dropped because con was full
	bool tracing;
	struct hv_trace_event *tq; // ring of HH_TRACE_MAX
	unsigned tq_head, tq_len;
	uint64_t tq_dropped; // events lost (here or in lamina-hvd) not yet reported
};

// hvif_hvd_conn.c
int hh_open_conns(struct hv_backend *be, const struct hvif_env *env, char *err, size_t len);
// Send rq (taken) on ctl and wait for the reply: 0 with *rep (caller puts
// it), or -errno with be->err set.  Calls fail at once when be->gone.
int hh_call(struct hv_backend *be, json_object *rq, json_object **rep);
// The same with its own limit on the wait for the reply.
int hh_call_wait(struct hv_backend *be, json_object *rq, json_object **rep, int timeout_ms);
// A request {"op": op, "id": id} (id 0: none).
json_object *hh_req(const char *op, unsigned id);
// Send rq (taken) on ev without waiting; its reply is read by hh_events().
int hh_send_ev(struct hv_backend *be, json_object *rq);
// ev was closed under us (lamina-hvd drops a client that falls 8 MiB
// behind): if lamina-hvd still answers on ctl, connect ev again, re-subscribe
// traces and catch up on console output from the backlogs.  0, or -1: gone.
int hh_reconnect_ev(struct hv_backend *be);
// Read every event waiting on ev and queue it on its domain.
void hh_events(struct hv_backend *be);
void hh_lost(struct hv_backend *be, const char *why); // mark gone, stop polling ev
struct hv_dom *hh_find(struct hv_backend *be, unsigned id);
void hh_console_add(struct hv_dom *hd, uint64_t offset, const char *buf, size_t n);

// hvif_hvd.c
struct hv_dom *hh_new_dom(struct hv_backend *be, unsigned id); // NULL: out of memory
// hvif_hvd_dom.c: stats, trace, recover, stop_all, alive.
int hh_stats(struct hv_dom *hd, struct hv_stats *st);
int hh_trace_subscribe(struct hv_dom *hd, bool on);
int hh_trace_read(struct hv_dom *hd, struct hv_trace_event *ev);
int hh_recover(struct hv_backend *be, hvif_found_fn *fn, void *ctx);
int hh_stop_all(struct hv_backend *be);
bool hh_alive(struct hv_backend *be);

#endif
