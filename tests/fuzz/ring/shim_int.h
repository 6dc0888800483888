// SPDX-License-Identifier: MIT
// shim_int.h: the ring harness's fake guest page (shim.c) as the harness drives it.
#ifndef FUZZ_RING_SHIM_INT_H
#define FUZZ_RING_SHIM_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fuzzer's bytes, taken in order by the harness and by the guest's
 * changes between the back-end's reads. */
struct fz_data {
	const uint8_t *p;
	size_t left;
};
extern struct fz_data fz;
bool fz_take(void *out, size_t n);   /* false (out zeroed) once data runs out */
uint8_t fz_byte(void);

/* The guest page the back-end under test reads; its data area [lo, hi)
 * (byte offsets) is the consumer ring whose bytes may be fetched once per
 * lap, and cons_off the offset of that ring's consumer index. */
struct fz_page {
	uint8_t *page;                /* 4096 bytes */
	size_t lo, hi, cons_off;
	bool fetched[4096];           /* data bytes read since the consumer passed them */
	uint32_t cons;                /* the consumer index the back-end last published */
	unsigned long data_reads;     /* data bytes read */
	unsigned long accesses;       /* every read or write of the page */
	bool in_backend;              /* the guest changes bytes only while the back-end runs */
};
extern struct fz_page fzp;
void fz_page_setup(uint8_t *page, size_t lo, size_t hi, size_t cons_off);
void fz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#endif
