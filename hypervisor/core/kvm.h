// SPDX-License-Identifier: MIT
// kvm.h: thin wrappers over the KVM ioctls libhv uses.
#ifndef HV_KVM_H
#define HV_KVM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

int kvm_open(char *err, size_t n);
int kvm_vm_create(int kvm, char *err, size_t n);
int kvm_map(int vm, int slot, uint64_t gpa, uint64_t len, void *host);
int kvm_map_flags(int vm, int slot, uint64_t gpa, uint64_t len, void *host, uint32_t flags);
int kvm_ioeventfd(int vm, int efd, uint16_t port, uint32_t match, int deassign);
struct kvm_run *kvm_vcpu_create(int kvm, int vm, int id, int *fd);
bool kvm_tsc_deadline(int kvm);
int kvm_halt_poll(int vm, int64_t max_ns);
int kvm_set_cpuid(int kvm, int vcpu, int apic_id, const uint32_t sig[3],
		  const uint32_t leaf1[4], const uint32_t leaf2[4]);
#endif
