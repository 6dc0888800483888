// SPDX-License-Identifier: MIT
// boot.c: firmware-less boot: load an ELF64 test guest and put vCPUs straight into 64-bit mode.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "boot.h"
#include "mem.h"

/* Identity-map the low 4 GiB with 2 MiB pages; the local APIC page uncached. */
static void page_tables(struct domain *d)
{
	uint64_t *pml4 = (uint64_t *)(d->ram + BOOT_PML4);
	uint64_t *pdpt = (uint64_t *)(d->ram + BOOT_PDPT);

	pml4[0] = BOOT_PDPT | 3;
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t *pd = (uint64_t *)(d->ram + BOOT_PD + i * HV_PAGE);
		pdpt[i] = (BOOT_PD + i * HV_PAGE) | 3;
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t pa = (i << 30) | (j << 21);
			pd[j] = pa | 0x83 | (pa >= 0xfe000000ull ? 0x18 : 0);
		}
	}
	uint64_t *gdt = (uint64_t *)(d->ram + BOOT_GDT);
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull;  /* 0x08: 64-bit code */
	gdt[2] = 0x00cf92000000ffffull;  /* 0x10: data */
}

static int load_segments(struct domain *d, const uint8_t *img, size_t len,
			 const Elf64_Ehdr *eh, char *err, size_t n)
{
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff + (size_t)i * eh->e_phentsize);
		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset ||
		    ph->p_filesz > ph->p_memsz || ph->p_paddr < BOOT_LOAD_MIN ||
		    ph->p_memsz > d->ram_bytes || ph->p_paddr > d->ram_bytes - ph->p_memsz) {
			snprintf(err, n, "ELF segment %d (%#llx+%#llx) does not fit in guest RAM above %#x",
				 i, (unsigned long long)ph->p_paddr,
				 (unsigned long long)ph->p_memsz, BOOT_LOAD_MIN);
			return -1;
		}
		memcpy(d->ram + ph->p_paddr, img + ph->p_offset, ph->p_filesz);
		memset(d->ram + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return 0;
}

int boot_elf(struct domain *d, const uint8_t *img, size_t len, uint64_t *entry,
	     char *err, size_t n)
{
	const Elf64_Ehdr *eh = (const void *)img;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64) {
		snprintf(err, n, "not an x86-64 ELF64 image");
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
		snprintf(err, n, "ELF program headers lie outside the file");
		return -1;
	}
	page_tables(d);
	*entry = eh->e_entry;
	return load_segments(d, img, len, eh, err, n);
}

/* Long mode, paging on, flat code and data segments with g's selectors. */
static int flat_sregs(struct vcpu *v, const struct boot_gdt *g)
{
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	struct kvm_segment seg = { .base = 0, .limit = 0xffffffff, .selector = g->cs,
		.present = 1, .type = 11, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1 };
	s.cs = seg;
	seg.type = 3; seg.selector = g->ds; seg.l = 0; seg.db = 1;
	s.ds = s.es = s.fs = s.gs = s.ss = seg;
	s.gdt.base = BOOT_GDT;
	s.gdt.limit = (uint16_t)(g->entries * 8 - 1);
	s.cr3 = BOOT_PML4;
	s.cr4 = 0x20 | 0x200 | 0x400;          /* PAE, OSFXSR, OSXMMEXCPT */
	s.cr0 = 0x80000001 | 0x2 | 0x10 | 0x20; /* PG, PE, MP, ET, NE */
	s.efer = 0x500;                        /* LME, LMA */
	return ioctl(v->fd, KVM_SET_SREGS, &s);
}

int boot_vcpu_enter(struct vcpu *v, const struct boot_gdt *g, uint64_t rip, uint64_t rsp,
		    uint64_t rsi)
{
	if (flat_sregs(v, g) < 0)
		return -1;
	struct kvm_regs r = { .rip = rip, .rsp = rsp, .rsi = rsi, .rflags = 2 };
	return ioctl(v->fd, KVM_SET_REGS, &r);
}

/* The state every test guest's vCPU starts in, with page_tables()' GDT. */
int boot_vcpu_regs(struct vcpu *v, uint64_t rip, uint64_t rsp, uint64_t rsi)
{
	static const struct boot_gdt gdt = { .cs = 0x08, .ds = 0x10, .entries = 3 };

	return boot_vcpu_enter(v, &gdt, rip, rsp, rsi);
}

/* Read a whole file (kernel, initrd) into a malloc'd buffer. */
uint8_t *boot_read_file(const char *path, size_t *len, char *err, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, n, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (1 << 30)) {
		snprintf(err, n, "%s: not a regular file of sane size", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		snprintf(err, n, "%s: short read", path);
		free(buf);
		buf = NULL;
	}
	*len = (size_t)st.st_size;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}
