// SPDX-License-Identifier: MIT
// hv_dev.h: host-side devices every domain gets register themselves here; the domain life cycle starts and stops them without naming them.
#ifndef HV_DEV_H
#define HV_DEV_H
#include <stddef.h>
#include "dom.h"

/*
 * A device's host side registers one struct hv_dev_ops before main()
 * (HV_DEV_REGISTER, a constructor). dom.c calls every registered init
 * at domain creation, after event channels, grants, the console and the
 * store are set up, in registration order; and every free at destruction
 * after the vCPUs stopped and before the store, ports and console go, in
 * reverse order. free is called for every device whose init returned 0,
 * and must be safe to call when init failed or never ran, and twice.
 */
struct hv_dev_ops {
	const char *name;                 /* for error messages */
	int (*init)(struct domain *d);    /* 0 or -1 (it logged why in d's log) */
	void (*free)(struct domain *d);
	struct hv_dev_ops *next;          /* the registry's (hv_dev.c) */
};

void hv_dev_register(struct hv_dev_ops *o);
#define HV_DEV_REGISTER(ops) \
	static __attribute__((constructor)) void hv_dev_register_##ops(void) { hv_dev_register(&(ops)); }

/* Start every registered device for d: 0, or -1 with the failing
 * device's name in err (the ones already started are stopped). */
int hv_dev_init_all(struct domain *d, char *err, size_t n);
/* Stop every registered device of d. */
void hv_dev_free_all(struct domain *d);
#endif
