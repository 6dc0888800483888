// SPDX-License-Identifier: MIT
// hc_memory.c: memory_op: the memory map, reservations (ballooning) and add_to_physmap.
#include <string.h>
#include <lamina/errno.h>
#include <lamina/memory.h>
#include "boot.h"
#include "clock.h"
#include "gmem.h"
#include "grant.h"
#include "hcall.h"
#include "hv_int.h"
#include "mem.h"
#include "physmap.h"
#include "vcpu.h"

#define LAPIC_BASE 0xfec00000ull   /* IOAPIC + LAPIC range, reserved */

static unsigned build_map(struct domain *d, struct lamina_e820_entry *e)
{
	e[0] = (struct lamina_e820_entry){ 0, BOOT_LOW_RESERVED, LAMINA_E820_RESERVED, 0 };
	e[1] = (struct lamina_e820_entry){ BOOT_LOW_RESERVED, d->ram_bytes - BOOT_LOW_RESERVED,
					   LAMINA_E820_RAM, 0 };
	e[2] = (struct lamina_e820_entry){ LAMINA_PHYSMAP_HOLE_BASE, LAMINA_PHYSMAP_HOLE_SIZE,
					   LAMINA_E820_RESERVED, 0 };
	e[3] = (struct lamina_e820_entry){ LAPIC_BASE, 0x1400000ull, LAMINA_E820_RESERVED, 0 };
	return 4;
}

static int64_t op_memory_map(struct vcpu *v, uint64_t arg)
{
	struct lamina_memory_map m;
	struct lamina_e820_entry e[LAMINA_E820_MAX];
	unsigned n = build_map(v->d, e);

	if (gmem_read(v, arg, &m, sizeof(m)))
		return -LAMINA_EFAULT;
	if (m.pad)
		return -LAMINA_EINVAL;
	bool small = m.nr_entries < n;
	if (!small && gmem_write(v, m.buffer, e, n * sizeof(e[0])))
		return -LAMINA_EFAULT;
	m.nr_entries = n;
	if (gmem_write(v, arg, &m, sizeof(m)))
		return -LAMINA_EFAULT;
	return small ? -LAMINA_E2BIG : 0;
}

static int64_t op_reservation(struct vcpu *v, uint64_t domid, bool max)
{
	struct domain *d = v->d;

	/* No such domain is ESRCH for any caller; an existing other one (or
	 * domain 0, the host side) is EPERM unless the caller is domain 0. */
	if (domid != LAMINA_DOMID_SELF && domid != d->id) {
		struct domain *o = domid <= LAMINA_DOMID_MAX ?
				   hv_domain_get(v->d->hv, (unsigned)domid) : NULL;
		if (!o && domid != LAMINA_DOMID_HOST)
			return -LAMINA_ESRCH;
		if (d->id != LAMINA_DOMID_HOST)
			return -LAMINA_EPERM;
		if (!o)
			return -LAMINA_ESRCH;
		d = o;
	}
	return max ? (int64_t)d->max_pages : (int64_t)atomic_load(&d->cur_pages);
}

/* Release or populate one extent of 2^order pages at gfn. d->lock held. */
static int64_t one_extent(struct domain *d, uint64_t gfn, unsigned order, bool release)
{
	uint64_t n = 1ull << order;

	if (gfn % n || gfn < BOOT_LOW_RESERVED / HV_PAGE || gfn >= d->ram_bytes / HV_PAGE ||
	    n > d->ram_bytes / HV_PAGE - gfn)
		return -LAMINA_EINVAL;
	for (uint64_t g = gfn; g < gfn + n; g++) {
		if (release && !mem_populated(d, g))
			return -LAMINA_ENOENT;
		if (!release && mem_populated(d, g))
			return -LAMINA_EEXIST;
	}
	if (release && grant_pages_in_use(d, gfn, n))
		return -LAMINA_EBUSY;   /* granted or mapped (memory.h) */
	if (!release && atomic_load(&d->cur_pages) + n > d->max_pages)
		return -LAMINA_ENOMEM;
	int64_t r = release ? mem_release_n(d, gfn, n) : mem_populate_n(d, gfn, n);
	if (r == -LAMINA_ENOMEM && d->unowned_runs >= LAMINA_MEM_MAX_RUNS - 1 &&
	    d->runs_refused++ < 4)   /* say which check failed, a few times */
		dom_log(d, "lamina: memory_op at gfn %#llx: ENOMEM: the frames the domain does not "
			"own would form more than %u separate runs", (unsigned long long)gfn,
			LAMINA_MEM_MAX_RUNS);
	return r;
}

