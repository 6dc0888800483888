// SPDX-License-Identifier: MIT
// pending.c: weak fallbacks for subsystems still being written (event channels, grants);
// the real definitions override these at link time. Delete once both have landed.
#include <lamina/errno.h>
#include "event.h"
#include "grant.h"
#include "hcall.h"

#define WEAK __attribute__((weak))

WEAK int evt_domain_init(struct domain *d) { (void)d; return 0; }
WEAK void evt_domain_free(struct domain *d) { (void)d; }
WEAK void evt_set_pending(struct domain *d, uint32_t p) { (void)d; (void)p; }
WEAK void evt_raise_virq(struct domain *d, int v, unsigned q) { (void)d; (void)v; (void)q; }
WEAK int64_t evt_send_local(struct vcpu *v, uint32_t p) { (void)v; (void)p; return -LAMINA_ENOSYS; }
WEAK struct lamina_vcpu_info *evt_vcpu_info(struct vcpu *v) { (void)v; return NULL; }
WEAK bool evt_upcall_pending(struct vcpu *v) { (void)v; return false; }
WEAK int evt_port_pending(struct domain *d, uint32_t p) { (void)d; (void)p; return -LAMINA_EBADF; }
WEAK int64_t hc_event_channel_op(struct vcpu *v, const uint64_t a[5]) { (void)v; (void)a; return -LAMINA_ENOSYS; }
WEAK int64_t hc_event_send(struct vcpu *v, const uint64_t a[5]) { (void)v; (void)a; return -LAMINA_ENOSYS; }
WEAK int grant_domain_init(struct domain *d) { (void)d; return 0; }
WEAK void grant_domain_free(struct domain *d) { (void)d; }
WEAK void *grant_frame(struct domain *d, unsigned i) { (void)d; (void)i; return NULL; }
WEAK bool grant_page_in_use(struct domain *d, uint64_t g) { (void)d; (void)g; return false; }
WEAK int64_t hc_grant_table_op(struct vcpu *v, const uint64_t a[5]) { (void)v; (void)a; return -LAMINA_ENOSYS; }
