// SPDX-License-Identifier: MIT
// The "kvm" back-end: laminad's domains live in lamina-hvd (hypervisor/hvd), reached over its socket.
//
// Calls are requests on one connection, each waiting for its reply (at
// most HH_TIMEOUT_MS); console output and traces arrive on a second,
// subscribed connection and wait per domain until laminad reads them.
// Domains outlive laminad: close() only disconnects, recover() finds them
// again.  If lamina-hvd goes away every domain reads as crashed and
// alive() says so.
#include "hvif_hvd_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static void hh_close(struct hv_backend *be)
{
	while (be->doms) {
		struct hv_dom *hd = be->doms;
		be->doms = hd->next;
		free(hd->con);
		free(hd->tq);
		free(hd);
	}
	if (be->ctl >= 0)
		close(be->ctl);
	if (be->ev >= 0)
		close(be->ev);
	if (be->epfd >= 0)
		close(be->epfd);
	free(be);
}

static struct hv_backend *hh_open(const struct hvif_env *env, char *err, size_t len)
{
	struct hv_backend *be = calloc(1, sizeof(*be));

	if (!be) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	be->ctl = be->ev = -1;
	be->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (be->epfd < 0 || hh_open_conns(be, env, err, len)) {
		if (be->epfd < 0)
			snprintf(err, len, "epoll: %s", strerror(errno));
		hh_close(be);
		return NULL;
	}
	return be;
}

static int hh_event_fd(struct hv_backend *be)
{
	return be->epfd;
}

static void hh_process(struct hv_backend *be)
{
	hh_events(be);
}

struct hv_dom *hh_new_dom(struct hv_backend *be, unsigned id)
{
	struct hv_dom *hd = calloc(1, sizeof(*hd));

	if (!hd)
		return NULL;
	hd->be = be;
	hd->id = id;
	hd->next = be->doms;
	be->doms = hd;
	return hd;
}

static void put_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void put_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

// lamina-hvd gets explicit parameters, and the domain XML only to keep for recover().
static json_object *create_req(const struct dom_config *cfg, bool paused)
{
	json_object *rq = hh_req("create", 0);
	char *xml = config_to_xml(cfg);

	put_str(rq, "name", cfg->name);
	put_str(rq, "kernel", cfg->kernel);
	put_str(rq, "initrd", cfg->initrd);
	put_str(rq, "cmdline", cfg->cmdline);
	put_u64(rq, "mem_kib", cfg->memory_kib);
	put_u64(rq, "maxmem_kib", cfg->maxmem_kib);
	put_u64(rq, "vcpus", cfg->vcpus);
	put_u64(rq, "vcpus_online", cfg->vcpus_current ? cfg->vcpus_current : cfg->vcpus);
	put_u64(rq, "evtchns", cfg->max_evtchn);
	put_u64(rq, "grant_frames", cfg->max_grant_frames);
	json_object_object_add(rq, "console", json_object_new_boolean(cfg->console != DOM_CONSOLE_NULL));
	json_object_object_add(rq, "paused", json_object_new_boolean(paused));
	put_str(rq, "config", xml);
	free(xml);
	return rq;
}

// What the schema accepts but this back-end cannot do yet is refused, never
// listed and ignored: 0, or -1 with the element and the reason in err.
// (Disks and interfaces are served by back-end processes laminad starts.)
static int hh_refuse(const struct dom_config *cfg, char *err, size_t len)
{
	if (cfg->vcpus_current && cfg->vcpus_current != cfg->vcpus)
		snprintf(err, len, "<vcpu current='%u'>%u</vcpu>: the kvm back-end runs every vCPU "
			 "and cannot take one offline (no vCPU hot-plug yet); drop 'current' or set "
			 "it to %u", cfg->vcpus_current, cfg->vcpus, cfg->vcpus);
	else
		return 0;
	return -1;
}

// The daemon's proposed id is not used: lamina-hvd gives ids (dom_id()).
static struct hv_dom *hh_create(struct hv_backend *be, const struct dom_config *cfg, unsigned id,
				bool paused, char *err, size_t len)
{
	json_object *rep, *v;
	struct hv_dom *hd;

	(void)id;
	if (hh_refuse(cfg, err, len))
		return NULL;
	if (hh_call_wait(be, create_req(cfg, paused), &rep, HH_CREATE_TIMEOUT_MS)) {
		snprintf(err, len, "%s", be->err);
		return NULL;
	}
	json_object_object_get_ex(rep, "id", &v);
	hd = hh_new_dom(be, (unsigned)json_object_get_int(v));
	json_object_put(rep);
	if (!hd)
		snprintf(err, len, "out of memory");
	return hd;
}

static unsigned hh_dom_id(struct hv_dom *hd)
{
	return hd->id;
}

