// SPDX-License-Identifier: MIT
// hc_basic.c: the null, version and console_io hypercalls.
#include <lamina/console.h>
#include <lamina/errno.h>
#include <lamina/version.h>
#include "console.h"
#include "gmem.h"
#include "dom.h"
#include "hcall.h"

/* Upcalls are MSIs to the in-kernel local APIC (dom.c), which is what
 * LAMINA_FEAT_GUEST_IPI needs; the TSC-deadline timer depends on KVM. */
#define FEATURES0 (LAMINA_FEAT_EVENT_DOORBELL | LAMINA_FEAT_BALLOON | LAMINA_FEAT_RUNSTATE | \
		   LAMINA_FEAT_GRANT_MAP | LAMINA_FEAT_GUEST_IPI)

int64_t hc_null(struct vcpu *v, const uint64_t a[5])
{
	(void)v;
	(void)a;
	return 0;
}

int64_t hc_version(struct vcpu *v, const uint64_t a[5])
{
	struct lamina_version_features f;

	switch (a[0]) {
	case LAMINA_VERSION_GET:
		return LAMINA_ABI_VERSION;
	case LAMINA_VERSION_FEATURES:
		if (gmem_read(v, a[1], &f, sizeof(f)))
			return -LAMINA_EFAULT;
		f.bits = f.index != 0 ? 0 : FEATURES0 |
			 (v->d->tsc_deadline ? LAMINA_FEAT_TSC_DEADLINE : 0);
		return gmem_write(v, a[1], &f, sizeof(f)) ? -LAMINA_EFAULT : 0;
	default:
		return -LAMINA_ENOSYS;
	}
}

/* Where console_io READ puts input: a guest buffer of the calling vCPU. */
struct guest_dst {
	struct vcpu *v;
	uint64_t va;
};

static int to_guest(void *ctx, const char *buf, size_t n)
{
	struct guest_dst *g = ctx;

	return gmem_write(g->v, g->va, buf, n) ? -LAMINA_EFAULT : 0;
}

/* console_io(cmd, count, buf) */
int64_t hc_console_io(struct vcpu *v, const uint64_t a[5])
{
	static _Thread_local char buf[LAMINA_CONSOLE_IO_MAX];
	uint64_t n = a[1] > LAMINA_CONSOLE_IO_MAX ? LAMINA_CONSOLE_IO_MAX : a[1];

	switch (a[0]) {
	case LAMINA_CONSOLE_WRITE:
		if (gmem_read(v, a[2], buf, n))
			return -LAMINA_EFAULT;
		console_output(v->d, buf, n);
		return (int64_t)n;
	case LAMINA_CONSOLE_READ: {
		struct guest_dst g = { v, a[2] };
		if (n && !gmem_ptr(v, a[2], 1, true))
			return -LAMINA_EFAULT;   /* even when no input waits */
		/* Consumed only once in the guest's buffer: -EFAULT takes nothing. */
		return console_input_read(v->d, n, to_guest, &g);
	}
	default:
		return -LAMINA_ENOSYS;
	}
}
