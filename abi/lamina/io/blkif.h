/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the block device ring protocol (vbd): requests, responses, ops, segments, indirect pages, store keys, handshake. */
#ifndef LAMINA_IO_BLKIF_H
#define LAMINA_IO_BLKIF_H

#include "../types.h"
#include "../ring.h"

/**
 * ## Block device protocol (`vbd`)
 *
 * A virtual disk is an array of 512-byte *units* numbered from 0: every
 * `sector` field, `sectors` key and `first_sect`/`last_sect` below counts
 * 512-byte units, whatever the disk's logical sector size. The front-end
 * (guest) posts requests on one or more rings (io/bus.h handshake, ring.h
 * discipline) and the back-end (a process in domain 0) answers each one
 * with a response carrying the request's `id`. Responses may come in any
 * order; a request is finished only when its response is consumed.
 *
 * **Data.** A read or write moves whole units between the disk, starting
 * at unit `sector`, and a list of *segments*: segment i is units
 * `first_sect`..`last_sect` (inclusive, 0..7) of one page the front has
 * granted to domain 0 (writable for reads, since the back writes into it).
 * The segments follow each other on the disk: segment i+1 starts where
 * segment i ended. A request carries up to `LAMINA_BLKIF_MAX_SEGMENTS`
 * segments in the slot itself, or, with `LAMINA_BLKIF_OP_INDIRECT`, up to
 * `feature-max-indirect-segments` of them in granted *indirect pages*
 * (see below).
 *
 * **Logical sector size.** With `sector-size` 4096, every request's
 * `sector` and length must be multiples of 8 units and every segment must
 * cover a whole page (`first_sect` 0, `last_sect` 7); anything else is
 * answered `LAMINA_BLKIF_RSP_ERROR`. `sectors` is then a multiple of 8.
 *
 * **Ops.**
 *
 * | op | segments | does | needs key |
 * |----|----------|------|-----------|
 * | `READ` (0) | 1..11 | disk to pages | |
 * | `WRITE` (1) | 1..11 | pages to disk; done when the disk has the data (it may sit in a volatile cache) | |
 * | `FLUSH` (2) | 0 | done when every write *completed* before it was sent is on stable storage | `feature-flush` |
 * | `DISCARD` (3) | 0 | `sector_count` units from `sector` are no longer needed; they read back as zeroes or as the old data; the back may free their space | `feature-discard` |
 * | `WRITE_FUA` (4) | 1..11 | a write that is done only once its data is on stable storage | `feature-fua` |
 * | `WRITE_ZEROES` (5) | 0 | `sector_count` units from `sector` read back as zeroes afterwards | `feature-write-zeroes` |
 * | `INDIRECT` (6) | see below | `indirect_op` (READ, WRITE or WRITE_FUA) with segments in indirect pages | `feature-max-indirect-segments` |
 *
 * An op whose key the back did not write "1" (or a non-zero maximum) is
 * answered `LAMINA_BLKIF_RSP_EOPNOTSUPP`. On a read-only disk (`info` has
 * `LAMINA_BLKIF_INFO_READONLY`) WRITE, WRITE_FUA, DISCARD, WRITE_ZEROES and
 * indirect writes are answered `LAMINA_BLKIF_RSP_ERROR`; FLUSH succeeds.
 * Writes that are in flight together may reach the disk in any order: a
 * front that needs an order waits for the first response.
 */
#define LAMINA_BLKIF_OP_READ         0
#define LAMINA_BLKIF_OP_WRITE        1
#define LAMINA_BLKIF_OP_FLUSH        2
#define LAMINA_BLKIF_OP_DISCARD      3
#define LAMINA_BLKIF_OP_WRITE_FUA    4 /* ABI 1.4 */
#define LAMINA_BLKIF_OP_WRITE_ZEROES 5 /* ABI 1.4 */
#define LAMINA_BLKIF_OP_INDIRECT     6 /* ABI 1.4 */

