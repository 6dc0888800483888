// SPDX-License-Identifier: MIT
// kvm.c: create the KVM objects behind a domain: the VM, its in-kernel irqchip, vCPUs and memory slots.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kvm.h"

int kvm_open(char *err, size_t n)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, n, "cannot open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(err, n, "/dev/kvm speaks an unknown KVM API version");
		close(fd);
		return -1;
	}
	static const int need[] = { KVM_CAP_IRQCHIP, KVM_CAP_IOEVENTFD, KVM_CAP_IRQFD,
		KVM_CAP_SYNC_REGS, KVM_CAP_X86_USER_SPACE_MSR, KVM_CAP_IRQ_ROUTING };
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, need[i]) <= 0) {
			snprintf(err, n, "/dev/kvm lacks capability %d", need[i]);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* A VM with the in-kernel LAPIC/IOAPIC and unknown-MSR exits to user space. */
int kvm_vm_create(int kvm, char *err, size_t n)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0) {
		snprintf(err, n, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	struct kvm_enable_cap msr = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
				      .args[0] = KVM_MSR_EXIT_REASON_UNKNOWN };
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000) < 0 ||
	    ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm, KVM_ENABLE_CAP, &msr) < 0) {
		snprintf(err, n, "setting up the VM: %s", strerror(errno));
		close(vm);
		return -1;
	}
	return vm;
}

int kvm_map(int vm, int slot, uint64_t gpa, uint64_t len, void *host)
{
	return kvm_map_flags(vm, slot, gpa, len, host, 0);
}

/* Set (len > 0) or delete (len 0) memory slot `slot`; flags: KVM_MEM_*. */
int kvm_map_flags(int vm, int slot, uint64_t gpa, uint64_t len, void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = len, .userspace_addr = (uint64_t)(uintptr_t)host,
	};
	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

int kvm_ioeventfd(int vm, int efd, uint16_t port, uint32_t match, int deassign)
{
	struct kvm_ioeventfd io = {
		.datamatch = match, .addr = port, .len = 4, .fd = efd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
			 (deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
	};
	return ioctl(vm, KVM_IOEVENTFD, &io);
}

struct kvm_run *kvm_vcpu_create(int kvm, int vm, int id, int *fd)
{
	int mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	*fd = ioctl(vm, KVM_CREATE_VCPU, id);
	if (*fd < 0 || mmap_size <= 0)
		return NULL;
	void *run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, *fd, 0);
	return run == MAP_FAILED ? NULL : run;
}

/* Does KVM run the local APIC's TSC-deadline timer (LAMINA_FEAT_TSC_DEADLINE)? */
bool kvm_tsc_deadline(int kvm)
{
	return ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
}

/* KVM's halt polling for hlt, at most max_ns per halt (KVM_CAP_HALT_POLL);
 * without the capability KVM's own default (module parameter) applies. */
int kvm_halt_poll(int vm, int64_t max_ns)
{
	struct kvm_enable_cap c = { .cap = KVM_CAP_HALT_POLL, .args[0] = (uint64_t)max_ns };

	if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
		return 0;
	return ioctl(vm, KVM_ENABLE_CAP, &c);
}

/* Supported CPUID with KVM's own paravirt leaves replaced by Lamina's, and
 * the TSC-deadline timer KVM emulates but does not list as supported. */
int kvm_set_cpuid(int kvm, int vcpu, int apic_id, const uint32_t sig[3],
		  const uint32_t leaf1[4], const uint32_t leaf2[4])
{
	static struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[128]; } cp;
	struct kvm_cpuid_entry2 *out = cp.e;
	int n = 0;

	bool tsc_deadline = kvm_tsc_deadline(kvm);

	cp.c.nent = 128;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cp) < 0)
		return -1;
	for (unsigned i = 0; i < cp.c.nent; i++) {
		struct kvm_cpuid_entry2 e = cp.e[i];
		if (e.function >= 0x40000000 && e.function < 0x40010000)
			continue;
		if (e.function == 1) {
			e.ebx = (e.ebx & 0x00ffffff) | ((uint32_t)apic_id << 24);
			e.ecx |= 1u << 31;   /* "hypervisor present" (cpuid.h, step 1) */
			if (tsc_deadline)
				e.ecx |= 1u << 24;
		}
		if (e.function == 0xb || e.function == 0x1f)
			e.edx = (uint32_t)apic_id;
		out[n++] = e;
	}
	struct kvm_cpuid_entry2 lam[3] = {
		{ .function = 0x40000000, .eax = 0x40000002,
		  .ebx = sig[0], .ecx = sig[1], .edx = sig[2] },
		{ .function = 0x40000001, .eax = leaf1[0], .ebx = leaf1[1],
		  .ecx = leaf1[2], .edx = leaf1[3] },
		{ .function = 0x40000002, .eax = leaf2[0], .ebx = leaf2[1],
		  .ecx = leaf2[2], .edx = leaf2[3] },
	};
	for (int i = 0; i < 3 && n < 128; i++)
		out[n++] = lam[i];
	cp.c.nent = (uint32_t)n;
	return ioctl(vcpu, KVM_SET_CPUID2, &cp);
}
