// SPDX-License-Identifier: MIT
// gnt.h: grant-table helpers for the grant conformance guests (grant_basic, grant_pair, grant_peer), guest side of grant_table.h.
#ifndef GNT_H
#define GNT_H
#include "rt.h"

#define GOP(cmd, arg, n) HC3(LAMINA_HC_grant_table_op, LAMINA_GNTTABOP_##cmd, arg, n)
#define PAGE_AT(gfn) ((volatile uint8_t *)((uint64_t)(gfn) << 12))
#define GFN_OF(p) ((uint64_t)(uintptr_t)(p) >> 12)
#define BAD_PTR 0x7fff0000000ull     /* never mapped */
#define MS 1000000ull

/* Map grant-table frame idx of this domain at gfn (ADD_TO_PHYSMAP). */
static inline long gnt_frame(uint32_t idx, uint64_t gfn)
{
	struct lamina_add_to_physmap x = { .domid = LAMINA_DOMID_SELF,
		.space = LAMINA_SPACE_GRANT_TABLE, .idx = idx, .gfn = gfn };

	return HC2(LAMINA_HC_memory_op, LAMINA_MEMOP_ADD_TO_PHYSMAP, &x);
}

/* Publish a grant as the header says: domid and gfn, barrier, flags. */
static inline void gnt_publish(volatile struct lamina_grant_entry *e, uint16_t domid,
			       uint64_t gfn, uint16_t flags)
{
	e->domid = domid;
	e->gfn = gfn;
	lamina_wmb();
	e->flags = flags;
}

/* The header's revoke loop: 1 revoked, 0 busy (the peer still uses it). */
static inline int gnt_revoke(volatile struct lamina_grant_entry *e)
{
	uint16_t old = __atomic_load_n(&e->flags, __ATOMIC_SEQ_CST);

	do {
		if (old & (LAMINA_GTF_READING | LAMINA_GTF_WRITING))
			return 0;
	} while (!__atomic_compare_exchange_n(&e->flags, &old, 0, 0, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return 1;
}

static inline uint16_t gnt_flags(volatile struct lamina_grant_entry *e)
{
	return __atomic_load_n(&e->flags, __ATOMIC_SEQ_CST);
}

/* One-element MAP/UNMAP/COPY: the call's error if it failed, else the status. */
static inline long gnt_map(uint16_t dom, uint32_t ref, uint64_t gfn, unsigned flags,
			   uint32_t *handle)
{
	struct lamina_gnttab_map m = { .gpa = gfn << 12, .ref = ref, .dom = dom,
				       .flags = (uint16_t)flags, .handle = ~0u, .status = 1 };
	long r = GOP(MAP_GRANT_REF, &m, 1);

	if (handle)
		*handle = m.handle;
	return r ? r : m.status;
}

static inline long gnt_unmap(uint64_t gfn, uint32_t handle)
{
	struct lamina_gnttab_unmap u = { .gpa = gfn << 12, .handle = handle, .status = 1 };
	long r = GOP(UNMAP_GRANT_REF, &u, 1);

	return r ? r : u.status;
}

static inline struct lamina_gnttab_copy_ptr gnt_ref(uint16_t dom, uint32_t ref, uint16_t off)
{
	struct lamina_gnttab_copy_ptr p = { .dom = dom, .offset = off };

	p.u.ref = ref;
	return p;
}

static inline struct lamina_gnttab_copy_ptr gnt_local(uint64_t gfn, uint16_t off)
{
	struct lamina_gnttab_copy_ptr p = { .dom = LAMINA_DOMID_SELF, .offset = off };

	p.u.gfn = gfn;
	return p;
}

static inline long gnt_copy(struct lamina_gnttab_copy_ptr src, struct lamina_gnttab_copy_ptr dst,
			    unsigned len, unsigned flags)
{
	struct lamina_gnttab_copy c = { .src = src, .dest = dst, .len = (uint16_t)len,
					.flags = (uint16_t)flags, .status = 1 };
	long r = GOP(COPY, &c, 1);

	return r ? r : c.status;
}

static inline uint16_t gnt_my_domid(void)
{
	rt_map_shared_info();
	return (uint16_t)rt_shinfo->domid;
}

static inline int gnt_same(const volatile uint8_t *a, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != (uint8_t)s[i])
			return 0;
	return 1;
}

/*
 * grant_pair / grant_peer: the two domains talk through one control page
 * that the peer grants (ref GNT_CTL_REF, writable) to the tester; the
 * tester finds it by retrying MAP_GRANT_REF until it works. The tester
 * writes arg then cmd = ++seq; the peer acts, writes result and fails (its
 * failed checks so far), then done = seq.
 */
#define GNT_CTL_REF 0
#define GNT_MAGIC 0x4c616d696e61ull   /* "Lamina" */

enum { CMD_NONE, CMD_CHECK_A, CMD_REVOKE, CMD_BALLOON, CMD_MAP_TESTER, CMD_CHECK_D,
       CMD_FLAGS, CMD_DONE };

struct gnt_ctl {
	volatile uint64_t magic;    /* peer: GNT_MAGIC once its grants are published */
	volatile uint32_t seq;      /* tester: command number */
	volatile uint32_t cmd;      /* tester: CMD_* */
	volatile uint64_t arg;      /* tester: the command's argument */
	volatile uint32_t done;     /* peer: seq of the last finished command */
	volatile int32_t result;    /* peer: its outcome */
	volatile uint32_t fails;    /* peer: checks that failed so far */
	volatile uint16_t peer_id;  /* peer: its domain id */
};

/* The peer's grants (refs in its table) and their contents. */
#define REF_A 1     /* writable to the tester: mapped, written, revoke refused */
#define REF_B 2     /* read-only to the tester */
#define REF_C 3     /* granted to a domain that is not the tester */
#define REF_D 4     /* writable to the tester: copy destination */
#define TEXT_A "page A of the peer"
#define TEXT_B "read-only page B of the peer"
#define TEXT_T "the tester's page for the peer"
#define TESTER_REF 1   /* the tester's grant of its page to the peer */
#endif