/** Segments in a request slot; units in a page; the unit size. */
#define LAMINA_BLKIF_MAX_SEGMENTS 11u
#define LAMINA_BLKIF_SECTORS_PER_PAGE 8u
#define LAMINA_BLKIF_SECTOR_SIZE  512u

/** Bits of the back-end's `info` key. */
#define LAMINA_BLKIF_INFO_READONLY  (1u << 0)
#define LAMINA_BLKIF_INFO_REMOVABLE (1u << 1)
#define LAMINA_BLKIF_INFO_CDROM     (1u << 2)

/**
 * Response status. `ERROR` means an I/O error on the image *or* a request
 * the back refused (bad segment, unit past the end, unaligned for the
 * sector size, a write on a read-only disk, an id already in flight).
 */
#define LAMINA_BLKIF_RSP_OKAY       0
#define LAMINA_BLKIF_RSP_ERROR      (-1) /* I/O error or malformed request */
#define LAMINA_BLKIF_RSP_EOPNOTSUPP (-2) /* op not supported */

struct lamina_blkif_segment {
	lamina_grant_ref_t gref; /* page granted by the front */
	lamina_u8 first_sect;    /* first unit in the page, 0..7 */
	lamina_u8 last_sect;     /* last unit, first_sect..7 */
	lamina_u16 pad;
};
LAMINA_CHECK_SIZE(blkif_segment, struct lamina_blkif_segment, 8);

/**
 * The request as the front writes it into a ring slot (every op but
 * INDIRECT). `id` is the front's own tag, echoed in the response; it must
 * not equal the id of another request of the same ring still in flight
 * (the back answers such a request `ERROR` and leaves the first one
 * alone). `nr_segments` is 1..11 for READ, WRITE and WRITE_FUA and 0 for
 * the others; `sector_count` is used by DISCARD and WRITE_ZEROES only
 * (at least 1).
 */
struct lamina_blkif_request {
	lamina_u8 op;            /* LAMINA_BLKIF_OP_* */
	lamina_u8 nr_segments;   /* 0..LAMINA_BLKIF_MAX_SEGMENTS (0 for FLUSH/DISCARD) */
	lamina_u16 pad0;
	lamina_u32 pad1;
	lamina_u64 id;           /* echoed in the response */
	lamina_u64 sector;       /* start, in 512-byte units */
	lamina_u64 sector_count; /* DISCARD, WRITE_ZEROES: length in units */
	struct lamina_blkif_segment seg[LAMINA_BLKIF_MAX_SEGMENTS];
};
LAMINA_CHECK_SIZE(blkif_request, struct lamina_blkif_request, 120);

/**
 * ### Indirect requests
 *
 * With `op` = `LAMINA_BLKIF_OP_INDIRECT` the slot holds this structure
 * instead (same size; the back copies the slot and looks at `op` first).
 * Its `nr_segments` segments (1..`feature-max-indirect-segments`) are
 * stored as `struct lamina_blkif_segment` arrays in granted pages, 512 per
 * page: segment i is entry i % 512 of page `indirect_gref[i / 512]`. The
 * front grants the indirect pages to domain 0 (the back only reads them,
 * but a grant to domain 0 must be writable to be mapped) and uses
 * `ceil(nr_segments / 512)` of the `indirect_gref` entries; the rest are
 * ignored. An indirect page may not also be a data page of the same
 * request, and no grant may appear twice in one request: the back answers
 * such a request `ERROR`. The back copies the segment list out of the
 * indirect pages before it checks any of it.
 */
#define LAMINA_BLKIF_SEGS_PER_INDIRECT_PAGE (LAMINA_PAGE_SIZE / 8u)
#define LAMINA_BLKIF_MAX_INDIRECT_PAGES 22u /* what the slot can name */