// Forget hd here; lamina-hvd destroys it (unless it is gone already).
static void hh_destroy(struct hv_dom *hd)
{
	struct hv_backend *be = hd->be;
	struct hv_dom **pp = &be->doms;
	json_object *rep;

	if (!be->gone && hh_call(be, hh_req("destroy", hd->id), &rep) == 0)
		json_object_put(rep);
	while (*pp && *pp != hd)
		pp = &(*pp)->next;
	if (*pp)
		*pp = hd->next;
	free(hd->con);
	free(hd->tq);
	free(hd);
}

// A request about hd whose reply carries nothing else: 0 or -errno.
static int simple(struct hv_dom *hd, json_object *rq)
{
	json_object *rep;
	int rc = hh_call(hd->be, rq, &rep);

	json_object_put(rep);
	return rc;
}

static int hh_pause(struct hv_dom *hd)
{
	return simple(hd, hh_req("pause", hd->id));
}

static int hh_unpause(struct hv_dom *hd)
{
	return simple(hd, hh_req("unpause", hd->id));
}

static int hh_shutdown(struct hv_dom *hd, enum hv_reason why)
{
	json_object *rq = hh_req("shutdown", hd->id);

	if (why != HV_REASON_POWEROFF && why != HV_REASON_REBOOT) {
		json_object_put(rq);
		return -EINVAL;
	}
	put_str(rq, "reason", why == HV_REASON_REBOOT ? "reboot" : "poweroff");
	return simple(hd, rq);
}

static int hh_set_mem(struct hv_dom *hd, uint64_t kib)
{
	json_object *rq = hh_req("mem-target", hd->id);

	put_u64(rq, "kib", kib);
	return simple(hd, rq);
}

static int hh_set_vcpus(struct hv_dom *hd, unsigned online)
{
	json_object *rq = hh_req("vcpus", hd->id);
	int rc;

	put_u64(rq, "online", online);
	rc = simple(hd, rq);
	return rc == -ENOTSUP ? -ENOSYS : rc; // laminad: "not supported by this back-end"
}

static int hh_pin(struct hv_dom *hd, unsigned vcpu, const uint64_t *cpus, unsigned ncpus)
{
	json_object *rq = hh_req("pin", hd->id), *a = json_object_new_array();

	for (unsigned c = 0; c < ncpus; c++)
		if (cpus[c / 64] & (1ull << (c % 64)))
			json_object_array_add(a, json_object_new_int((int)c));
	put_u64(rq, "vcpu", vcpu);
	json_object_object_add(rq, "cpus", a);
	return simple(hd, rq);
}

static ssize_t hh_con_read(struct hv_dom *hd, void *buf, size_t len)
{
	size_t n = hd->con_len < len ? hd->con_len : len;

	memcpy(buf, hd->con, n);
	memmove(hd->con, hd->con + n, hd->con_len - n);
	hd->con_len -= n;
	return (ssize_t)n;
}

static ssize_t hh_con_write(struct hv_dom *hd, const void *buf, size_t len)
{
	char b64[HVD_B64_LEN(HVD_CHUNK)];
	json_object *rq, *rep, *v;
	ssize_t taken;

	if (len > HVD_CHUNK)
		len = HVD_CHUNK;
	hvd_b64_encode(buf, len, b64);
	rq = hh_req("console-write", hd->id);
	put_str(rq, "data", b64);
	if (hh_call(hd->be, rq, &rep))
		return -EIO;
	json_object_object_get_ex(rep, "taken", &v);
	taken = json_object_get_int(v);
	json_object_put(rep);
	return taken;
}

static const char *hh_backend_socket(struct hv_backend *be)
{
	return be->sock;
}

// lamina-hvd sends the device's back-end a detach event (and cuts it off 2 s later).
static int hh_backend_detach(struct hv_dom *hd, const char *type, unsigned devid)
{
	json_object *rq = hh_req("backend-detach", hd->id);

	put_str(rq, "type", type);
	put_u64(rq, "devid", devid);
	return simple(hd, rq);
}

const struct hvif hvif_hvd = {
	.name = "kvm",
	.keeps_domains = true,
	.open = hh_open,
	.close = hh_close,
	.event_fd = hh_event_fd,
	.process = hh_process,
	.create = hh_create,
	.destroy = hh_destroy,
	.pause = hh_pause,
	.unpause = hh_unpause,
	.shutdown = hh_shutdown,
	.set_mem_target = hh_set_mem,
	.set_vcpus = hh_set_vcpus,
	.pin_vcpu = hh_pin,
	.stats = hh_stats,
	.console_read = hh_con_read,
	.console_write = hh_con_write,
	.trace_subscribe = hh_trace_subscribe,
	.trace_read = hh_trace_read,
	.dom_id = hh_dom_id,
	.recover = hh_recover,
	.stop_all = hh_stop_all,
	.alive = hh_alive,
	.backend_socket = hh_backend_socket,
	.backend_detach = hh_backend_detach,
};
