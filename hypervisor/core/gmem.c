// SPDX-License-Identifier: MIT
// gmem.c: the one checked accessor for guest memory named by guest virtual addresses.
#include <string.h>
#include <sys/ioctl.h>
#include <lamina/errno.h>
#include "gmem.h"
#include "mem.h"

/* va is canonical for v's paging mode (48-bit, or 57-bit with CR4.LA57).
 * KVM_TRANSLATE ignores the upper bits, so a non-canonical address would
 * otherwise alias a mapped one. */
static bool canonical(struct vcpu *v, uint64_t va)
{
	struct kvm_sregs s;

	if ((uint64_t)((int64_t)(va << 16) >> 16) == va)
		return true;
	return (uint64_t)((int64_t)(va << 7) >> 7) == va &&
	       ioctl(v->fd, KVM_GET_SREGS, &s) == 0 && (s.cr4 & (1u << 12));
}

#define CR0_WP    (1ull << 16)
#define CR4_LA57  (1ull << 12)
#define EFER_LMA  (1ull << 10)
#define PTE_P     1ull
#define PTE_RW    2ull
#define PTE_PS    0x80ull
#define PTE_ADDR  0x000ffffffffff000ull

/* KVM_TRANSLATE reports every mapping writable, so for a write walk the
 * guest's own 4-level tables: with CR0.WP set a supervisor write needs RW at
 * every level. Other paging modes, and tables outside RAM, are not checked. */
static bool writable(struct vcpu *v, const struct kvm_sregs *s, uint64_t va)
{
	if (!(s->cr0 & CR0_WP) || !(s->efer & EFER_LMA) || (s->cr4 & CR4_LA57))
		return true;
	uint64_t table = s->cr3 & PTE_ADDR;
	for (int level = 3; level >= 0; level--) {
		const uint64_t *e = mem_gpa(v->d, table + ((va >> (12 + 9 * level)) & 511) * 8, 8);
		if (!e)
			return true;
		uint64_t pte = __atomic_load_n(e, __ATOMIC_RELAXED);
		if (!(pte & PTE_P) || !(pte & PTE_RW))
			return false;
		if (level > 0 && level < 3 && (pte & PTE_PS))
			return true;
		table = pte & PTE_ADDR;
	}
	return true;
}

/* Guest-physical address of va in v's current address space, or -1. For a
 * write, s holds v's special registers. */
static int64_t translate(struct vcpu *v, uint64_t va, const struct kvm_sregs *s)
{
	struct kvm_translation t = { .linear_address = va };

	if (!canonical(v, va))
		return -1;
	if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return -1;
	if (s && (!t.writeable || !writable(v, s, va)))
		return -1;
	return (int64_t)t.physical_address;
}

/* Walk [va, va+len) page by page; call fn on each host chunk. */
static int walk(struct vcpu *v, uint64_t va, size_t len, bool write,
		void (*fn)(void *host, void *buf, size_t n), void *buf)
{
	struct kvm_sregs s;

	if (len > GMEM_MAX || va + len < va)
		return -LAMINA_EFAULT;
	if (write && ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -LAMINA_EFAULT;
	while (len) {
		size_t chunk = HV_PAGE - (va & (HV_PAGE - 1));
		if (chunk > len)
			chunk = len;
		int64_t gpa = translate(v, va, write ? &s : NULL);
		void *host = gpa < 0 ? NULL : mem_gpa(v->d, (uint64_t)gpa, chunk);
		if (!host)
			return -LAMINA_EFAULT;
		fn(host, buf, chunk);
		va += chunk;
		buf = (char *)buf + chunk;
		len -= chunk;
	}
	return 0;
}

static void to_buf(void *host, void *buf, size_t n) { memcpy(buf, host, n); }
static void to_host(void *host, void *buf, size_t n) { memcpy(host, buf, n); }

int gmem_read(struct vcpu *v, uint64_t va, void *buf, size_t len)
{
	return len ? walk(v, va, len, false, to_buf, buf) : 0;
}

int gmem_write(struct vcpu *v, uint64_t va, const void *buf, size_t len)
{
	return len ? walk(v, va, len, true, to_host, (void *)buf) : 0;
}

/* Host pointer to a page-contained, naturally aligned object at va, or NULL. */
void *gmem_ptr(struct vcpu *v, uint64_t va, size_t len, bool write)
{
	struct kvm_sregs s;

	if (len == 0 || len > HV_PAGE || (va & (HV_PAGE - 1)) + len > HV_PAGE)
		return NULL;
	if (write && ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return NULL;
	int64_t gpa = translate(v, va, write ? &s : NULL);
	return gpa < 0 ? NULL : mem_gpa(v->d, (uint64_t)gpa, len);
}
