// SPDX-License-Identifier: MIT
// doubles.c: test doubles for the hypervisor functions the store's service calls (event channel host ends, log).
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <lamina/errno.h>
#include "doubles.h"

int dbl_notified;
uint32_t dbl_notified_port;
int dbl_logged;
char dbl_log[512];
int dbl_efd = -1;

void dbl_reset(void)
{
	dbl_notified = dbl_logged = 0;
	dbl_notified_port = 0;
	dbl_log[0] = 0;
	dbl_on_notify = NULL;
}

void (*dbl_on_notify)(struct domain *guest);

/* Called from the store's thread too: atomics. */
void evt_host_notify(struct domain *guest, uint32_t guest_port)
{
	(void)guest;
	__atomic_store_n(&dbl_notified_port, guest_port, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&dbl_notified, 1, __ATOMIC_SEQ_CST);
	if (dbl_on_notify)
		dbl_on_notify(guest);
}

/* Guest port 5, and a real eventfd (kept in dbl_efd) for the host end. */
int evt_host_alloc(struct domain *guest, uint32_t *guest_port, int *efd)
{
	(void)guest;
	*efd = dbl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	*guest_port = 5;
	return *efd < 0 ? -LAMINA_ENOMEM : 0;
}

void evt_host_close(struct hv *hv, int efd)
{
	(void)hv;
	if (efd >= 0)
		close(efd);
	if (efd == dbl_efd)
		dbl_efd = -1;
}

void dom_log(struct domain *d, const char *fmt, ...)
{
	va_list ap;

	(void)d;
	va_start(ap, fmt);
	vsnprintf(dbl_log, sizeof(dbl_log), fmt, ap);
	va_end(ap);
	dbl_logged++;
}
