// SPDX-License-Identifier: MIT
// dom.c: domain life cycle: create, start, pause, wait for shutdown, destroy.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <lamina/cpuid.h>
#include <lamina/types.h>
#include <lamina/sched.h>
#include <lamina/version.h>
#include <lamina/shared_info.h>
#include "boot.h"
#include "boot_linux.h"
#include "clock.h"
#include "console.h"
#include "event.h"
#include "grant.h"
#include "hv_dev.h"
#include "hv_int.h"
#include "kvm.h"
#include "store.h"
#include "mem.h"
#include "timer.h"
#include "vcpu.h"

void dom_log(struct domain *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (d->log_fd >= 0 && write(d->log_fd, buf, (size_t)n) < 0)
		return;
}

void dom_wake_all(struct domain *d) { pthread_cond_broadcast(&d->wake); }

/* Stop every vCPU; first caller's reason wins. */
static void dom_stop(struct domain *d, int state, int reason)
{
	pthread_mutex_lock(&d->lock);
	if (d->state != HV_DOM_SHUTDOWN && d->state != HV_DOM_CRASHED) {
		d->state = state;
		d->shutdown_reason = reason;
		d->end_ns = hv_now_ns();
	}
	dom_wake_all(d);
	pthread_mutex_unlock(&d->lock);
	for (int i = 0; i < d->nr_vcpus; i++)
		vcpu_kick_out(&d->vcpu[i]);
	timer_kick(d);
}

void dom_crash(struct domain *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->crash_why, sizeof(d->crash_why), fmt, ap);
	va_end(ap);
	dom_log(d, "lamina: domain %u (%s) killed: %s", d->id, d->name, d->crash_why);
	fprintf(stderr, "lamina: domain %u (%s) killed: %s\n", d->id, d->name, d->crash_why);
	dom_stop(d, HV_DOM_CRASHED, LAMINA_SHUTDOWN_CRASH);
}

void hv_kill(struct domain *d, const char *why)
{
	dom_crash(d, "%s", why);
}

void dom_shutdown(struct domain *d, int reason)
{
	dom_log(d, "lamina: domain %u (%s) shut down, reason %d", d->id, d->name, reason);
	dom_stop(d, HV_DOM_SHUTDOWN, reason);
}

/* Raise v's upcall vector (if registered) and wake it if blocked. Takes d->lock. */
void vcpu_upcall(struct vcpu *v)
{
	uint64_t one = 1;

	pthread_mutex_lock(&v->d->lock);
	dom_wake_all(v->d);
	pthread_mutex_unlock(&v->d->lock);
	if (v->upcall_vector && v->irq_efd >= 0 && write(v->irq_efd, &one, 8) != 8)
		dom_log(v->d, "lamina: irqfd write failed for vCPU %d", v->id);
}

/* A zeroed page of hypervisor memory, shareable with other processes later. */
void *hv_page_alloc(void)
{
	void *p = mmap(NULL, HV_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void hv_page_free(void *p)
{
	if (p)
		munmap(p, HV_PAGE);
}

/* shared_info at creation: every port masked, identity fields filled. */
static void shinfo_fill(struct domain *d)
{
	struct lamina_shared_info *s = (void *)d->shinfo;

	memset(s->evtchn_mask, 0xff, sizeof(s->evtchn_mask));
	s->domid = d->id;
	s->nr_vcpus = (uint32_t)d->nr_vcpus;
	for (unsigned i = 0; i < LAMINA_SHINFO_VCPUS; i++)
		s->vcpu_info[i].evtchn_upcall_mask = 1;
}

static int vcpu_setup(struct domain *d, int i, char *err, size_t n)
{
	struct vcpu *v = &d->vcpu[i];
	static const uint32_t sig[3] = { LAMINA_CPUID_SIG_EBX, LAMINA_CPUID_SIG_ECX,
					 LAMINA_CPUID_SIG_EDX };
	const uint32_t l1[4] = { LAMINA_ABI_VERSION, 0, 0, 0 };
	const uint32_t l2[4] = { LAMINA_HYPERCALL_PAGES, LAMINA_MSR_HYPERCALL, 0, 0 };

	v->d = d;
	v->id = i;
	v->irq_efd = -1;
	v->rs_state = LAMINA_RUNSTATE_OFFLINE;
	pthread_mutex_init(&v->rs_lock, NULL);
	pthread_mutex_init(&v->info_lock, NULL);
	v->vcpu_info_gpa = ~0ull;
	v->run = kvm_vcpu_create(d->hv->kvm, d->vmfd, i, &v->fd);
	if (!v->run || kvm_set_cpuid(d->hv->kvm, v->fd, i, sig, l1, l2) < 0) {
		snprintf(err, n, "creating vCPU %d: %s", i, strerror(errno));
		return -1;
	}
	v->irq_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->irq_efd < 0) {
		snprintf(err, n, "vCPU %d: eventfd: %s", i, strerror(errno));
		return -1;
	}
	return 0;
}

/* One MSI route per vCPU with an upcall vector (GSI 24 + vCPU id); each
 * vCPU's irqfd is bound to its GSI the first time. d->lock held. */
int vcpu_route_upcalls(struct domain *d)
{
	struct { struct kvm_irq_routing r; struct kvm_irq_routing_entry e[HV_MAX_VCPUS]; } t;
	unsigned n = 0;

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
		if (!v->upcall_vector)
			continue;
		struct kvm_irq_routing_entry *e = &t.e[n++];
		e->gsi = 24 + (unsigned)i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = 0xfee00000u | ((unsigned)i << 12);
		e->u.msi.data = v->upcall_vector;
	}
	t.r.nr = n;
	if (ioctl(d->vmfd, KVM_SET_GSI_ROUTING, &t) < 0)
		return -1;
	for (int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
		if (!v->upcall_vector || v->irqfd_bound)
			continue;
		struct kvm_irqfd f = { .fd = (uint32_t)v->irq_efd, .gsi = 24 + (unsigned)i };
		if (ioctl(d->vmfd, KVM_IRQFD, &f) < 0)
			return -1;
		v->irqfd_bound = true;
	}
	return 0;
}

