// SPDX-License-Identifier: MIT
// hc_multicall.c: run a batch of hypercalls for the price of one exit.
#include <lamina/errno.h>
#include <lamina/hypercall.h>
#include <lamina/multicall.h>
#include "gmem.h"
#include "hcall.h"

/* multicall(calls, count): entries are copied in one at a time, so a guest
 * rewriting the array during the call only changes what it asked for. */
int64_t hc_multicall(struct vcpu *v, const uint64_t a[5])
{
	struct lamina_multicall_entry e;
	uint64_t calls = a[0], count = a[1];

	if (count > LAMINA_MULTICALL_MAX)
		return -LAMINA_E2BIG;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at = calls + i * sizeof(e);
		if (gmem_read(v, at, &e, sizeof(e)))
			return -LAMINA_EFAULT;
		if (e.op == LAMINA_HC_multicall || e.op == LAMINA_HC_sched_op)
			e.result = -LAMINA_EINVAL;
		else
			e.result = hcall_dispatch(v, e.op, e.args);
		if (gmem_write(v, at + 8, &e.result, sizeof(e.result)))
			return -LAMINA_EFAULT;
	}
	return 0;
}
