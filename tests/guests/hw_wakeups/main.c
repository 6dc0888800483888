// SPDX-License-Identifier: MIT
// hw_wakeups/main.c: ABI 1.4: guest-raised IPI events ending hlt, and the local APIC TSC-deadline timer.
#include "rt.h"

const char test_title[] = "guest-raised IPI events, hlt idle, TSC-deadline timer (ABI 1.4)";

#define ROUNDS 20
#define TIMER_NS 2000000ull          /* the deadline timer's delay */
#define WAIT_NS 2000000000ull        /* give up on a wakeup after 2 s */
#define MSR_TSC_DEADLINE 0x6e0
#define LAPIC ((volatile uint32_t *)0xfee00000ull)
#define LVT_TIMER (0x320 / 4)
#define ICR_LO (0x300 / 4)
#define ICR_HI (0x310 / 4)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint32_t cpuid1_ecx(void)
{
	uint32_t a, b, c, d;

	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return c;
}

/* ---- vCPU 1: takes the IPI port's events, idling in hlt ---- */
static volatile uint32_t ipi_port;
static volatile int ap_ready, ap_stop;
static volatile uint64_t ap_events, ap_halts;

static void on_ipi(uint32_t port)
{
	if (port == ipi_port)
		ap_events++;
}

static void ap_main(void)
{
	rt_events_init();   /* its own upcall vector; interrupts on */
	ap_ready = 1;
	while (!ap_stop) {
		__asm__ __volatile__("sti; hlt" ::: "memory");
		ap_halts++;
	}
}

/* The sender's steps of LAMINA_FEAT_GUEST_IPI (version.h) for port p,
 * bound to vCPU t: true if it sent the upcall IPI. */
static int raise_ipi(uint32_t p, unsigned t)
{
	volatile struct lamina_vcpu_info *vi = &rt_shinfo->vcpu_info[t];
	uint64_t bit = 1ull << (p % 64);

	if (rt_shinfo->evtchn_mask[p / 64] & bit) {
		HC1(LAMINA_HC_event_send, p);
		return 0;
	}
	if (__atomic_fetch_or(&rt_shinfo->evtchn_pending[p / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return 0;
	__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << (p / 64), __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST) ||
	    vi->evtchn_upcall_mask)
		return 0;
	LAPIC[ICR_HI] = t << 24;
	LAPIC[ICR_LO] = RT_UPCALL_VECTOR;   /* fixed delivery, physical destination */
	return 1;
}

static void check_features(uint32_t *feat)
{
	struct lamina_version_features f = { .index = 0 };
	long v = HC2(LAMINA_HC_version, LAMINA_VERSION_GET, 0);

	rt_check(LAMINA_ABI_VERSION_MAJOR(v) == 1 && LAMINA_ABI_VERSION_MINOR(v) >= 4,
		 "version reports ABI 1.4 or later (0x%lx)", v);
	rt_expect(HC2(LAMINA_HC_version, LAMINA_VERSION_FEATURES, &f), 0, "FEATURES word 0");
	rt_check(f.bits & LAMINA_FEAT_GUEST_IPI, "feature word 0 has GUEST_IPI (%#x)", f.bits);
	rt_check(cpuid1_ecx() & (1u << 21), "GUEST_IPI: CPUID leaf 1 offers x2APIC");
	rt_check(!(f.bits & LAMINA_FEAT_TSC_DEADLINE) == !(cpuid1_ecx() & (1u << 24)),
		 "TSC_DEADLINE (%d) is offered exactly when CPUID leaf 1 ecx bit 24 is set (%d)",
		 !!(f.bits & LAMINA_FEAT_TSC_DEADLINE), !!(cpuid1_ecx() & (1u << 24)));
	*feat = f.bits;
}

/* ROUNDS guest-raised events to vCPU 1, each waking it from hlt. */
static void check_guest_ipi(void)
{
	struct lamina_evtchn_bind_ipi b = { .vcpu = 1 };
	unsigned sent = 0;

	rt_expect(HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_BIND_IPI, &b), 0,
		  "BIND_IPI to vCPU 1");
	ipi_port = b.port;
	rt_on_port(b.port, on_ipi);
	rt_expect(rt_vcpu_up(1, ap_main), 0, "vcpu_op UP vCPU 1");
	rt_check(rt_wait_for(ap_ready, WAIT_NS), "vCPU 1 came up and took interrupts");
	rt_expect(rt_unmask(b.port), 0, "UNMASK the IPI port");
	rt_spin_ns(1000000);
	rt_expect(ap_events, 0, "no event before the first raise");
	for (unsigned i = 1; i <= ROUNDS; i++) {
		uint64_t halts = ap_halts;

		sent += (unsigned)raise_ipi(b.port, 1);
		if (!rt_wait_for(ap_events == i && ap_halts > halts, WAIT_NS)) {
			rt_check(0, "round %u: the guest-raised event ended vCPU 1's hlt "
				 "(events %lu, hlts ended %lu -> %lu)", i, ap_events, halts, ap_halts);
			return;
		}
	}
	rt_check(ap_events == ROUNDS, "%d guest-raised events each ended vCPU 1's hlt and "
		 "reached its handler (%lu)", ROUNDS, ap_events);
	rt_check(sent == ROUNDS, "each raise found upcall_pending clear and sent the IPI (%u of %d)",
		 sent, ROUNDS);
	rt_check(!(rt_shinfo->evtchn_pending[b.port / 64] & (1ull << (b.port % 64))),
		 "the handler cleared the port's pending bit; nothing set it again");

	/* A masked port: the sender uses event_send; the pending bit is set
	 * by the hypervisor, and the handler sees it after UNMASK. */
	rt_shinfo->evtchn_mask[b.port / 64] |= 1ull << (b.port % 64);
	rt_expect(raise_ipi(b.port, 1), 0, "masked port: no IPI sent, event_send instead");
	rt_check(rt_shinfo->evtchn_pending[b.port / 64] & (1ull << (b.port % 64)),
		 "masked port: event_send left it pending");
	rt_expect(ap_events, ROUNDS, "masked port: not delivered while masked");
	rt_expect(rt_unmask(b.port), 0, "UNMASK the pending port");
	rt_check(rt_wait_for(ap_events == ROUNDS + 1, WAIT_NS),
		 "UNMASK delivered it to vCPU 1 in hlt (events %lu)", ap_events);
}

