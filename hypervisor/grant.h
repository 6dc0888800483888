// SPDX-License-Identifier: MIT
// grant.h: grant tables: which pages a domain lets which other domain map or copy.
#ifndef HV_GRANT_H
#define HV_GRANT_H
#include "dom.h"

int grant_domain_init(struct domain *d);   /* sized by d->lim.grant_frames */
void grant_domain_free(struct domain *d);  /* drops mappings held by/of d */
/* add_to_physmap LAMINA_SPACE_GRANT_TABLE: host page of grant frame idx, or NULL. */
void *grant_frame(struct domain *d, unsigned idx);
/* True if guest page gfn of d is granted with a mapping or copy in flight:
 * it cannot be ballooned out (decrease_reservation returns -EBUSY). */
bool grant_page_in_use(struct domain *d, uint64_t gfn);
#endif
