// SPDX-License-Identifier: MIT
// blk_check.h: turn a block request copied off the ring into a checked plan (ops, segments, bounds); no I/O, no shared memory.
//
// Everything here works on private copies: the caller copies the ring slot
// (and, for INDIRECT, the indirect pages' segment arrays) out of shared
// memory first, so nothing the guest can still change is read twice.
#ifndef BLK_CHECK_H
#define BLK_CHECK_H

#include <lamina/io/blkif.h>
#include <stdbool.h>
#include <stdint.h>

#define BLK_MAX_SEGS 512u // the most segments the back-end ever offers (one indirect page)
#define BLK_MAX_IND ((BLK_MAX_SEGS + LAMINA_BLKIF_SEGS_PER_INDIRECT_PAGE - 1) / \
		     LAMINA_BLKIF_SEGS_PER_INDIRECT_PAGE)

// What the back-end offers for one disk (fixed while connected).
struct blk_disk {
	uint64_t sectors; // size in 512-byte units
	unsigned sector_size; // 512 or 4096
	unsigned max_indirect; // segments per INDIRECT request; 0: none
	bool ro, flush, fua, discard, zeroes;
};

// One data segment, in bytes within its page.
struct blk_seg {
	uint32_t gref;
	uint16_t off, len;
};

// A checked request. op is the effective op (INDIRECT resolved); ring_op
// what the slot said (echoed in the response).
struct blk_plan {
	uint64_t id;
	uint8_t op, ring_op;
	uint64_t offset, len; // on the disk, bytes (len 0 for FLUSH)
	unsigned nseg, nind;
	uint32_t ind[BLK_MAX_IND]; // indirect pages, to be mapped and read
	struct blk_seg seg[BLK_MAX_SEGS];
	const char *why; // why a request was refused
};

// Decode a private copy of a slot. 0: plan ready (for INDIRECT: nind > 0,
// call blk_check_indirect next); else a LAMINA_BLKIF_RSP_* with p->why.
// p->id and p->ring_op are always set, so the caller can answer.
int blk_check_request(const struct lamina_blkif_request *rq, const struct blk_disk *d,
		      struct blk_plan *p);
// For INDIRECT: segs is a private copy of the first p->nseg entries of the
// indirect pages. Same result as blk_check_request.
int blk_check_indirect(struct blk_plan *p, const struct lamina_blkif_segment *segs,
		       const struct blk_disk *d);
#endif
