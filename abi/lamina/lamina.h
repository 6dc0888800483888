/* SPDX-License-Identifier: MIT */
/* Lamina ABI: umbrella header including every guest-visible ABI header. */
#ifndef LAMINA_LAMINA_H
#define LAMINA_LAMINA_H

/**
 * Everything a guest (or the hypervisor implementing it) needs is declared
 * in the headers under `abi/lamina/`; this file includes them all. They are
 * C99, need no C library, and work unchanged in the hypervisor, in
 * freestanding guests and in the Linux kernel. Each hypercall is documented
 * where its numbers and structures are declared: arguments are marked IN
 * (read by the hypervisor) or OUT (written by it), and every error it can
 * return is listed with the condition that causes it.
 */

#include "types.h"
#include "errno.h"
#include "barrier.h"
#include "version.h"
#include "cpuid.h"
#include "hypercall.h"
#include "console.h"
#include "sched.h"
#include "timer.h"
#include "shared_info.h"
#include "vcpu.h"
#include "memory.h"
#include "event_channel.h"
#include "grant_table.h"
#include "multicall.h"
#include "ring.h"
#include "store.h"
#include "io/bus.h"
#include "io/console.h"
#include "io/blkif.h"
#include "io/netif.h"

#endif /* LAMINA_LAMINA_H */
