/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the memory_op hypercall (memory map, reservation and ballooning, physmap of hypervisor pages). */
#ifndef LAMINA_MEMORY_H
#define LAMINA_MEMORY_H

#include "types.h"

/**
 * ## Hypercall `memory_op` (6)
 *
 * `long memory_op(cmd, arg)`
 *
 * **The physmap hole.** Guest-physical range [`LAMINA_PHYSMAP_HOLE_BASE`,
 * + `LAMINA_PHYSMAP_HOLE_SIZE`) is never RAM; `MEMORY_MAP` reports it as
 * `LAMINA_E820_RESERVED`. The guest chooses gfns inside it where the
 * hypervisor maps its own pages (`ADD_TO_PHYSMAP`: shared_info, grant-table
 * frames, the store and console rings) and where granted foreign pages
 * appear (`grant_table_op MAP_GRANT_REF`). The guest manages the hole's
 * allocation itself. Other reserved ranges (local and I/O APIC) must not be
 * used.
 *
 * - `LAMINA_MEMOP_MEMORY_MAP`: arg points to `struct lamina_memory_map`.
 *   IN `nr_entries` = capacity of the array at `buffer` (a pointer);
 *   OUT the entries, sorted by address and not overlapping, and
 *   `nr_entries` = their number. Returns 0. Errors: `-LAMINA_E2BIG` (too
 *   small; `nr_entries` is set to the number needed, nothing else written).
 * - `LAMINA_MEMOP_CURRENT_RESERVATION`, `LAMINA_MEMOP_MAXIMUM_RESERVATION`:
 *   arg is a domid **value** (not a pointer), normally `LAMINA_DOMID_SELF`.
 *   Returns the number of pages of RAM the domain has now, or may have at
 *   most. Errors: `-LAMINA_ESRCH` (no such domain), `-LAMINA_EPERM`
 *   (another domain, caller not domain 0).
 * - `LAMINA_MEMOP_DECREASE_RESERVATION` (balloon inflate): arg points to
 *   `struct lamina_mem_reservation`. Gives back each extent of
 *   2^`extent_order` pages starting at the listed gfns. The hypervisor
 *   frees them, and from then on they are not the guest's: a guest access
 *   to such a frame (or to any RAM frame above the current reservation that
 *   was never populated) crashes the domain, with the reason "touched guest
 *   memory it does not own" in its log (since 1.5; before, undefined).
 *   Each gfn must be aligned to its extent, populated, and inside a RAM
 *   range of the memory map; it must not be granted.
 * - `LAMINA_MEMOP_POPULATE_PHYSMAP` (balloon deflate): same argument.
 *   Backs each listed extent (currently unpopulated, inside a RAM range)
 *   with zeroed pages.
 *
 *   Both return the number of extents done, processing in order and
 *   stopping at the first that fails; if the first one fails they return
 *   its error: `-LAMINA_EINVAL` (order > `LAMINA_MEM_MAX_ORDER`,
 *   misaligned, or outside RAM), `-LAMINA_EBUSY` (decrease: a page is
 *   granted or mapped), `-LAMINA_EEXIST` (populate: already populated),
 *   `-LAMINA_ENOENT` (decrease: not populated), `-LAMINA_ENOMEM`
 *   (populate: would exceed the maximum reservation; either, since 1.5:
 *   the domain's frames it does not own would then form more than
 *   `LAMINA_MEM_MAX_RUNS` separate runs: give back frames next to ones
 *   already given back, or populate whole runs), `-LAMINA_EPERM`
 *   (`domid` is not `LAMINA_DOMID_SELF`), `-LAMINA_EFAULT`.
 * - `LAMINA_MEMOP_ADD_TO_PHYSMAP`: arg points to
 *   `struct lamina_add_to_physmap`. Maps hypervisor-owned frame `idx` of
 *   `space` at `gfn`, which must lie in the physmap hole and not be in use.
 *   Mapping a frame that is already mapped moves it (the old gfn becomes
 *   empty). For `LAMINA_SPACE_GRANT_TABLE`, idx < `LAMINA_GNTTAB_MAX_FRAMES`
 *   and the table grows to idx + 1 frames if needed. For the other spaces
 *   idx must be 0. Returns 0. Errors: `-LAMINA_EINVAL` (gfn outside the hole,
 *   bad space or idx), `-LAMINA_EBUSY` (gfn in use), `-LAMINA_EPERM`
 *   (`domid` is not `LAMINA_DOMID_SELF`), `-LAMINA_EFAULT`.
 */
