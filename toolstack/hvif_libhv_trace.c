// SPDX-License-Identifier: MIT
// KVM back-end hypercall trace: libhv's per-domain hook into a bounded ring, decoded to text on read.
#include "hvif_libhv_int.h"

#include <errno.h>
#include <lamina/hypercall.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const console_ops[] = { "write", "read" };
static const char *const sched_ops[] = { "yield", "block", "poll", "shutdown" };
static const char *const vcpu_ops[] = {
	"up", "down", "is_up", "register_vcpu_info", "set_upcall_vector",
	"set_singleshot_timer", "stop_singleshot_timer", "set_periodic_timer",
	"stop_periodic_timer", "get_runstate_info", "register_runstate_area",
};
static const char *const memory_ops[] = {
	"memory_map", "current_reservation", "maximum_reservation",
	"decrease_reservation", "populate_physmap", "add_to_physmap",
};
static const char *const evtchn_ops[] = {
	"alloc_unbound", "bind_interdomain", "bind_virq", "bind_ipi", "bind_vcpu",
	"send", "close", "status", "unmask", "reset",
};
static const char *const grant_ops[] = { "setup_table", "query_size", "map_grant_ref",
					 "unmap_grant_ref", "copy" };

// "cmd=name" (or "cmd=N" for one without a name).
static void cmd_text(char *buf, size_t len, const char *const *names, size_t n, uint64_t cmd)
{
	if (cmd < n)
		snprintf(buf, len, "cmd=%s", names[cmd]);
	else
		snprintf(buf, len, "cmd=%llu", (unsigned long long)cmd);
}

#define CMD(names) (cmd_text(cmd, sizeof(cmd), names, N(names), a[1]), cmd)

void lhv_decode(const uint64_t a[6], char *out, size_t len)
{
	const char *name = hv_hypercall_name((unsigned)a[0]);
	unsigned long long x = a[1], y = a[2], z = a[3];
	char cmd[48];

	switch (a[0]) {
	case LAMINA_HC_console_io:
		snprintf(out, len, "console_io(%s, count=%llu)", CMD(console_ops), y);
		break;
	case LAMINA_HC_sched_op:
		snprintf(out, len, "sched_op(%s, arg=%#llx)", CMD(sched_ops), y);
		break;
	case LAMINA_HC_set_timer_op:
		snprintf(out, len, "set_timer_op(deadline_ns=%llu)", x);
		break;
	case LAMINA_HC_vcpu_op:
		snprintf(out, len, "vcpu_op(%s, vcpu=%llu, arg=%#llx)", CMD(vcpu_ops), y, z);
		break;
	case LAMINA_HC_memory_op:
		snprintf(out, len, "memory_op(%s, arg=%#llx)", CMD(memory_ops), y);
		break;
	case LAMINA_HC_event_channel_op:
		snprintf(out, len, "event_channel_op(%s, arg=%#llx)", CMD(evtchn_ops), y);
		break;
	case LAMINA_HC_event_send:
		snprintf(out, len, "event_send(port=%llu)", x);
		break;
	case LAMINA_HC_grant_table_op:
		snprintf(out, len, "grant_table_op(%s, arg=%#llx, count=%llu)", CMD(grant_ops), y,
			 z);
		break;
	case LAMINA_HC_multicall:
		snprintf(out, len, "multicall(calls=%#llx, nr=%llu)", x, y);
		break;
	default:
		snprintf(out, len, "%s(%#llx, %#llx, %#llx)", name ? name : "unknown", x, y, z);
	}
}

// libhv's hook, on a vCPU thread: queue the raw call, or count it as dropped.
static void on_hypercall(void *ctx, int vcpu, const uint64_t a[6], int64_t ret)
{
	struct hv_dom *hd = ctx;
	struct lhv_raw r = { .ts_ns = (uint64_t)(lhv_now_ns() - hd->t0_ns), .vcpu = vcpu,
			     .ret = ret };

	for (int i = 0; i < 6; i++)
		r.a[i] = a[i];
	pthread_mutex_lock(&hd->tr_lock);
	if (hd->len == LHV_TRACE_MAX)
		hd->dropped++;
	else
		hd->ring[(hd->head + hd->len++) % LHV_TRACE_MAX] = r;
	pthread_mutex_unlock(&hd->tr_lock);
}

// The drain timer runs while at least one domain is traced.
static void tick(struct hv_backend *be, int delta)
{
	struct itimerspec on = { { 0, LHV_TRACE_TICK_NS }, { 0, LHV_TRACE_TICK_NS } };
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };

	be->ntraced += (unsigned)delta;
	if ((delta > 0 && be->ntraced == 1) || be->ntraced == 0)
		timerfd_settime(be->tfd, 0, be->ntraced ? &on : &off, NULL);
}

int lhv_trace_subscribe(struct hv_dom *hd, bool on)
{
	if (on == hd->tracing)
		return 0;
	if (on && !hd->ring && !(hd->ring = calloc(LHV_TRACE_MAX, sizeof(*hd->ring))))
		return -ENOMEM;
	hv_set_trace(hd->d, on ? on_hypercall : NULL, hd);
	pthread_mutex_lock(&hd->tr_lock);
	hd->tracing = on;
	hd->len = hd->head = 0;
	hd->dropped = 0;
	pthread_mutex_unlock(&hd->tr_lock);
	tick(hd->be, on ? 1 : -1);
	return 0;
}

// Take the oldest event, or the count of dropped ones first; false if none.
static bool pop(struct hv_dom *hd, struct lhv_raw *r, uint64_t *dropped)
{
	bool any = true;

	pthread_mutex_lock(&hd->tr_lock);
	*dropped = hd->dropped;
	hd->dropped = 0;
	if (!*dropped && hd->len) {
		*r = hd->ring[hd->head];
		hd->head = (hd->head + 1) % LHV_TRACE_MAX;
		hd->len--;
	} else if (!*dropped) {
		any = false;
	}
	pthread_mutex_unlock(&hd->tr_lock);
	return any;
}

int lhv_trace_read(struct hv_dom *hd, struct hv_trace_event *ev)
{
	struct lhv_raw r;
	uint64_t dropped;

	if (!hd->tracing || !pop(hd, &r, &dropped))
		return 0;
	if (dropped) {
		*ev = (struct hv_trace_event){ .ts_ns = (uint64_t)(lhv_now_ns() - hd->t0_ns),
					       .nr = ~0u };
		snprintf(ev->text, sizeof(ev->text), "(%llu calls not traced: the trace ring was "
			 "full)", (unsigned long long)dropped);
		return 1;
	}
	*ev = (struct hv_trace_event){ .ts_ns = r.ts_ns, .vcpu = (unsigned)r.vcpu,
				       .nr = (unsigned)r.a[0], .ret = r.ret };
	for (int i = 0; i < 5; i++)
		ev->args[i] = r.a[i + 1];
	lhv_decode(r.a, ev->text, sizeof(ev->text));
	return 1;
}
