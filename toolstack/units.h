// SPDX-License-Identifier: MIT
// Sizes with units: parsing "512M"/"1 GiB"-style input and printing KiB counts.
#ifndef LAMINA_UNITS_H
#define LAMINA_UNITS_H

#include <stddef.h>
#include <stdint.h>

// Bytes in one `unit` (libvirt names: b, bytes, KB, k, KiB, MB, M, MiB, GB,
// G, GiB, TB, T, TiB; also K, m, g, t).  0 if the unit is unknown.
uint64_t unit_bytes(const char *unit);

// value * unit_bytes(unit) into *bytes; -1 on an unknown unit or overflow.
int size_to_bytes(uint64_t value, const char *unit, uint64_t *bytes);

// Parse "NUM[UNIT]" (e.g. "512", "512M", "2GiB"); a bare number is in
// `default_unit`.  Returns 0 and the size in bytes, or -1.
int parse_size(const char *text, const char *default_unit, uint64_t *bytes);

// Format a KiB count as "512 MiB", "1.5 GiB", "200 KiB" into buf.
const char *fmt_kib(uint64_t kib, char *buf, size_t len);

#endif
