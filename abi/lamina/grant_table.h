/* SPDX-License-Identifier: MIT */
/* Lamina ABI: grant tables: the grant entry format, its flags protocol, and the grant_table_op hypercall. */
#ifndef LAMINA_GRANT_TABLE_H
#define LAMINA_GRANT_TABLE_H

#include "types.h"

/**
 * A domain shares one of its pages with one other domain by writing a
 * *grant entry* in its grant table and sending the entry's index (the
 * *grant reference*) to the peer, which may then map the page or copy to
 * or from it through the hypervisor. The table is an array of
 * `struct lamina_grant_entry` in frames the granter maps into its physmap
 * hole (`memory_op ADD_TO_PHYSMAP`, space `LAMINA_SPACE_GRANT_TABLE`);
 * ref r lives in frame r / `LAMINA_GRANT_PER_FRAME`.
 *
 * **Flags.** The low two bits of `flags` are the type: `LAMINA_GTF_INVALID`
 * (no grant) or `LAMINA_GTF_PERMIT_ACCESS` (`domid` may access frame `gfn`).
 * `LAMINA_GTF_READONLY` (set by the granter) limits the peer to reading.
 * `LAMINA_GTF_READING` / `LAMINA_GTF_WRITING` are set by the hypervisor,
 * never by the guest, while the page is mapped or being copied from / to
 * on the peer's behalf.
 *
 * **Publishing a grant** (granter; the entry's flags must be 0):
 * 1. write `domid` and `gfn`;
 * 2. `lamina_wmb()`;
 * 3. write `flags = LAMINA_GTF_PERMIT_ACCESS` (plus `READONLY` if wanted);
 * 4. only then pass the ref to the peer (the ring push's own barrier
 *    orders this).
 *
 * While `flags` is not 0 the granter must not change `domid` or `gfn`.
 *
 * **Revoking a grant** (granter), with one 16-bit compare-and-exchange:
 *
 *     old = READ_ONCE(e->flags);
 *     do {
 *         if (old & (LAMINA_GTF_READING | LAMINA_GTF_WRITING))
 *             return busy;              // peer still uses it: retry later
 *     } while (!cmpxchg16(&e->flags, &old, 0));   // old updated on failure
 *
 * A plain store of 0 is wrong: it could hide a mapping the hypervisor has
 * just made. After the exchange succeeds no mapping or copy of the page
 * exists or can start, and every write the peer made through the grant is
 * visible; the granter may reuse or free the page.
 *
 * **Hypervisor side** (for implementers): to map or copy it compare-exchanges
 * the 32-bit word holding `flags` and `domid`, checking type
 * `PERMIT_ACCESS`, `domid` = the peer, and `READONLY` against the access,
 * and sets `READING` or `WRITING`; it reads `gfn` only after that exchange
 * succeeds. It clears the bit (after a full barrier) when the last mapping
 * or copy of that kind ends.
 */
struct lamina_grant_entry {
	lamina_u16 flags;     /* LAMINA_GTF_* */
	lamina_domid_t domid; /* the domain allowed access */
	lamina_u32 pad;
	lamina_u64 gfn;       /* granter's frame */
};
LAMINA_CHECK_SIZE(grant_entry, struct lamina_grant_entry, 16);
LAMINA_CHECK_OFFSET(ge_domid, struct lamina_grant_entry, domid, 2);
LAMINA_CHECK_OFFSET(ge_gfn, struct lamina_grant_entry, gfn, 8);

#define LAMINA_GTF_TYPE_MASK     0x3u
#define LAMINA_GTF_INVALID       0x0u
#define LAMINA_GTF_PERMIT_ACCESS 0x1u
#define LAMINA_GTF_READONLY      (1u << 2)
#define LAMINA_GTF_READING       (1u << 3)
#define LAMINA_GTF_WRITING       (1u << 4)

/** Grant-table limits. A domain's table grows up to LAMINA_GNTTAB_MAX_FRAMES frames. */
#define LAMINA_GRANT_PER_FRAME    (LAMINA_PAGE_SIZE / 16u) /* 256 */
#define LAMINA_GNTTAB_MAX_FRAMES  64u
#define LAMINA_GNTTAB_MAX_REFS    (LAMINA_GNTTAB_MAX_FRAMES * LAMINA_GRANT_PER_FRAME)
#define LAMINA_GNTTAB_MAX_MAPS    1024u /* foreign pages one domain may have mapped */
#define LAMINA_GNTTAB_MAX_BATCH   64u   /* elements per grant_table_op call */

