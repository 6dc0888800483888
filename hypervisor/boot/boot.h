// SPDX-License-Identifier: MIT
// boot.h: the low-memory layout the hypervisor sets up before the first instruction.
#ifndef HV_BOOT_H
#define HV_BOOT_H
#include "dom.h"

#define BOOT_PML4      0x1000u
#define BOOT_PDPT      0x2000u
#define BOOT_PD        0x3000u   /* four page directories: 0x3000-0x6fff */
#define BOOT_GDT       0x7000u

#define BOOT_CMDLINE   0x9000u   /* command line, NUL-terminated, one page; rsi at entry */
#define BOOT_STACK     0x80000u  /* initial rsp of vCPU 0 */
#define BOOT_LOAD_MIN  0x100000u /* ELF segments load at or above 1 MiB */
#define BOOT_LOW_RESERVED 0x100000ull /* memory map: below 1 MiB is not RAM */

int boot_elf(struct domain *d, const uint8_t *img, size_t len, uint64_t *entry,
	     char *err, size_t n);
/* Where the flat 64-bit code and data descriptors sit in the GDT at BOOT_GDT. */
struct boot_gdt {
	uint16_t cs, ds;     /* their selectors */
	uint16_t entries;    /* descriptors in the GDT, the null one included */
};
/* Put v in long mode with paging on (BOOT_PML4), flat segments from g, and
 * rip, rsp, rsi as given. */
int boot_vcpu_enter(struct vcpu *v, const struct boot_gdt *g, uint64_t rip, uint64_t rsp,
		    uint64_t rsi);
/* boot_vcpu_enter with the GDT boot_elf() writes. */
int boot_vcpu_regs(struct vcpu *v, uint64_t rip, uint64_t rsp, uint64_t rsi);
uint8_t *boot_read_file(const char *path, size_t *len, char *err, size_t n);
#endif
