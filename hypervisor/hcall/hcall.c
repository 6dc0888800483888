// SPDX-License-Identifier: MIT
// hcall.c: the hypercall table, the hypercall page the guest calls through, and dispatch.
#include <string.h>
#include <lamina/errno.h>
#include <lamina/hypercall.h>
#include <lamina/shared_info.h>
#include "event.h"
#include "hcall.h"
#include "hv_int.h"
#include "mem.h"

const struct hc_entry hc_table[] = {
	[LAMINA_HC_null]             = { "null", hc_null, 0 },
	[LAMINA_HC_version]          = { "version", hc_version, 2 },
	[LAMINA_HC_console_io]       = { "console_io", hc_console_io, 3 },
	[LAMINA_HC_sched_op]         = { "sched_op", hc_sched_op, 2 },
	[LAMINA_HC_set_timer_op]     = { "set_timer_op", hc_set_timer_op, 1 },
	[LAMINA_HC_vcpu_op]          = { "vcpu_op", hc_vcpu_op, 3 },
	[LAMINA_HC_memory_op]        = { "memory_op", hc_memory_op, 2 },
	[LAMINA_HC_event_channel_op] = { "event_channel_op", hc_event_channel_op, 2 },
	[LAMINA_HC_event_send]       = { "event_send", hc_event_send, 1 },
	[LAMINA_HC_grant_table_op]   = { "grant_table_op", hc_grant_table_op, 3 },
	[LAMINA_HC_multicall]        = { "multicall", hc_multicall, 2 },
};
const unsigned hc_table_len = sizeof(hc_table) / sizeof(hc_table[0]);

int64_t hcall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5])
{
	struct domain *d = v->d;

	atomic_fetch_add(&d->hc_count[nr < HV_HC_SLOTS ? nr : HV_HC_SLOTS - 1], 1);
	if (nr >= hc_table_len || !hc_table[nr].fn)
		return -LAMINA_ENOSYS;
	return hc_table[nr].fn(v, a);
}

/* Every hypercall return re-injects an upcall the guest left pending while
 * it had upcalls masked (shared_info.h: "any hypercall ... injects"). */
static void upcall_if_pending(struct vcpu *v)
{
	struct lamina_vcpu_info *vi = evt_vcpu_info(v);

	if (vi && __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_ACQUIRE))
		vcpu_upcall(v);
}

/* Dispatch nr for v through the table, then show it to the domain's trace
 * hook: the one path every hypercall takes, whichever exit brought it. */
static int64_t invoke(struct vcpu *v, uint64_t nr, const uint64_t a[5])
{
	int64_t ret = hcall_dispatch(v, nr, a);

	if (v->d->trace) {
		const uint64_t t[6] = { nr, a[0], a[1], a[2], a[3], a[4] };
		v->d->trace(v->d, v->id, t, ret);
	}
	return ret;
}

/* The guest did `in $HC_PORT, %eax` from a stub: rax = nr, arguments in the
 * synced registers. The result goes back as the 32 bits the `in` reads (the
 * stub sign-extends them), so no register is written back: writing
 * registers would make KVM re-evaluate pending events on entry, a cost the
 * null hypercall should not pay. Every result fits in 32 bits. */
void hcall_on_exit(struct vcpu *v, uint8_t *data)
{
	const struct kvm_regs *r = &v->run->s.regs.regs;
	const uint64_t a[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };
	int32_t out = (int32_t)invoke(v, r->rax & 0xffffffffu, a);

	memcpy(data, &out, 4);
	upcall_if_pending(v);
}

/* The event_send stub's `out %eax, $HC_DOORBELL` reached user space (no
 * ioeventfd on that port): event_send(port) through the table, so it is
 * counted and traced like any other hypercall. */
int64_t hcall_doorbell(struct vcpu *v, uint32_t port)
{
	const uint64_t a[5] = { port, 0, 0, 0, 0 };
	int64_t ret = invoke(v, LAMINA_HC_event_send, a);

	upcall_if_pending(v);
	return ret;
}

/* Fill one page: stub i is "mov $i,%eax; in $HC_PORT,%eax; cltq; ret", padded with int3;
 * event_send is "mov %edi,%eax; out %eax,$HC_DOORBELL; cmp %edi,%eax; jne 1f;
 * xor %eax,%eax; 1: ret": KVM swallows the doorbell (eax unchanged -> 0) or the
 * hypervisor answers it in eax. */
static void fill_page(uint8_t *p)
{
	memset(p, 0xcc, HV_PAGE);
	for (uint32_t i = 0; i < LAMINA_HC_MAX; i++) {
		uint8_t *s = p + i * LAMINA_HC_STUB_SIZE;
		if (i == LAMINA_HC_event_send) {
			static const uint8_t send[] = { 0x89, 0xf8, 0xe7, HC_DOORBELL, 0x39, 0xf8,
							0x75, 0x02, 0x31, 0xc0, 0xc3 };
			memcpy(s, send, sizeof(send));
			continue;
		}
		s[0] = 0xb8;           /* mov $i, %eax */
		memcpy(s + 1, &i, 4);
		s[5] = 0xe5;           /* in $HC_PORT, %eax */
		s[6] = HC_PORT;
		s[7] = 0x48;           /* cltq: sign-extend the 32-bit result */
		s[8] = 0x98;
		s[9] = 0xc3;           /* ret */
	}
}

/* WRMSR LAMINA_MSR_HYPERCALL: gpa must be a page of populated RAM. */
int hcall_page_install(struct domain *d, uint64_t gpa)
{
	if (gpa & (HV_PAGE - 1))
		return -1;
	uint8_t *p = mem_gpa(d, gpa, HV_PAGE);
	if (!p)
		return -1;
	fill_page(p);
	return 0;
}
