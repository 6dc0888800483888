// SPDX-License-Identifier: MIT
// shim.h: force-included (-include) into the ring harness's compile of the real ring consumers: every
// LAMINA_READ_ONCE/WRITE_ONCE and memcpy goes through the fake guest memory of shim.c.
#ifndef FUZZ_RING_SHIM_H
#define FUZZ_RING_SHIM_H
#include <stddef.h>
#include <string.h>
#include <lamina/barrier.h>

/* Copy n bytes of src to dst. If src lies on the guest page, the guest may
 * first change those bytes (fuzzer data), and the read is checked for a
 * double fetch. */
void fz_read(void *dst, const volatile void *src, size_t n);
/* Store n bytes; writes to the page are recorded (consumer indices). */
void fz_write(volatile void *dst, const void *src, size_t n);
void *fz_memcpy(void *dst, const void *src, size_t n);

#undef LAMINA_READ_ONCE
#undef LAMINA_WRITE_ONCE
/* (a union: x may be const) */
#define LAMINA_READ_ONCE(x) \
	({ union { __typeof__(x) v; unsigned char b[sizeof(x)]; } fz_u_; \
	   fz_read(fz_u_.b, &(x), sizeof(x)); fz_u_.v; })
#define LAMINA_WRITE_ONCE(x, v) \
	({ __typeof__(x) fz_w_ = (v); fz_write(&(x), &fz_w_, sizeof(x)); })
#define memcpy(d, s, n) fz_memcpy(d, s, n)
#endif
