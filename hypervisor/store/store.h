// SPDX-License-Identifier: MIT
// store.h: the store service of a hypervisor instance: domain connections at create/destroy, and shutdown.
#ifndef HV_STORE_H
#define HV_STORE_H
#include "dom.h"

/*
 * One store per struct hv, created by the first domain or host API call
 * (hv.h, hv_store_*), with one service thread for all its domains. Call
 * these without any domain or event lock.
 */

/* At domain creation, after evt_domain_init(): write the domain's home
 * /local/domain/<id> (owned by it) and its keys, allocate its store port
 * (shared_info store_port), connect its ring page d->store_page and fire
 * @introduceDomain. 0, or -1 with the reason in d's log. */
int store_domain_init(struct domain *d);
/* At destruction, before evt_domain_free(): drop the connection, the
 * domain's watches and transactions, remove its home, fire
 * @releaseDomain, close the store port. Nothing if init did not run. */
void store_domain_free(struct domain *d);
/* In hv_close(), after its domains are gone and before evt_hv_close():
 * stop the thread and free the store. */
void store_hv_close(struct hv *hv);
#endif
