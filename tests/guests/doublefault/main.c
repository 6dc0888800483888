// SPDX-License-Identifier: MIT
// doublefault/main.c: a fault with an unusable stack is reported through the #DF IST stack, not lost as a triple fault.
#include "rt.h"

const char test_title[] = "a double fault on a dead stack is reported";

/*
 * Points rsp at unmapped memory (the hypervisor identity-maps only the low
 * 4 GiB) and pushes: the #PF cannot be delivered on that stack, so the CPU
 * raises #DF, which the runtime takes on its own IST stack and reports as
 * "exception 8". Without the IST stack this would be a triple fault.
 */
void test_main(void)
{
	rt_printf("doublefault: pushing onto unmapped memory\n");
	__asm__ __volatile__("mov %0, %%rsp; push %%rax" : : "r"(0x140000000ull) : "memory");
	rt_printf("FAILURE: still running after pushing onto unmapped memory\n");
}
