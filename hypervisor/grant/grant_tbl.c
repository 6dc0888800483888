// SPDX-License-Identifier: MIT
// grant_tbl.c: grant-table logic without KVM or domains: frames, the entry flags protocol, pins, maptrack, argument checks.
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include <lamina/memory.h>
#include "grant_tbl.h"

#define PER LAMINA_GRANT_PER_FRAME
#define ENTRY_SIZE sizeof(struct lamina_grant_entry)
/* Compare-exchange attempts before a granter that keeps rewriting an entry
 * is treated as not granting it (a legitimate revoke settles at once). */
#define PIN_TRIES 64

/*
 * Entries are guest memory: they are accessed only as raw words through
 * atomics, never as C objects the compiler may cache. The 32-bit word at
 * offset 0 holds flags (low half) and domid (high half), little-endian.
 */
static uint32_t *entry_word(const struct gt_table *t, uint32_t ref)
{
	return (uint32_t *)((uint8_t *)t->frame[ref / PER] + (ref % PER) * ENTRY_SIZE);
}

static uint64_t *entry_gfn(const struct gt_table *t, uint32_t ref)
{
	return (uint64_t *)((uint8_t *)t->frame[ref / PER] + (ref % PER) * ENTRY_SIZE +
			    offsetof(struct lamina_grant_entry, gfn));
}

static struct gt_pin *pin_of(const struct gt_table *t, uint32_t ref)
{
	return &t->pin[ref / PER][ref % PER];
}

void gt_init(struct gt_table *t, unsigned max_frames)
{
	memset(t, 0, sizeof(*t));
	t->max_frames = max_frames < LAMINA_GNTTAB_MAX_FRAMES ? max_frames
							      : LAMINA_GNTTAB_MAX_FRAMES;
}

int gt_grow(struct gt_table *t, unsigned nr, gt_alloc_fn alloc)
{
	if (nr > t->max_frames)
		return -LAMINA_EINVAL;
	while (t->nr_frames < nr) {
		unsigned f = t->nr_frames;
		t->pin[f] = calloc(PER, sizeof(struct gt_pin));
		t->frame[f] = t->pin[f] ? alloc() : NULL;
		if (!t->frame[f]) {
			free(t->pin[f]);
			t->pin[f] = NULL;
			return -LAMINA_ENOMEM;
		}
		t->nr_frames = f + 1;
	}
	return 0;
}

void gt_fini(struct gt_table *t, gt_free_fn release)
{
	for (unsigned f = 0; f < t->nr_frames; f++) {
		release(t->frame[f]);
		free(t->pin[f]);
		t->frame[f] = NULL;
		t->pin[f] = NULL;
	}
	t->nr_frames = 0;
}

/* The hypervisor half of the flags protocol: one compare-exchange that
 * checks the entry grants this access to peer and sets READING/WRITING. */
static int flags_acquire(uint32_t *w, uint16_t peer, bool write)
{
	uint32_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE), want;
	uint32_t bit = write ? LAMINA_GTF_WRITING : LAMINA_GTF_READING;

	for (int tries = 0; tries < PIN_TRIES; tries++) {
		uint16_t flags = (uint16_t)old, domid = (uint16_t)(old >> 16);
		if ((flags & LAMINA_GTF_TYPE_MASK) != LAMINA_GTF_PERMIT_ACCESS || domid != peer)
			return -LAMINA_EACCES;
		if (write && (flags & LAMINA_GTF_READONLY))
			return -LAMINA_EROFS;
		want = old | bit;
		if (__atomic_compare_exchange_n(w, &old, want, false, __ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE))
			return 0;
	}
	return -LAMINA_EACCES;
}

int gt_pin(struct gt_table *t, uint32_t ref, uint16_t peer, bool write, uint64_t *gfn)
{
	if (ref >= gt_nr_refs(t))
		return -LAMINA_EINVAL;
	int rc = flags_acquire(entry_word(t, ref), peer, write);
	if (rc)
		return rc;
	struct gt_pin *p = pin_of(t, ref);
	if (!p->readers && !p->writers) {
		/* First pin: the gfn is read once, after the exchange. */
		p->gfn = __atomic_load_n(entry_gfn(t, ref), __ATOMIC_ACQUIRE);
		t->frame_pinned[ref / PER]++;
		t->pinned++;
	}
	if (write)
		p->writers++;
	else
		p->readers++;
	*gfn = p->gfn;
	return 0;
}

