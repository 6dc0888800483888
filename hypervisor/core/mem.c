// SPDX-License-Identifier: MIT
// mem.c: guest RAM as a memfd, its KVM slot, and ballooning (punch out / repopulate pages).
//
// The memfd is mapped twice: d->ram, the hypervisor's view (always
// read-write; every access checks the populated bitmap first), and
// d->kvm_ram, KVM's view, which backs the guest's memory slot. In KVM's view
// every frame the guest does not own (given back, or above its reservation
// and never populated) is PROT_NONE, so a guest touch of one cannot back it
// with host memory again: KVM_RUN fails with EFAULT and the domain crashes
// (abi/lamina/memory.h). Each run of such frames costs one or two host
// mappings (VMAs), so a domain may have at most LAMINA_MEM_MAX_RUNS of them.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/memory.h>
#include "hv_int.h"
#include "kvm.h"
#include "mem.h"

/* One read-write shared mapping of all of d's RAM, or NULL. */
static uint8_t *map_ram(struct domain *d, uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       d->memfd, 0);

	return p == MAP_FAILED ? NULL : p;
}

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
	d->ram = map_ram(d, bytes);
	d->kvm_ram = map_ram(d, bytes);
	d->populated = calloc(bytes / HV_PAGE / 8 + 1, 1);
	if (!d->ram || !d->kvm_ram || !d->populated) {
		snprintf(err, n, "mapping %llu MiB of guest RAM: %s",
			 (unsigned long long)(bytes >> 20), strerror(errno));
		return -1;
	}
	memset(d->populated, 0xff, bytes / HV_PAGE / 8);
	d->ram_bytes = bytes;
	atomic_store(&d->cur_pages, bytes / HV_PAGE);
	d->unowned_runs = 0;
	if (kvm_map(d->vmfd, d->next_slot++, 0, bytes, d->kvm_ram) < 0) {
		snprintf(err, n, "KVM memory slot: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void mem_free(struct domain *d)
{
	if (d->ram)
		munmap(d->ram, d->ram_bytes);
	if (d->kvm_ram)
		munmap(d->kvm_ram, d->ram_bytes);
	if (d->memfd >= 0)
		close(d->memfd);
	free(d->populated);
}

bool mem_populated(struct domain *d, uint64_t gfn)
{
	return gfn < d->ram_bytes / HV_PAGE &&
	       (d->populated[gfn / 8] >> (gfn % 8) & 1);
}

static uint64_t ram_pages(struct domain *d) { return d->ram_bytes / HV_PAGE; }

/* A RAM frame the guest does not own? (Past the end of RAM: no.) */
static bool unowned(struct domain *d, uint64_t gfn)
{
	return gfn < ram_pages(d) && !mem_populated(d, gfn);
}

/* Count the runs of unowned frames afresh. */
static unsigned count_runs(struct domain *d)
{
	unsigned runs = 0;

	for (uint64_t g = 0; g < ram_pages(d); g++)
		runs += unowned(d, g) && (g == 0 || !unowned(d, g - 1));
	return runs;
}

/* The number of unowned runs if frames [gfn, gfn+n), all in one state
 * now, changed to the other (release: owned -> unowned). */
static unsigned runs_after(struct domain *d, uint64_t gfn, uint64_t n, bool release)
{
	unsigned sides = (gfn > 0 && unowned(d, gfn - 1)) + unowned(d, gfn + n);

	return release ? d->unowned_runs + 1 - sides : d->unowned_runs + sides - 1;
}

/* Let the guest reach [gfn, gfn+n) (owned) or not (KVM's view only). */
static int guard(struct domain *d, uint64_t gfn, uint64_t n, bool owned)
{
	return mprotect(d->kvm_ram + gfn * HV_PAGE, n * HV_PAGE,
			owned ? PROT_READ | PROT_WRITE : PROT_NONE);
}

static void mark(struct domain *d, uint64_t gfn, uint64_t n, bool owned)
{
	for (uint64_t g = gfn; g < gfn + n; g++)
		if (owned)
			d->populated[g / 8] |= (uint8_t)(1u << (g % 8));
		else
			d->populated[g / 8] &= (uint8_t)~(1u << (g % 8));
}

/* Give frames [gfn, gfn+n) back to the host: taken from the guest first,
 * then freed. Each must be populated. Caller holds d->lock. */
int mem_release_n(struct domain *d, uint64_t gfn, uint64_t n)
{
	if (n == 0 || gfn >= ram_pages(d) || n > ram_pages(d) - gfn)
		return -LAMINA_EINVAL;
	for (uint64_t g = gfn; g < gfn + n; g++)
		if (!mem_populated(d, g))
			return -LAMINA_ENOENT;
	unsigned runs = runs_after(d, gfn, n, true);
	if (runs > LAMINA_MEM_MAX_RUNS || guard(d, gfn, n, false) < 0)
		return -LAMINA_ENOMEM;
	if (fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(gfn * HV_PAGE), (off_t)(n * HV_PAGE)) < 0) {
		guard(d, gfn, n, true);
		return -LAMINA_ENOMEM;
	}
	mark(d, gfn, n, false);
	d->unowned_runs = runs;
	atomic_fetch_sub(&d->cur_pages, n);
	return 0;
}

int mem_release(struct domain *d, uint64_t gfn)
{
	return mem_release_n(d, gfn, 1);
}

/* Free [gfn, gfn+n), populated or not, in one hole punch; taken from the
 * guest first when guard_it (not for a dying domain: no vCPU runs, and
 * each gap between pinned pages would cost a host mapping). The caller
 * recounts the runs. */
static int punch(struct domain *d, uint64_t gfn, uint64_t n, bool guard_it)
{
	if (gfn > ram_pages(d) || n > ram_pages(d) - gfn)
		return -LAMINA_EINVAL;
	if (n == 0)
		return 0;
	if ((guard_it && guard(d, gfn, n, false) < 0) ||
	    fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(gfn * HV_PAGE), (off_t)(n * HV_PAGE)) < 0)
		return -LAMINA_ENOMEM;
	for (uint64_t g = gfn; g < gfn + n; g++)
		if (mem_populated(d, g)) {
			mark(d, g, 1, false);
			atomic_fetch_sub(&d->cur_pages, 1);
		}
	return 0;
}

