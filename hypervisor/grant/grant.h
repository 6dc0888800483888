// SPDX-License-Identifier: MIT
// grant.h: grant tables: which pages a domain lets which other domain map or copy.
#ifndef HV_GRANT_H
#define HV_GRANT_H
#include <lamina/grant_table.h>
#include "dom.h"

int grant_domain_init(struct domain *d);   /* sized by d->lim.grant_frames */
void grant_domain_free(struct domain *d);  /* drops mappings held by/of d */
/* add_to_physmap LAMINA_SPACE_GRANT_TABLE: host page of grant frame idx, or NULL. */
void *grant_frame(struct domain *d, unsigned idx);
/* True if a guest page in [gfn, gfn + n) of d is granted (an entry of type
 * PERMIT_ACCESS names it, mapped by a peer or not) or has a mapping or copy
 * in flight: memory.h forbids ballooning it out (decrease_reservation
 * returns -EBUSY). Call with d->lock held. */
bool grant_pages_in_use(struct domain *d, uint64_t gfn, uint64_t n);

/* grant_table_op, one element each (hc_grant.c decodes and validates the
 * argument structures). Each returns 0 or the element's -LAMINA_E* status
 * as grant_table.h documents it; dom may be LAMINA_DOMID_SELF. Called
 * without d->lock (they take it). */
int grant_setup(struct domain *d, unsigned nr_frames);
int grant_query(struct domain *d, unsigned dom, uint32_t *nr_frames, uint32_t *max_frames);
int grant_map(struct domain *d, unsigned dom, uint32_t ref, uint64_t gpa, bool readonly,
	      uint32_t *handle);
int grant_unmap(struct domain *d, uint64_t gpa, uint32_t handle);
int grant_copy(struct domain *d, const struct lamina_gnttab_copy *c);

/*
 * Host side: domain 0 or a back-end acting as domain as_domid maps the page
 * granter granted to as_domid under ref. Returns a host pointer to one page,
 * mapped PROT_READ unless write (writing a read-only grant faults), and OUT
 * *handle; NULL if the grant is not there for as_domid with that access.
 * The page stays valid until grant_unmap_host(), even if granter is
 * destroyed meanwhile, which is why the unmap names the instance, not the
 * granter. grant_unmap_host returns 0 or -LAMINA_EINVAL (unknown handle).
 * Call both without holding any domain's d->lock; unmap every page before
 * hv_close().
 */
void *grant_map_host(struct domain *granter, uint32_t ref, uint16_t as_domid, bool write,
		     uint32_t *handle);
int grant_unmap_host(struct hv *hv, uint32_t handle);
/* Like grant_map_host, for a back-end process that gets the page as a
 * udmabuf over the granter's memfd: OUT *gfn, the page's frame, and
 * *handle (unpin with grant_unmap_host). 0 or -LAMINA_EINVAL (ref beyond
 * the table, or the page is not RAM), -LAMINA_EACCES (not granted to
 * as_domid), -LAMINA_EROFS (write asked of a read-only grant),
 * -LAMINA_ENOSPC (every host mapping slot used), -LAMINA_ESRCH (no table),
 * -LAMINA_ENOMEM. */
int grant_pin_host(struct domain *granter, uint32_t ref, uint16_t as_domid, bool write,
		   uint32_t *handle, uint64_t *gfn);
#endif
