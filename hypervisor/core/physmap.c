// SPDX-License-Identifier: MIT
// physmap.c: hypervisor-owned pages mapped into a guest's physmap hole (each its own KVM slot).
#include <lamina/errno.h>
#include <lamina/memory.h>
#include "kvm.h"
#include "physmap.h"

static bool in_hole(uint64_t gfn)
{
	uint64_t gpa = gfn * HV_PAGE;

	return gpa >= LAMINA_PHYSMAP_HOLE_BASE &&
	       gpa < LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE;
}

static struct physmap_ent *find(struct domain *d, int (*match)(struct physmap_ent *, const void *),
				const void *key)
{
	for (int i = 0; i < PHYSMAP_MAX; i++)
		if (d->pm[i].used && match(&d->pm[i], key))
			return &d->pm[i];
	return NULL;
}

static int by_gfn(struct physmap_ent *e, const void *k) { return e->gfn == *(const uint64_t *)k; }
static int by_host(struct physmap_ent *e, const void *k) { return e->host == k; }

/* Map the page at host to gfn; a page already mapped elsewhere moves. d->lock held. */
int physmap_add(struct domain *d, void *host, uint64_t gfn)
{
	return physmap_add_flags(d, host, gfn, 0);
}

/* physmap_add with KVM memory-region flags (KVM_MEM_READONLY: guest writes exit as MMIO). */
int physmap_add_flags(struct domain *d, void *host, uint64_t gfn, uint32_t flags)
{
	if (!in_hole(gfn))
		return -LAMINA_EINVAL;
	struct physmap_ent *at = find(d, by_gfn, &gfn), *old = find(d, by_host, host);
	if (at && at != old)
		return -LAMINA_EBUSY;
	if (old)
		physmap_remove(d, old);
	for (int i = 0; i < PHYSMAP_MAX; i++) {
		struct physmap_ent *e = &d->pm[i];
		if (e->used)
			continue;
		if (kvm_map_flags(d->vmfd, PHYSMAP_SLOT0 + i, gfn * HV_PAGE, HV_PAGE, host, flags) < 0)
			return -LAMINA_ENOMEM;
		*e = (struct physmap_ent){ .used = true, .gfn = gfn, .host = host };
		return 0;
	}
	return -LAMINA_ENOSPC;
}

void physmap_remove(struct domain *d, struct physmap_ent *e)
{
	kvm_map(d->vmfd, PHYSMAP_SLOT0 + (int)(e - d->pm), e->gfn * HV_PAGE, 0, e->host);
	e->used = false;
}

bool physmap_gfn_used(struct domain *d, uint64_t gfn) { return find(d, by_gfn, &gfn) != NULL; }
