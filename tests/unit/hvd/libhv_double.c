// SPDX-License-Identifier: MIT
// libhv_double.c: a stand-in for libhv under lamina-hvd's unit tests: domains that exist, pause and report state, without KVM.
#include "libhv_double.h"

#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

struct domain {
	int state, reason;
	unsigned id;
	char name[64];
};

int dbl_creates, dbl_destroys;

struct domain *hv_create(struct hv *hv, const struct hv_dom_params *p, char *err, size_t n)
{
	struct domain *d;

	(void)hv;
	if (!strcmp(p->kernel, "/nonexistent")) {
		snprintf(err, n, "kernel '/nonexistent': No such file or directory");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	d->state = HV_DOM_CREATED;
	d->id = p->domid;
	snprintf(d->name, sizeof(d->name), "%s", p->name);
	dbl_creates++;
	return d;
}

void hv_destroy(struct domain *d)
{
	dbl_destroys++;
	free(d);
}

int hv_start(struct domain *d) { d->state = HV_DOM_RUNNING; return 0; }
int hv_wait(struct domain *d) { (void)d; return 0; }
void hv_stop(struct domain *d) { d->state = HV_DOM_SHUTDOWN; }
int hv_pause(struct domain *d) { if (d->state != HV_DOM_RUNNING) return -1; d->state = HV_DOM_PAUSED; return 0; }
int hv_unpause(struct domain *d) { if (d->state != HV_DOM_PAUSED) return -1; d->state = HV_DOM_RUNNING; return 0; }

int hv_stats(struct domain *d, struct hv_dom_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->state = d->state;
	s->reason = d->reason;
	s->cur_pages = s->max_pages = 8192;
	s->hypercalls[2] = 5;
	return 0;
}

const char *hv_exit_name(unsigned k) { return k < HV_EXIT_KINDS ? "kind" : NULL; }
const char *hv_hypercall_name(unsigned nr) { return nr == 2 ? "console_io" : NULL; }
const char *hv_crash_reason(struct domain *d) { (void)d; return ""; }
void hv_vcpu_where(struct domain *d, char *buf, size_t n) { (void)d; snprintf(buf, n, "vCPU 0 blocked"); }
int hv_request_shutdown(struct domain *d, int reason) { (void)d; (void)reason; return 0; }
int hv_set_mem_target(struct domain *d, uint64_t kib) { (void)d; return kib > 65536 ? -EINVAL : 0; }
int hv_vcpu_pin(struct domain *d, int vcpu, const uint64_t *mask, unsigned ncpus)
{
	(void)d;
	(void)mask;
	(void)ncpus;
	return vcpu == 0 ? 0 : -EINVAL;
}
int hv_console_input(struct domain *d, const char *buf, size_t len) { (void)d; (void)buf; return (int)len; }
void hv_set_trace(struct domain *d, hv_trace_fn *fn, void *ctx) { (void)d; (void)fn; (void)ctx; }
struct hv *hv_open(char *err, size_t n) { snprintf(err, n, "no KVM in unit tests"); return NULL; }
void hv_close(struct hv *hv) { (void)hv; }

int hv_dom_id(struct domain *d) { return (int)d->id; }

// The store: a flat table of paths and values; watches are recorded, never fired.
#define DBL_NODES 64
static struct { char path[256], val[256]; } nodes[DBL_NODES];
int dbl_watches;

static int node(const char *path, bool make)
{
	for (int i = 0; i < DBL_NODES; i++)
		if (!strcmp(nodes[i].path, path))
			return i;
	for (int i = 0; make && i < DBL_NODES; i++)
		if (!nodes[i].path[0]) {
			snprintf(nodes[i].path, sizeof(nodes[i].path), "%s", path);
			return i;
		}
	return -1;
}

const char *dbl_store(const char *path)
{
	int i = node(path, false);

	return i < 0 ? NULL : nodes[i].val;
}

void dbl_store_reset(void) { memset(nodes, 0, sizeof(nodes)); dbl_watches = 0; }

int hv_store_read(struct hv *hv, const char *path, char *buf, size_t size)
{
	int i = node(path, false);

	(void)hv;
	if (i < 0)
		return -ENOENT;
	snprintf(buf, size, "%s", nodes[i].val);
	return (int)strlen(buf);
}

int hv_store_write(struct hv *hv, const char *path, const char *val)
{
	int i = node(path, true);

	(void)hv;
	if (i < 0)
		return -ENOSPC;
	snprintf(nodes[i].val, sizeof(nodes[i].val), "%s", val);
	return 0;
}

int hv_store_write_all(struct hv *hv, const char *dir, const char *const key[], const char *const val[],
		       unsigned n)
{
	char path[512];
	int rc = 0;

	for (unsigned i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, key[i]);
		rc = hv_store_write(hv, path, val[i]);
	}
	return rc;
}

