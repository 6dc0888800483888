// SPDX-License-Identifier: MIT
// fake.c: test doubles for what grant.c, hc_grant.c and mem.c call outside themselves (KVM, physmap, guest memory, pages) and fake domains.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "kvm.h"
#include "mem.h"
#include "physmap.h"
#include "tests.h"

struct fake_log fake;

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake_gmem_reset();
}

/* ---- Doubles ---- */

int kvm_map(int vm, int slot, uint64_t gpa, uint64_t len, void *host)
{
	(void)vm; (void)slot; (void)gpa; (void)len; (void)host;
	return 0;
}

void *hv_page_alloc(void)
{
	if (fake.page_fail)
		return NULL;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	__atomic_fetch_add(&fake.pages, 1, __ATOMIC_RELAXED);
	return p;
}

void hv_page_free(void *p)
{
	if (!p)
		return;
	munmap(p, 4096);
	__atomic_fetch_sub(&fake.pages, 1, __ATOMIC_RELAXED);
}

/* physmap.c's contract: d->lock held; gfn in the hole; EBUSY; ENOSPC. */
static void assert_locked(struct domain *d)
{
	if (fake.threads)
		return;
	int r = pthread_mutex_trylock(&d->lock);
	if (r == 0)
		pthread_mutex_unlock(&d->lock);
	ck_assert_msg(r != 0, "physmap called without d->lock");
}

int physmap_add_flags(struct domain *d, void *host, uint64_t gfn, uint32_t flags)
{
	assert_locked(d);
	if (gfn < LAMINA_PHYSMAP_HOLE_BASE / 4096 ||
	    gfn >= (LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE) / 4096)
		return -LAMINA_EINVAL;
	for (int i = 0; i < PHYSMAP_MAX; i++)
		if (d->pm[i].used && d->pm[i].gfn == gfn)
			return -LAMINA_EBUSY;
	for (int i = 0; i < PHYSMAP_MAX; i++) {
		if (d->pm[i].used)
			continue;
		d->pm[i] = (struct physmap_ent){ .used = true, .gfn = gfn, .host = host };
		fake.pm_flags[d->id][i] = flags;
		return 0;
	}
	return -LAMINA_ENOSPC;
}

void physmap_remove(struct domain *d, struct physmap_ent *e)
{
	assert_locked(d);
	e->used = false;
}

/* ---- Fake domains ---- */

struct domain *fake_dom(struct hv *hv, uint16_t id, unsigned frames)
{
	struct domain *d = calloc(1, sizeof(*d));
	char err[128];

	ck_assert_ptr_nonnull(d);
	d->hv = hv;
	d->id = id;
	d->vmfd = d->memfd = -1;
	d->nr_vcpus = 1;
	d->vcpu[0].d = d;
	d->lim.grant_frames = frames;
	pthread_mutex_init(&d->lock, NULL);
	ck_assert_msg(mem_init(d, FAKE_RAM, err, sizeof(err)) == 0, "%s", err);
	d->max_pages = FAKE_RAM / 4096;
	ck_assert_int_eq(grant_domain_init(d), 0);
	ck_assert_ptr_nonnull(d->gnt);
	hv->doms[id] = d;
	return d;
}

void fake_dom_free(struct domain *d)
{
	d->hv->doms[d->id] = NULL;
	grant_domain_free(d);
	ck_assert_ptr_null(d->gnt);
	mem_free(d);
	free(d);
}

/* ---- The two-domain fixture ---- */

struct hv *hv;
struct domain *d1, *d2;

void two_doms(unsigned d1_frames)
{
	fake_reset();
	hv = fake_hv();
	d1 = fake_dom(hv, 1, d1_frames);
	d2 = fake_dom(hv, 2, 64);
}

void two_doms_setup(void) { two_doms(64); }

void two_doms_teardown(void)
{
	if (d2)
		fake_dom_free(d2);
	if (d1)
		fake_dom_free(d1);
	ck_assert_int_eq(fake.pages, 0);
	free(hv);
}

/* ---- Guest side ---- */

struct lamina_grant_entry *entry_of(struct domain *d, uint32_t ref)
{
	struct lamina_grant_entry *f = grant_frame(d, ref / LAMINA_GRANT_PER_FRAME);

	ck_assert_ptr_nonnull(f);
	return &f[ref % LAMINA_GRANT_PER_FRAME];
}

void publish(struct domain *d, uint32_t ref, uint16_t domid, uint64_t gfn, uint16_t flags)
{
	struct lamina_grant_entry *e = entry_of(d, ref);

	ck_assert_uint_eq(__atomic_load_n(&e->flags, __ATOMIC_SEQ_CST), 0);
	e->domid = domid;
	e->gfn = gfn;
	__atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
}

bool revoke(struct lamina_grant_entry *e)
{
	uint16_t old = __atomic_load_n(&e->flags, __ATOMIC_SEQ_CST);

	do {
		if (old & (LAMINA_GTF_READING | LAMINA_GTF_WRITING))
			return false;
	} while (!__atomic_compare_exchange_n(&e->flags, &old, 0, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return true;
}

uint16_t flags_of(struct lamina_grant_entry *e) { return __atomic_load_n(&e->flags, __ATOMIC_SEQ_CST); }

uint8_t *ram(struct domain *d, uint64_t gfn) { return d->ram + gfn * 4096; }

uint8_t *pm_page(struct domain *d, uint64_t gpa, uint32_t *flags)
{
	for (int i = 0; i < PHYSMAP_MAX; i++)
		if (d->pm[i].used && d->pm[i].gfn == gpa / 4096) {
			if (flags)
				*flags = fake.pm_flags[d->id][i];
			return d->pm[i].host;
		}
	return NULL;
}

int64_t gop(struct domain *d, unsigned cmd, void *arg, uint64_t count)
{
	const uint64_t a[5] = { cmd, (uint64_t)(uintptr_t)arg, count, 0, 0 };

	return hc_grant_table_op(&d->vcpu[0], a);
}
