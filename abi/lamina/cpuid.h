/* SPDX-License-Identifier: MIT */
/* Lamina ABI: how a guest discovers Lamina (CPUID leaves) and installs the hypercall page (MSR). */
#ifndef LAMINA_CPUID_H
#define LAMINA_CPUID_H

#include "types.h"

/**
 * A guest finds out that it runs on Lamina with CPUID, then asks the
 * hypervisor to write the hypercall page into a page of its own RAM.
 *
 * 1. Check CPUID.1:ECX bit 31 ("hypervisor present"); if clear, stop.
 * 2. CPUID leaf `LAMINA_CPUID_BASE` (0x40000000): ebx, ecx, edx hold the
 *    twelve bytes "LaminaLamina"; eax holds the highest Lamina leaf
 *    (at least `LAMINA_CPUID_HYPERCALL`). Any other signature: not Lamina.
 *    Lamina always uses base 0x40000000; guests need not scan other bases.
 * 3. Leaf `LAMINA_CPUID_VERSION` (0x40000001): eax = `LAMINA_ABI_VERSION`
 *    of the hypervisor (see version.h for the compatibility rule).
 *    ebx, ecx, edx are reserved and read as 0.
 * 4. Leaf `LAMINA_CPUID_HYPERCALL` (0x40000002): eax = number of hypercall
 *    pages (1 in this version), ebx = index of the MSR that installs them
 *    (`LAMINA_MSR_HYPERCALL`). ecx, edx read as 0.
 * 5. `wrmsr(ebx, gpa | i)`, for each page i < eax: gpa is the page-aligned
 *    guest-physical address of a RAM page the guest owns, i the page index
 *    in bits 11:0. The hypervisor overwrites that page with the stubs before
 *    `wrmsr` completes; the guest maps it executable. Writing again moves
 *    the page (the old copy is left as it is). `rdmsr` returns the last
 *    value written, or 0. A value that is not a RAM page, or an index >= eax,
 *    raises #GP.
 */
#define LAMINA_CPUID_BASE      0x40000000u
#define LAMINA_CPUID_VERSION   0x40000001u
#define LAMINA_CPUID_HYPERCALL 0x40000002u
#define LAMINA_CPUID_MAX       LAMINA_CPUID_HYPERCALL

/** The signature "LaminaLamina" as the three registers hold it (little-endian). */
#define LAMINA_CPUID_SIG_EBX 0x696d614cu /* "Lami" */
#define LAMINA_CPUID_SIG_ECX 0x614c616eu /* "naLa" */
#define LAMINA_CPUID_SIG_EDX 0x616e696du /* "mina" */

/** MSR taking the guest-physical address of the hypercall page. */
#define LAMINA_MSR_HYPERCALL 0x4c4d0000u

/** Number of hypercall pages in this ABI version. */
#define LAMINA_HYPERCALL_PAGES 1u

#endif /* LAMINA_CPUID_H */
