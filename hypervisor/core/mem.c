// SPDX-License-Identifier: MIT
// mem.c: guest RAM as a memfd, its KVM slot, and ballooning (punch out / repopulate pages).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <lamina/errno.h>
#include "hv_int.h"
#include "kvm.h"
#include "mem.h"

int mem_init(struct domain *d, uint64_t bytes, char *err, size_t n)
{
	char name[32];

	if (bytes == 0 || bytes % (2u << 20) || bytes > MEM_RAM_MAX) {
		snprintf(err, n, "memory must be a multiple of 2 MiB between 2 MiB and %llu MiB",
			 (unsigned long long)(MEM_RAM_MAX >> 20));
		return -1;
	}
	snprintf(name, sizeof(name), "lamina-dom%u", d->id);
	/* Sealed against shrinking (never against writes): udmabuf needs that
	 * to hand granted pages to back-end processes (hv_backend.c). */
	d->memfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->memfd < 0 || ftruncate(d->memfd, (off_t)bytes) < 0 ||
	    fcntl(d->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		snprintf(err, n, "guest RAM (%s): %s", name, strerror(errno));
		return -1;
	}
	d->ram = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		      d->memfd, 0);
	d->populated = calloc(bytes / HV_PAGE / 8 + 1, 1);
	if (d->ram == MAP_FAILED || !d->populated) {
		snprintf(err, n, "mapping %llu MiB of guest RAM: %s",
			 (unsigned long long)(bytes >> 20), strerror(errno));
		d->ram = NULL;
		return -1;
	}
	memset(d->populated, 0xff, bytes / HV_PAGE / 8);
	d->ram_bytes = bytes;
	atomic_store(&d->cur_pages, bytes / HV_PAGE);
	if (kvm_map(d->vmfd, d->next_slot++, 0, bytes, d->ram) < 0) {
		snprintf(err, n, "KVM memory slot: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void mem_free(struct domain *d)
{
	if (d->ram)
		munmap(d->ram, d->ram_bytes);
	if (d->memfd >= 0)
		close(d->memfd);
	free(d->populated);
}

bool mem_populated(struct domain *d, uint64_t gfn)
{
	return gfn < d->ram_bytes / HV_PAGE &&
	       (d->populated[gfn / 8] >> (gfn % 8) & 1);
}

/* Give page gfn back to the host. Caller holds d->lock. */
int mem_release(struct domain *d, uint64_t gfn)
{
	if (gfn >= d->ram_bytes / HV_PAGE)
		return -LAMINA_EINVAL;
	if (!mem_populated(d, gfn))
		return -LAMINA_ENOENT;
	if (fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(gfn * HV_PAGE), HV_PAGE) < 0)
		return -LAMINA_ENOMEM;
	d->populated[gfn / 8] &= (uint8_t)~(1u << (gfn % 8));
	atomic_fetch_sub(&d->cur_pages, 1);
	return 0;
}

/* Give back pages [gfn, gfn+n) that were never used (domain build: the
 * part of the maximum above the initial memory), in one hole punch. */
int mem_release_range(struct domain *d, uint64_t gfn, uint64_t n)
{
	if (gfn > d->ram_bytes / HV_PAGE || n > d->ram_bytes / HV_PAGE - gfn)
		return -LAMINA_EINVAL;
	if (n && fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   (off_t)(gfn * HV_PAGE), (off_t)(n * HV_PAGE)) < 0)
		return -LAMINA_ENOMEM;
	for (uint64_t g = gfn; g < gfn + n; g++)
		if (mem_populated(d, g)) {
			d->populated[g / 8] &= (uint8_t)~(1u << (g % 8));
			atomic_fetch_sub(&d->cur_pages, 1);
		}
	return 0;
}

int mem_release_except(struct domain *d, const uint64_t *keep, size_t n)
{
	uint64_t pages = d->ram_bytes / HV_PAGE, next = 0;
	int rc = 0;

	for (size_t i = 0; i < n && next < pages; i++) {
		if (keep[i] < next)
			continue;   /* a repeat */
		uint64_t end = keep[i] < pages ? keep[i] : pages;
		if (mem_release_range(d, next, end - next))
			rc = -LAMINA_ENOMEM;
		next = end + 1;   /* past the kept page (or past RAM) */
	}
	if (next < pages && mem_release_range(d, next, pages - next))
		rc = -LAMINA_ENOMEM;
	return rc;
}

/* Back page gfn again (zero-filled on first touch). Caller holds d->lock. */
int mem_populate(struct domain *d, uint64_t gfn)
{
	if (gfn >= d->ram_bytes / HV_PAGE)
		return -LAMINA_EINVAL;
	if (mem_populated(d, gfn))
		return -LAMINA_EEXIST;
	if (atomic_load(&d->cur_pages) >= d->max_pages)
		return -LAMINA_ENOMEM;
	d->populated[gfn / 8] |= (uint8_t)(1u << (gfn % 8));
	atomic_fetch_add(&d->cur_pages, 1);
	return 0;
}

/* Host pointer to [gpa, gpa+len) if it lies wholly in populated RAM, else NULL. */
void *mem_gpa(struct domain *d, uint64_t gpa, size_t len)
{
	if (len == 0 || gpa >= d->ram_bytes || len > d->ram_bytes - gpa)
		return NULL;
	for (uint64_t g = gpa / HV_PAGE; g <= (gpa + len - 1) / HV_PAGE; g++)
		if (!mem_populated(d, g))
			return NULL;
	return d->ram + gpa;
}

void *hv_page_alloc_fd(const char *name, int *fd)
{
	void *p = MAP_FAILED;

	*fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd >= 0 && ftruncate(*fd, HV_PAGE) == 0 &&
	    fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		p = mmap(NULL, HV_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p != MAP_FAILED)
		return p;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return NULL;
}