/* Cycles of this vCPU's TSC in ns nanoseconds, from its PV clock record. */
static uint64_t tsc_cycles(uint64_t ns)
{
	volatile struct lamina_vcpu_time_info *t = &rt_shinfo->vcpu_info[0].time;
	uint64_t c = (ns << 32) / t->tsc_to_system_mul;

	return t->tsc_shift >= 0 ? c >> t->tsc_shift : c << -t->tsc_shift;
}

/* The LVT timer in TSC-deadline mode on the upcall vector, ended in hlt. */
static void check_tsc_deadline(void)
{
	uint64_t upcalls = rt_upcalls, deadline, woke, t0 = rt_now();

	LAPIC[LVT_TIMER] = RT_UPCALL_VECTOR | 2u << 17;
	rt_expect((LAPIC[LVT_TIMER] >> 17) & 3, 2, "LVT timer accepts TSC-deadline mode");
	deadline = rdtsc() + tsc_cycles(TIMER_NS);
	wrmsr(MSR_TSC_DEADLINE, deadline);
	while (rt_upcalls == upcalls && rt_now() - t0 < WAIT_NS)
		__asm__ __volatile__("sti; hlt" ::: "memory");
	woke = rdtsc();
	rt_check(rt_upcalls > upcalls, "the deadline's interrupt ended hlt");
	rt_check(woke >= deadline, "not before the deadline (%ld cycles after it)",
		 (long)(woke - deadline));
	rt_check(rt_now() - t0 >= TIMER_NS - TIMER_NS / 10, "about %llu ns or more passed (%lu)",
		 TIMER_NS, rt_now() - t0);
	rt_expect(rdmsr(MSR_TSC_DEADLINE), 0, "the deadline MSR reads 0 once it fired");

	upcalls = rt_upcalls;
	wrmsr(MSR_TSC_DEADLINE, rdtsc() - tsc_cycles(TIMER_NS));
	rt_check(rt_wait_for(rt_upcalls > upcalls, WAIT_NS), "a past deadline fires at once");
	LAPIC[LVT_TIMER] = 1u << 16;   /* masked again */
}

void test_main(void)
{
	uint32_t feat = 0;

	rt_events_init();
	check_features(&feat);
	if (feat & LAMINA_FEAT_GUEST_IPI)
		check_guest_ipi();
	if (feat & LAMINA_FEAT_TSC_DEADLINE)
		check_tsc_deadline();
	else
		rt_printf("note: no LAMINA_FEAT_TSC_DEADLINE on this KVM: its checks not run\n");
	ap_stop = 1;
}
