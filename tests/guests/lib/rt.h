// SPDX-License-Identifier: MIT
// rt.h: the conformance-guest runtime: hypercalls, console printf, events, clock, test verdicts.
#ifndef RT_H
#define RT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <lamina/lamina.h>

/* Each test defines these. */
extern const char test_title[];
void test_main(void);

/* The hypercall page, filled by the hypervisor at start-up. */
extern uint8_t rt_hypercall_page[4096];
#define HC0(nr) lamina_hypercall0(rt_hypercall_page, nr)
#define HC1(nr, a) lamina_hypercall1(rt_hypercall_page, nr, (uint64_t)(a))
#define HC2(nr, a, b) lamina_hypercall2(rt_hypercall_page, nr, (uint64_t)(a), (uint64_t)(b))
#define HC3(nr, a, b, c) \
	lamina_hypercall3(rt_hypercall_page, nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c))
#define HC5(nr, a, b, c, d, e) lamina_hypercall5(rt_hypercall_page, nr, (uint64_t)(a), \
	(uint64_t)(b), (uint64_t)(c), (uint64_t)(d), (uint64_t)(e))

/* Console. */
int rt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int rt_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Verdicts. rt_check records a failed check and goes on; the test ends with
 * SUCCESS if none failed. rt_skip and rt_fail end the test at once. */
#define rt_check(cond, ...) rt_check_at(!!(cond), __LINE__, __VA_ARGS__)
void rt_check_at(int ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* got and want are evaluated once (got is often a hypercall with side effects). */
#define rt_expect(got, want, what) do { \
	long got_ = (long)(got), want_ = (long)(want); \
	rt_check_at(got_ == want_, __LINE__, "%s: got %ld, want %ld", what, got_, want_); \
} while (0)
/* rt_expect with a formatted description: rt_expectf(got, want, "case %d", i). */
#define rt_expectf(got, want, ...) rt_expect_at((long)(got), (long)(want), __LINE__, __VA_ARGS__)
void rt_expect_at(long got, long want, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rt_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void rt_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void rt_shutdown(unsigned reason) __attribute__((noreturn));

/* Boot facts. */
extern const char *rt_cmdline;
const char *rt_arg(const char *key);            /* value of key=... in the cmdline */
long rt_arg_num(const char *key, long dflt);

/* Shared memory, events and clock. */
#define RT_HOLE_GFN (LAMINA_PHYSMAP_HOLE_BASE >> 12)
#define RT_UPCALL_VECTOR 0xf3
extern volatile struct lamina_shared_info *rt_shinfo;
void rt_map_shared_info(void);
void rt_events_init(void);                      /* shared_info, IDT gate, vector, sti */
typedef void (*rt_port_fn)(uint32_t port);
void rt_on_port(uint32_t port, rt_port_fn fn);  /* handler runs in the upcall */
int rt_unmask(uint32_t port);
uint64_t rt_now(void);                          /* PV-clock ns, never backwards on any vCPU */
extern volatile uint64_t rt_upcalls;            /* upcalls taken so far */
void rt_lapic_eoi(void);

/* Addresses for error paths: not mapped at all, and mapped but beyond RAM. */
#define RT_UNMAPPED   0x7fff0000000ull
#define RT_BEYOND_RAM 0xc0000000ull

/* Busy-wait on the PV clock: rt_spin_ns for ns, rt_wait_for until cond or
 * ns pass (returns cond's final value). */
void rt_spin_ns(uint64_t ns);
#define rt_wait_for(cond, ns) ({ uint64_t until_ = rt_now() + (ns); \
	while (!(cond) && rt_now() < until_) { rt_pause(); } \
	!!(cond); })

/* A read-only alias of p (which must lie in the first 2 MiB): the 2 MiB page
 * at virtual 1 GiB maps physical 0 without RW, and CR0.WP is set, so the
 * hypervisor must refuse to write through it. NULL if p is out of reach. */
void *rt_readonly(const void *p);

/* Start vCPU id (1..RT_MAX_APS) at fn with interrupts off, on its own stack
 * (vcpu_op UP with a context through rt_ap_entry). Returns UP's result. */
#define RT_MAX_APS 3
long rt_vcpu_up(unsigned id, void (*fn)(void));

/* Small helpers. */
void *rt_memset(void *d, int c, size_t n);
void *rt_memcpy(void *d, const void *s, size_t n);
size_t rt_strlen(const char *s);
int rt_strncmp(const char *a, const char *b, size_t n);
int rt_memcmp(const void *a, const void *b, size_t n);
static inline void rt_pause(void) { __asm__ __volatile__("pause"); }
#endif
