/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the multicall hypercall, a batch of hypercalls in one exit. */
#ifndef LAMINA_MULTICALL_H
#define LAMINA_MULTICALL_H

#include "types.h"

/**
 * ## Hypercall `multicall` (10)
 *
 * `long multicall(calls, count)`
 *
 * Runs `count` hypercalls described by the array of
 * `struct lamina_multicall_entry` at `calls` (a pointer), in order, for the
 * price of one exit. Entry i runs hypercall `op` with arguments `args[0..4]`
 * exactly as if called directly (pointer arguments are still guest virtual
 * addresses), and its return value is stored in its `result`. A failing
 * entry does not stop the batch. `multicall` and `sched_op` cannot be
 * batched: such entries get `-LAMINA_EINVAL` and do not run.
 *
 * Returns 0 when every entry has run and has its result. Errors:
 * `-LAMINA_E2BIG` (`count` > `LAMINA_MULTICALL_MAX`; nothing runs),
 * `-LAMINA_EFAULT` (the array cannot be read or a result cannot be
 * written; entries before that one have run). `count` = 0 returns 0.
 */
#define LAMINA_MULTICALL_MAX 32u

struct lamina_multicall_entry {
	lamina_u64 op;      /* IN: LAMINA_HC_* */
	lamina_s64 result;  /* OUT: that hypercall's return value */
	lamina_u64 args[5]; /* IN: rdi, rsi, rdx, r10, r8 */
};
LAMINA_CHECK_SIZE(multicall_entry, struct lamina_multicall_entry, 56);

#endif /* LAMINA_MULTICALL_H */
