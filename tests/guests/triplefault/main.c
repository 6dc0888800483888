// SPDX-License-Identifier: MIT
// triplefault/main.c: a guest that triple-faults on purpose; only its own domain may end.
#include "rt.h"

const char test_title[] = "a triple fault ends only the faulting domain";

void test_main(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } empty = { 0, 0 };

	rt_printf("triplefault: loading an empty IDT and raising #BP\n");
	__asm__ __volatile__("lidt %0; int3" : : "m"(empty));
	rt_printf("FAILURE: still running after a triple fault\n");
}