/* Give back pages [gfn, gfn+n), populated or not (domain build: the part
 * of the maximum above the initial memory), with no limit on runs. */
int mem_release_range(struct domain *d, uint64_t gfn, uint64_t n)
{
	int rc = punch(d, gfn, n, true);

	d->unowned_runs = count_runs(d);
	return rc;
}

int mem_release_except(struct domain *d, const uint64_t *keep, size_t n)
{
	uint64_t pages = d->ram_bytes / HV_PAGE, next = 0;
	int rc = 0;

	for (size_t i = 0; i < n && next < pages; i++) {
		if (keep[i] < next)
			continue;   /* a repeat */
		uint64_t end = keep[i] < pages ? keep[i] : pages;
		if (punch(d, next, end - next, false))
			rc = -LAMINA_ENOMEM;
		next = end + 1;   /* past the kept page (or past RAM) */
	}
	if (next < pages && punch(d, next, pages - next, false))
		rc = -LAMINA_ENOMEM;
	d->unowned_runs = count_runs(d);
	return rc;
}

/* Back frames [gfn, gfn+n) again (zero-filled on first touch) and give
 * them to the guest. Each must be unpopulated. Caller holds d->lock. */
int mem_populate_n(struct domain *d, uint64_t gfn, uint64_t n)
{
	if (n == 0 || gfn >= ram_pages(d) || n > ram_pages(d) - gfn)
		return -LAMINA_EINVAL;
	for (uint64_t g = gfn; g < gfn + n; g++)
		if (mem_populated(d, g))
			return -LAMINA_EEXIST;
	unsigned runs = runs_after(d, gfn, n, false);
	if (atomic_load(&d->cur_pages) + n > d->max_pages || runs > LAMINA_MEM_MAX_RUNS ||
	    guard(d, gfn, n, true) < 0)
		return -LAMINA_ENOMEM;
	mark(d, gfn, n, true);
	d->unowned_runs = runs;
	atomic_fetch_add(&d->cur_pages, n);
	return 0;
}

int mem_populate(struct domain *d, uint64_t gfn)
{
	return mem_populate_n(d, gfn, 1);
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