#define LAMINA_MEMOP_MEMORY_MAP            0
#define LAMINA_MEMOP_CURRENT_RESERVATION   1
#define LAMINA_MEMOP_MAXIMUM_RESERVATION   2
#define LAMINA_MEMOP_DECREASE_RESERVATION  3
#define LAMINA_MEMOP_POPULATE_PHYSMAP      4
#define LAMINA_MEMOP_ADD_TO_PHYSMAP        5

/** The physmap hole: 64 MiB just below the 4 GiB APIC area. */
#define LAMINA_PHYSMAP_HOLE_BASE 0xf0000000ull
#define LAMINA_PHYSMAP_HOLE_SIZE 0x04000000ull

/** Memory map entry types (numbered like the PC e820 types). */
#define LAMINA_E820_RAM      1
#define LAMINA_E820_RESERVED 2

struct lamina_e820_entry {
	lamina_u64 addr; /* guest-physical start, page-aligned */
	lamina_u64 size; /* bytes, a multiple of the page size */
	lamina_u32 type; /* LAMINA_E820_* */
	lamina_u32 pad;
};
LAMINA_CHECK_SIZE(e820_entry, struct lamina_e820_entry, 24);

/** Most entries a memory map has. */
#define LAMINA_E820_MAX 32u

struct lamina_memory_map {
	lamina_u32 nr_entries; /* IN: capacity; OUT: entries written (or needed) */
	lamina_u32 pad;
	lamina_u64 buffer;     /* IN: pointer to struct lamina_e820_entry[] */
};
LAMINA_CHECK_SIZE(memory_map, struct lamina_memory_map, 16);

/** Largest extent order (2 MiB). */
#define LAMINA_MEM_MAX_ORDER 9u

/**
 * Most separate runs of frames a domain does not own (given back, or above
 * its reservation and never populated) below the top of its RAM (1.5).
 * The hypervisor keeps each run unmapped for the guest, and each costs it
 * a host mapping; contiguous frames are one run however many they are.
 */
#define LAMINA_MEM_MAX_RUNS 4096u

struct lamina_mem_reservation {
	lamina_u64 extent_start;  /* IN: pointer to nr_extents lamina_u64 gfns */
	lamina_u64 nr_extents;    /* IN */
	lamina_u32 extent_order;  /* IN: 0..LAMINA_MEM_MAX_ORDER */
	lamina_domid_t domid;     /* IN: LAMINA_DOMID_SELF */
	lamina_u16 pad;
};
LAMINA_CHECK_SIZE(mem_reservation, struct lamina_mem_reservation, 24);

/** Spaces of hypervisor-owned frames for ADD_TO_PHYSMAP. */
#define LAMINA_SPACE_SHARED_INFO  0 /* struct lamina_shared_info */
#define LAMINA_SPACE_GRANT_TABLE  1 /* grant-table frame idx */
#define LAMINA_SPACE_STORE_RING   2 /* struct lamina_store_ring */
#define LAMINA_SPACE_CONSOLE_RING 3 /* struct lamina_console_ring */

struct lamina_add_to_physmap {
	lamina_domid_t domid; /* IN: LAMINA_DOMID_SELF */
	lamina_u16 space;     /* IN: LAMINA_SPACE_* */
	lamina_u32 idx;       /* IN: frame index within the space */
	lamina_u64 gfn;       /* IN: where to map it, inside the hole */
};
LAMINA_CHECK_SIZE(add_to_physmap, struct lamina_add_to_physmap, 16);

#endif /* LAMINA_MEMORY_H */
