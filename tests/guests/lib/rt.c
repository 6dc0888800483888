// SPDX-License-Identifier: MIT
// rt.c: conformance-guest runtime: start-up, console, verdicts, interrupts, events and clock.
#include "rt.h"

uint8_t rt_hypercall_page[4096] __attribute__((aligned(4096)));
uint8_t rt_stack[65536] __attribute__((aligned(16)));
uint8_t *rt_stack_top = rt_stack + sizeof(rt_stack);
const char *rt_cmdline = "";
volatile struct lamina_shared_info *rt_shinfo;
volatile uint64_t rt_upcalls;
static int failures;
static char first_failure[160];
static rt_port_fn port_fn[LAMINA_EVTCHN_PORTS_MAX];

struct idt_gate { uint16_t lo, sel; uint8_t ist, type; uint16_t mid; uint32_t hi, zero; };
static struct idt_gate idt[256] __attribute__((aligned(16)));

/* A GDT with one TSS per vCPU, whose IST1 stack takes double faults: a
 * fault that cannot push on the current stack is reported, not turned
 * into a triple fault. */
struct tss { uint32_t rsvd0; uint64_t rsp[3], rsvd1, ist[7], rsvd2; uint16_t rsvd3, iomap; }
	__attribute__((packed));
#define RT_TSS_CPUS (RT_MAX_APS + 1)
static struct tss tss[RT_TSS_CPUS];
static uint8_t df_stack[RT_TSS_CPUS][4096] __attribute__((aligned(16)));
static uint64_t gdt[3 + 2 * RT_TSS_CPUS] __attribute__((aligned(16))) = {
	0, 0x00af9a000000ffffull, 0x00cf92000000ffffull };   /* as the hypervisor's */

/* ---- small libc ---- */
void *rt_memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}
void *memset(void *d, int c, size_t n) __attribute__((alias("rt_memset")));

void *rt_memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
void *memcpy(void *d, const void *s, size_t n) __attribute__((alias("rt_memcpy")));

size_t rt_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int rt_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

int rt_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

/* ---- console ---- */
static void put(const char *s, size_t n)
{
	while (n) {
		long r = HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_WRITE, n, s);
		if (r <= 0)
			return;
		s += r;
		n -= (size_t)r;
	}
}

void rt_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = rt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

