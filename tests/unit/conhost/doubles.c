// SPDX-License-Identifier: MIT
// doubles.c: test doubles for what conhost.c calls in the rest of libhv (event channel host ends, log, clock, hypervisor pages).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <lamina/errno.h>
#include "doubles.h"

int dbl_notified;
char dbl_log[64][256];
int dbl_nlog;
pthread_mutex_t dbl_lock = PTHREAD_MUTEX_INITIALIZER;
int dbl_efd = -1;

/* From the supervisor's thread: atomic. */
void evt_host_notify(struct domain *guest, uint32_t guest_port)
{
	(void)guest, (void)guest_port;
	__atomic_fetch_add(&dbl_notified, 1, __ATOMIC_SEQ_CST);
}

/* Guest port 5; the host end is a real eventfd (dbl_efd): the test writes it as the guest's doorbell. */
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
	pthread_mutex_lock(&dbl_lock);
	if (dbl_nlog < 64) {
		va_start(ap, fmt);
		vsnprintf(dbl_log[dbl_nlog++], sizeof(dbl_log[0]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&dbl_lock);
}

bool dbl_logged(const char *what)
{
	bool found = false;

	pthread_mutex_lock(&dbl_lock);
	for (int i = 0; i < dbl_nlog && !found; i++)
		found = strstr(dbl_log[i], what) != NULL;
	pthread_mutex_unlock(&dbl_lock);
	return found;
}

int64_t hv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* As mem.c's. */
void *hv_page_alloc_fd(const char *name, int *fd)
{
	void *p = MAP_FAILED;

	*fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd >= 0 && ftruncate(*fd, 4096) == 0 &&
	    fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* console.c's hv_console_input needs nothing else; console_stats.c is not linked. */
