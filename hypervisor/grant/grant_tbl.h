// SPDX-License-Identifier: MIT
// grant_tbl.h: grant-table logic without KVM or domains: frames, the entry flags protocol, pins, maptrack, argument checks.
#ifndef HV_GRANT_TBL_H
#define HV_GRANT_TBL_H
#include <stdbool.h>
#include <stdint.h>
#include <lamina/grant_table.h>

/*
 * Nothing here locks: every function on a struct gt_table or a struct
 * gt_maptrack must be called with the lock that owns it held (grant.c says
 * which). Entries live in guest-shared frames; the guest may change them at
 * any time, so they are only touched through gt_pin()/gt_unpin(), which
 * follow the flags protocol of grant_table.h.
 */

/* Hypervisor-private state of one entry, valid while it has pins. */
struct gt_pin {
	uint32_t readers;  /* read-only mappings + copies from the page: READING set while > 0 */
	uint32_t writers;  /* writable mappings + copies to the page: WRITING set while > 0 */
	uint64_t gfn;      /* the entry's gfn, read once when its first pin was taken */
};

struct gt_table {
	unsigned nr_frames;    /* frames allocated; it only grows */
	unsigned max_frames;   /* growth limit, <= LAMINA_GNTTAB_MAX_FRAMES */
	unsigned pinned;       /* entries with readers or writers */
	void *frame[LAMINA_GNTTAB_MAX_FRAMES];          /* page-aligned, shared with the guest */
	struct gt_pin *pin[LAMINA_GNTTAB_MAX_FRAMES];   /* LAMINA_GRANT_PER_FRAME each */
	unsigned frame_pinned[LAMINA_GNTTAB_MAX_FRAMES]; /* pinned entries per frame */
};

typedef void *(*gt_alloc_fn)(void);     /* a zeroed page, or NULL */
typedef void (*gt_free_fn)(void *page);

/* An empty table (no frames) that may grow to max_frames (capped at the ABI maximum). */
void gt_init(struct gt_table *t, unsigned max_frames);
/* Grow to at least nr frames: 0, -LAMINA_EINVAL (nr > max_frames) or
 * -LAMINA_ENOMEM (frames allocated before the failure stay). */
int gt_grow(struct gt_table *t, unsigned nr, gt_alloc_fn alloc);
/* Free every frame and the private state. */
void gt_fini(struct gt_table *t, gt_free_fn release);
/* Grant refs the table holds now. */
static inline uint32_t gt_nr_refs(const struct gt_table *t)
{
	return t->nr_frames * LAMINA_GRANT_PER_FRAME;
}

/* Take a read (write = false) or write pin on ref for domain peer: checks
 * and sets the entry's flags with one compare-exchange (type PERMIT_ACCESS,
 * domid = peer, READONLY against the access; sets READING or WRITING), then
 * reads the gfn once. OUT *gfn: the gfn captured by the entry's first pin.
 * Errors: -LAMINA_EINVAL (ref beyond the table), -LAMINA_EACCES (not granted
 * to peer, or the granter kept changing the entry), -LAMINA_EROFS (write pin
 * of a read-only grant). */
int gt_pin(struct gt_table *t, uint32_t ref, uint16_t peer, bool write, uint64_t *gfn);
/* Drop a pin gt_pin() gave; the last pin of its kind clears READING or
 * WRITING after a full barrier, so the granter sees every write first. */
void gt_unpin(struct gt_table *t, uint32_t ref, bool write);
/* True if some pinned entry names gfn (its captured gfn). */
bool gt_gfn_pinned(const struct gt_table *t, uint64_t gfn);
/* The captured gfns of the pinned entries into out (room for t->pinned,
 * unsorted, one per entry); returns how many. */
size_t gt_pinned_gfns(const struct gt_table *t, uint64_t *out);
/* True if a page in [gfn, gfn + n) is granted: some entry of type
 * PERMIT_ACCESS names it (to any peer, for any access, mapped or not; read
 * as the guest has it now), or some pinned entry captured it. */
bool gt_gfns_granted(const struct gt_table *t, uint64_t gfn, uint64_t n);

/* ---- Maptrack: the grant mappings one domain (or the host) holds ---- */
enum { GT_MAP_FREE, GT_MAP_BUSY, GT_MAP_LIVE };

struct gt_map {
	uint8_t state;      /* GT_MAP_*: BUSY while being set up or torn down */
	bool write;         /* writable mapping (a write pin) */
	uint16_t granter;   /* domain that granted the page */
	uint32_t ref;       /* its grant ref */
	uint64_t gpa;       /* where the mapper sees it (0 for host mappings) */
	void *host;         /* this mapping's own host view of the page */
	void *table;        /* the granter's table; the mapping holds a reference */
};

/* The host's own mappings (back-end pins, grant_map_host): one set for
 * every domain's back-ends, so it is larger than a guest's. */
#define GT_HOST_MAPS 16384u

struct gt_maptrack {
	unsigned used;      /* slots not FREE */
	unsigned next;      /* where the search for a free slot starts */
	unsigned cap;       /* slots (LAMINA_GNTTAB_MAX_MAPS for a guest, GT_HOST_MAPS for the host) */
	struct gt_map slot[];   /* [cap], index = handle */
};

/* A maptrack of cap FREE slots (free() it); NULL without memory. */
struct gt_maptrack *gt_maptrack_new(unsigned cap);
/* Reserve a slot (state BUSY): its handle, or -LAMINA_ENOSPC if all are used. */
int gt_map_alloc(struct gt_maptrack *m);
/* The LIVE slot handle mapped at gpa, now BUSY; NULL if there is none. */
struct gt_map *gt_map_claim(struct gt_maptrack *m, uint32_t handle, uint64_t gpa);
/* Return a slot from gt_map_alloc() or gt_map_claim() to FREE. */
void gt_map_free(struct gt_maptrack *m, uint32_t handle);

/* ---- Argument checks of grant_table.h, without the tables ---- */
/* 0 or -LAMINA_EINVAL: pad, unknown flags, gpa unaligned or outside the hole. */
int gt_check_map(const struct lamina_gnttab_map *m);
/* 0 or -LAMINA_EINVAL: pads, unknown flags, len 0, offset + len beyond a page. */
int gt_check_copy(const struct lamina_gnttab_copy *c);
#endif
