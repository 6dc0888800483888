// SPDX-License-Identifier: MIT
// pvclock_at.h: the test guests' PV-clock arithmetic, safe against a TSC read before the record's stamp.
#ifndef PVCLOCK_AT_H
#define PVCLOCK_AT_H
#include <lamina/shared_info.h>

/*
 * System time at TSC value tsc from one snapshot of a time record.
 * lamina_pvclock_read() takes tsc - tsc_timestamp as unsigned: a TSC read
 * a few ticks before the stamp (a record written on a host CPU whose TSC
 * is ahead of the one the vCPU now runs on) wraps to ~2^64 ticks, a time
 * centuries ahead. One such reading used as a sched_op POLL timeout or a
 * spin deadline never ends, and lamina_pvclock_read_mono() keeps it as
 * its floor for good. A TSC before the stamp counts as the stamp.
 */
static inline lamina_u64 rt_pvclock_at(lamina_u64 stamp, lamina_u64 base, lamina_u32 mul,
				       lamina_s8 shift, lamina_u64 tsc)
{
	return base + (tsc > stamp ? lamina_pvclock_scale(tsc - stamp, mul, shift) : 0);
}
#endif
