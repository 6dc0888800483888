// SPDX-License-Identifier: MIT
// lamina-hvd domains: create, run, pause and destroy them on libhv; their console backlog and end.
//
// Each domain has a console pipe (libhv writes the guest's output into it,
// the loop reads it into the backlog and the "console" events) and, once
// started, a waiter thread blocked in hv_wait() that writes the server's
// eventfd when the guest shuts down or crashes.
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <hv.h>
#include <lamina/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define CONSOLE_PIPE (1 << 20) // console pipe size asked for; full: output is dropped

int64_t hvd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Threads libhv starts (vCPUs, timers, store, console) and the waiters
// inherit the mask of the thread that creates them: keep the stop signals
// on the loop's thread, where signalfd reads them.
void hvd_block_signals(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

struct hvd_dom *dom_find(struct hvd *h, unsigned id)
{
	for (struct hvd_dom *hd = h->doms; hd; hd = hd->next)
		if (hd->id == id)
			return hd;
	return NULL;
}

static void *waiter_main(void *arg)
{
	struct hvd_dom *hd = arg;
	uint64_t one = 1;

	hv_wait(hd->d);
	if (write(hd->h->efd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "lamina-hvd: cannot signal the end of domain %u\n", hd->id);
	return NULL;
}

// Run the domain's vCPUs and its waiter; 0 or -errno.
static int start(struct hvd_dom *hd)
{
	sigset_t old;
	int rc = 0;

	hvd_block_signals(&old);
	if (hv_start(hd->d) < 0)
		rc = -EIO;
	else if ((rc = -pthread_create(&hd->waiter, NULL, waiter_main, hd)) == 0)
		hd->waiting = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	hd->started = true;
	if (rc && !hd->waiting)
		hv_stop(hd->d); // vCPUs that did start stop again
	return rc;
}

static void free_dom(struct hvd_dom *hd)
{
	if (hd->con_rd >= 0)
		close(hd->con_rd);
	if (hd->con_wr >= 0)
		close(hd->con_wr);
	pthread_mutex_destroy(&hd->tr_lock);
	free(hd->ring);
	free(hd->backlog);
	free(hd->config);
	free(hd);
}

static struct hvd_dom *new_dom(struct hvd *h, const struct hvd_dom_params *p, char *err,
			       size_t len)
{
	struct hvd_dom *hd = calloc(1, sizeof(*hd));
	int fds[2];

	if (!hd) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	*hd = (struct hvd_dom){ .h = h, .con_rd = -1, .con_wr = -1, .vcpus = p->vcpus_online,
				.max_vcpus = p->vcpus, .t0_ns = hvd_now_ns(),
				.created = (int64_t)time(NULL) };
	snprintf(hd->name, sizeof(hd->name), "%s", p->name);
	pthread_mutex_init(&hd->tr_lock, NULL);
	hd->config = strdup(p->config ? p->config : "");
	hd->backlog = malloc(HVD_BACKLOG);
	if (!hd->config || !hd->backlog) {
		snprintf(err, len, "out of memory");
		free_dom(hd);
		return NULL;
	}
	if (p->console) {
		if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) {
			snprintf(err, len, "console pipe: %s", strerror(errno));
			free_dom(hd);
			return NULL;
		}
		fcntl(fds[1], F_SETPIPE_SZ, CONSOLE_PIPE); // best effort
		hd->con_rd = fds[0];
		hd->con_wr = fds[1];
	}
	return hd;
}

static struct domain *build(struct hvd_dom *hd, const struct hvd_dom_params *p, char *err,
			    size_t len)
{
	struct hv_dom_params hp = {
		.name = p->name, .kernel = p->kernel, .initrd = p->initrd, .cmdline = p->cmdline,
		.domid = hd->id < 1024 ? hd->id : 0,
		.mem_bytes = p->mem_kib * 1024, .max_bytes = p->maxmem_kib * 1024,
		.vcpus = (int)p->vcpus,
		.lim = { .evtchns = p->evtchns, .grant_frames = p->grant_frames },
		.console_fd = hd->con_wr,
	};
	struct domain *d;
	sigset_t old;

	hvd_block_signals(&old);
	d = hv_create(hd->h->hv, &hp, err, len);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

// The id is taken before libhv is asked, so a failed create uses one up
// too: ids only ever grow.  libhv gets the same number as the guest's
// domid (and store home) while it is below 1024; later ones let libhv pick.
struct hvd_dom *dom_create(struct hvd *h, const struct hvd_dom_params *p, char *err, size_t len)
{
	struct hvd_dom *hd;
	int rc;

	if (!h->hv) {
		snprintf(err, len, "no KVM in this lamina-hvd");
		return NULL;
	}
	if (!(hd = new_dom(h, p, err, len)))
		return NULL;
	hd->id = h->next_id++;
	if (!(hd->d = build(hd, p, err, len))) {
		free_dom(hd);
		return NULL;
	}
	if (!p->paused && (rc = start(hd))) {
		snprintf(err, len, "starting the domain's vCPUs: %s", strerror(-rc));
		hv_destroy(hd->d);
		free_dom(hd);
		return NULL;
	}
	hd->next = h->doms;
	h->doms = hd;
	h->ndoms++;
	return hd;
}

void dom_destroy(struct hvd_dom *hd)
{
	struct hvd_dom **pp = &hd->h->doms;

	while (hd->ntracers)
		trace_subscribe(hd, hd->tracers[0], false);
	bk_domain_gone(hd->h, hd); // its back-ends let go of its pages and ports first
	if (hd->waiting) {
		hv_stop(hd->d);
		pthread_join(hd->waiter, NULL);
	}
	hv_destroy(hd->d);
	while (*pp && *pp != hd)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = hd->next;
		hd->h->ndoms--;
	}
	free_dom(hd);
}

int dom_pause(struct hvd_dom *hd)
{
	if (!hd->started)
		return -EALREADY; // created paused: already paused
	return hv_pause(hd->d) ? -EINVAL : 0;
}

int dom_unpause(struct hvd_dom *hd)
{
	if (!hd->started)
		return start(hd);
	return hv_unpause(hd->d) ? -EINVAL : 0;
}

static const char *reason_name(int r)
{
	return r == LAMINA_SHUTDOWN_REBOOT ? "reboot"
	       : r == LAMINA_SHUTDOWN_CRASH ? "crash"
	       : r == LAMINA_SHUTDOWN_SUSPEND ? "suspend"
					      : "poweroff";
}

const char *dom_state(struct hvd_dom *hd, const char **reason)
{
	struct hv_dom_stats s;

	*reason = NULL;
	if (hv_stats(hd->d, &s))
		return "unknown";
	switch (s.state) {
	case HV_DOM_CREATED:
	case HV_DOM_PAUSED:
		return "paused";
	case HV_DOM_RUNNING:
		return hd->shutdown_asked ? "shutting-down" : "running";
	case HV_DOM_CRASHED:
		*reason = "crash";
		return "crashed";
	default: // HV_DOM_SHUTDOWN
		*reason = reason_name(s.reason);
		return s.reason == LAMINA_SHUTDOWN_CRASH ? "crashed" : "shutoff";
	}
}

static json_object *counts(const char *(*name)(unsigned), const uint64_t *n, unsigned k,
			   bool all)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < k; i++) {
		const char *s = name(i);
		if (!all && !n[i])
			continue;
		json_object *p = json_object_new_array();
		json_object_array_add(p, json_object_new_string(s ? s : "other"));
		json_object_array_add(p, json_object_new_uint64(n[i]));
		json_object_array_add(a, p);
	}
	return a;
}

