// SPDX-License-Identifier: MIT
// hcall.h: the hypercall table: one handler shape (decode, validate, act) for every call.
#ifndef HV_HCALL_H
#define HV_HCALL_H
#include "dom.h"
#include "hv_ports.h"

/* a[0..4] are rdi, rsi, rdx, r10, r8. Returns >= 0 or -LAMINA_E*. */
typedef int64_t (*hc_fn)(struct vcpu *v, const uint64_t a[5]);

struct hc_entry {
	const char *name;
	hc_fn fn;
	unsigned nargs;      /* for trace output */
};

extern const struct hc_entry hc_table[];
extern const unsigned hc_table_len;

int64_t hcall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5]);
int hcall_page_install(struct domain *d, uint64_t gpa);
void hcall_on_exit(struct vcpu *v, uint8_t *data);   /* a PIO IN on HC_PORT */
/* A doorbell OUT on HC_DOORBELL that reached user space: event_send(port). */
int64_t hcall_doorbell(struct vcpu *v, uint32_t port);

/* Handlers (one file per hypercall group). */
int64_t hc_null(struct vcpu *v, const uint64_t a[5]);
int64_t hc_version(struct vcpu *v, const uint64_t a[5]);
int64_t hc_console_io(struct vcpu *v, const uint64_t a[5]);
int64_t hc_sched_op(struct vcpu *v, const uint64_t a[5]);
int64_t hc_set_timer_op(struct vcpu *v, const uint64_t a[5]);
int64_t hc_vcpu_op(struct vcpu *v, const uint64_t a[5]);
int64_t hc_memory_op(struct vcpu *v, const uint64_t a[5]);
int64_t hc_event_channel_op(struct vcpu *v, const uint64_t a[5]);
int64_t hc_event_send(struct vcpu *v, const uint64_t a[5]);
int64_t hc_grant_table_op(struct vcpu *v, const uint64_t a[5]);
int64_t hc_multicall(struct vcpu *v, const uint64_t a[5]);
#endif