int hv_store_mkdir(struct hv *hv, const char *path) { return hv_store_write(hv, path, ""); }
int hv_store_rm(struct hv *hv, const char *path) // the node and all below
{
	size_t n = strlen(path);

	(void)hv;
	for (int i = 0; i < DBL_NODES; i++)
		if (!strncmp(nodes[i].path, path, n) && (!nodes[i].path[n] || nodes[i].path[n] == '/'))
			memset(&nodes[i], 0, sizeof(nodes[i]));
	return 0;
}
int hv_store_set_perms(struct hv *hv, const char *path, const char *perms)
{
	(void)hv;
	(void)perms;
	return node(path, false) < 0 ? -ENOENT : 0;
}
hv_store_watch_fn *dbl_watch_fn;
void *dbl_watch_arg;
char dbl_watch_token[64];

int hv_store_watch(struct hv *hv, const char *path, const char *token, hv_store_watch_fn *fn,
		   void *arg)
{
	(void)hv; (void)path;
	dbl_watch_fn = fn;
	dbl_watch_arg = arg;
	snprintf(dbl_watch_token, sizeof(dbl_watch_token), "%s", token);
	dbl_watches++;
	return 0;
}
int hv_store_unwatch(struct hv *hv, const char *path, const char *token)
{
	(void)hv; (void)path; (void)token;
	dbl_watches--;
	return 0;
}

// Grants: refs 0-7 are granted to domain 0, 8-15 to another domain, 16 is
// read-only, refs from 64 on are beyond the table.  dbl_pins: live pins.
int dbl_pins, dbl_ports;

int hv_bk_grant_pin(struct domain *d, uint32_t ref, uint64_t *gfn, uint32_t *handle)
{
	(void)d;
	if (ref >= 64)
		return -EINVAL;
	if (ref >= 8 && ref < 16)
		return -EACCES;
	if (ref == 16)
		return -EROFS;
	if (ref > 16)
		return -EACCES;
	*gfn = 0x100 + ref;
	*handle = ref;
	dbl_pins++;
	return 0;
}

int hv_bk_grant_unpin(struct hv *hv, uint32_t handle) { (void)hv; (void)handle; dbl_pins--; return 0; }

int hv_bk_udmabuf(struct domain *d, const uint64_t *gfns, unsigned n)
{
	(void)d; (void)gfns; (void)n;
	return memfd_create("dbl-udmabuf", MFD_CLOEXEC);
}

// Port 5 is unbound for domain 0; every other port is not.
int hv_bk_evt_bind(struct domain *d, uint32_t port, int *efd)
{
	(void)d;
	if (port != 5)
		return -EINVAL;
	*efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dbl_ports++;
	return 0;
}
void hv_bk_evt_notify(struct domain *d, uint32_t port) { (void)d; (void)port; }
void hv_bk_evt_close(struct hv *hv, int efd) { (void)hv; close(efd); dbl_ports--; }