/**
 * ## Hypercall `grant_table_op` (9)
 *
 * `long grant_table_op(cmd, arg, count)`
 *
 * arg points to `count` structures of the command's type. `SETUP_TABLE`
 * and `QUERY_SIZE` take exactly one (`count` = 1). The batched commands
 * process the elements in order and write a `status` into each: 0 or a
 * negated error. The call itself returns 0 once every element has been
 * processed, whatever their statuses, or a negative error for the whole
 * call: `-LAMINA_E2BIG` (`count` > `LAMINA_GNTTAB_MAX_BATCH`),
 * `-LAMINA_EINVAL` (`count` = 0, or != 1 where one is required),
 * `-LAMINA_EFAULT` (elements before the faulting one are done and have
 * their status written).
 *
 * - `LAMINA_GNTTABOP_SETUP_TABLE` (`struct lamina_gnttab_setup_table`):
 *   grows the caller's table to at least `nr_frames` frames (it never
 *   shrinks). The frames are then mapped with `ADD_TO_PHYSMAP`. Returns 0.
 *   Errors: `-LAMINA_EINVAL` (0 or > `LAMINA_GNTTAB_MAX_FRAMES`),
 *   `-LAMINA_EPERM` (`dom` is not `LAMINA_DOMID_SELF`).
 * - `LAMINA_GNTTABOP_QUERY_SIZE` (`struct lamina_gnttab_query_size`):
 *   OUT the current and maximum number of frames of `dom`'s table.
 *   Errors: `-LAMINA_ESRCH`, `-LAMINA_EPERM` (another domain, caller not
 *   domain 0).
 * - `LAMINA_GNTTABOP_MAP_GRANT_REF` (`struct lamina_gnttab_map`, batched):
 *   maps the page granted by `dom` under `ref` at guest-physical `gpa`
 *   (page-aligned, free, inside the physmap hole). `LAMINA_GNTMAP_READONLY`
 *   maps it read-only. OUT `handle` for the unmap. Statuses:
 *   `-LAMINA_ESRCH` (no such dom), `-LAMINA_EINVAL` (ref beyond the table,
 *   or bad gpa), `-LAMINA_EACCES` (entry not `PERMIT_ACCESS` for the
 *   caller), `-LAMINA_EROFS` (writable map of a read-only grant),
 *   `-LAMINA_EBUSY` (gpa in use), `-LAMINA_ENOSPC` (more than
 *   `LAMINA_GNTTAB_MAX_MAPS` mappings).
 * - `LAMINA_GNTTABOP_UNMAP_GRANT_REF` (`struct lamina_gnttab_unmap`,
 *   batched): removes the mapping `handle` at `gpa`. Statuses:
 *   `-LAMINA_EINVAL` (unknown handle, or gpa is not where it is mapped).
 * - `LAMINA_GNTTABOP_COPY` (`struct lamina_gnttab_copy`, batched): copies
 *   `len` bytes from `src` to `dest` without mapping. Each side is either a
 *   grant (`LAMINA_GNTCOPY_SRC_GREF` / `_DEST_GREF` set: `ref` of `dom`) or
 *   a gfn of the caller's own RAM (flag clear: `gfn`, `dom` =
 *   `LAMINA_DOMID_SELF`). `offset + len` must not exceed the page on either
 *   side. Statuses: `-LAMINA_ESRCH`, `-LAMINA_EINVAL` (bad ref, gfn,
 *   offset or len), `-LAMINA_EACCES`, `-LAMINA_EROFS` (dest grant is
 *   read-only).
 */
#define LAMINA_GNTTABOP_SETUP_TABLE     0
#define LAMINA_GNTTABOP_QUERY_SIZE      1
#define LAMINA_GNTTABOP_MAP_GRANT_REF   2
#define LAMINA_GNTTABOP_UNMAP_GRANT_REF 3
#define LAMINA_GNTTABOP_COPY            4

struct lamina_gnttab_setup_table {
	lamina_domid_t dom;   /* IN: LAMINA_DOMID_SELF */
	lamina_u16 pad;
	lamina_u32 nr_frames; /* IN: 1..LAMINA_GNTTAB_MAX_FRAMES */
};
LAMINA_CHECK_SIZE(gnttab_setup_table, struct lamina_gnttab_setup_table, 8);

struct lamina_gnttab_query_size {
	lamina_domid_t dom;    /* IN */
	lamina_u16 pad;
	lamina_u32 nr_frames;  /* OUT: frames now */
	lamina_u32 max_frames; /* OUT: frames it may grow to */
};
LAMINA_CHECK_SIZE(gnttab_query_size, struct lamina_gnttab_query_size, 12);

#define LAMINA_GNTMAP_READONLY (1u << 0)

struct lamina_gnttab_map {
	lamina_u64 gpa;          /* IN: where to map, inside the physmap hole */
	lamina_grant_ref_t ref;  /* IN */
	lamina_domid_t dom;      /* IN: the granting domain */
	lamina_u16 flags;        /* IN: LAMINA_GNTMAP_* */
	lamina_u32 handle;       /* OUT */
	lamina_s16 status;       /* OUT: 0 or -LAMINA_E* */
	lamina_u16 pad;
};
LAMINA_CHECK_SIZE(gnttab_map, struct lamina_gnttab_map, 24);

struct lamina_gnttab_unmap {
	lamina_u64 gpa;    /* IN */
	lamina_u32 handle; /* IN */
	lamina_s16 status; /* OUT */
	lamina_u16 pad;
};
LAMINA_CHECK_SIZE(gnttab_unmap, struct lamina_gnttab_unmap, 16);

/** One side of a copy: a grant ref of dom, or a gfn of the caller. */
struct lamina_gnttab_copy_ptr {
	union {
		lamina_grant_ref_t ref;
		lamina_u64 gfn;
	} u;
	lamina_domid_t dom;
	lamina_u16 offset; /* byte offset in the page */
	lamina_u32 pad;
};
LAMINA_CHECK_SIZE(gnttab_copy_ptr, struct lamina_gnttab_copy_ptr, 16);

#define LAMINA_GNTCOPY_SRC_GREF  (1u << 0)
#define LAMINA_GNTCOPY_DEST_GREF (1u << 1)

struct lamina_gnttab_copy {
	struct lamina_gnttab_copy_ptr src;  /* IN */
	struct lamina_gnttab_copy_ptr dest; /* IN */
	lamina_u16 len;    /* IN: bytes, 1..4096 - offset */
	lamina_u16 flags;  /* IN: LAMINA_GNTCOPY_* */
	lamina_s16 status; /* OUT */
	lamina_u16 pad;
};
LAMINA_CHECK_SIZE(gnttab_copy, struct lamina_gnttab_copy, 40);

#endif /* LAMINA_GRANT_TABLE_H */
