/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the block device ring protocol (vbd): requests, responses, ops, status codes, store keys. */
#ifndef LAMINA_IO_BLKIF_H
#define LAMINA_IO_BLKIF_H

#include "../types.h"
#include "../ring.h"

/**
 * ## Block device protocol (`vbd`)
 *
 * One ring page (`LAMINA_RING_DEFINE(lamina_blkif, ...)`) and one event
 * channel, set up as in io/bus.h. A request reads or writes whole 512-byte
 * sectors, starting at `sector`, to or from up to
 * `LAMINA_BLKIF_MAX_SEGMENTS` granted pages; segment i covers sectors
 * `first_sect`..`last_sect` (inclusive, 0..7) of its page, and the
 * segments are contiguous on the disk. `id` is echoed in the response.
 * The back-end copies each request out of the ring and checks it before
 * use (see ring.h). Responses may come in any order.
 *
 * Ops: `READ` (disk to pages), `WRITE` (pages to disk), `FLUSH` (no
 * segments; completes when all earlier completed writes are durable),
 * `DISCARD` (no segments; `sector_count` sectors from `sector`; the back may
 * drop the data).
 *
 * Back-end keys: `sectors` (disk size in 512-byte sectors), `sector-size`
 * (logical sector size, 512 or 4096), `info` (`LAMINA_BLKIF_INFO_*` bits),
 * `feature-flush`, `feature-discard` (`"1"` if supported).
 * Front-end keys: `ring-ref`, `event-channel`.
 */
#define LAMINA_BLKIF_OP_READ    0
#define LAMINA_BLKIF_OP_WRITE   1
#define LAMINA_BLKIF_OP_FLUSH   2
#define LAMINA_BLKIF_OP_DISCARD 3

#define LAMINA_BLKIF_MAX_SEGMENTS 11u
#define LAMINA_BLKIF_SECTOR_SIZE  512u

#define LAMINA_BLKIF_INFO_READONLY  (1u << 0)
#define LAMINA_BLKIF_INFO_REMOVABLE (1u << 1)
#define LAMINA_BLKIF_INFO_CDROM     (1u << 2)

/** Response status. */
#define LAMINA_BLKIF_RSP_OKAY       0
#define LAMINA_BLKIF_RSP_ERROR      (-1) /* I/O error or malformed request */
#define LAMINA_BLKIF_RSP_EOPNOTSUPP (-2) /* op not supported */

struct lamina_blkif_segment {
	lamina_grant_ref_t gref; /* page granted by the front */
	lamina_u8 first_sect;    /* first sector in the page, 0..7 */
	lamina_u8 last_sect;     /* last sector, first_sect..7 */
	lamina_u16 pad;
};
LAMINA_CHECK_SIZE(blkif_segment, struct lamina_blkif_segment, 8);

struct lamina_blkif_request {
	lamina_u8 op;            /* LAMINA_BLKIF_OP_* */
	lamina_u8 nr_segments;   /* 0..LAMINA_BLKIF_MAX_SEGMENTS (0 for FLUSH/DISCARD) */
	lamina_u16 pad0;
	lamina_u32 pad1;
	lamina_u64 id;           /* echoed in the response */
	lamina_u64 sector;       /* start, in 512-byte sectors */
	lamina_u64 sector_count; /* DISCARD only: length in sectors */
	struct lamina_blkif_segment seg[LAMINA_BLKIF_MAX_SEGMENTS];
};
LAMINA_CHECK_SIZE(blkif_request, struct lamina_blkif_request, 120);

struct lamina_blkif_response {
	lamina_u64 id;     /* from the request */
	lamina_u8 op;      /* from the request */
	lamina_u8 pad0;
	lamina_s16 status; /* LAMINA_BLKIF_RSP_* */
	lamina_u32 pad1;
};
LAMINA_CHECK_SIZE(blkif_response, struct lamina_blkif_response, 16);

LAMINA_RING_DEFINE(lamina_blkif, struct lamina_blkif_request, struct lamina_blkif_response);
/** Slots in a one-page block ring. */
#define LAMINA_BLKIF_RING_SIZE LAMINA_RING_SIZE(union lamina_blkif_slot, LAMINA_PAGE_SIZE)
LAMINA_STATIC_ASSERT(blkif_ring_size, LAMINA_BLKIF_RING_SIZE == 32);

#endif /* LAMINA_IO_BLKIF_H */