void gt_unpin(struct gt_table *t, uint32_t ref, bool write)
{
	struct gt_pin *p = pin_of(t, ref);
	uint32_t *count = write ? &p->writers : &p->readers;
	uint32_t bit = write ? LAMINA_GTF_WRITING : LAMINA_GTF_READING;

	if (--*count == 0) {
		/* Every access through the grant happens before the bit clears. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		__atomic_fetch_and(entry_word(t, ref), ~bit, __ATOMIC_SEQ_CST);
	}
	if (!p->readers && !p->writers) {
		p->gfn = 0;
		t->frame_pinned[ref / PER]--;
		t->pinned--;
	}
}

/* True if some pinned entry's captured gfn is in [gfn, gfn + n). */
static bool pinned_in(const struct gt_table *t, uint64_t gfn, uint64_t n)
{
	if (!t->pinned)
		return false;
	for (unsigned f = 0; f < t->nr_frames; f++) {
		if (!t->frame_pinned[f])
			continue;
		for (unsigned i = 0; i < PER; i++) {
			const struct gt_pin *p = &t->pin[f][i];
			if ((p->readers || p->writers) && p->gfn - gfn < n)
				return true;
		}
	}
	return false;
}

bool gt_gfn_pinned(const struct gt_table *t, uint64_t gfn)
{
	return pinned_in(t, gfn, 1);
}

size_t gt_pinned_gfns(const struct gt_table *t, uint64_t *out)
{
	size_t n = 0;

	for (unsigned f = 0; f < t->nr_frames && n < t->pinned; f++) {
		if (!t->frame_pinned[f])
			continue;
		for (unsigned i = 0; i < PER; i++) {
			const struct gt_pin *p = &t->pin[f][i];
			if (p->readers || p->writers)
				out[n++] = p->gfn;
		}
	}
	return n;
}

/* True if entry ref is of type PERMIT_ACCESS and names a gfn in [gfn, gfn + n),
 * as the guest has it now. */
static bool entry_names(const struct gt_table *t, uint32_t ref, uint64_t gfn, uint64_t n)
{
	uint32_t w = __atomic_load_n(entry_word(t, ref), __ATOMIC_ACQUIRE);

	if ((w & LAMINA_GTF_TYPE_MASK) != LAMINA_GTF_PERMIT_ACCESS)
		return false;
	return __atomic_load_n(entry_gfn(t, ref), __ATOMIC_RELAXED) - gfn < n;
}

bool gt_gfns_granted(const struct gt_table *t, uint64_t gfn, uint64_t n)
{
	for (uint32_t ref = 0; ref < gt_nr_refs(t); ref++)
		if (entry_names(t, ref, gfn, n))
			return true;
	return pinned_in(t, gfn, n);
}

/* ---- Maptrack ---- */

struct gt_maptrack *gt_maptrack_new(unsigned cap)
{
	struct gt_maptrack *m = calloc(1, sizeof(*m) + (size_t)cap * sizeof(m->slot[0]));

	if (m)
		m->cap = cap;
	return m;
}

int gt_map_alloc(struct gt_maptrack *m)
{
	if (m->used >= m->cap)
		return -LAMINA_ENOSPC;
	for (unsigned i = 0; i < m->cap; i++) {
		/* Round robin, so a handle just freed is not handed out again at once. */
		unsigned h = (m->next + i) % m->cap;
		if (m->slot[h].state != GT_MAP_FREE)
			continue;
		m->slot[h].state = GT_MAP_BUSY;
		m->used++;
		m->next = h + 1;
		return (int)h;
	}
	return -LAMINA_ENOSPC;
}

struct gt_map *gt_map_claim(struct gt_maptrack *m, uint32_t handle, uint64_t gpa)
{
	if (handle >= m->cap)
		return NULL;
	struct gt_map *s = &m->slot[handle];
	if (s->state != GT_MAP_LIVE || s->gpa != gpa)
		return NULL;
	s->state = GT_MAP_BUSY;
	return s;
}

void gt_map_free(struct gt_maptrack *m, uint32_t handle)
{
	m->slot[handle] = (struct gt_map){ .state = GT_MAP_FREE };
	m->used--;
}

/* ---- Argument checks ---- */

int gt_check_map(const struct lamina_gnttab_map *m)
{
	if (m->pad || (m->flags & ~LAMINA_GNTMAP_READONLY))
		return -LAMINA_EINVAL;
	if (m->gpa % LAMINA_PAGE_SIZE || m->gpa < LAMINA_PHYSMAP_HOLE_BASE ||
	    m->gpa - LAMINA_PHYSMAP_HOLE_BASE >= LAMINA_PHYSMAP_HOLE_SIZE)
		return -LAMINA_EINVAL;
	return 0;
}

static bool ptr_ok(const struct lamina_gnttab_copy_ptr *p, unsigned len)
{
	return !p->pad && p->offset < LAMINA_PAGE_SIZE && len <= LAMINA_PAGE_SIZE - p->offset;
}

int gt_check_copy(const struct lamina_gnttab_copy *c)
{
	if (c->pad || (c->flags & ~(LAMINA_GNTCOPY_SRC_GREF | LAMINA_GNTCOPY_DEST_GREF)))
		return -LAMINA_EINVAL;
	if (!c->len || !ptr_ok(&c->src, c->len) || !ptr_ok(&c->dest, c->len))
		return -LAMINA_EINVAL;
	return 0;
}
