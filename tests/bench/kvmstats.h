/* SPDX-License-Identifier: MIT */
/* kvmstats.h: a VMM process's KVM counters as one text line (kvmstats.c). */
#ifndef KVMSTATS_H
#define KVMSTATS_H
#include <stddef.h>

/* Writes "@KVMSTATS vms=N name=value ...\n" into buf: every one-number
 * counter of the VMs that process pid (or one of its threads) created,
 * summed over those VMs; or "@KVMSTATS unavailable: WHY\n" when KVM's
 * debugfs cannot be read. Returns snprintf's count. */
int kvm_stats_line(long pid, char *buf, size_t len);

#endif
