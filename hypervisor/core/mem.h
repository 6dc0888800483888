// SPDX-License-Identifier: MIT
// mem.h: guest RAM, its bookkeeping and ballooning.
#ifndef HV_MEM_H
#define HV_MEM_H
#include "dom.h"

#define MEM_RAM_MAX (3ull << 30)       /* RAM sits below the 3 GiB PCI-style hole */
#define MEM_HOLE_BASE 0xfe000000ull    /* special pages (shared_info, grant frames) */
#define MEM_HOLE_END  0xfec00000ull

int mem_init(struct domain *d, uint64_t bytes, char *err, size_t n);
void mem_free(struct domain *d);
bool mem_populated(struct domain *d, uint64_t gfn);
/* mem_release_n / mem_populate_n: frames [gfn, gfn+n) leave or join the
 * guest (all must be populated / unpopulated). 0, or -LAMINA_EINVAL (not
 * in RAM), -LAMINA_ENOENT / -LAMINA_EEXIST (a frame in the wrong state),
 * -LAMINA_ENOMEM (past max_pages, past LAMINA_MEM_MAX_RUNS unowned runs,
 * or the host refused). Caller holds d->lock. The single-frame forms are
 * the same with n = 1. */
int mem_release_n(struct domain *d, uint64_t gfn, uint64_t n);
int mem_populate_n(struct domain *d, uint64_t gfn, uint64_t n);
int mem_release(struct domain *d, uint64_t gfn);
int mem_release_range(struct domain *d, uint64_t gfn, uint64_t n);
/* Give every page of d's RAM back to the host except the gfns in
 * keep[0..n) (sorted; repeats and gfns beyond RAM allowed), one hole punch
 * per gap: for a dying domain, whose kept pages others still map. Returns
 * 0 or -LAMINA_ENOMEM (a punch failed; the other gaps were still punched).
 * Caller holds d->lock. */
int mem_release_except(struct domain *d, const uint64_t *keep, size_t n);
int mem_populate(struct domain *d, uint64_t gfn);
void *mem_gpa(struct domain *d, uint64_t gpa, size_t len);
#endif