struct lamina_blkif_request_indirect {
	lamina_u8 op;             /* LAMINA_BLKIF_OP_INDIRECT */
	lamina_u8 indirect_op;    /* READ, WRITE or WRITE_FUA */
	lamina_u16 nr_segments;   /* 1..feature-max-indirect-segments */
	lamina_u32 pad1;
	lamina_u64 id;            /* echoed in the response */
	lamina_u64 sector;        /* start, in 512-byte units */
	lamina_u64 pad2;
	lamina_grant_ref_t indirect_gref[LAMINA_BLKIF_MAX_INDIRECT_PAGES];
};
LAMINA_CHECK_SIZE(blkif_request_indirect, struct lamina_blkif_request_indirect, 120);
LAMINA_CHECK_OFFSET(blkif_ind_id, struct lamina_blkif_request_indirect, id, 8);

/** The response: `op` is the request's op (INDIRECT for indirect ones). */
struct lamina_blkif_response {
	lamina_u64 id;     /* from the request */
	lamina_u8 op;      /* from the request */
	lamina_u8 pad0;
	lamina_s16 status; /* LAMINA_BLKIF_RSP_* */
	lamina_u32 pad1;
};
LAMINA_CHECK_SIZE(blkif_response, struct lamina_blkif_response, 16);

LAMINA_RING_DEFINE(lamina_blkif, struct lamina_blkif_request, struct lamina_blkif_response);
/** Slots in a one-page block ring; a ring of 2^order pages has 2^order times as many (order >= 1). */
#define LAMINA_BLKIF_RING_SIZE LAMINA_RING_SIZE(union lamina_blkif_slot, LAMINA_PAGE_SIZE)
LAMINA_STATIC_ASSERT(blkif_ring_size, LAMINA_BLKIF_RING_SIZE == 32);

