// SPDX-License-Identifier: MIT
// libhv_double.c: a stand-in for libhv under lamina-hvd's unit tests: domains that exist, pause and report state, without KVM.
#include "libhv_double.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct domain {
	int state, reason;
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
