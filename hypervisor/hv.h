// SPDX-License-Identifier: MIT
// hv.h: libhv's public interface: create, run, control and observe Lamina domains.
#ifndef HV_HV_H
#define HV_HV_H
#include <stddef.h>
#include <stdint.h>

struct hv;
struct domain;

enum { HV_DOM_CREATED, HV_DOM_RUNNING, HV_DOM_PAUSED, HV_DOM_SHUTDOWN, HV_DOM_CRASHED };

struct hv_limits {
	unsigned evtchns;       /* event channel ports, default 1023 */
	unsigned grant_frames;  /* grant-table frames, default 64 */
};

struct hv_dom_params {
	const char *name;
	const char *kernel;     /* ELF64 test guest or Linux bzImage */
	const char *initrd;     /* optional */
	const char *cmdline;    /* optional */
	uint64_t mem_bytes;     /* initial memory */
	uint64_t max_bytes;     /* ceiling; 0 = mem_bytes */
	int vcpus;
	struct hv_limits lim;   /* 0 fields take the defaults */
	int console_fd;         /* where console output goes; -1 = log only */
	const char *console_prefix; /* if set, each output line starts "[prefix] " */
	const char *log_path;   /* per-domain log; NULL = none */
};

struct hv_dom_stats {
	int state, reason, vcpus;
	uint64_t cur_pages, max_pages;
	uint64_t cpu_ns;
	uint64_t exits[40];
	uint64_t hypercalls[64];
	uint64_t doorbell_exits;    /* doorbells to back-end ports that reached user space */
};

struct hv *hv_open(char *err, size_t errlen);
void hv_close(struct hv *hv);
struct domain *hv_create(struct hv *hv, const struct hv_dom_params *p,
			 char *err, size_t errlen);
int hv_start(struct domain *d);
int hv_wait(struct domain *d);          /* returns the shutdown reason */
int hv_pause(struct domain *d);
int hv_unpause(struct domain *d);
void hv_destroy(struct domain *d);
void hv_kill(struct domain *d, const char *why);   /* end it as crashed, logging why */
int hv_stats(struct domain *d, struct hv_dom_stats *s);
const char *hv_dom_name(struct domain *d);
int hv_dom_id(struct domain *d);
const char *hv_crash_reason(struct domain *d);
#endif
