// SPDX-License-Identifier: MIT
// grant.c: per-domain grant tables and their registry; mapping granted pages into guests and the host; grant copy.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <lamina/errno.h>
#include "grant.h"
#include "grant_tbl.h"
#include "hv_int.h"
#include "mem.h"
#include "physmap.h"

/*
 * Locks, outermost first:
 * 1. reg_lock (one rwlock for all instances). Writers publish and unpublish
 *    tables (domain creation and teardown). Readers are all operations that
 *    reach a table by domain id: they hold it for the whole pin-and-use, so
 *    while a reader holds it a published table's owner (its struct domain,
 *    RAM mapping and memfd) cannot be torn down. Writer-preferring, never
 *    taken recursively.
 * 2. a domain's d->lock (populated bitmap, physmap). grant_pages_in_use() is
 *    called with it held and takes 3.
 * 3. leaves, never nested with each other: a table's g->lock, a mapset's
 *    lock. No code takes 2 while holding 3.
 *
 * Lifetime. A table is referenced by its owner while published and by
 * every mapping (guest or host) of one of its pages; the last reference
 * frees it, so a mapping outliving the granter can still unpin.
 * Copies take no reference: they finish under reg_lock.
 *
 * Dying granters. Each mapping has its own mmap of the granted page from
 * the granter's memfd (read-only unless the mapping is writable); the KVM
 * slot and the host pointer point there, never into d->ram. An mmap keeps
 * its file alive, so when the granter is destroyed (its d->ram unmapped,
 * its memfd closed) the pages others still map stay valid until they are
 * unmapped. grant_domain_free() first punches every other page out of the
 * memfd (release_unmapped), so only the memory of the pages still mapped
 * stays in use, and it goes with the file when the last mapping does.
 */

struct mapset {
	pthread_mutex_t lock;          /* guards mt */
	struct gt_maptrack *mt;        /* allocated by the first mapping (lock) */
	unsigned cap;                  /* its slots; 0: LAMINA_GNTTAB_MAX_MAPS (set before use) */
};

struct grant_table {
	pthread_mutex_t lock;          /* guards t and refs */
	struct gt_table t;             /* entries, frames, pins (lock) */
	unsigned refs;                 /* owner while published + 1 per mapping (lock) */
	struct domain *owner;          /* NULL once unpublished (reg_lock, write) */
	struct mapset maps;            /* mappings this domain holds of granted pages */
};

/* Per hv instance: the published tables and the host's mappings. */
struct grant_hv {
	struct hv *hv;
	struct grant_table *tab[HV_MAX_DOMID];  /* by domain id (reg_lock) */
	struct mapset host;                    /* grant_map_host() mappings */
	struct grant_hv *next;                 /* (reg_lock) */
};

static pthread_rwlock_t reg_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static struct grant_hv *instances;            /* (reg_lock) */

/* ---- Registry ---- */

/* hv's registry, created if create (reg_lock written); NULL if none. */
static struct grant_hv *registry(struct hv *hv, bool create)
{
	struct grant_hv *h;

	for (h = instances; h; h = h->next)
		if (h->hv == hv)
			return h;
	if (!create || !(h = calloc(1, sizeof(*h))))
		return NULL;
	h->hv = hv;
	pthread_mutex_init(&h->host.lock, NULL);
	h->host.cap = GT_HOST_MAPS;
	h->next = instances;
	instances = h;
	return h;
}

static bool no_tables(const struct grant_hv *h)
{
	for (unsigned i = 0; i < HV_MAX_DOMID; i++)
		if (h->tab[i])
			return false;
	return true;
}

