/* SPDX-License-Identifier: MIT */
/* Lamina ABI: memory barriers and single-copy accesses for memory shared with another domain. */
#ifndef LAMINA_BARRIER_H
#define LAMINA_BARRIER_H

#include "types.h"

/**
 * ## Barriers for shared memory
 *
 * Two parties that share a page (a guest and the hypervisor, or a front-end
 * and a back-end) run on different CPUs at the same time. Every protocol in
 * this ABI states which barrier goes where, using these names:
 * - `lamina_mb()`: full barrier; earlier loads and stores complete before
 *   later loads and stores (needed for "store index, then load the peer's
 *   event index");
 * - `lamina_rmb()`: earlier loads complete before later loads;
 * - `lamina_wmb()`: earlier stores become visible before later stores;
 * - `lamina_barrier()`: compiler barrier only.
 *
 * Inside Linux they are `virt_mb()` and friends. Elsewhere they use GCC/Clang
 * builtins and need no libc. On x86-64 (TSO) `rmb`/`wmb` only stop the
 * compiler, and `mb` is an `mfence`.
 *
 * `LAMINA_READ_ONCE(x)` / `LAMINA_WRITE_ONCE(x, v)` make exactly one access
 * to a scalar in shared memory, so the compiler can neither re-read a value
 * the peer may change (a "double fetch") nor split or merge the store.
 */
#ifdef __KERNEL__
#include <asm/barrier.h>
#include <linux/compiler.h>
#define lamina_mb()      virt_mb()
#define lamina_rmb()     virt_rmb()
#define lamina_wmb()     virt_wmb()
#define lamina_barrier() barrier()
#define LAMINA_READ_ONCE(x)     READ_ONCE(x)
#define LAMINA_WRITE_ONCE(x, v) WRITE_ONCE(x, v)
#else
#define lamina_barrier() __asm__ __volatile__("" : : : "memory")
#if defined(__x86_64__) || defined(__i386__)
#define lamina_mb()  __asm__ __volatile__("mfence" : : : "memory")
#define lamina_rmb() lamina_barrier()
#define lamina_wmb() lamina_barrier()
#else
#define lamina_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define lamina_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define lamina_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#define LAMINA_READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define LAMINA_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#endif

#endif /* LAMINA_BARRIER_H */
