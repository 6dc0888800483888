// SPDX-License-Identifier: MIT
// shim.c: the ring harness's fake guest memory: bytes change between the back-end's reads; double fetches abort.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "shim_int.h"
#include "ring/shim.h"

#undef memcpy
struct fz_data fz;
struct fz_page fzp;

bool fz_take(void *out, size_t n)
{
	if (fz.left < n) {
		__builtin_memset(out, 0, n);
		fz.left = 0;
		return false;
	}
	__builtin_memcpy(out, fz.p, n);
	fz.p += n;
	fz.left -= n;
	return true;
}

uint8_t fz_byte(void)
{
	uint8_t b;

	fz_take(&b, 1);
	return b;
}

void fz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz/ring: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void fz_page_setup(uint8_t *page, size_t lo, size_t hi, size_t cons_off)
{
	__builtin_memset(&fzp, 0, sizeof(fzp));
	fzp.page = page;
	fzp.lo = lo;
	fzp.hi = hi;
	fzp.cons_off = cons_off;
}

/* The page offset of p, or -1 if p is not on the page. */
static long off_of(const volatile void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)fzp.page;

	if (!fzp.page || a + n <= b || a >= b + 4096)
		return -1;
	if (a < b || a + n > b + 4096)
		fz_fail("access [%#lx, +%zu) straddles the guest page", (unsigned long)a, n);
	return (long)(a - b);
}

/* The guest's move between two reads: sometimes it rewrites the bytes about
 * to be read (a control byte below 64 says so; the new bytes follow). */
static void guest_changes(size_t off, size_t n)
{
	if (fz.left && fz_byte() < 64)
		fz_take(fzp.page + off, n);
}

/* Data bytes may be read once until the back-end publishes its consumer
 * index past them: a second read is a double fetch. */
static void note_read(size_t off, size_t n)
{
	for (size_t i = off; i < off + n; i++) {
		if (i < fzp.lo || i >= fzp.hi)
			continue;
		if (fzp.fetched[i])
			fz_fail("double fetch: guest byte at page offset %zu read twice in one lap", i);
		fzp.fetched[i] = true;
		fzp.data_reads++;
	}
}

/* A new consumer index: the bytes it passed may be read again next lap. */
static void note_cons(uint32_t cons)
{
	size_t size = fzp.hi - fzp.lo;

	if (cons - fzp.cons > size)
		fz_fail("consumer index moved from %u to %u, more than the ring", fzp.cons, cons);
	for (uint32_t i = fzp.cons; i != cons; i++)
		fzp.fetched[fzp.lo + i % size] = false;
	fzp.cons = cons;
}

void fz_read(void *dst, const volatile void *src, size_t n)
{
	long off = off_of(src, n);

	if (off >= 0) {
		fzp.accesses++;
		if (fzp.in_backend)
			guest_changes((size_t)off, n);
		note_read((size_t)off, n);
	}
	__builtin_memcpy(dst, (const void *)src, n);
}

void fz_write(volatile void *dst, const void *src, size_t n)
{
	long off = off_of(dst, n);

	__builtin_memcpy((void *)dst, src, n);
	if (off < 0)
		return;
	fzp.accesses++;
	if ((size_t)off == fzp.cons_off && n == 4)
		note_cons(*(const uint32_t *)src);
}

void *fz_memcpy(void *dst, const void *src, size_t n)
{
	if (n && off_of(src, n) >= 0) {
		fz_read(dst, src, n);
		return dst;
	}
	if (n && off_of(dst, n) >= 0)
		fzp.accesses++;
	return memcpy(dst, src, n);
}