// {"state", "reason"?, "vcpus", "max_vcpus", "mem_kib", "maxmem_kib", "cpu_ns",
//  "run_ns", "hypercalls", "exits": [[kind, n]...], "calls": [[name, n]...],
//  "where": each vCPU's run state and last exit rip, for a guest that seems stuck}
json_object *dom_stats_json(struct hvd_dom *hd)
{
	char where[4096];

	struct hv_dom_stats s;
	const char *reason, *state = dom_state(hd, &reason);
	json_object *o = json_object_new_object();
	uint64_t total = 0;

	if (hv_stats(hd->d, &s))
		memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < 64; i++)
		total += s.hypercalls[i];
	json_object_object_add(o, "state", json_object_new_string(state));
	if (reason)
		json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "vcpus", json_object_new_int((int)hd->vcpus));
	json_object_object_add(o, "max_vcpus", json_object_new_int((int)hd->max_vcpus));
	json_object_object_add(o, "mem_kib", json_object_new_uint64(s.cur_pages * 4));
	json_object_object_add(o, "maxmem_kib", json_object_new_uint64(s.max_pages * 4));
	json_object_object_add(o, "cpu_ns", json_object_new_uint64(s.cpu_ns));
	json_object_object_add(o, "run_ns", json_object_new_uint64(s.run_ns));
	json_object_object_add(o, "hypercalls", json_object_new_uint64(total));
	json_object_object_add(o, "exits", counts(hv_exit_name, s.user_exits, HV_EXIT_KINDS, true));
	json_object_object_add(o, "calls", counts(hv_hypercall_name, s.hypercalls, 64, false));
	hv_vcpu_where(hd->d, where, sizeof(where));
	json_object_object_add(o, "where", json_object_new_string(where));
	return o;
}

