// SPDX-License-Identifier: MIT
// keepalive.c: testbed helper: hold one idle vCPU whose local APIC stays disabled, for ever.
//
// Why: KVM flips the jump labels apic_sw_disabled/apic_hw_disabled whenever
// the number of vCPUs with a disabled APIC goes from 0 to 1 or back, which
// happens each time a test domain starts or ends. Live kernel-text patching
// on one CPU while another runs the patched code is racy under QEMU's
// multi-threaded TCG and oopsed the testbed kernel ("Oops: int3" in
// kvm_arch_vcpu_ioctl_run). With this vCPU alive both counts stay above 0,
// so the labels are patched once at boot and never again. Real hardware
// never runs this: the native path has no testbed.
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define MSR_IA32_APICBASE 0x1b

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {
		.h.nmsrs = 1, .e = { .index = MSR_IA32_APICBASE, .data = 0xfee00000 } };

	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("kvm-keepalive: VM");
		return 1;
	}
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);           /* APIC software-disabled */
	if (vcpu < 0 || ioctl(vcpu, KVM_SET_MSRS, &m) != 1) /* and hardware-disabled */
		perror("kvm-keepalive: vCPU");
	for (;;)
		pause();
}