static int64_t op_extents(struct vcpu *v, uint64_t arg, bool release)
{
	struct lamina_mem_reservation r;
	int64_t done = 0, rc = 0;

	if (gmem_read(v, arg, &r, sizeof(r)))
		return -LAMINA_EFAULT;
	if (r.pad)
		return -LAMINA_EINVAL;
	if (r.domid != LAMINA_DOMID_SELF)
		return -LAMINA_EPERM;
	if (r.extent_order > LAMINA_MEM_MAX_ORDER)
		return -LAMINA_EINVAL;
	for (; (uint64_t)done < r.nr_extents; done++) {
		uint64_t gfn;
		if (gmem_read(v, r.extent_start + (uint64_t)done * 8, &gfn, 8)) {
			rc = -LAMINA_EFAULT;
			break;
		}
		pthread_mutex_lock(&v->d->lock);
		rc = one_extent(v->d, gfn, r.extent_order, release);
		pthread_mutex_unlock(&v->d->lock);
		if (rc)
			break;
	}
	return done ? done : rc;
}

/* The host page behind (space, idx), or NULL if there is none. */
static void *space_page(struct domain *d, unsigned space, uint32_t idx)
{
	switch (space) {
	case LAMINA_SPACE_SHARED_INFO:
		return idx == 0 ? d->shinfo : NULL;
	case LAMINA_SPACE_GRANT_TABLE:
		return grant_frame(d, idx);
	case LAMINA_SPACE_STORE_RING:
		return idx == 0 ? d->store_page : NULL;
	case LAMINA_SPACE_CONSOLE_RING:
		return idx == 0 ? d->console_page : NULL;
	default:
		return NULL;
	}
}

static int64_t op_add_to_physmap(struct vcpu *v, uint64_t arg)
{
	struct lamina_add_to_physmap x;
	struct domain *d = v->d;

	if (gmem_read(v, arg, &x, sizeof(x)))
		return -LAMINA_EFAULT;
	if (x.domid != LAMINA_DOMID_SELF)
		return -LAMINA_EPERM;
	/* Check the gfn itself: gfn * page size can wrap into the hole. */
	if (x.gfn < LAMINA_PHYSMAP_HOLE_BASE / HV_PAGE ||
	    x.gfn >= (LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE) / HV_PAGE)
		return -LAMINA_EINVAL;
	void *page = space_page(d, x.space, x.idx);
	if (!page)
		return -LAMINA_EINVAL;
	pthread_mutex_lock(&d->lock);
	int64_t r = physmap_add(d, page, x.gfn);
	if (!r && x.space == LAMINA_SPACE_SHARED_INFO)
		__atomic_store_n(&d->shinfo_gfn, x.gfn, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	if (!r && x.space == LAMINA_SPACE_SHARED_INFO) {
		clock_wallclock(d);
		vcpu_kick_others(v);   /* each points KVM's clock at its slot (clock.c) */
	}
	return r;
}

int64_t hc_memory_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case LAMINA_MEMOP_MEMORY_MAP:           return op_memory_map(v, a[1]);
	case LAMINA_MEMOP_CURRENT_RESERVATION:  return op_reservation(v, a[1], false);
	case LAMINA_MEMOP_MAXIMUM_RESERVATION:  return op_reservation(v, a[1], true);
	case LAMINA_MEMOP_DECREASE_RESERVATION: return op_extents(v, a[1], true);
	case LAMINA_MEMOP_POPULATE_PHYSMAP:     return op_extents(v, a[1], false);
	case LAMINA_MEMOP_ADD_TO_PHYSMAP:       return op_add_to_physmap(v, a[1]);
	default:                                return -LAMINA_ENOSYS;
	}
}