/* Free h once it has no table and no host mapping. reg_lock written. */
static void registry_put(struct grant_hv *h)
{
	if (!no_tables(h) || (h->host.mt && h->host.mt->used))
		return;
	for (struct grant_hv **pp = &instances; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	free(h->host.mt);
	pthread_mutex_destroy(&h->host.lock);
	free(h);
}

/* The published table of domain id (not SELF) in hv, or NULL. reg_lock held. */
static struct grant_table *table_of(struct hv *hv, unsigned id)
{
	struct grant_hv *h = registry(hv, false);

	return h && id < HV_MAX_DOMID ? h->tab[id] : NULL;
}

/* ---- Tables ---- */

static void table_destroy(struct grant_table *g)
{
	gt_fini(&g->t, hv_page_free);
	free(g->maps.mt);
	pthread_mutex_destroy(&g->maps.lock);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* Drop one reference; the last frees the table. Takes g->lock. */
static void table_put(struct grant_table *g)
{
	pthread_mutex_lock(&g->lock);
	bool last = --g->refs == 0;
	pthread_mutex_unlock(&g->lock);
	if (last)
		table_destroy(g);
}

int grant_domain_init(struct domain *d)
{
	struct grant_table *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->maps.lock, NULL);
	gt_init(&g->t, d->lim.grant_frames);
	g->refs = 1;
	g->owner = d;
	int rc = gt_grow(&g->t, 1, hv_page_alloc);
	pthread_rwlock_wrlock(&reg_lock);
	struct grant_hv *h = rc ? NULL : registry(d->hv, true);
	bool ok = h && d->id < HV_MAX_DOMID && !h->tab[d->id];
	if (ok) {
		h->tab[d->id] = g;
		d->gnt = g;
	}
	pthread_rwlock_unlock(&reg_lock);
	if (!ok)
		table_destroy(g);
	return ok ? 0 : -1;
}

/* Host page of frame idx, growing the table to idx + 1 frames. */
void *grant_frame(struct domain *d, unsigned idx)
{
	struct grant_table *g = d->gnt;
	void *page = NULL;

	if (!g || idx >= LAMINA_GNTTAB_MAX_FRAMES)
		return NULL;
	pthread_mutex_lock(&g->lock);
	if (gt_grow(&g->t, idx + 1, hv_page_alloc) == 0)
		page = g->t.frame[idx];
	pthread_mutex_unlock(&g->lock);
	return page;
}

/* d->lock held (decrease_reservation): lock order d->lock, then g->lock. */
bool grant_pages_in_use(struct domain *d, uint64_t gfn, uint64_t n)
{
	struct grant_table *g = d->gnt;

	if (!g)
		return false;
	pthread_mutex_lock(&g->lock);
	bool used = gt_gfns_granted(&g->t, gfn, n);
	pthread_mutex_unlock(&g->lock);
	return used;
}

int grant_setup(struct domain *d, unsigned nr_frames)
{
	struct grant_table *g = d->gnt;

	if (!nr_frames)
		return -LAMINA_EINVAL;
	pthread_mutex_lock(&g->lock);
	int rc = gt_grow(&g->t, nr_frames, hv_page_alloc);
	pthread_mutex_unlock(&g->lock);
	return rc;
}

static void sizes(struct grant_table *g, uint32_t *nr, uint32_t *max)
{
	pthread_mutex_lock(&g->lock);
	*nr = g->t.nr_frames;
	*max = g->t.max_frames;
	pthread_mutex_unlock(&g->lock);
}

/* As memory_op's reservations: no such domain is -ESRCH for any caller;
 * another existing one (or domain 0, the host side) is -EPERM unless the
 * caller is domain 0. */
int grant_query(struct domain *d, unsigned dom, uint32_t *nr_frames, uint32_t *max_frames)
{
	if (dom == LAMINA_DOMID_SELF || dom == d->id) {
		sizes(d->gnt, nr_frames, max_frames);
		return 0;
	}
	pthread_rwlock_rdlock(&reg_lock);
	struct grant_table *g = table_of(d->hv, dom);
	int rc = !g && dom != LAMINA_DOMID_HOST ? -LAMINA_ESRCH
		 : d->id != LAMINA_DOMID_HOST ? -LAMINA_EPERM
		 : g ? 0 : -LAMINA_ESRCH;
	if (!rc)
		sizes(g, nr_frames, max_frames);
	pthread_rwlock_unlock(&reg_lock);
	return rc;
}

/* ---- Pins: an entry held for a mapping or one side of a copy ---- */

/* Drop a pin of pin_get(); hold: it also held a table reference. */
static void pin_put(struct grant_table *g, uint32_t ref, bool write, bool hold)
{
	pthread_mutex_lock(&g->lock);
	gt_unpin(&g->t, ref, write);
	bool last = hold && --g->refs == 0;
	pthread_mutex_unlock(&g->lock);
	if (last)
		table_destroy(g);
}

/* Pin ref of published table g for peer (holding a table reference if
 * hold), then check the gfn is populated RAM of the granter under its
 * d->lock: a balloon-out either saw the pin (-EBUSY) or is already done
 * (-EINVAL here). OUT *gfn. reg_lock held, so g->owner is alive. */
static int pin_get(struct grant_table *g, uint32_t ref, uint16_t peer, bool write, bool hold,
		   uint64_t *gfn)
{
	pthread_mutex_lock(&g->lock);
	int rc = gt_pin(&g->t, ref, peer, write, gfn);
	if (!rc && hold)
		g->refs++;
	pthread_mutex_unlock(&g->lock);
	if (rc)
		return rc;
	struct domain *o = g->owner;
	pthread_mutex_lock(&o->lock);
	bool ram = mem_populated(o, *gfn);
	pthread_mutex_unlock(&o->lock);
	if (ram)
		return 0;
	pin_put(g, ref, write, hold);
	return -LAMINA_EINVAL;
}

/* ---- Mapsets (maptrack under its lock) ---- */

static int set_alloc(struct mapset *s)
{
	pthread_mutex_lock(&s->lock);
	if (!s->mt)
		s->mt = gt_maptrack_new(s->cap ? s->cap : LAMINA_GNTTAB_MAX_MAPS);
	int h = s->mt ? gt_map_alloc(s->mt) : -LAMINA_ENOMEM;
	pthread_mutex_unlock(&s->lock);
	return h;
}

static void set_publish(struct mapset *s, int h, const struct gt_map *m)
{
	pthread_mutex_lock(&s->lock);
	s->mt->slot[h] = *m;
	s->mt->slot[h].state = GT_MAP_LIVE;
	pthread_mutex_unlock(&s->lock);
}

/* Claim the LIVE mapping handle at gpa: copy it to *out, leave it BUSY. */
static bool set_claim(struct mapset *s, uint32_t handle, uint64_t gpa, struct gt_map *out)
{
	pthread_mutex_lock(&s->lock);
	struct gt_map *m = s->mt ? gt_map_claim(s->mt, handle, gpa) : NULL;
	if (m)
		*out = *m;
	pthread_mutex_unlock(&s->lock);
	return m != NULL;
}

static void set_release(struct mapset *s, int h)
{
	pthread_mutex_lock(&s->lock);
	gt_map_free(s->mt, (uint32_t)h);
	pthread_mutex_unlock(&s->lock);
}

/* ---- Mappings ---- */

/* Pin ref of g for peer with a table reference and make the mapping's own
 * host view of the page (see "Dying granters"). reg_lock held. */
static int map_make(struct grant_table *g, unsigned granter, uint32_t ref, uint16_t peer,
		    bool write, struct gt_map *m, uint64_t *gfn_out)
{
	uint64_t gfn;
	int rc = pin_get(g, ref, peer, write, true, &gfn);

	if (rc)
		return rc;
	void *host = mmap(NULL, HV_PAGE, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED,
			  g->owner->memfd, (off_t)(gfn * HV_PAGE));
	if (host == MAP_FAILED) {
		pin_put(g, ref, write, true);
		return -LAMINA_ENOMEM;
	}
	*m = (struct gt_map){ .state = GT_MAP_BUSY, .write = write, .granter = (uint16_t)granter,
			      .ref = ref, .host = host, .table = g };
	if (gfn_out)
		*gfn_out = gfn;
	return 0;
}

/* Undo map_make: the view goes first, then the pin (clearing the flag). */
static void map_drop(const struct gt_map *m)
{
	munmap(m->host, HV_PAGE);
	pin_put(m->table, m->ref, m->write, true);
}

/* Add m's view to d's physmap at gpa (read-only slot unless writable). */
static int map_place(struct domain *d, struct gt_map *m, uint64_t gpa)
{
	pthread_mutex_lock(&d->lock);
	int rc = physmap_add_flags(d, m->host, gpa / HV_PAGE, m->write ? 0 : KVM_MEM_READONLY);
	pthread_mutex_unlock(&d->lock);
	m->gpa = gpa;
	return rc;
}

/* Remove m from d's physmap; KVM zaps it before the ioctl returns. */
static void map_unplace(struct domain *d, const struct gt_map *m)
{
	pthread_mutex_lock(&d->lock);
	for (int i = 0; i < PHYSMAP_MAX; i++) {
		struct physmap_ent *e = &d->pm[i];
		if (e->used && e->host == m->host && e->gfn == m->gpa / HV_PAGE)
			physmap_remove(d, e);
	}
	pthread_mutex_unlock(&d->lock);
}

int grant_map(struct domain *d, unsigned dom, uint32_t ref, uint64_t gpa, bool readonly,
	      uint32_t *handle)
{
	struct grant_table *me = d->gnt;
	unsigned granter = dom == LAMINA_DOMID_SELF ? d->id : dom;
	struct gt_map m;
	int h = set_alloc(&me->maps);

	if (h < 0)
		return h;
	pthread_rwlock_rdlock(&reg_lock);
	struct grant_table *g = table_of(d->hv, granter);
	int rc = g ? map_make(g, granter, ref, d->id, !readonly, &m, NULL) : -LAMINA_ESRCH;
	pthread_rwlock_unlock(&reg_lock);
	if (!rc && (rc = map_place(d, &m, gpa)))
		map_drop(&m);
	if (rc) {
		set_release(&me->maps, h);
		return rc;
	}
	set_publish(&me->maps, h, &m);
	*handle = (uint32_t)h;
	return 0;
}

int grant_unmap(struct domain *d, uint64_t gpa, uint32_t handle)
{
	struct grant_table *me = d->gnt;
	struct gt_map m;

	if (!set_claim(&me->maps, handle, gpa, &m))
		return -LAMINA_EINVAL;
	map_unplace(d, &m);
	map_drop(&m);
	set_release(&me->maps, (int)handle);
	return 0;
}

/* ---- Copy ---- */

/* One side of a copy, resolved to host bytes. */
struct side {
	struct grant_table *g;   /* the pinned grant's table, or NULL for local RAM */
	uint32_t ref;
	bool write;
	uint8_t *p;
};

/* Resolve p: a grant of p->dom pinned for d, or a page of d's own RAM
 * (dom SELF or d's id; any other is a bad side, -EINVAL, as grant_table.h
 * lists no -EPERM for a copy). reg_lock held until side_put(). */
static int side_get(struct domain *d, const struct lamina_gnttab_copy_ptr *p, bool gref,
		    bool write, unsigned len, struct side *s)
{
	unsigned dom = p->dom == LAMINA_DOMID_SELF ? d->id : p->dom;
	uint64_t gfn;

	*s = (struct side){ .ref = p->u.ref, .write = write };
	if (!gref) {
		if (dom != d->id)
			return -LAMINA_EINVAL;
		if (p->u.gfn >= d->ram_bytes / HV_PAGE)
			return -LAMINA_EINVAL;
		s->p = mem_gpa(d, p->u.gfn * HV_PAGE + p->offset, len);
		return s->p ? 0 : -LAMINA_EINVAL;
	}
	struct grant_table *g = table_of(d->hv, dom);
	if (!g)
		return -LAMINA_ESRCH;
	int rc = pin_get(g, p->u.ref, d->id, write, false, &gfn);
	if (rc)
		return rc;
	s->g = g;
	s->p = g->owner->ram + gfn * HV_PAGE + p->offset;
	return 0;
}

static void side_put(const struct side *s)
{
	if (s->g)
		pin_put(s->g, s->ref, s->write, false);
}

int grant_copy(struct domain *d, const struct lamina_gnttab_copy *c)
{
	struct side src, dst;
	int rc = gt_check_copy(c);

	if (rc)
		return rc;
	pthread_rwlock_rdlock(&reg_lock);
	rc = side_get(d, &c->src, c->flags & LAMINA_GNTCOPY_SRC_GREF, false, c->len, &src);
	if (!rc) {
		rc = side_get(d, &c->dest, c->flags & LAMINA_GNTCOPY_DEST_GREF, true, c->len, &dst);
		if (!rc) {
			memmove(dst.p, src.p, c->len);
			side_put(&dst);
		}
		side_put(&src);
	}
	pthread_rwlock_unlock(&reg_lock);
	return rc;
}

/* ---- Host side ---- */

/* grant_map_host and grant_pin_host: 0 or -LAMINA_E*; OUT *page, *gfn. */
static int map_host(struct domain *granter, uint32_t ref, uint16_t as_domid, bool write,
		    uint32_t *handle, void **page, uint64_t *gfn)
{
	struct gt_map m;
	int rc;

	pthread_rwlock_rdlock(&reg_lock);
	struct grant_hv *h = registry(granter->hv, false);
	struct grant_table *g = table_of(granter->hv, granter->id);
	int slot = g ? set_alloc(&h->host) : -LAMINA_ESRCH;
	rc = slot < 0 ? slot : map_make(g, granter->id, ref, as_domid, write, &m, gfn);
	if (rc == 0) {
		set_publish(&h->host, slot, &m);
		*handle = (uint32_t)slot;
		*page = m.host;
	} else if (slot >= 0) {
		set_release(&h->host, slot);
	}
	pthread_rwlock_unlock(&reg_lock);
	return rc;
}

void *grant_map_host(struct domain *granter, uint32_t ref, uint16_t as_domid, bool write,
		     uint32_t *handle)
{
	void *page = NULL;
	uint64_t gfn;

	return map_host(granter, ref, as_domid, write, handle, &page, &gfn) ? NULL : page;
}

int grant_pin_host(struct domain *granter, uint32_t ref, uint16_t as_domid, bool write,
		   uint32_t *handle, uint64_t *gfn)
{
	void *page;

	return map_host(granter, ref, as_domid, write, handle, &page, gfn);
}

int grant_unmap_host(struct hv *hv, uint32_t handle)
{
	struct gt_map m;

	pthread_rwlock_rdlock(&reg_lock);
	struct grant_hv *h = registry(hv, false);
	bool found = h && set_claim(&h->host, handle, 0, &m);
	if (found) {
		map_drop(&m);
		set_release(&h->host, (int)handle);
	}
	bool idle = h && no_tables(h);
	pthread_rwlock_unlock(&reg_lock);
	if (idle) {   /* every domain is gone: the registry may go too */
		pthread_rwlock_wrlock(&reg_lock);
		if ((h = registry(hv, false)))
			registry_put(h);
		pthread_rwlock_unlock(&reg_lock);
	}
	return found ? 0 : -LAMINA_EINVAL;
}

/* ---- Teardown ---- */

/* Drop every mapping d holds. Its vCPUs are stopped and its VM is about to
 * be closed, which removes all its KVM slots at once: removing them one by
 * one (each a memslot update) would only slow teardown down, so only the
 * host views and the pins go. None is BUSY: no hypercall of d is running. */
static void drop_own_maps(struct grant_table *g)
{
	struct gt_maptrack *mt = g->maps.mt;

	for (unsigned h = 0; mt && h < mt->cap; h++) {
		if (mt->slot[h].state != GT_MAP_LIVE)
			continue;
		map_drop(&mt->slot[h]);
		gt_map_free(mt, h);
	}
}

static int cmp_gfn(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Give d's RAM back to the host except the pages peers still map (see
 * "Dying granters"). g is unpublished, so its pins can only go away; a
 * page unpinned meanwhile stays until the file goes. Without memory for
 * the list of pinned gfns every page stays until then. */
static void release_unmapped(struct domain *d, struct grant_table *g)
{
	pthread_mutex_lock(&g->lock);
	unsigned max = g->t.pinned;
	uint64_t *keep = malloc((max ? max : 1) * sizeof(*keep));
	size_t n = keep ? gt_pinned_gfns(&g->t, keep) : 0;
	pthread_mutex_unlock(&g->lock);
	if (keep && d->memfd >= 0) {
		qsort(keep, n, sizeof(*keep), cmp_gfn);
		pthread_mutex_lock(&d->lock);
		mem_release_except(d, keep, n);
		pthread_mutex_unlock(&d->lock);
	}
	free(keep);
}

/* Unpublish d's table (no new pin can start; copies in flight finish
 * first), drop d's own mappings, give back the RAM nobody maps, then drop
 * d's reference: the table lives on while others still map its pages. */
void grant_domain_free(struct domain *d)
{
	struct grant_table *g = d->gnt;

	if (!g)
		return;
	pthread_rwlock_wrlock(&reg_lock);
	struct grant_hv *h = registry(d->hv, false);
	if (h && d->id < HV_MAX_DOMID && h->tab[d->id] == g)
		h->tab[d->id] = NULL;
	g->owner = NULL;
	if (h)
		registry_put(h);
	pthread_rwlock_unlock(&reg_lock);
	drop_own_maps(g);
	release_unmapped(d, g);
	d->gnt = NULL;
	table_put(g);
}
