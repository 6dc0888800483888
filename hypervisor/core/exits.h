// SPDX-License-Identifier: MIT
// exits.h: which kind (enum hv_exit_kind) an exit to user space is.
#ifndef HV_EXITS_H
#define HV_EXITS_H
#include <linux/kvm.h>

/* The kind of the exit KVM_RUN returned 0 with, from r alone. An EINTR
 * return (a signal) is HV_EXIT_INTR. vcpu.c handles each exit by this kind,
 * so what is counted is what is done. */
unsigned exit_kind(const struct kvm_run *r);
#endif