/**
 * ### Rings, queues and notifications
 *
 * A ring is `2^ring-page-order` granted pages that are contiguous in both
 * sides' mappings (page i of the ring is `ring-ref<i>`), holding one
 * `struct lamina_blkif_sring` of that many bytes; its slot count is
 * `lamina_ring_entries(4096 << order, sizeof(union lamina_blkif_slot))`.
 * With `multi-queue-num-queues` = n > 1 the front sets up n independent
 * rings, each with its own event channel (one per vCPU is the intent);
 * ids need only be unique within a ring. Notification follows ring.h:
 * the front sends on the ring's channel when `push_requests` says so,
 * the back when `push_responses` says so. The back takes at most a fixed
 * budget of requests per ring per wakeup and batches the responses of the
 * I/O that completed together into one push and at most one notification
 * per ring; the front must not rely on one notification per response.
 * A front that sends notifications with nothing new on the ring only
 * wastes its own time slice.
 *
 * ### Store keys
 *
 * Written by the **back-end** in its directory, before it enters
 * `INITWAIT`; a key that is absent has its default:
 *
 * | key | value | default | meaning |
 * |-----|-------|---------|---------|
 * | `sectors` | decimal | (required) | disk size in 512-byte units |
 * | `sector-size` | `512` or `4096` | 512 | logical sector size |
 * | `info` | decimal `LAMINA_BLKIF_INFO_*` bits | 0 | read-only etc. |
 * | `feature-flush` | `0`/`1` | 0 | FLUSH supported |
 * | `feature-fua` | `0`/`1` | 0 | WRITE_FUA supported |
 * | `feature-discard` | `0`/`1` | 0 | DISCARD supported |
 * | `discard-granularity` | decimal bytes | `sector-size` | discards smaller or unaligned to this may free nothing |
 * | `feature-write-zeroes` | `0`/`1` | 0 | WRITE_ZEROES supported |
 * | `feature-max-indirect-segments` | decimal | 0 | most segments of an INDIRECT request; 0: no INDIRECT |
 * | `max-ring-page-order` | 0..4 | 0 | largest `ring-page-order` accepted |
 * | `multi-queue-max-queues` | 1..16 | 1 | most rings accepted |
 *
 * Written by the **front-end** in its directory, before it enters
 * `INITIALISED`:
 *
 * | key | value | default | meaning |
 * |-----|-------|---------|---------|
 * | `ring-page-order` | 0..`max-ring-page-order` | 0 | ring size |
 * | `ring-ref` | grant ref | (required if order 0) | the one ring page |
 * | `ring-ref0` .. `ring-ref<2^order - 1>` | grant refs | (required if order > 0) | the ring pages in order |
 * | `event-channel` | port | (required) | allocated unbound for domain 0 |
 * | `multi-queue-num-queues` | 1..`multi-queue-max-queues` | 1 | number of rings |
 *
 * With `multi-queue-num-queues` > 1, `ring-ref*` and `event-channel` are
 * written per ring under `queue-<q>/` (q = 0..n-1) instead of directly;
 * `ring-page-order` applies to every ring. A value out of range, a key
 * that is required and absent, or a ref or port the back cannot map or
 * bind makes the back write `CLOSING` then `CLOSED` (after `error` = a
 * one-line message in its directory) instead of `CONNECTED`.
 *
 * ### Handshake and reconnection
 *
 * As in io/bus.h: back `INITWAIT` (keys above written), front
 * `INITIALISED` (its keys written), back `CONNECTED` (rings mapped,
 * channels bound), front `CONNECTED` (I/O may start). Afterwards:
 *
 * - **The front closes** (state `CLOSING` or `CLOSED`): the back stops
 *   taking requests, waits for the I/O it already started, answers it if
 *   the ring is sound, unmaps every page, unbinds and writes `CLOSED`.
 * - **The back finds the ring corrupt** (indices out of range, see
 *   ring.h): it stops reading it and closes the same way without answering
 *   further (`error` says why); other disks and the domain are unaffected.
 * - **Reconnecting**: after the back has written `CLOSED`, a front that
 *   writes `INITIALISING` again starts a new handshake: the back (the same
 *   process) rewrites its keys and `INITWAIT`. The front sets up fresh
 *   rings (an `sring_init` on the pages) and re-sends every request it had
 *   not seen answered; READ, WRITE, FLUSH, DISCARD and WRITE_ZEROES are all
 *   safe to repeat.
 * - **The back-end process dies or restarts**: lamina-hvd writes the back
 *   `state` = `CLOSED` for it and releases its mappings; the front treats
 *   this exactly as above (its in-flight requests get no response: it
 *   re-sends them after reconnecting to the new back-end, which writes
 *   `INITIALISING` then `INITWAIT` when it attaches). A write that was in
 *   flight may or may not be on the disk; one whose response came, and a
 *   FLUSH that completed, are.
 */

#define LAMINA_BLKIF_MAX_RING_ORDER 4u
#define LAMINA_BLKIF_MAX_QUEUES     16u

#define LAMINA_BLKIF_KEY_SECTORS        "sectors"
#define LAMINA_BLKIF_KEY_SECTOR_SIZE    "sector-size"
#define LAMINA_BLKIF_KEY_INFO           "info"
#define LAMINA_BLKIF_KEY_FLUSH          "feature-flush"
#define LAMINA_BLKIF_KEY_FUA            "feature-fua"
#define LAMINA_BLKIF_KEY_DISCARD        "feature-discard"
#define LAMINA_BLKIF_KEY_DISCARD_GRAN   "discard-granularity"
#define LAMINA_BLKIF_KEY_WRITE_ZEROES   "feature-write-zeroes"
#define LAMINA_BLKIF_KEY_MAX_INDIRECT   "feature-max-indirect-segments"
#define LAMINA_BLKIF_KEY_MAX_RING_ORDER "max-ring-page-order"
#define LAMINA_BLKIF_KEY_MAX_QUEUES     "multi-queue-max-queues"
#define LAMINA_BLKIF_KEY_RING_ORDER     "ring-page-order"
#define LAMINA_BLKIF_KEY_NUM_QUEUES     "multi-queue-num-queues"
#define LAMINA_BLKIF_KEY_ERROR          "error"

#endif /* LAMINA_IO_BLKIF_H */
