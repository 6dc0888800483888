/* SPDX-License-Identifier: MIT */
/* Lamina ABI: fixed-width types and compile-time layout checks shared by every ABI header. */
#ifndef LAMINA_TYPES_H
#define LAMINA_TYPES_H

/**
 * ## Types used by the ABI
 *
 * Every ABI structure is built from the fixed-width types below, never from
 * `int`, `long` or pointers, so that a structure has the same layout in the
 * hypervisor (hosted C11), in a freestanding test guest and in the Linux
 * kernel. Inside the kernel (`__KERNEL__` defined) they map to `__u32` and
 * friends; everywhere else to `<stdint.h>`, which a freestanding compiler
 * also provides.
 *
 * Conventions for every shared structure:
 * - little-endian x86-64; natural alignment; padding is explicit, named
 *   `pad*`, and must be written as zero and ignored when read;
 * - a "gfn" is a guest frame number (guest-physical address >> 12);
 * - a field documented as a pointer argument holds a guest *virtual*
 *   address (see the calling convention), stored in a `lamina_u64`.
 */
#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
typedef __u8  lamina_u8;
typedef __u16 lamina_u16;
typedef __u32 lamina_u32;
typedef __u64 lamina_u64;
typedef __s8  lamina_s8;
typedef __s16 lamina_s16;
typedef __s32 lamina_s32;
typedef __s64 lamina_s64;
#else
#include <stdint.h>
#include <stddef.h>
typedef uint8_t  lamina_u8;
typedef uint16_t lamina_u16;
typedef uint32_t lamina_u32;
typedef uint64_t lamina_u64;
typedef int8_t   lamina_s8;
typedef int16_t  lamina_s16;
typedef int32_t  lamina_s32;
typedef int64_t  lamina_s64;
#endif

/**
 * A domain id (16 bits). Domain 0 is the host side: the store, the
 * console and the device back-ends run there (in the hypervisor process or
 * in processes it starts), and it is the only domain that may act on other
 * domains. Guests get ids 1 .. `LAMINA_DOMID_MAX`. `LAMINA_DOMID_SELF`
 * names the calling domain wherever a call takes a domid.
 */
typedef lamina_u16 lamina_domid_t;
#define LAMINA_DOMID_HOST 0u
#define LAMINA_DOMID_MAX  0x7fefu
#define LAMINA_DOMID_SELF 0x7ff0u
/** An event channel port number, local to one domain. Port 0 is never valid. */
typedef lamina_u32 lamina_port_t;
/** A grant reference: an index into the granting domain's grant table. */
typedef lamina_u32 lamina_grant_ref_t;

/**
 * `LAMINA_STATIC_ASSERT(tag, cond)` fails the build if cond is false; every
 * shared structure's size and key offsets are checked with it, so a layout
 * change cannot slip in unnoticed. `tag` must be unique across the ABI
 * headers (it names a typedef in C99, which has no `_Static_assert`).
 */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define LAMINA_STATIC_ASSERT(tag, cond) static_assert(cond, #tag)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define LAMINA_STATIC_ASSERT(tag, cond) _Static_assert(cond, #tag)
#else
#define LAMINA_STATIC_ASSERT(tag, cond) \
	typedef char lamina_static_assert_##tag[(cond) ? 1 : -1]
#endif

/** Check a structure's size, or a member's offset, at build time. */
#define LAMINA_CHECK_SIZE(tag, type, size) \
	LAMINA_STATIC_ASSERT(size_##tag, sizeof(type) == (size))
#define LAMINA_CHECK_OFFSET(tag, type, member, off) \
	LAMINA_STATIC_ASSERT(off_##tag, offsetof(type, member) == (off))

LAMINA_CHECK_SIZE(u64, lamina_u64, 8);
LAMINA_CHECK_SIZE(domid, lamina_domid_t, 2);

/** Size of a page, the unit of grants, ballooning and shared rings. */
#define LAMINA_PAGE_SHIFT 12
#define LAMINA_PAGE_SIZE  4096u

#endif /* LAMINA_TYPES_H */
