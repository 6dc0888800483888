// SPDX-License-Identifier: MIT
// boot_linux.c: load a Linux bzImage (and initrd) and enter it by the x86 64-bit boot protocol.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/bootparam.h>
#include <lamina/memory.h>
#include "boot.h"
#include "boot_linux.h"
#include "mem.h"

/*
 * Guest-physical layout below 1 MiB while Linux starts. The page tables and
 * GDT sit where boot.c puts them for test guests; the memory map marks the
 * whole first MiB reserved (as MEMORY_MAP does), so Linux never reuses any
 * of it and copies the zero page and command line out before it needs them.
 */
#define LX_ZERO_PAGE   0x10000u   /* struct boot_params */
#define LX_CMDLINE     0x20000u   /* command line, up to LX_CMDLINE_MAX bytes */
#define LX_CMDLINE_MAX 0x10000u
#define LX_STACK       0x80000u   /* rsp at entry (the kernel sets its own) */
#define LX_SETUP_HDR   0x1f1u     /* offset of struct setup_header in the image */
#define LX_MIN_VERSION 0x020c     /* boot protocol 2.12: 64-bit entry, xloadflags */
#define LX_BOOT_CS     0x10u      /* selectors the 64-bit protocol asks for */
#define LX_BOOT_DS     0x18u
#define LX_APIC_BASE   0xfec00000ull  /* I/O APIC .. 4 GiB: reserved (hc_memory.c) */

bool boot_linux_detect(const uint8_t *img, size_t len)
{
	return len >= 0x206 && !memcmp(img + 0x202, "HdrS", 4);
}

/* Identity map of the low 4 GiB in 2 MiB pages, the APIC range uncached,
 * and a GDT whose 0x10/0x18 entries are the flat 64-bit code and data
 * segments the 64-bit boot protocol names. */
static void lx_page_tables(struct domain *d)
{
	uint64_t *pml4 = (uint64_t *)(d->ram + BOOT_PML4);
	uint64_t *pdpt = (uint64_t *)(d->ram + BOOT_PDPT);
	uint64_t *gdt = (uint64_t *)(d->ram + BOOT_GDT);

	memset(pml4, 0, HV_PAGE);
	memset(pdpt, 0, HV_PAGE);
	pml4[0] = BOOT_PDPT | 3;
	for (uint64_t g = 0; g < 4; g++) {
		uint64_t *pd = (uint64_t *)(d->ram + BOOT_PD + g * HV_PAGE);

		pdpt[g] = (BOOT_PD + g * HV_PAGE) | 3;
		for (uint64_t m = 0; m < 512; m++) {
			uint64_t pa = g << 30 | m << 21;

			pd[m] = pa | 0x83 | (pa >= 0xfe000000ull ? 0x18 : 0);
		}
	}
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9a000000ffffull;   /* LX_BOOT_CS: 64-bit code, DPL 0 */
	gdt[3] = 0x00cf92000000ffffull;   /* LX_BOOT_DS: flat data */
}

/* The e820 table: what the hypervisor's MEMORY_MAP says, with RAM limited
 * to the initial reservation (pages above it start ballooned out). */