struct hv *hv_open(char *err, size_t n)
{
	struct hv *hv = calloc(1, sizeof(*hv));

	if (!hv) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	hv->kvm = kvm_open(err, n);
	if (hv->kvm < 0) {
		free(hv);
		return NULL;
	}
	pthread_mutex_init(&hv->lock, NULL);
	vcpu_signals_init();
	return hv;
}

void hv_close(struct hv *hv)
{
	for (int i = 0; i < HV_MAX_DOMS; i++)
		if (hv->doms[i])
			hv_destroy(hv->doms[i]);
	store_hv_close(hv);
	evt_hv_close(hv);
	close(hv->kvm);
	free(hv);
}

struct domain *hv_domain_get(struct hv *hv, unsigned id)
{
	struct domain *d;

	d = NULL;
	pthread_mutex_lock(&hv->lock);
	for (int i = 1; i < HV_MAX_DOMS && id; i++)
		if (hv->doms[i] && hv->doms[i]->id == id)
			d = hv->doms[i];
	pthread_mutex_unlock(&hv->lock);
	return d;
}

/* Claim a free id (1..HV_MAX_DOMS-1) and a unique name. */
/* True if some registered domain has this name or id. hv->lock held. */
static bool taken(struct hv *hv, const char *name, unsigned id)
{
	for (int i = 1; i < HV_MAX_DOMS; i++)
		if (hv->doms[i] && (!strcmp(hv->doms[i]->name, name) || hv->doms[i]->id == id))
			return true;
	return false;
}

/* Take a slot and an id: `want` if non-zero (the toolstack numbers its
 * domains itself), else the lowest id in use by nobody. */
static int dom_register(struct hv *hv, struct domain *d, const char *name, unsigned want,
			char *err, size_t n)
{
	int slot = 0;
	unsigned id = want;

	pthread_mutex_lock(&hv->lock);
	for (int i = HV_MAX_DOMS - 1; i >= 1; i--)
		if (!hv->doms[i])
			slot = i;
	if (taken(hv, name, 0))
		snprintf(err, n, "a domain named '%s' already exists", name);
	else if (want && (want >= HV_MAX_DOMID || taken(hv, "", want)))
		snprintf(err, n, "domain id %u is in use or out of range (1-%u)", want,
			 HV_MAX_DOMID - 1);
	else if (!slot)
		snprintf(err, n, "too many domains (at most %d)", HV_MAX_DOMS - 1);
	else {
		for (id = want ? want : 1; !want && taken(hv, "", id); id++)
			;
		hv->doms[slot] = d;
		d->id = (uint16_t)id;
	}
	pthread_mutex_unlock(&hv->lock);
	return d->id ? 0 : -1;
}

