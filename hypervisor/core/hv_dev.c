// SPDX-License-Identifier: MIT
// hv_dev.c: the registry of host-side devices (hv_dev.h): filled before main(), read-only afterwards.
#include <stdio.h>
#include "hv_dev.h"

/* Registered devices, in registration order. Written only by
 * constructors (before any thread), read-only afterwards: no lock. */
static struct hv_dev_ops *devs, **devs_tail = &devs;

void hv_dev_register(struct hv_dev_ops *o)
{
	o->next = NULL;
	*devs_tail = o;
	devs_tail = &o->next;
}

/* Free the devices before stop, last registered first. */
static void free_before(struct domain *d, struct hv_dev_ops *stop)
{
	struct hv_dev_ops *list[64];
	int n = 0;

	for (struct hv_dev_ops *o = devs; o != stop && n < 64; o = o->next)
		list[n++] = o;
	while (n--)
		list[n]->free(d);
}

int hv_dev_init_all(struct domain *d, char *err, size_t n)
{
	for (struct hv_dev_ops *o = devs; o; o = o->next)
		if (o->init(d) < 0) {
			snprintf(err, n, "starting the %s device (see the domain's log)", o->name);
			free_before(d, o);
			return -1;
		}
	return 0;
}

void hv_dev_free_all(struct domain *d)
{
	free_before(d, NULL);
}
