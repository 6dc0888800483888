// SPDX-License-Identifier: MIT
// shim_int.h: the ring harnesses' fake guest memory (shim.c) as a harness drives it: fuzzer bytes, regions, double-fetch rules.
#ifndef FUZZ_SHIM_INT_H
#define FUZZ_SHIM_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fuzzer's bytes, taken in order by the harness and by the guest's
 * changes between the back-end's reads; and the state of the run. */
struct fz_data {
	const uint8_t *p;
	size_t left;
	const char *name;             /* the harness, for messages */
	bool in_backend;              /* the guest changes bytes only while the back-end runs */
	bool quiet;                   /* ... and not at all if set (a seed's ops stay in step) */
	unsigned long accesses;       /* every read or write of guest memory */
	unsigned long changes;        /* guest changes made during the back-end's reads */
	/* Called just before the guest changes bytes the back-end is about to
	 * read (a harness collects responses there before they may be overwritten). */
	void (*before_change)(void);
};
extern struct fz_data fz;
bool fz_take(void *out, size_t n);   /* false (out zeroed) once data runs out */
uint8_t fz_byte(void);
void fz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/*
 * Guest memory the back-end under test reads: regions. Within a region's
 * checked area [lo, hi) (byte offsets) each byte may be read once per lap;
 * a second read in the same lap is a double fetch and aborts. A lap ends:
 *  - FZ_BYTES (a byte ring): when the back-end publishes the consumer index
 *    at idx_off past the byte;
 *  - FZ_SLOTS (a slot ring of nslots slots of `slot` bytes from lo): for
 *    the slot of request i, when the back-end's own count of responses
 *    written (*done, its rsp_prod_pvt) passes i: the response overwrote it;
 *  - FZ_DATA (granted pages): never while the region exists (a mapping:
 *    each byte once per mapping); with check false, reads are not marked.
 * Every read of a region while fz.in_backend may first see the guest
 * rewrite the bytes read (a fuzzer control byte below 64; the new bytes follow).
 */
enum fz_kind { FZ_BYTES, FZ_SLOTS, FZ_DATA };

struct fz_region {
	uint8_t *base;
	size_t len;
	enum fz_kind kind;
	bool check;                   /* double fetches in [lo, hi) abort */
	size_t lo, hi;
	size_t idx_off;               /* BYTES: consumer index; SLOTS: rsp_prod (both the back-end's to publish) */
	uint32_t idx;                 /* the value the back-end last wrote there */
	unsigned long idx_writes;
	size_t slot;                  /* SLOTS: slot size */
	uint32_t nslots;              /* SLOTS: a power of two */
	const uint32_t *done;         /* SLOTS: the back-end's count of responses written */
	uint32_t released;            /* SLOTS: slots of requests before this may be read again */
	uint64_t *fetched;            /* bitmap over [lo, hi): read this lap */
	unsigned long data_reads;     /* checked bytes read */
	unsigned long accesses;       /* reads and writes */
	unsigned long changes;        /* guest changes */
	void *owner;                  /* the harness's */
};

void fz_reset(void);                          /* forget every region */
struct fz_region *fz_add(uint8_t *base, size_t len, enum fz_kind kind, bool check);
void fz_remove(struct fz_region *r);
struct fz_region *fz_add_bytes(uint8_t *base, size_t len, size_t lo, size_t hi, size_t cons_off);
struct fz_region *fz_add_slots(uint8_t *base, size_t len, size_t lo, size_t slot, uint32_t nslots,
			       size_t prod_off, const uint32_t *done);
/* The one-page byte ring of the ring harness: forgets every other region. */
struct fz_region *fz_page_setup(uint8_t *page, size_t lo, size_t hi, size_t cons_off);
#endif