static unsigned lx_e820(struct boot_params *bp, uint64_t mem_bytes)
{
	const struct boot_e820_entry map[] = {
		{ 0, BOOT_LOW_RESERVED, LAMINA_E820_RESERVED },
		{ BOOT_LOW_RESERVED, mem_bytes - BOOT_LOW_RESERVED, LAMINA_E820_RAM },
		{ LAMINA_PHYSMAP_HOLE_BASE, LAMINA_PHYSMAP_HOLE_SIZE, LAMINA_E820_RESERVED },
		{ LX_APIC_BASE, (1ull << 32) - LX_APIC_BASE, LAMINA_E820_RESERVED },
	};
	unsigned n = sizeof(map) / sizeof(map[0]);

	memcpy(bp->e820_table, map, sizeof(map));
	bp->e820_entries = (uint8_t)n;
	return n;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Long mode with the protocol's selectors; rsi = the zero page. */
static int lx_vcpu_regs(struct vcpu *v, uint64_t rip)
{
	static const struct boot_gdt gdt = { .cs = LX_BOOT_CS, .ds = LX_BOOT_DS, .entries = 4 };

	return boot_vcpu_enter(v, &gdt, rip, LX_STACK, LX_ZERO_PAGE);
}

/* Place the initrd as high as it may go; returns its address or 0. */
static uint64_t lx_place_initrd(const struct setup_header *h, uint64_t mem_bytes,
				uint64_t size, uint64_t kbase, uint64_t kspan)
{
	uint64_t top = mem_bytes, max = (uint64_t)h->initrd_addr_max + 1;

	if (top > max)
		top = max;
	if (size > top)
		return 0;
	uint64_t at = (top - size) & ~(HV_PAGE - 1);
	if (at < BOOT_LOW_RESERVED || overlaps(at, size, kbase, kspan))
		return 0;
	return at;
}

int boot_linux(struct domain *d, const struct hv_dom_params *p,
	       const uint8_t *img, size_t len, char *err, size_t n)
{
	struct boot_params *bp = (struct boot_params *)(d->ram + LX_ZERO_PAGE);
	const struct setup_header *fh = (const void *)(img + LX_SETUP_HDR);
	uint64_t mem = p->mem_bytes;

	if (len < 0x1000 || !boot_linux_detect(img, len)) {
		snprintf(err, n, "not a Linux bzImage");
		return -1;
	}
	if (fh->version < LX_MIN_VERSION || !(fh->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, n, "bzImage speaks boot protocol %u.%02u without a 64-bit entry; "
			 "need 2.12 or later with XLF_KERNEL_64", fh->version >> 8, fh->version & 0xff);
		return -1;
	}
	size_t setup = ((size_t)(fh->setup_sects ? fh->setup_sects : 4) + 1) * 512;
	if (setup >= len) {
		snprintf(err, n, "bzImage is shorter than its own setup code");
		return -1;
	}
	size_t kfile = len - setup;

	/* Relocatable kernels go at their preferred address; others at 1 MiB,
	 * from where the decompressor moves itself to LOAD_PHYSICAL_ADDR. */
	uint64_t kbase = fh->relocatable_kernel ? fh->pref_address : BOOT_LOAD_MIN;
	uint64_t kspan = kfile > fh->init_size ? kfile : fh->init_size;
	uint64_t run_base = fh->pref_address, run_span = fh->init_size;
	if (kbase < BOOT_LOAD_MIN || kbase + kspan > mem || run_base + run_span > mem) {
		snprintf(err, n, "kernel needs %llu MiB of RAM above %#llx; the domain has %llu MiB",
			 (unsigned long long)((kspan + (1 << 20) - 1) >> 20),
			 (unsigned long long)kbase, (unsigned long long)(mem >> 20));
		return -1;
	}

	lx_page_tables(d);
	memset(bp, 0, sizeof(*bp));
	size_t hlen = 0x202 + img[0x201] - LX_SETUP_HDR;   /* the header's own length */
	if (hlen > sizeof(bp->hdr))
		hlen = sizeof(bp->hdr);
	memcpy(&bp->hdr, fh, hlen);
	memcpy(d->ram + kbase, img + setup, kfile);

	struct setup_header *h = &bp->hdr;
	h->type_of_loader = 0xff;          /* a boot loader without an assigned id */
	h->loadflags |= LOADED_HIGH;
	h->loadflags &= (uint8_t)~(CAN_USE_HEAP | KEEP_SEGMENTS);
	h->code32_start = (uint32_t)kbase;
	h->hardware_subarch = 0;           /* X86_SUBARCH_PC: the normal path */

	const char *cl = p->cmdline ? p->cmdline : "";
	size_t clmax = h->cmdline_size ? h->cmdline_size : 255;
	if (clmax > LX_CMDLINE_MAX - 1)
		clmax = LX_CMDLINE_MAX - 1;
	if (strlen(cl) > clmax) {
		snprintf(err, n, "command line is %zu bytes; this kernel takes at most %zu",
			 strlen(cl), clmax);
		return -1;
	}
	memset(d->ram + LX_CMDLINE, 0, LX_CMDLINE_MAX);
	memcpy(d->ram + LX_CMDLINE, cl, strlen(cl));
	h->cmd_line_ptr = LX_CMDLINE;
	bp->ext_cmd_line_ptr = 0;

	if (p->initrd) {
		size_t ilen;
		uint8_t *rd = boot_read_file(p->initrd, &ilen, err, n);
		if (!rd)
			return -1;
		uint64_t at = lx_place_initrd(h, mem, ilen, kbase, kspan);
		if (at && overlaps(at, ilen, run_base, run_span))
			at = 0;
		if (!at) {
			snprintf(err, n, "initrd (%zu KiB) does not fit in RAM beside the kernel",
				 ilen >> 10);
			free(rd);
			return -1;
		}
		memcpy(d->ram + at, rd, ilen);
		free(rd);
		h->ramdisk_image = (uint32_t)at;
		h->ramdisk_size = (uint32_t)ilen;
		bp->ext_ramdisk_image = (uint32_t)(at >> 32);
		bp->ext_ramdisk_size = (uint32_t)((uint64_t)ilen >> 32);
	}
	lx_e820(bp, mem);

	d->vcpu[0].up = true;
	d->vcpu[0].ever_ran = true;
	if (lx_vcpu_regs(&d->vcpu[0], kbase + 0x200) < 0) {
		snprintf(err, n, "setting vCPU 0 registers: %s", strerror(errno));
		return -1;
	}
	return 0;
}
