// SPDX-License-Identifier: MIT
// gmem.h: checked access to guest memory by guest virtual address (all hypercall pointers go here).
#ifndef HV_GMEM_H
#define HV_GMEM_H
#include "dom.h"

#define GMEM_MAX (1u << 20)   /* largest single copy a hypercall may ask for */

/* Each returns 0, or -LAMINA_EFAULT if any byte is unmapped, read-only for
 * a write, outside populated RAM, or the range is absurd. Nothing is copied
 * past the first bad page (a partial write can have happened before it). */
int gmem_read(struct vcpu *v, uint64_t va, void *buf, size_t len);
int gmem_write(struct vcpu *v, uint64_t va, const void *buf, size_t len);
void *gmem_ptr(struct vcpu *v, uint64_t va, size_t len, bool write);
#endif
