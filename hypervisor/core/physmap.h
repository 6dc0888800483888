// SPDX-License-Identifier: MIT
// physmap.h: mapping hypervisor pages (shared_info, grant frames, rings, granted pages) into the hole.
#ifndef HV_PHYSMAP_H
#define HV_PHYSMAP_H
#include "dom.h"

int physmap_add(struct domain *d, void *host, uint64_t gfn);
int physmap_add_flags(struct domain *d, void *host, uint64_t gfn, uint32_t flags);
void physmap_remove(struct domain *d, struct physmap_ent *e);
bool physmap_gfn_used(struct domain *d, uint64_t gfn);
#endif