int rt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = rt_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- verdicts ---- */
void rt_shutdown(unsigned reason)
{
	struct lamina_sched_shutdown s = { .reason = reason };

	HC2(LAMINA_HC_sched_op, LAMINA_SCHEDOP_SHUTDOWN, &s);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

void rt_check_at(int ok, int line, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_printf("  %s: %s (line %d)\n", ok ? "ok" : "FAIL", msg, line);
	if (!ok && failures++ == 0)
		rt_snprintf(first_failure, sizeof(first_failure), "%s (line %d)", msg, line);
}

void rt_expect_at(long got, long want, int line, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_check_at(got == want, line, "%s: got %ld, want %ld", msg, got, want);
}

void rt_skip(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_printf("SKIP: %s\n", msg);
	rt_shutdown(LAMINA_SHUTDOWN_POWEROFF);
}

void rt_fail(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_printf("FAILURE: %s\n", msg);
	rt_shutdown(LAMINA_SHUTDOWN_POWEROFF);
}

/* ---- command line ---- */
const char *rt_arg(const char *key)
{
	size_t k = rt_strlen(key);

	for (const char *p = rt_cmdline; *p; p++)
		if ((p == rt_cmdline || p[-1] == ' ') && !rt_strncmp(p, key, k) && p[k] == '=')
			return p + k + 1;
	return NULL;
}

long rt_arg_num(const char *key, long dflt)
{
	const char *v = rt_arg(key);
	long n = 0;

	if (!v || *v < '0' || *v > '9')
		return dflt;
	while (*v >= '0' && *v <= '9')
		n = n * 10 + (*v++ - '0');
	return n;
}

/* ---- interrupts ---- */
static void set_gate(int vec, void (*fn)(void))
{
	uint64_t a = (uint64_t)fn;

	idt[vec] = (struct idt_gate){ .lo = (uint16_t)a, .sel = 0x08, .type = 0x8e,
				      .mid = (uint16_t)(a >> 16), .hi = (uint32_t)(a >> 32) };
}

extern void rt_upcall_stub(void);
#define EXC(n) extern void rt_exc##n(void);
EXC(0) EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXC(8) EXC(9) EXC(10)
EXC(11) EXC(12) EXC(13) EXC(14) EXC(15) EXC(16) EXC(17) EXC(18) EXC(19) EXC(20) EXC(21)
static void (*const exc[22])(void) = { rt_exc0, rt_exc1, rt_exc2, rt_exc3, rt_exc4,
	rt_exc5, rt_exc6, rt_exc7, rt_exc8, rt_exc9, rt_exc10, rt_exc11, rt_exc12, rt_exc13,
	rt_exc14, rt_exc15, rt_exc16, rt_exc17, rt_exc18, rt_exc19, rt_exc20, rt_exc21 };

static uint32_t apic_id(void);

/* Load the GDT and this vCPU's TSS (its descriptor made "available" again,
 * as a vCPU taken down and up finds it busy). */
static void tss_load(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } g = {
		sizeof(gdt) - 1, (uint64_t)gdt };
	uint32_t cpu = apic_id();

	if (cpu >= RT_TSS_CPUS)
		return;
	uint64_t base = (uint64_t)&tss[cpu], lim = sizeof(struct tss) - 1;
	tss[cpu].ist[0] = (uint64_t)(df_stack[cpu] + sizeof(df_stack[0]));
	tss[cpu].iomap = sizeof(struct tss);
	gdt[3 + 2 * cpu] = (lim & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
			   ((lim >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[4 + 2 * cpu] = base >> 32;
	__asm__ __volatile__("lgdt %0" : : "m"(g));
	__asm__ __volatile__("ltr %w0" : : "r"((uint16_t)(8 * (3 + 2 * cpu))));
}

static void idt_load(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = {
		sizeof(idt) - 1, (uint64_t)idt };

	for (int i = 0; i < 22; i++)
		set_gate(i, exc[i]);
	idt[8].ist = 1;
	set_gate(RT_UPCALL_VECTOR, rt_upcall_stub);
	tss_load();
	__asm__ __volatile__("lidt %0" : : "m"(d));
}

void rt_exception(uint64_t *f)
{
	uint64_t cr2;

	__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
	rt_printf("FAILURE: exception %lu (error 0x%lx) at rip 0x%lx, cr2 0x%lx\n",
		  f[0], f[1], f[2], cr2);
	rt_shutdown(LAMINA_SHUTDOWN_CRASH);
}

#define LAPIC ((volatile uint32_t *)0xfee00000ull)
void rt_lapic_eoi(void) { LAPIC[0xb0 / 4] = 0; }
static void lapic_enable(void) { LAPIC[0xf0 / 4] = 0x1ff; }

/* ---- shared memory and events ---- */
void rt_map_shared_info(void)
{
	struct lamina_add_to_physmap x = { .domid = LAMINA_DOMID_SELF,
		.space = LAMINA_SPACE_SHARED_INFO, .idx = 0, .gfn = RT_HOLE_GFN };

	if (rt_shinfo)
		return;
	long r = HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x);
	if (r)
		rt_fail("mapping shared_info: %ld", r);
	rt_shinfo = (volatile struct lamina_shared_info *)(RT_HOLE_GFN << 12);
}

static uint32_t apic_id(void)
{
	uint32_t a, b, c, d;

	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return b >> 24;
}

void rt_events_init(void)
{
	struct lamina_vcpu_upcall_vector uv = { .vector = RT_UPCALL_VECTOR };
	uint32_t me = apic_id();

	rt_map_shared_info();
	lapic_enable();
	long r = HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_SET_UPCALL_VECTOR, me, &uv);
	if (r)
		rt_fail("setting the upcall vector: %ld", r);
	rt_shinfo->vcpu_info[me].evtchn_upcall_mask = 0;
	__asm__ __volatile__("sti");
}

void rt_on_port(uint32_t port, rt_port_fn fn)
{
	if (port < LAMINA_EVTCHN_PORTS_MAX)
		port_fn[port] = fn;
}

int rt_unmask(uint32_t port)
{
	struct lamina_evtchn_port p = { .port = port };

	return (int)HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_UNMASK, &p);
}

/* The upcall: the delivery algorithm of event_channel.h, guest side. */
void rt_upcall(void)
{
	volatile struct lamina_vcpu_info *vi = &rt_shinfo->vcpu_info[apic_id()];

	rt_upcalls++;
	do {
		vi->evtchn_upcall_pending = 0;
		uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
		while (sel) {
			unsigned w = (unsigned)__builtin_ctzll(sel);
			sel &= sel - 1;
			uint64_t bits = rt_shinfo->evtchn_pending[w] & ~rt_shinfo->evtchn_mask[w];
			while (bits) {
				unsigned b = (unsigned)__builtin_ctzll(bits);
				bits &= bits - 1;
				__atomic_fetch_and(&rt_shinfo->evtchn_pending[w], ~(1ull << b),
						   __ATOMIC_SEQ_CST);
				if (port_fn[w * 64 + b])
					port_fn[w * 64 + b](w * 64 + b);
			}
		}
	} while (vi->evtchn_upcall_pending);
	rt_lapic_eoi();
}

/* The largest PV-clock reading so far on any vCPU (shared_info.h). */
static uint64_t clock_last;

/* lamina_pvclock_read_mono(): a TSC read before the record's stamp counts
 * as the stamp (shared_info.h), so no reading jumps centuries ahead. */
/*
 * A diagnostic for stalls: when this vCPU's own reading falls behind the
 * largest one by over 100 ms (the guest's clock then stands still until
 * the record catches up), say so once per extra second of lag, with the
 * record and the TSC. Not an error by itself; it explains a test that
 * later times out.
 */
