// SPDX-License-Identifier: MIT
// shim.h: force-included (-include) into a ring harness's compile of the real ring consumers: every
// LAMINA_READ_ONCE/WRITE_ONCE and memcpy goes through the fake guest memory of shim.c.
#ifndef FUZZ_SHIM_H
#define FUZZ_SHIM_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <lamina/barrier.h>

/* Copy n bytes of src to dst. If src lies in guest memory (a region of
 * shim_int.h), the guest may first change those bytes (fuzzer data), and
 * the read is checked for a double fetch. */
void fz_read(void *dst, const volatile void *src, size_t n);
/* Store n bytes; writes to guest memory are recorded (published indices). */
void fz_write(volatile void *dst, const void *src, size_t n);
void *fz_memcpy(void *dst, const void *src, size_t n);
/* A slot ring's consumer copied request `index` (n bytes, now in req);
 * ring is its struct name_back. Defined by the harnesses of slot rings. */
void fz_taken(const void *ring, uint32_t index, const void *req, size_t n);

#undef LAMINA_READ_ONCE
#undef LAMINA_WRITE_ONCE
/* (a union: x may be const) */
#define LAMINA_READ_ONCE(x) \
	({ union { __typeof__(x) v; unsigned char b[sizeof(x)]; } fz_u_; \
	   fz_read(fz_u_.b, &(x), sizeof(x)); fz_u_.v; })
#define LAMINA_WRITE_ONCE(x, v) \
	({ __typeof__(x) fz_w_ = (v); fz_write(&(x), &fz_w_, sizeof(x)); })
#define memcpy(d, s, n) fz_memcpy(d, s, n)

/*
 * FZ_RING_TAKE(name, req_t): fz_<name>_take_request, name##_take_request of
 * abi/lamina/ring.h (the real pending check, which reads req_prod through
 * the shim) with the slot copied through fz_read, so the copy is seen: the
 * ABI copies with a volatile struct load, which bypasses the macros above.
 * A harness includes the protocol header, uses this, then
 * "#define name##_take_request fz_##name##_take_request" (tests/unit/ring
 * tests the ABI's own copy).
 */
#define FZ_RING_TAKE(name, req_t)                                                      \
static inline int fz_##name##_take_request(struct name##_back *b, req_t *out)          \
{                                                                                      \
	int n = name##_pending_requests(b);                                            \
	uint32_t i;                                                                    \
	if (n <= 0)                                                                    \
		return n;                                                              \
	i = b->req_cons++;                                                             \
	fz_read(out, &b->sring->slot[i & (b->nr_ents - 1)].req, sizeof(*out));         \
	fz_taken(b, i, out, sizeof(*out));                                             \
	return 1;                                                                      \
}
#endif
