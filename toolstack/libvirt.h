// SPDX-License-Identifier: MIT
// libvirt domain XML to Lamina domain XML: what maps is converted, what is dropped is named, what cannot be is refused.
#ifndef LAMINA_LIBVIRT_H
#define LAMINA_LIBVIRT_H

#include "config.h"

#include <stddef.h>

// Convert the libvirt domain XML in buf (label names it in messages).
// 0 with *out a malloc'd Lamina domain XML document and one note per
// dropped element or attribute in err->notes ("LABEL:LINE:COL: note:
// dropped <uuid>: why"); -1 with one error per refused element in err->msg
// and *out NULL.  The result still goes through the normal loader.
int libvirt_import(const char *buf, size_t len, const char *label, char **out,
		   struct config_err *err);

#endif