static void clock_lag_report(const struct lamina_vcpu_time_info *t, uint64_t mono)
{
	static uint64_t reported;   /* lag already reported, in whole seconds */
	static int busy;
	uint64_t raw = lamina_pvclock_read(t);

	if (busy || mono < raw + 100000000u || (mono - raw) / 1000000000u < reported)
		return;
	busy = 1;
	reported = (mono - raw) / 1000000000u + 1;
	rt_printf("rt: vCPU %u: PV clock %llu ns behind the largest reading %llu (record v%u "
		  "stamp %llu system %llu mul %u shift %d flags %u; tsc %llu)\n", apic_id(),
		  (unsigned long long)(mono - raw), (unsigned long long)mono, t->version,
		  (unsigned long long)t->tsc_timestamp, (unsigned long long)t->system_time,
		  t->tsc_to_system_mul, t->tsc_shift, t->flags,
		  (unsigned long long)lamina_rdtsc());
	busy = 0;
}

uint64_t rt_now(void)
{
	if (!rt_shinfo)
		rt_map_shared_info();
	const struct lamina_vcpu_time_info *t =
		(const struct lamina_vcpu_time_info *)&rt_shinfo->vcpu_info[apic_id()].time;
	uint64_t mono = lamina_pvclock_read_mono(t, &clock_last);

	clock_lag_report(t, mono);
	return mono;
}

void rt_spin_ns(uint64_t ns)
{
	uint64_t until = rt_now() + ns;

	while (rt_now() < until)
		rt_pause();
}

/* ---- start-up ---- */
static int signature_ok(void)
{
	uint32_t a, b, c, d;

	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			     : "a"(LAMINA_CPUID_BASE), "c"(0));
	return b == LAMINA_CPUID_SIG_EBX && c == LAMINA_CPUID_SIG_ECX && d == LAMINA_CPUID_SIG_EDX;
}

static void install_hypercall_page(void)
{
	uint64_t gpa = (uint64_t)rt_hypercall_page;   /* identity-mapped */

	__asm__ __volatile__("wrmsr" : : "c"(LAMINA_MSR_HYPERCALL), "a"((uint32_t)gpa),
			     "d"((uint32_t)(gpa >> 32)));
}

void rt_start(const char *cmdline)
{
	idt_load();
	if (!signature_ok()) {
		for (;;)    /* no hypercalls without Lamina: nothing to report through */
			__asm__ __volatile__("cli; hlt");
	}
	install_hypercall_page();
	if (cmdline)
		rt_cmdline = cmdline;
	rt_printf("test: %s\n", test_title);
	test_main();
	if (failures)
		rt_printf("FAILURE: %d check(s) failed, first: %s\n", failures, first_failure);
	else
		rt_printf("SUCCESS\n");
	rt_shutdown(LAMINA_SHUTDOWN_POWEROFF);
}

void *rt_readonly(const void *p)
{
	static int done;
	const uint64_t alias = 1ull << 30, addr = 0x000ffffffffff000ull;

	if ((uint64_t)p >= (2u << 20))
		return NULL;
	if (!done) {
		uint64_t cr3, cr0;
		__asm__ __volatile__("mov %%cr3, %0" : "=r"(cr3));
		uint64_t *pml4 = (uint64_t *)(cr3 & addr);
		uint64_t *pdpt = (uint64_t *)(pml4[0] & addr);
		uint64_t *pd = (uint64_t *)(pdpt[1] & addr);
		pd[0] = 0x81;   /* present, 2 MiB page, physical 0, not writable */
		__asm__ __volatile__("invlpg (%0)" : : "r"(alias) : "memory");
		__asm__ __volatile__("mov %%cr0, %0" : "=r"(cr0));
		cr0 |= 1u << 16;   /* WP: supervisor writes honour read-only pages */
		__asm__ __volatile__("mov %0, %%cr0" : : "r"(cr0) : "memory");
		done = 1;
	}
	return (void *)(alias + (uint64_t)p);
}

extern void rt_ap_entry(void);
static uint8_t ap_stacks[RT_MAX_APS][16384] __attribute__((aligned(16)));

long rt_vcpu_up(unsigned id, void (*fn)(void))
{
	uint64_t cr3;

	if (id < 1 || id > RT_MAX_APS)
		return -LAMINA_EINVAL;
	__asm__ __volatile__("mov %%cr3, %0" : "=r"(cr3));
	struct lamina_vcpu_up c = { .rip = (uint64_t)rt_ap_entry,
		.rsp = (uint64_t)(ap_stacks[id - 1] + sizeof(ap_stacks[0])), .cr3 = cr3,
		.rdi = (uint64_t)fn };
	return HC3(LAMINA_HC_vcpu_op, LAMINA_VCPUOP_UP, id, &c);
}

/* Secondary vCPUs: tests set their own entry through rt_ap_entry + rdi = fn. */
void rt_ap_start(void (*fn)(void))
{
	idt_load();
	fn();
	for (;;)
		__asm__ __volatile__("cli; hlt");
}
