// SPDX-License-Identifier: MIT
// exits.c: exits to user space by kind: classification, names and the "name=count (rate)" text.
#include <stdio.h>
#include <string.h>
#include "exits.h"
#include "hv_ports.h"
#include "hv.h"

static const char *const names[HV_EXIT_KINDS] = {
	[HV_EXIT_HYPERCALL] = "hypercall", [HV_EXIT_DOORBELL] = "doorbell",
	[HV_EXIT_IO] = "io",               [HV_EXIT_MSR] = "msr",
	[HV_EXIT_INTR] = "intr",           [HV_EXIT_HLT] = "hlt",
	[HV_EXIT_SHUTDOWN] = "shutdown",   [HV_EXIT_MMIO] = "mmio",
	[HV_EXIT_OTHER] = "other",
};

const char *hv_exit_name(unsigned k)
{
	return k < HV_EXIT_KINDS ? names[k] : NULL;
}

/* A hypercall is a 4-byte IN from HC_PORT; a doorbell a 4-byte OUT to
 * HC_DOORBELL (the stubs hcall.c writes). Anything else is device I/O. */
static unsigned io_kind(const struct kvm_run *r)
{
	if (r->io.size != 4 || r->io.count != 1)
		return HV_EXIT_IO;
	if (r->io.port == HC_PORT && r->io.direction == KVM_EXIT_IO_IN)
		return HV_EXIT_HYPERCALL;
	if (r->io.port == HC_DOORBELL && r->io.direction == KVM_EXIT_IO_OUT)
		return HV_EXIT_DOORBELL;
	return HV_EXIT_IO;
}

unsigned exit_kind(const struct kvm_run *r)
{
	switch (r->exit_reason) {
	case KVM_EXIT_IO:        return io_kind(r);
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR: return HV_EXIT_MSR;
	case KVM_EXIT_INTR:      return HV_EXIT_INTR;
	case KVM_EXIT_HLT:       return HV_EXIT_HLT;
	case KVM_EXIT_SHUTDOWN:  return HV_EXIT_SHUTDOWN;
	case KVM_EXIT_MMIO:      return HV_EXIT_MMIO;
	default:                 return HV_EXIT_OTHER;
	}
}

/* Append "name=count" and, if run_ns, " (rate/s)"; at moves on as snprintf counts. */
static void put(char *buf, size_t n, size_t *at, const char *name, uint64_t count,
		uint64_t run_ns)
{
	int k = snprintf(*at < n ? buf + *at : NULL, *at < n ? n - *at : 0, "%s%s=%llu",
			 *at ? " " : "", name, (unsigned long long)count);
	if (k > 0)
		*at += (size_t)k;
	if (!run_ns)
		return;
	k = snprintf(*at < n ? buf + *at : NULL, *at < n ? n - *at : 0, " (%.1f/s)",
		     (double)count * 1e9 / (double)run_ns);
	if (k > 0)
		*at += (size_t)k;
}

int hv_exits_format(char *buf, size_t n, const uint64_t exits[HV_EXIT_KINDS], uint64_t run_ns)
{
	uint64_t total = 0;
	size_t at = 0;

	if (n)
		buf[0] = 0;
	for (unsigned k = 0; k < HV_EXIT_KINDS; k++)
		total += exits[k];
	put(buf, n, &at, "total", total, run_ns);
	for (unsigned k = 0; k < HV_EXIT_KINDS; k++)
		put(buf, n, &at, names[k], exits[k], run_ns);
	return (int)at;
}
