// SPDX-License-Identifier: MIT
// tests.h: the grant unit tests' fake hypervisor (KVM-free domains with real memfd RAM), guest-side helpers and test cases.
#ifndef GRANT_TESTS_H
#define GRANT_TESTS_H
#include <check.h>
#include <lamina/errno.h>
#include <lamina/grant_table.h>
#include <lamina/memory.h>
#include "grant.h"
#include "grant_tbl.h"
#include "hcall.h"
#include "hv_int.h"
#include "mem.h"
#include "../fakes.h"

#ifndef NAME_SUFFIX
#define NAME_SUFFIX ""
#endif

#define FAKE_RAM (2u << 20)                       /* bytes of RAM per fake domain */
#define HOLE(i) (LAMINA_PHYSMAP_HOLE_BASE + 4096ull * (i))   /* i-th gpa in the hole */

/* What the doubles saw or should do; reset by fake_reset(). */
struct fake_log {
	int pages;                         /* hv_page_alloc() pages not yet freed */
	bool page_fail;                    /* make hv_page_alloc() fail */
	bool threads;                      /* other threads run: skip lock-held checks */
	uint32_t pm_flags[HV_MAX_DOMS][PHYSMAP_MAX];   /* flags physmap_add_flags() got */
};
extern struct fake_log fake;

void fake_reset(void);             /* fake and fake_gmem */
/* A guest with memfd RAM (FAKE_RAM) and a grant table of at most frames frames. */
struct domain *fake_dom(struct hv *hv, uint16_t id, unsigned frames);
/* Tear down as hv_destroy does: grants, then RAM. */
void fake_dom_free(struct domain *d);

/* The fixture of most cases: domains 1 (d1, a grant table of at most
 * d1_frames frames) and 2 (d2, 64) on hv. A test that frees one of them
 * itself sets it to NULL. */
extern struct hv *hv;
extern struct domain *d1, *d2;
void two_doms(unsigned d1_frames);
void two_doms_setup(void);          /* two_doms(64) */
void two_doms_teardown(void);       /* frees both; no page may be left */

/* Guest side of grant_table.h. */
struct lamina_grant_entry *entry_of(struct domain *d, uint32_t ref);
/* Publish a grant (domid, gfn, barrier, flags) in d's table. */
void publish(struct domain *d, uint32_t ref, uint16_t domid, uint64_t gfn, uint16_t flags);
/* The revoke loop of the header: true if flags became 0, false if busy. */
bool revoke(struct lamina_grant_entry *e);
uint16_t flags_of(struct lamina_grant_entry *e);
uint8_t *ram(struct domain *d, uint64_t gfn);           /* d's own view of a page */
/* The host page d's physmap shows at gpa (NULL if none), and its flags. */
uint8_t *pm_page(struct domain *d, uint64_t gpa, uint32_t *flags);

/* grant_table_op on vCPU 0 of d. */
int64_t gop(struct domain *d, unsigned cmd, void *arg, uint64_t count);

TCase *tc_tbl(void);
TCase *tc_map(void);
TCase *tc_copy(void);
TCase *tc_hcall(void);
#endif
