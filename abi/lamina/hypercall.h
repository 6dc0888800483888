/* SPDX-License-Identifier: MIT */
/* Lamina ABI: hypercall numbers, the calling convention, and inline call helpers for x86-64 guests. */
#ifndef LAMINA_HYPERCALL_H
#define LAMINA_HYPERCALL_H

#include "types.h"

/**
 * The hypercall page holds one 32-byte stub per hypercall. To make
 * hypercall `nr`, a 64-bit guest in ring 0 does
 *
 *     call hypercall_page + nr * 32
 *
 * with the arguments in **rdi, rsi, rdx, r10, r8** (first to fifth). The
 * stub loads `nr` into rax itself. The result comes back in **rax**: a value
 * >= 0 on success, a negated `LAMINA_E*` number on failure. The stub may
 * clobber rax, rcx, r11 and the flags; every other register, including the
 * argument registers, is preserved. The call uses 8 bytes of stack for the
 * return address, so code with a red zone must step over it (the helpers
 * below do).
 *
 * **Pointers.** A pointer argument (or a pointer field inside a structure a
 * pointer argument points to) is a guest *virtual* address in the calling
 * vCPU's current page tables. The hypervisor translates it page by page; if
 * any byte of the object is unmapped, or maps outside the domain's RAM, the
 * call fails with `-LAMINA_EFAULT`. Where a call keeps an address beyond
 * its own return (vcpu_info, runstate area) the field is a guest-*physical*
 * address and says so.
 *
 * **Events during a hypercall.** Hypercalls are not interrupted half way;
 * an event upcall that becomes pending is injected after the call returns.
 *
 * **Unknown numbers.** Any number without a hypercall below, up to
 * `LAMINA_HC_MAX - 1`, returns `-LAMINA_ENOSYS`.
 *
 * The transport behind the stub (an I/O port access) is not part of the ABI;
 * only the page is.
 *
 * | nr | name             | arguments                      | header          |
 * |----|------------------|--------------------------------|-----------------|
 * |  0 | null             | -                              | version.h       |
 * |  1 | version          | cmd, arg                       | version.h       |
 * |  2 | console_io       | cmd, count, buf                | console.h       |
 * |  3 | sched_op         | cmd, arg                       | sched.h         |
 * |  4 | set_timer_op     | deadline_ns                    | timer.h         |
 * |  5 | vcpu_op          | cmd, vcpuid, arg               | vcpu.h          |
 * |  6 | memory_op        | cmd, arg                       | memory.h        |
 * |  7 | event_channel_op | cmd, arg                       | event_channel.h |
 * |  8 | event_send       | port                           | event_channel.h |
 * |  9 | grant_table_op   | cmd, arg, count                | grant_table.h   |
 * | 10 | multicall        | calls, count                   | multicall.h     |
 */
#define LAMINA_HC_null             0
#define LAMINA_HC_version          1
#define LAMINA_HC_console_io       2
#define LAMINA_HC_sched_op         3
#define LAMINA_HC_set_timer_op     4
#define LAMINA_HC_vcpu_op          5
#define LAMINA_HC_memory_op        6
#define LAMINA_HC_event_channel_op 7
#define LAMINA_HC_event_send       8
#define LAMINA_HC_grant_table_op   9
#define LAMINA_HC_multicall        10

/** Size of one stub, and the number of stubs in a hypercall page. */
#define LAMINA_HC_STUB_SIZE 32u
#define LAMINA_HC_MAX       (LAMINA_PAGE_SIZE / LAMINA_HC_STUB_SIZE)

/*
 * Call helpers for freestanding x86-64 guests: page is the hypercall page's
 * virtual address. Linux guests use their own wrappers.
 */
#if defined(__x86_64__) && !defined(__KERNEL__)
static inline long lamina_hypercall5(const void *page, unsigned int nr,
				     lamina_u64 a1, lamina_u64 a2, lamina_u64 a3,
				     lamina_u64 a4, lamina_u64 a5)
{
	const char *stub = (const char *)page + nr * LAMINA_HC_STUB_SIZE;
	register lamina_u64 r10 __asm__("r10") = a4;
	register lamina_u64 r8 __asm__("r8") = a5;
	long ret;

	__asm__ __volatile__("lea -128(%%rsp), %%rsp\n\t"
			     "call *%[stub]\n\t"
			     "lea 128(%%rsp), %%rsp"
			     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3),
			       "+r"(r10), "+r"(r8)
			     : [stub] "r"(stub)
			     : "rcx", "r11", "memory", "cc");
	return ret;
}
#define lamina_hypercall0(p, nr) lamina_hypercall5(p, nr, 0, 0, 0, 0, 0)
#define lamina_hypercall1(p, nr, a1) lamina_hypercall5(p, nr, a1, 0, 0, 0, 0)
#define lamina_hypercall2(p, nr, a1, a2) lamina_hypercall5(p, nr, a1, a2, 0, 0, 0)
#define lamina_hypercall3(p, nr, a1, a2, a3) lamina_hypercall5(p, nr, a1, a2, a3, 0, 0)
#endif

#endif /* LAMINA_HYPERCALL_H */
