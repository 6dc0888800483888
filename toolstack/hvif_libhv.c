// SPDX-License-Identifier: MIT
// KVM back-end: laminad's domains run on libhv (hypervisor/hv.h) in the daemon's own process.
//
// Each domain has a console pipe (libhv writes the guest's output into it,
// the daemon reads it) and, once started, a waiter thread blocked in
// hv_wait() that writes an eventfd when the guest shuts down or crashes.
// event_fd() is an epoll set of that eventfd, the console pipes and the
// trace-drain timer, so the daemon wakes for any of them.  Shutdown and
// memory requests go to the guest through the store (hv_request_shutdown,
// hv_set_mem_target): control/shutdown and memory/target in its home.
#include "hvif_libhv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <lamina/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int64_t lhv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Threads libhv starts (vCPUs, timers, store, console) and our waiters
// inherit the mask of the thread that creates them: keep the daemon's
// stop signals away from them so they interrupt the daemon's poll().
static void block_stop_signals(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

static int watch_fd(struct hv_backend *be, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(be->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void lhv_close(struct hv_backend *be)
{
	if (be->hv)
		hv_close(be->hv);
	if (be->epfd >= 0)
		close(be->epfd);
	if (be->efd >= 0)
		close(be->efd);
	if (be->tfd >= 0)
		close(be->tfd);
	free(be);
}

static struct hv_backend *lhv_open(char *err, size_t errlen)
{
	struct hv_backend *be = calloc(1, sizeof(*be));
	sigset_t old;

	if (!be) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	be->epfd = epoll_create1(EPOLL_CLOEXEC);
	be->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	be->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (be->epfd < 0 || be->efd < 0 || be->tfd < 0 || watch_fd(be, be->efd) ||
	    watch_fd(be, be->tfd)) {
		snprintf(err, errlen, "epoll, eventfd or timerfd: %s", strerror(errno));
		lhv_close(be);
		return NULL;
	}
	block_stop_signals(&old);
	be->hv = hv_open(err, errlen);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!be->hv) {
		lhv_close(be);
		return NULL;
	}
	return be;
}

static int lhv_event_fd(struct hv_backend *be)
{
	return be->epfd;
}

// Drain the eventfd and the timer; the daemon then reads every domain's state,
// console and trace.
static void lhv_process(struct hv_backend *be)
{
	uint64_t n;

	if (read(be->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		fprintf(stderr, "laminad: kvm back-end: eventfd: %s\n", strerror(errno));
	if (read(be->tfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		fprintf(stderr, "laminad: kvm back-end: timerfd: %s\n", strerror(errno));
}

static void *waiter_main(void *arg)
{
	struct hv_dom *hd = arg;
	uint64_t one = 1;

	hv_wait(hd->d);
	if (write(hd->be->efd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "laminad: kvm back-end: cannot signal a domain's end\n");
	return NULL;
}

// Run the domain's vCPUs and its waiter; 0 or -errno.
static int start(struct hv_dom *hd)
{
	sigset_t old;
	int rc = 0;

	block_stop_signals(&old);
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

static int console_pipe(struct hv_dom *hd)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -1;
	fcntl(p[1], F_SETPIPE_SZ, LHV_CONSOLE_PIPE); // best effort
	hd->con_rd = p[0];
	hd->con_wr = p[1];
	return watch_fd(hd->be, hd->con_rd);
}

static void free_dom(struct hv_dom *hd)
{
	if (hd->con_rd >= 0) {
		epoll_ctl(hd->be->epfd, EPOLL_CTL_DEL, hd->con_rd, NULL);
		close(hd->con_rd);
	}
	if (hd->con_wr >= 0)
		close(hd->con_wr);
	pthread_mutex_destroy(&hd->tr_lock);
	free(hd->ring);
	free(hd);
}

static struct hv_dom *new_dom(struct hv_backend *be, const struct dom_config *cfg, char *err,
			      size_t errlen)
{
	struct hv_dom *hd = calloc(1, sizeof(*hd));

	if (!hd) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*hd = (struct hv_dom){ .be = be, .con_rd = -1, .con_wr = -1, .vcpus = cfg->vcpus_current,
			       .max_vcpus = cfg->vcpus, .t0_ns = lhv_now_ns() };
	pthread_mutex_init(&hd->tr_lock, NULL);
	if (cfg->console != DOM_CONSOLE_NULL && console_pipe(hd)) {
		snprintf(err, errlen, "console pipe: %s", strerror(errno));
		free_dom(hd);
		return NULL;
	}
	return hd;
}

static struct domain *hv_build(struct hv_dom *hd, const struct dom_config *cfg, unsigned id,
			       char *err, size_t errlen)
{
	struct hv_dom_params p = {
		.name = cfg->name, .kernel = cfg->kernel, .initrd = cfg->initrd,
		.domid = id < 1024 ? id : 0,
		.cmdline = cfg->cmdline, .mem_bytes = cfg->memory_kib * 1024,
		.max_bytes = cfg->maxmem_kib * 1024, .vcpus = (int)cfg->vcpus,
		.lim = { .evtchns = cfg->max_evtchn, .grant_frames = cfg->max_grant_frames },
		.console_fd = hd->con_wr,
	};
	struct domain *d;
	sigset_t old;

	block_stop_signals(&old);
	d = hv_create(hd->be->hv, &p, err, errlen);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

// libhv takes the daemon's id, so `lamina list`, the guest's domid and its
// store home all agree (for the first 1023 ids; later ones let libhv pick).
static struct hv_dom *lhv_create(struct hv_backend *be, const struct dom_config *cfg,
				 unsigned id, bool paused, char *err, size_t errlen)
{
	struct hv_dom *hd = new_dom(be, cfg, err, errlen);
	int rc;

	if (!hd)
		return NULL;
	hd->d = hv_build(hd, cfg, id, err, errlen);
	if (!hd->d) {
		free_dom(hd);
		return NULL;
	}
	if (!paused && (rc = start(hd))) {
		snprintf(err, errlen, "starting the domain's vCPUs: %s", strerror(-rc));
		hv_destroy(hd->d);
		free_dom(hd);
		return NULL;
	}
	hd->next = be->doms;
	be->doms = hd;
	return hd;
}

static void lhv_destroy(struct hv_dom *hd)
{
	struct hv_dom **pp = &hd->be->doms;

	lhv_trace_subscribe(hd, false);
	if (hd->waiting) {
		hv_stop(hd->d);
		pthread_join(hd->waiter, NULL);
	}
	hv_destroy(hd->d);
	while (*pp && *pp != hd)
		pp = &(*pp)->next;
	if (*pp)
		*pp = hd->next;
	free_dom(hd);
}

static int lhv_pause(struct hv_dom *hd)
{
	if (!hd->started)
		return -EINVAL; // created paused: already paused
	return hv_pause(hd->d) ? -EINVAL : 0;
}

static int lhv_pin(struct hv_dom *hd, unsigned vcpu, const uint64_t *cpus, unsigned ncpus)
{
	return hv_vcpu_pin(hd->d, (int)vcpu, cpus, ncpus);
}

static int lhv_unpause(struct hv_dom *hd)
{
	if (!hd->started)
		return start(hd);
	return hv_unpause(hd->d) ? -EINVAL : 0;
}

static int lhv_shutdown(struct hv_dom *hd, enum hv_reason why)
{
	int rc;

	if (why != HV_REASON_POWEROFF && why != HV_REASON_REBOOT)
		return -EINVAL;
	rc = hv_request_shutdown(hd->d, why == HV_REASON_REBOOT ? LAMINA_SHUTDOWN_REBOOT
								: LAMINA_SHUTDOWN_POWEROFF);
	if (rc == 0)
		hd->shutdown_asked = true;
	return rc < 0 ? rc : 0;
}

static int lhv_set_mem(struct hv_dom *hd, uint64_t kib)
{
	int rc = hv_set_mem_target(hd->d, kib);

	return rc < 0 ? rc : 0;
}

static ssize_t lhv_con_read(struct hv_dom *hd, void *buf, size_t len)
{
	ssize_t n;

	if (hd->con_rd < 0)
		return 0;
	do
		n = read(hd->con_rd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? 0 : n; // EAGAIN: nothing (more) for now
}

static ssize_t lhv_con_write(struct hv_dom *hd, const void *buf, size_t len)
{
	return hv_console_input(hd->d, buf, len);
}

// ---- stats ----

static enum hv_reason reason_of(int r)
{
	return r == LAMINA_SHUTDOWN_REBOOT ? HV_REASON_REBOOT
	       : r == LAMINA_SHUTDOWN_CRASH ? HV_REASON_CRASH
					    : HV_REASON_POWEROFF;
}

static void state_of(const struct hv_dom *hd, const struct hv_dom_stats *s, struct hv_stats *st)
{
	switch (s->state) {
	case HV_DOM_CREATED:
	case HV_DOM_PAUSED:
		st->state = HV_PAUSED;
		break;
	case HV_DOM_RUNNING:
		st->state = hd->shutdown_asked ? HV_SHUTTING_DOWN : HV_RUNNING;
		break;
	case HV_DOM_CRASHED:
		st->state = HV_CRASHED;
		st->reason = HV_REASON_CRASH;
		break;
	default: // HV_DOM_SHUTDOWN
		st->reason = reason_of(s->reason);
		st->state = st->reason == HV_REASON_CRASH ? HV_CRASHED : HV_SHUTOFF;
	}
}

static void put_count(struct hv_count *c, const char *what, uint64_t n)
{
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->count = n;
}

// Every kind in libhv's order, zeros included, so that samples line up
// index by index (lamina top) and the names are libhv's (hv_exit_name).
static void put_exits(const struct hv_dom_stats *s, struct hv_stats *st)
{
	_Static_assert(HV_EXIT_KINDS <= HV_MAX_EXIT_REASONS, "hvif.h: too few exit slots");
	for (unsigned k = 0; k < HV_EXIT_KINDS; k++)
		put_count(&st->exits[st->nexits++], hv_exit_name(k), s->user_exits[k]);
}

static void put_hcalls(const struct hv_dom_stats *s, struct hv_stats *st)
{
	const unsigned nr = sizeof(s->hypercalls) / sizeof(s->hypercalls[0]);

	for (unsigned i = 0; i < nr; i++) {
		const char *name = hv_hypercall_name(i);
		st->hypercalls += s->hypercalls[i];
		if (s->hypercalls[i] && st->nhcalls < HV_MAX_HCALL_KINDS)
			put_count(&st->hcalls[st->nhcalls++], name ? name : "other",
				  s->hypercalls[i]);
	}
}

static int lhv_stats(struct hv_dom *hd, struct hv_stats *st)
{
	struct hv_dom_stats s;

	if (hv_stats(hd->d, &s))
		return -EIO;
	*st = (struct hv_stats){ .vcpus = hd->vcpus, .max_vcpus = hd->max_vcpus,
				 .mem_kib = s.cur_pages * 4, .maxmem_kib = s.max_pages * 4,
				 .cpu_ns = s.cpu_ns };
	state_of(hd, &s, st);
	put_exits(&s, st);
	put_hcalls(&s, st);
	return 0;
}

const struct hvif hvif_libhv = {
	.name = "kvm",
	.open = lhv_open,
	.close = lhv_close,
	.event_fd = lhv_event_fd,
	.process = lhv_process,
	.create = lhv_create,
	.destroy = lhv_destroy,
	.pause = lhv_pause,
	.pin_vcpu = lhv_pin,
	.unpause = lhv_unpause,
	.shutdown = lhv_shutdown,
	.set_mem_target = lhv_set_mem,
	.stats = lhv_stats,
	.console_read = lhv_con_read,
	.console_write = lhv_con_write,
	.trace_subscribe = lhv_trace_subscribe,
	.trace_read = lhv_trace_read,
};
