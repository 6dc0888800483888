// SPDX-License-Identifier: MIT
// Fake back-end simulation: what a running guest does each tick (CPU, exits, hypercalls).
#include "hvif_fake_int.h"

#include <lamina/hypercall.h>
#include <lamina/sched.h>
#include <stdio.h>
#include <string.h>

static const char *const hc_names[FAKE_NHC] = {
	[LAMINA_HC_null] = "null",
	[LAMINA_HC_version] = "version",
	[LAMINA_HC_console_io] = "console_io",
	[LAMINA_HC_sched_op] = "sched_op",
	[LAMINA_HC_set_timer_op] = "set_timer_op",
	[LAMINA_HC_vcpu_op] = "vcpu_op",
	[LAMINA_HC_memory_op] = "memory_op",
	[LAMINA_HC_event_channel_op] = "event_channel_op",
	[LAMINA_HC_event_send] = "event_send",
	[LAMINA_HC_grant_table_op] = "grant_table_op",
	[LAMINA_HC_multicall] = "multicall",
};

void fake_con_put(struct hv_dom *d, const char *s, size_t len)
{
	if (len > FAKE_CON_MAX - d->con_len)
		len = FAKE_CON_MAX - d->con_len; // a full console drops output
	memcpy(d->con + d->con_len, s, len);
	d->con_len += len;
}

static void trace_push(struct hv_dom *d, unsigned vcpu, unsigned nr, uint64_t a0,
		       uint64_t a1)
{
	struct hv_trace_event *ev;

	if (!d->tracing || d->trace_len == FAKE_TRACE_MAX)
		return;
	ev = &d->trace[(d->trace_head + d->trace_len++) % FAKE_TRACE_MAX];
	*ev = (struct hv_trace_event){ .ts_ns = d->hv->now_ns, .vcpu = vcpu, .nr = nr,
				       .args = { a0, a1 } };
	if (nr == LAMINA_HC_sched_op)
		snprintf(ev->text, sizeof(ev->text), "sched_op(cmd=%s)",
			 a0 == LAMINA_SCHEDOP_BLOCK ? "block" : "yield");
	else if (nr == LAMINA_HC_event_send)
		snprintf(ev->text, sizeof(ev->text), "event_send(port=%llu)",
			 (unsigned long long)a0);
	else
		snprintf(ev->text, sizeof(ev->text), "set_timer_op(deadline_ns=%llu)",
			 (unsigned long long)a0);
}

static void run_guest(struct hv_dom *d)
{
	unsigned v = d->vcpus;

	d->cpu_ns += v * FAKE_TICK_NS / 10; // a guest that is 10% busy
	// event_send through the doorbell, the other calls through the
	// hypercall port, and a timer signal per vCPU and tick
	d->exits[HV_EXIT_DOORBELL] += 10 * v;
	d->exits[HV_EXIT_HYPERCALL] += 10 * v;
	d->exits[HV_EXIT_INTR] += v;
	d->hcalls[LAMINA_HC_event_send] += 10 * v;
	d->hcalls[LAMINA_HC_sched_op] += 8 * v;
	d->hcalls[LAMINA_HC_set_timer_op] += 2 * v;
	for (unsigned i = 0; i < v; i++) {
		trace_push(d, i, LAMINA_HC_event_send, 3 + i, 0);
		trace_push(d, i, LAMINA_HC_set_timer_op, d->hv->now_ns + FAKE_TICK_NS, 0);
		trace_push(d, i, LAMINA_HC_sched_op, LAMINA_SCHEDOP_BLOCK, 0);
	}
}

static void finish_shutdown(struct hv_dom *d, enum hv_reason why)
{
	static const char *const msg[] = { "", "reboot: Power down\r\n",
					   "reboot: Restarting system\r\n",
					   "Kernel panic - not syncing: fake.crash\r\n" };

	fake_con_put(d, msg[why], strlen(msg[why]));
	d->state = why == HV_REASON_CRASH ? HV_CRASHED : HV_SHUTOFF;
	d->reason = why;
}

void fake_tick(struct hv_dom *d)
{
	if (d->state != HV_RUNNING && d->state != HV_SHUTTING_DOWN)
		return;
	run_guest(d);
	if (d->crash_ticks >= 0 && d->crash_ticks-- == 0)
		finish_shutdown(d, HV_REASON_CRASH);
	else if (d->shutdown_ticks >= 0 && d->shutdown_ticks-- == 0)
		finish_shutdown(d, d->pending);
}

static void put_count(struct hv_count *c, const char *what, uint64_t n)
{
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->count = n;
}

int fake_stats(struct hv_dom *d, struct hv_stats *st)
{
	*st = (struct hv_stats){
		.state = d->state, .reason = d->reason,
		.vcpus = d->vcpus, .max_vcpus = d->max_vcpus,
		.mem_kib = d->mem_kib, .maxmem_kib = d->maxmem_kib, .cpu_ns = d->cpu_ns,
	};
	for (unsigned k = 0; k < HV_EXIT_KINDS; k++)
		put_count(&st->exits[st->nexits++], hv_exit_name(k), d->exits[k]);
	for (unsigned i = 0; i < FAKE_NHC && st->nhcalls < HV_MAX_HCALL_KINDS; i++) {
		st->hypercalls += d->hcalls[i];
		if (d->hcalls[i])
			put_count(&st->hcalls[st->nhcalls++], hc_names[i], d->hcalls[i]);
	}
	return 0;
}
