// SPDX-License-Identifier: MIT
// boot_linux.h: boot a Linux bzImage through the x86 64-bit boot protocol.
#ifndef HV_BOOT_LINUX_H
#define HV_BOOT_LINUX_H
#include <stdbool.h>
#include "dom.h"

/* True if img carries a Linux setup header ("HdrS" at offset 0x202). */
bool boot_linux_detect(const uint8_t *img, size_t len);

/* Load the bzImage img (and p->initrd, p->cmdline) into d and point vCPU 0
 * at its 64-bit entry. 0 on success; -1 with a message in err. */
int boot_linux(struct domain *d, const struct hv_dom_params *p,
	       const uint8_t *img, size_t len, char *err, size_t n);
#endif