static int check_params(const struct hv_dom_params *p, char *err, size_t n)
{
	if (!p->name || !*p->name || strlen(p->name) >= 64) {
		snprintf(err, n, "domain name must be 1-63 characters");
		return -1;
	}
	if (p->vcpus < 1 || p->vcpus > HV_MAX_VCPUS) {
		snprintf(err, n, "vcpus must be 1-%d, not %d", HV_MAX_VCPUS, p->vcpus);
		return -1;
	}
	if (p->max_bytes && p->max_bytes < p->mem_bytes) {
		snprintf(err, n, "maximum memory is below the initial memory");
		return -1;
	}
	if (!p->kernel) {
		snprintf(err, n, "no kernel given");
		return -1;
	}
	return 0;
}

static int load_kernel(struct domain *d, const struct hv_dom_params *p,
		       char *err, size_t n)
{
	size_t len;
	uint64_t entry;
	uint8_t *img = boot_read_file(p->kernel, &len, err, n);

	if (!img)
		return -1;
	if (boot_linux_detect(img, len)) {   /* a bzImage: boot_linux.c does it all */
		int lrc = boot_linux(d, p, img, len, err, n);
		free(img);
		return lrc;
	}
	int rc = boot_elf(d, img, len, &entry, err, n);
	free(img);
	if (rc < 0)
		return -1;
	if (p->cmdline)
		snprintf((char *)d->ram + BOOT_CMDLINE, HV_PAGE, "%s", p->cmdline);
	d->vcpu[0].up = true;
	d->vcpu[0].ever_ran = true;
	if (boot_vcpu_regs(&d->vcpu[0], entry, BOOT_STACK, BOOT_CMDLINE) < 0) {
		snprintf(err, n, "setting vCPU 0 registers: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int dom_build(struct domain *d, const struct hv_dom_params *p,
		     char *err, size_t n)
{
	uint64_t max = p->max_bytes ? p->max_bytes : p->mem_bytes;

	d->vmfd = kvm_vm_create(d->hv->kvm, err, n);
	if (d->vmfd < 0 || mem_init(d, max, err, n) < 0)
		return -1;
	d->tsc_deadline = kvm_tsc_deadline(d->hv->kvm);
	if (d->halt_poll_max && kvm_halt_poll(d->vmfd, d->halt_poll_max) < 0) {
		snprintf(err, n, "KVM_CAP_HALT_POLL: %s", strerror(errno));
		return -1;
	}
	d->max_pages = max / HV_PAGE;
	mem_release_range(d, p->mem_bytes / HV_PAGE, (max - p->mem_bytes) / HV_PAGE);
	d->shinfo = hv_page_alloc();
	d->store_page = hv_page_alloc();
	d->console_page = hv_page_alloc_fd("lamina-console-ring", &d->console_page_fd);
	if (!d->shinfo || !d->store_page || !d->console_page) {
		snprintf(err, n, "hypervisor pages: %s", strerror(errno));
		return -1;
	}
	shinfo_fill(d);
	for (int i = 0; i < d->nr_vcpus; i++)
		if (vcpu_setup(d, i, err, n) < 0)
			return -1;
	if (clock_align_tsc(d, p->tsc_skew_us, err, n) < 0)
		return -1;
	if (evt_domain_init(d) < 0 || grant_domain_init(d) < 0 ||
	    console_init(d, p) < 0) {
		snprintf(err, n, "setting up event channels, grants or console");
		return -1;
	}
	if (store_domain_init(d) < 0) {
		snprintf(err, n, "connecting the domain to the store (see its log)");
		return -1;
	}
	if (hv_dev_init_all(d, err, n) < 0)
		return -1;
	return load_kernel(d, p, err, n);
}

struct domain *hv_create(struct hv *hv, const struct hv_dom_params *p,
			 char *err, size_t n)
{
	if (check_params(p, err, n) < 0)
		return NULL;
	struct domain *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	d->hv = hv;
	d->vmfd = d->memfd = d->log_fd = d->timer_efd = d->console_page_fd = -1;
	d->shinfo_gfn = ~0ull;
	d->nr_vcpus = p->vcpus;
	d->lim.evtchns = p->lim.evtchns ? p->lim.evtchns : 1023;
	d->lim.grant_frames = p->lim.grant_frames ? p->lim.grant_frames : 64;
	d->halt_poll_max = p->halt_poll_us > 0 ? p->halt_poll_us * 1000ll : 0;
	d->boot_ns = hv_now_ns();
	snprintf(d->name, sizeof(d->name), "%s", p->name);
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->wc_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	if (p->log_path)
		d->log_fd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (dom_register(hv, d, p->name, p->domid, err, n) < 0) {
		d->id = 0;
		hv_destroy(d);
		return NULL;
	}
	if (dom_build(d, p, err, n) < 0) {
		hv_destroy(d);
		return NULL;
	}
	return d;
}

int hv_start(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->state != HV_DOM_CREATED) {
		pthread_mutex_unlock(&d->lock);
		return -1;
	}
	d->state = HV_DOM_RUNNING;
	d->start_ns = hv_now_ns();
	pthread_mutex_unlock(&d->lock);
	if (timer_start(d) < 0)
		return -1;
	for (int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
		if (pthread_create(&v->thread, NULL, vcpu_main, v) != 0)
			return -1;
		pthread_mutex_lock(&d->lock);
		v->started = true;
		if (v->affinity)
			pthread_setaffinity_np(v->thread, sizeof(cpu_set_t), v->affinity);
		pthread_mutex_unlock(&d->lock);
		vcpu_name_thread(v);
	}
	return 0;
}

int hv_wait(struct domain *d)
{
	pthread_mutex_lock(&d->lock);
	while (d->state != HV_DOM_SHUTDOWN && d->state != HV_DOM_CRASHED)
		pthread_cond_wait(&d->wake, &d->lock);
	int r = d->shutdown_reason;
	pthread_mutex_unlock(&d->lock);
	return r;
}

static int set_paused(struct domain *d, int from, int to)
{
	int rc = -1;

	pthread_mutex_lock(&d->lock);
	if (d->state == from) {
		d->state = to;
		rc = 0;
	}
	dom_wake_all(d);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

int hv_pause(struct domain *d)
{
	if (set_paused(d, HV_DOM_RUNNING, HV_DOM_PAUSED) < 0)
		return -1;
	for (int i = 0; i < d->nr_vcpus; i++)
		vcpu_kick_out(&d->vcpu[i]);
	return 0;
}

int hv_unpause(struct domain *d) { return set_paused(d, HV_DOM_PAUSED, HV_DOM_RUNNING); }

void hv_destroy(struct domain *d)
{
	dom_stop(d, HV_DOM_SHUTDOWN, LAMINA_SHUTDOWN_POWEROFF);
	for (int i = 0; i < d->nr_vcpus; i++)
		if (d->vcpu[i].started)
			pthread_join(d->vcpu[i].thread, NULL);
	timer_stop(d);
	hv_dev_free_all(d);     /* before the store, its ports and console go */
	store_domain_free(d);   /* before its store port goes */
	if (d->evt)   /* first: peers may deliver (write irqfds) until it is gone */
		evt_domain_free(d);
	for (int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpu[i];
		if (v->irq_efd >= 0)
			close(v->irq_efd);
		if (v->fd > 0)
			close(v->fd);
		free(v->affinity);
	}
	if (d->gnt)
		grant_domain_free(d);
	if (d->con)
		console_free(d);
	pthread_mutex_lock(&d->hv->lock);
	for (int i = 1; i < HV_MAX_DOMS; i++)
		if (d->hv->doms[i] == d)
			d->hv->doms[i] = NULL;
	pthread_mutex_unlock(&d->hv->lock);
	mem_free(d);
	hv_page_free(d->shinfo);
	hv_page_free(d->store_page);
	hv_page_free(d->console_page);
	if (d->console_page_fd >= 0)
		close(d->console_page_fd);
	if (d->vmfd >= 0)
		close(d->vmfd);
	if (d->log_fd >= 0)
		close(d->log_fd);
	free(d);
}

int hv_stats(struct domain *d, struct hv_dom_stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&d->lock);
	s->state = d->state;
	s->reason = d->shutdown_reason;
	if (d->start_ns)
		s->run_ns = (uint64_t)((d->end_ns ? d->end_ns : hv_now_ns()) - d->start_ns);
	pthread_mutex_unlock(&d->lock);
	s->vcpus = d->nr_vcpus;
	s->cur_pages = atomic_load(&d->cur_pages);
	s->max_pages = d->max_pages;
	for (int i = 0; i < d->nr_vcpus; i++) {
		for (int k = 0; k < HV_EXIT_KINDS; k++)
			s->user_exits[k] += atomic_load(&d->vcpu[i].exits[k]);
		struct lamina_vcpu_runstate_info ri;
		runstate_snapshot(&d->vcpu[i], &ri);
		s->cpu_ns += ri.time[LAMINA_RUNSTATE_RUNNING];
	}
	for (int h = 0; h < HV_HC_SLOTS; h++)
		s->hypercalls[h] = atomic_load(&d->hc_count[h]);
	s->doorbell_exits = atomic_load(&d->doorbell_exits);
	s->device_io_exits = atomic_load(&d->device_io_exits);
	return 0;
}

const char *hv_dom_name(struct domain *d) { return d->name; }
int hv_dom_id(struct domain *d) { return d->id; }
const char *hv_crash_reason(struct domain *d) { return d->crash_why; }