static void backlog_add(struct hvd_dom *hd, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hd->backlog[(hd->bl_head + hd->bl_len) % HVD_BACKLOG] = buf[i];
		if (hd->bl_len < HVD_BACKLOG)
			hd->bl_len++;
		else
			hd->bl_head = (hd->bl_head + 1) % HVD_BACKLOG;
	}
	hd->con_total += n;
}

// {"event": "console", "id", "offset": of the first byte, "data": base64}
static json_object *console_event(struct hvd_dom *hd, uint64_t offset, const char *buf,
				  size_t n)
{
	json_object *ev = json_object_new_object();
	char *b = malloc(HVD_B64_LEN(n));

	json_object_object_add(ev, "event", json_object_new_string("console"));
	json_object_object_add(ev, "id", json_object_new_int((int)hd->id));
	json_object_object_add(ev, "offset", json_object_new_uint64(offset));
	if (b) {
		size_t len = hvd_b64_encode(buf, n, b);
		json_object_object_add(ev, "data", json_object_new_string_len(b, (int)len));
		free(b);
	}
	return ev;
}

void dom_console_pump(struct hvd_dom *hd)
{
	char buf[HVD_CHUNK];
	ssize_t n;

	while (hd->con_rd >= 0 && (n = read(hd->con_rd, buf, sizeof(buf))) > 0) {
		uint64_t off = hd->con_total;
		backlog_add(hd, buf, (size_t)n);
		conn_broadcast(hd->h, console_event(hd, off, buf, (size_t)n));
	}
}

// Copy the backlog out in order; returns its length (at most HVD_BACKLOG).
size_t dom_backlog(struct hvd_dom *hd, char *out)
{
	for (size_t i = 0; i < hd->bl_len; i++)
		out[i] = hd->backlog[(hd->bl_head + i) % HVD_BACKLOG];
	return hd->bl_len;
}

void dom_check_ends(struct hvd *h)
{
	uint64_t n;

	if (read(h->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		fprintf(stderr, "lamina-hvd: eventfd: %s\n", strerror(errno));
	for (struct hvd_dom *hd = h->doms; hd; hd = hd->next) {
		const char *reason, *state;
		if (hd->end_told)
			continue;
		state = dom_state(hd, &reason);
		if (strcmp(state, "shutoff") && strcmp(state, "crashed"))
			continue;
		dom_console_pump(hd); // its last words first
		hd->end_told = true;
		const char *why = hv_crash_reason(hd->d);
		fprintf(stderr, "lamina-hvd: domain %u (%s) ended: %s%s%s\n", hd->id, hd->name,
			reason, why && *why ? ": " : "", why && *why ? why : "");
		json_object *ev = json_object_new_object();
		json_object_object_add(ev, "event", json_object_new_string("ended"));
		json_object_object_add(ev, "id", json_object_new_int((int)hd->id));
		json_object_object_add(ev, "state", json_object_new_string(state));
		json_object_object_add(ev, "reason", json_object_new_string(reason));
		conn_broadcast(h, ev);
	}
}
