// SPDX-License-Identifier: MIT
// basic/main.c: discovery, null, version and console_io, with every documented error.
#include "rt.h"

const char test_title[] = "discovery, null, version, console_io";

static void discovery(void)
{
	uint32_t a, b, c, d;

	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(LAMINA_CPUID_BASE), "c"(0));
	rt_check(a >= LAMINA_CPUID_MAX, "cpuid 0x40000000 max leaf %#x", a);
	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(LAMINA_CPUID_VERSION), "c"(0));
	rt_expect(a, LAMINA_ABI_VERSION, "cpuid 0x40000001 ABI version");
	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(LAMINA_CPUID_HYPERCALL), "c"(0));
	rt_expect(a, LAMINA_HYPERCALL_PAGES, "cpuid 0x40000002 hypercall pages");
	rt_expect(b, LAMINA_MSR_HYPERCALL, "cpuid 0x40000002 hypercall MSR");
}

static void version(void)
{
	struct lamina_version_features f = { .index = 0 };

	rt_expect(HC0(LAMINA_HC_null), 0, "null");
	rt_expect(HC2(LAMINA_HC_version, LAMINA_VERSION_GET, 0), LAMINA_ABI_VERSION, "version GET");
	rt_expect(HC2(LAMINA_HC_version, LAMINA_VERSION_FEATURES, &f), 0, "version FEATURES");
	rt_check(f.bits & LAMINA_FEAT_EVENT_DOORBELL, "feature word 0 has EVENT_DOORBELL (%#x)", f.bits);
	f.index = 7;
	HC2(LAMINA_HC_version, LAMINA_VERSION_FEATURES, &f);
	rt_expect(f.bits, 0, "feature word 7 reads as 0");
	rt_expect(HC2(LAMINA_HC_version, LAMINA_VERSION_FEATURES, 0x7fff0000000ull),
		  -LAMINA_EFAULT, "version FEATURES with an unmapped pointer");
	rt_expect(HC2(LAMINA_HC_version, 99, 0), -LAMINA_ENOSYS, "version unknown sub-op");
	rt_expect(HC0(LAMINA_HC_MAX - 1), -LAMINA_ENOSYS, "unknown hypercall number");
	rt_expect(HC0(42), -LAMINA_ENOSYS, "hypercall 42");
}

static void console(void)
{
	static char big[LAMINA_CONSOLE_IO_MAX + 100];
	char in[8];

	rt_expect(HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_WRITE, 3, "ok\n"), 3, "console write");
	for (unsigned i = 0; i < sizeof(big); i++)   /* 64-character lines */
		big[i] = i % 64 == 63 ? '\n' : ' ';
	rt_expect(HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_WRITE, sizeof(big), big),
		  LAMINA_CONSOLE_IO_MAX, "console write beyond the maximum is cut to it");
	rt_expect(HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_WRITE, 4, 0x7fff0000000ull),
		  -LAMINA_EFAULT, "console write from an unmapped buffer");
	rt_expect(HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_WRITE, 4, 0xc0000000ull),
		  -LAMINA_EFAULT, "console write from beyond RAM");
	rt_expect(HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_READ, sizeof(in), in), 0,
		  "console read with no input");
	rt_expect(HC3(LAMINA_HC_console_io, LAMINA_CONSOLE_READ, 8, 0x7fff0000000ull),
		  -LAMINA_EFAULT, "console read into an unmapped buffer");
	rt_expect(HC3(LAMINA_HC_console_io, 7, 1, in), -LAMINA_ENOSYS, "console unknown sub-op");
}

void test_main(void)
{
	discovery();
	version();
	console();
}
