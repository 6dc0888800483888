// SPDX-License-Identifier: MIT
// Fake back-end: simulated domains for tests and `laminad --fake` (no KVM needed).
//
// A domain "boots" at once, prints a banner on its console, echoes console
// input and counts made-up exits and hypercalls every 50 ms tick.  Guest
// shutdown takes three ticks.  Two cmdline words steer it for tests:
// "fake.fail" makes create fail and "fake.crash" crashes it after ten ticks.
#include "hvif_fake_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

static struct hv_backend *fake_open(const struct hvif_env *env, char *err, size_t errlen)
{
	struct hv_backend *hv = calloc(1, sizeof(*hv));
	struct itimerspec its = { { 0, FAKE_TICK_NS }, { 0, FAKE_TICK_NS } };

	(void)env;
	if (!hv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	hv->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (hv->tfd < 0 || timerfd_settime(hv->tfd, 0, &its, NULL)) {
		snprintf(err, errlen, "timerfd: %s", strerror(errno));
		if (hv->tfd >= 0)
			close(hv->tfd);
		free(hv);
		return NULL;
	}
	return hv;
}

static void fake_close(struct hv_backend *hv)
{
	close(hv->tfd);
	free(hv);
}

static int fake_event_fd(struct hv_backend *hv)
{
	return hv->tfd;
}

static void fake_process(struct hv_backend *hv)
{
	uint64_t ticks = 0;

	if (read(hv->tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	for (; ticks; ticks--) {
		hv->now_ns += FAKE_TICK_NS;
		for (struct hv_dom *d = hv->doms; d; d = d->next)
			fake_tick(d);
	}
}

static void init_devices(struct hv_dom *d, const struct dom_config *cfg)
{
	for (size_t i = 0; i < cfg->ndisks; i++)
		memcpy(d->targets[d->ntargets++], cfg->disks[i].target, DOM_TARGET_MAX);
	for (size_t i = 0; i < cfg->nnics; i++)
		memcpy(d->macs[d->nmacs++], cfg->nics[i].mac, 6);
}

static struct hv_dom *fake_create(struct hv_backend *hv, const struct dom_config *cfg,
				  unsigned id, bool paused, char *err, size_t errlen)
{
	struct hv_dom *d;
	char banner[160];

	if (cfg->cmdline && strstr(cfg->cmdline, "fake.fail")) {
		snprintf(err, errlen, "fake back-end: kernel refused to boot (fake.fail)");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*d = (struct hv_dom){ .hv = hv, .next = hv->doms, .id = id, .shutdown_ticks = -1,
			      .state = paused ? HV_PAUSED : HV_RUNNING,
			      .crash_ticks = cfg->cmdline && strstr(cfg->cmdline, "fake.crash")
						     ? 10 : -1,
			      .vcpus = cfg->vcpus_current, .max_vcpus = cfg->vcpus,
			      .mem_kib = cfg->memory_kib, .maxmem_kib = cfg->maxmem_kib };
	snprintf(d->name, sizeof(d->name), "%s", cfg->name);
	init_devices(d, cfg);
	snprintf(banner, sizeof(banner), "Lamina fake console: %s (id %u)\r\nlogin: ",
		 d->name, id);
	fake_con_put(d, banner, strlen(banner));
	hv->doms = d;
	return d;
}

static void fake_destroy(struct hv_dom *d)
{
	struct hv_dom **pp = &d->hv->doms;

	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	free(d);
}

static int fake_pause(struct hv_dom *d)
{
	if (d->state != HV_RUNNING && d->state != HV_SHUTTING_DOWN)
		return -EINVAL;
	d->state = HV_PAUSED;
	return 0;
}

static int fake_unpause(struct hv_dom *d)
{
	if (d->state != HV_PAUSED)
		return -EINVAL;
	d->state = d->shutdown_ticks >= 0 ? HV_SHUTTING_DOWN : HV_RUNNING;
	return 0;
}

static int fake_shutdown(struct hv_dom *d, enum hv_reason why)
{
	if (d->state == HV_SHUTOFF || d->state == HV_CRASHED)
		return -EINVAL;
	if (d->state == HV_RUNNING)
		d->state = HV_SHUTTING_DOWN;
	d->pending = why;
	d->shutdown_ticks = 3;
	return 0;
}

static int fake_set_mem(struct hv_dom *d, uint64_t kib)
{
	if (kib > d->maxmem_kib)
		return -EINVAL;
	d->mem_kib = kib;
	return 0;
}

static int fake_set_vcpus(struct hv_dom *d, unsigned online)
{
	if (!online || online > d->max_vcpus)
		return -EINVAL;
	d->vcpus = online;
	return 0;
}

static int fake_pin(struct hv_dom *d, unsigned vcpu, const uint64_t *cpus, unsigned ncpus)
{
	(void)cpus;
	return vcpu < d->max_vcpus && ncpus ? 0 : -EINVAL;
}

static int fake_disk_attach(struct hv_dom *d, const struct dom_disk *disk)
{
	if (d->ntargets == DOM_MAX_DISKS * 2)
		return -ENOSPC;
	memcpy(d->targets[d->ntargets++], disk->target, DOM_TARGET_MAX);
	return 0;
}

static int fake_disk_detach(struct hv_dom *d, const char *target)
{
	for (size_t i = 0; i < d->ntargets; i++)
		if (!strcmp(d->targets[i], target)) {
			memcpy(d->targets[i], d->targets[--d->ntargets], DOM_TARGET_MAX);
			return 0;
		}
	return -ENOENT;
}

static int fake_nic_attach(struct hv_dom *d, const struct dom_nic *nic)
{
	if (d->nmacs == DOM_MAX_NICS * 2)
		return -ENOSPC;
	memcpy(d->macs[d->nmacs++], nic->mac, 6);
	return 0;
}

static int fake_nic_detach(struct hv_dom *d, const uint8_t mac[6])
{
	for (size_t i = 0; i < d->nmacs; i++)
		if (!memcmp(d->macs[i], mac, 6)) {
			memcpy(d->macs[i], d->macs[--d->nmacs], 6);
			return 0;
		}
	return -ENOENT;
}

static ssize_t fake_con_read(struct hv_dom *d, void *buf, size_t len)
{
	if (len > d->con_len)
		len = d->con_len;
	memcpy(buf, d->con, len);
	memmove(d->con, d->con + len, d->con_len - len);
	d->con_len -= len;
	return (ssize_t)len;
}

static ssize_t fake_con_write(struct hv_dom *d, const void *buf, size_t len)
{
	const char *p = buf;

	for (size_t i = 0; i < len; i++)
		fake_con_put(d, p[i] == '\r' ? "\r\n" : &p[i], p[i] == '\r' ? 2 : 1);
	return (ssize_t)len;
}

static int fake_trace_subscribe(struct hv_dom *d, bool on)
{
	d->tracing = on;
	d->trace_len = on ? d->trace_len : 0;
	return 0;
}

static int fake_trace_read(struct hv_dom *d, struct hv_trace_event *ev)
{
	if (!d->trace_len)
		return 0;
	*ev = d->trace[d->trace_head];
	d->trace_head = (d->trace_head + 1) % FAKE_TRACE_MAX;
	d->trace_len--;
	return 1;
}

// With LAMINA_FAKE_BACKENDS set (tests), laminad starts device back-end
// processes for fake domains too; they are given a socket that nothing serves.
static const char *fake_backend_socket(struct hv_backend *hv)
{
	const char *on = getenv("LAMINA_FAKE_BACKENDS");

	(void)hv;
	return on && *on ? "/nonexistent/lamina-fake-hvd.sock" : NULL;
}

const struct hvif hvif_fake = {
	.name = "fake",
	.open = fake_open,
	.close = fake_close,
	.event_fd = fake_event_fd,
	.process = fake_process,
	.create = fake_create,
	.destroy = fake_destroy,
	.pause = fake_pause,
	.unpause = fake_unpause,
	.shutdown = fake_shutdown,
	.set_mem_target = fake_set_mem,
	.set_vcpus = fake_set_vcpus,
	.pin_vcpu = fake_pin,
	.disk_attach = fake_disk_attach,
	.disk_detach = fake_disk_detach,
	.nic_attach = fake_nic_attach,
	.nic_detach = fake_nic_detach,
	.stats = fake_stats,
	.console_read = fake_con_read,
	.console_write = fake_con_write,
	.trace_subscribe = fake_trace_subscribe,
	.trace_read = fake_trace_read,
	.backend_socket = fake_backend_socket,
};
