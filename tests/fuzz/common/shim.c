// SPDX-License-Identifier: MIT
// shim.c: the ring harnesses' fake guest memory: bytes change between the back-end's reads; double fetches abort.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "common/shim_int.h"
#include "common/shim.h"

#undef memcpy
struct fz_data fz = { .name = "fuzz" };

static struct fz_region **regs;   /* the live regions */
static size_t nregs, capregs;

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
	fprintf(stderr, "fuzz/%s: ", fz.name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* ---- regions ---- */

static void drop(struct fz_region *r)
{
	free(r->fetched);
	free(r);
}

void fz_reset(void)
{
	for (size_t i = 0; i < nregs; i++)
		drop(regs[i]);
	nregs = 0;
	fz.accesses = fz.changes = 0;
}

struct fz_region *fz_add(uint8_t *base, size_t len, enum fz_kind kind, bool check)
{
	struct fz_region *r = malloc(sizeof(*r));
	uint64_t *bits = calloc(len / 64 + 1, sizeof(uint64_t));

	if (nregs == capregs) {
		capregs = capregs ? 2 * capregs : 64;
		regs = realloc(regs, capregs * sizeof(*regs));
	}
	if (!r || !bits || !regs)
		fz_fail("out of memory");
	*r = (struct fz_region){ .base = base, .len = len, .kind = kind, .check = check, .hi = len,
				 .idx_off = (size_t)-1, .fetched = bits };
	regs[nregs++] = r;
	return r;
}

void fz_remove(struct fz_region *r)
{
	for (size_t i = 0; i < nregs; i++) {
		if (regs[i] == r) {
			regs[i] = regs[--nregs];
			drop(r);
			return;
		}
	}
	fz_fail("removing a region that is not there");
}

struct fz_region *fz_add_bytes(uint8_t *base, size_t len, size_t lo, size_t hi, size_t cons_off)
{
	struct fz_region *r = fz_add(base, len, FZ_BYTES, true);

	r->lo = lo;
	r->hi = hi;
	r->idx_off = cons_off;
	return r;
}

struct fz_region *fz_add_slots(uint8_t *base, size_t len, size_t lo, size_t slot, uint32_t nslots,
			       size_t prod_off, const uint32_t *done)
{
	struct fz_region *r = fz_add(base, len, FZ_SLOTS, true);

	if (lo + slot * nslots > len || (nslots & (nslots - 1)))
		fz_fail("a slot ring of %u slots of %zu bytes does not fit %zu bytes", nslots, slot, len);
	r->lo = lo;
	r->hi = lo + slot * nslots;
	r->slot = slot;
	r->nslots = nslots;
	r->idx_off = prod_off;
	r->done = done;
	r->released = *done;
	return r;
}

struct fz_region *fz_page_setup(uint8_t *page, size_t lo, size_t hi, size_t cons_off)
{
	fz_reset();
	return fz_add_bytes(page, 4096, lo, hi, cons_off);
}

/* The region holding [p, p + n), or NULL if p is in guest memory nowhere. */
static struct fz_region *region_of(const volatile void *p, size_t n, size_t *off)
{
	uintptr_t a = (uintptr_t)p;

	for (size_t i = 0; i < nregs; i++) {
		uintptr_t b = (uintptr_t)regs[i]->base, e = b + regs[i]->len;
		if (a + n <= b || a >= e)
			continue;
		if (a < b || a + n > e)
			fz_fail("access [%#lx, +%zu) straddles a guest region", (unsigned long)a, n);
		*off = a - b;
		return regs[i];
	}
	return NULL;
}

/* FZ_TRACE=1 in the environment: every access to guest memory on stderr. */
static void trace(const char *what, const struct fz_region *r, size_t off, size_t n)
{
	static int on = -1;

	if (on < 0)
		on = getenv("FZ_TRACE") != NULL;
	if (on)
		fprintf(stderr, "fz: %s %zu bytes at %zu of region %p (kind %d)%s\n", what, n, off, (void *)r->base,
			r->kind, fz.in_backend ? "" : " outside the back-end");
}

/* ---- laps ---- */

static bool marked(const struct fz_region *r, size_t i)
{
	return r->fetched[(i - r->lo) / 64] >> ((i - r->lo) % 64) & 1;
}

static void mark(struct fz_region *r, size_t i, bool on)
{
	uint64_t bit = (uint64_t)1 << ((i - r->lo) % 64);

	if (on)
		r->fetched[(i - r->lo) / 64] |= bit;
	else
		r->fetched[(i - r->lo) / 64] &= ~bit;
}

/* SLOTS: the slots whose responses the back-end has written since may be read again. */
static void release_slots(struct fz_region *r)
{
	uint32_t to = *r->done;

	if (to - r->released > r->nslots)
		r->released = to - r->nslots;
	for (; r->released != to; r->released++) {
		size_t s = r->lo + (r->released & (r->nslots - 1)) * r->slot;
		for (size_t i = s; i < s + r->slot; i++)
			mark(r, i, false);
	}
}

/* A checked byte may be read once per lap: a second read is a double fetch. */
static void note_read(struct fz_region *r, size_t off, size_t n)
{
	if (!r->check)
		return;
	if (r->kind == FZ_SLOTS)
		release_slots(r);
	for (size_t i = off; i < off + n; i++) {
		if (i < r->lo || i >= r->hi)
			continue;
		if (marked(r, i))
			fz_fail("double fetch: guest byte at offset %zu of a %s region read twice in one lap", i,
				r->kind == FZ_BYTES ? "byte ring" : r->kind == FZ_SLOTS ? "slot ring" : "data");
		mark(r, i, true);
		r->data_reads++;
	}
}

/* BYTES: a new consumer index; the bytes it passed may be read again next lap. */
static void note_cons(struct fz_region *r, uint32_t cons)
{
	size_t size = r->hi - r->lo;

	if (cons - r->idx > size)
		fz_fail("consumer index moved from %u to %u, more than the ring", r->idx, cons);
	for (uint32_t i = r->idx; i != cons; i++)
		mark(r, r->lo + i % size, false);
}

/* The guest's move between two reads: sometimes it rewrites the bytes about
 * to be read (a control byte below 64 says so; the new bytes follow). */
static void guest_changes(struct fz_region *r, size_t off, size_t n)
{
	if (fz.quiet || !fz.left || fz_byte() >= 64)
		return;
	if (fz.before_change)
		fz.before_change();
	fz_take(r->base + off, n);
	trace("guest changed", r, off, n);
	r->changes++;
	fz.changes++;
}

void fz_read(void *dst, const volatile void *src, size_t n)
{
	size_t off;
	struct fz_region *r = region_of(src, n, &off);

	if (r) {
		r->accesses++;
		fz.accesses++;
		trace("read", r, off, n);
		if (fz.in_backend)
			guest_changes(r, off, n);
		note_read(r, off, n);
	}
	__builtin_memcpy(dst, (const void *)src, n);
}

void fz_write(volatile void *dst, const void *src, size_t n)
{
	size_t off;
	struct fz_region *r = region_of(dst, n, &off);

	__builtin_memcpy((void *)dst, src, n);
	if (!r)
		return;
	r->accesses++;
	fz.accesses++;
	trace("write", r, off, n);
	if (off != r->idx_off || n != 4)
		return;
	uint32_t v = *(const uint32_t *)src;
	if (r->kind == FZ_BYTES)
		note_cons(r, v);
	r->idx = v;
	r->idx_writes++;
}

/* A copy out of guest memory is a read (fz_read); one into it a write. */
void *fz_memcpy(void *dst, const void *src, size_t n)
{
	size_t off;
	struct fz_region *w = n ? region_of(dst, n, &off) : NULL;

	if (w) {
		w->accesses++;
		fz.accesses++;
		trace("memcpy into", w, off, n);
	}
	if (n && region_of(src, n, &off))
		fz_read(dst, src, n);
	else
		memcpy(dst, src, n);
	return dst;
}
