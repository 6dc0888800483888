// SPDX-License-Identifier: MIT
// clock/main.c: the PV clock and wallclock: valid at once, monotonic, right rate, same on every vCPU.
#include "rt.h"

const char test_title[] = "PV clock and wallclock";

#define MS 1000000ull

static volatile struct lamina_vcpu_time_info *ti(unsigned cpu)
{
	return &rt_shinfo->vcpu_info[cpu].time;
}

static uint64_t now_on(unsigned cpu)
{
	return lamina_pvclock_read((const struct lamina_vcpu_time_info *)ti(cpu));
}

/* A TSC-free reference: the hypervisor's accounting of vCPU 0's runstate.
 * The four totals grow together at exactly the rate of system time. */
static uint64_t ref_ns(void)
{
	struct lamina_vcpu_runstate_info r;

	HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_GET_RUNSTATE_INFO, 0, &r);
	return r.time[0] + r.time[1] + r.time[2] + r.time[3];
}

/* ---- vCPU 1 publishes its own reading of the clock ---- */
static volatile uint64_t ap_now, ap_seq;
static volatile int ap_alive;

static void ap_main(void)
{
	ap_alive = 1;
	for (;;) {
		ap_now = now_on(1);
		ap_seq++;
		if ((ap_seq & 1023) == 0)
			HC0(LAMINA_HC_null);
	}
}

static void fields(void)
{
	/* Straight after shared_info is mapped the clock must already be valid. */
	rt_map_shared_info();
	volatile struct lamina_vcpu_time_info *t = ti(0);
	uint32_t v = t->version;
	uint32_t mul = t->tsc_to_system_mul;
	rt_check(!(v & 1) && v != 0, "vcpu_time_info version %u is even and non-zero once shared_info is mapped", v);
	rt_check(mul != 0, "tsc_to_system_mul (0x%x) set once shared_info is mapped", mul);
	rt_check(t->tsc_shift >= -32 && t->tsc_shift <= 32, "tsc_shift %d is sane", t->tsc_shift);
	rt_check(t->flags & LAMINA_PVCLOCK_TSC_STABLE, "LAMINA_PVCLOCK_TSC_STABLE set (flags 0x%x)", t->flags);
	uint64_t n = rt_now();
	rt_check(n > 0 && n < 3600ull * 1000 * MS, "system time %lu ns is positive and under an hour", (unsigned long)n);
	rt_check(n + 20 * MS >= ref_ns(), "system time %lu is not behind the hypervisor's (%lu) by 20 ms",
		 (unsigned long)n, (unsigned long)ref_ns());
}

static void wallclock(void)
{
	volatile struct lamina_wallclock *wc = &rt_shinfo->wc;
	uint32_t v = wc->version;

	rt_check(!(v & 1), "wallclock version %u even", v);
	rt_check(wc->nsec < 1000000000u, "wallclock nsec %u < 10^9", wc->nsec);
	uint64_t wall = wc->sec + (rt_now() / 1000000000ull);
	rt_check(wall > 1577836800ull && wall < 4102444800ull,
		 "wall time now (%lu s since 1970) is between 2020 and 2100", (unsigned long)wall);
}

/* Monotonic on one vCPU over several re-anchorings of the clock. */
static void monotonic(void)
{
	uint64_t prev = rt_now(), end = prev + 2500 * MS, back = 0, worst = 0, reads = 0;

	while (prev < end) {
		uint64_t n = rt_now();
		if (n < prev) {
			back++;
			if (prev - n > worst)
				worst = prev - n;
		}
		prev = n > prev ? n : prev;
		reads++;
		if ((reads & 4095) == 0)
			HC0(LAMINA_HC_null);   /* give the hypervisor exits to re-anchor on */
	}
	rt_check(back == 0, "PV clock never went backwards in %lu reads over 2.5 s (%lu steps back, worst %lu ns)",
		 (unsigned long)reads, (unsigned long)back, (unsigned long)worst);
}

/* The PV clock's rate matches the hypervisor's TSC-free accounting. */
static void rate(void)
{
	uint64_t r0 = ref_ns(), c0 = rt_now();

	rt_spin_ns(2000 * MS);
	uint64_t r1 = ref_ns(), c1 = rt_now();
	int64_t dr = (int64_t)(r1 - r0), dc = (int64_t)(c1 - c0);
	int64_t ppm = (dc - dr) * 1000000 / dr;
	rt_printf("  PV clock advanced %ld ns while the runstate totals advanced %ld ns (%ld ppm)\n",
		  (long)dc, (long)dr, (long)ppm);
	rt_check(ppm > -20000 && ppm < 20000, "PV clock rate within 2%% of the hypervisor's (%ld ppm)", (long)ppm);
	/* Offset: the PV clock and the runstate state_entry_time share one scale. */
	struct lamina_vcpu_runstate_info r;
	uint64_t before = rt_now();
	HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_GET_RUNSTATE_INFO, 0, &r);
	uint64_t sum = r.time[0] + r.time[1] + r.time[2] + r.time[3], after = rt_now();
	rt_check(r.state_entry_time <= after, "runstate state_entry_time %lu not after now %lu",
		 (unsigned long)r.state_entry_time, (unsigned long)after);
	rt_check(sum + 5 * MS >= before && sum <= after + 5 * MS,
		 "hypervisor time %lu within 5 ms of the PV clock [%lu, %lu]", (unsigned long)sum,
		 (unsigned long)before, (unsigned long)after);
}

/* The same clock on both vCPUs: a reading taken on vCPU 1 before one on vCPU 0 is not later. */
static void same_on_all(void)
{
	if (rt_vcpu_up(1, ap_main) != 0 || !rt_wait_for(ap_alive && ap_seq > 10, 5000 * MS)) {
		rt_check(0, "vCPU 1 started");
		return;
	}
	rt_check(ti(1)->tsc_to_system_mul != 0, "vCPU 1's vcpu_time_info is published");
	uint64_t end = rt_now() + 2500 * MS, n = 0, bad = 0, worst = 0;
	while (rt_now() < end) {
		uint64_t a = ap_now;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		uint64_t b = now_on(0);
		if (a > b) {
			bad++;
			if (a - b > worst)
				worst = a - b;
		}
		if ((++n & 4095) == 0)
			HC0(LAMINA_HC_null);
	}
	rt_check(bad == 0, "vCPU 1's clock never ahead of vCPU 0's: %lu of %lu comparisons were (worst %lu ns)",
		 (unsigned long)bad, (unsigned long)n, (unsigned long)worst);
	/* And vCPU 0 reading vCPU 1's parameters agrees with its own. */
	uint64_t x = now_on(0), y = now_on(1), z = now_on(0);
	rt_check(x <= y && y <= z, "vCPU 1's parameters read on vCPU 0 fall between two readings of vCPU 0's "
		 "(%lu <= %lu <= %lu)", (unsigned long)x, (unsigned long)y, (unsigned long)z);
	HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_DOWN, 1, 0);
}

void test_main(void)
{
	fields();
	wallclock();
	monotonic();
	rate();
	same_on_all();
}
