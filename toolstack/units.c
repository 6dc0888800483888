// SPDX-License-Identifier: MIT
// Sizes with units: parsing "512M"/"1 GiB"-style input and printing KiB counts.
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	uint64_t bytes;
} units[] = {
	{ "b", 1 },
	{ "bytes", 1 },
	{ "KB", 1000 },
	{ "k", 1024 },
	{ "K", 1024 },
	{ "KiB", 1024 },
	{ "MB", 1000 * 1000 },
	{ "M", 1 << 20 },
	{ "m", 1 << 20 },
	{ "MiB", 1 << 20 },
	{ "GB", 1000ull * 1000 * 1000 },
	{ "G", 1ull << 30 },
	{ "g", 1ull << 30 },
	{ "GiB", 1ull << 30 },
	{ "TB", 1000ull * 1000 * 1000 * 1000 },
	{ "T", 1ull << 40 },
	{ "t", 1ull << 40 },
	{ "TiB", 1ull << 40 },
};

uint64_t unit_bytes(const char *unit)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(units[i].name, unit))
			return units[i].bytes;
	return 0;
}

int size_to_bytes(uint64_t value, const char *unit, uint64_t *bytes)
{
	uint64_t mult = unit_bytes(unit);

	if (!mult || value > UINT64_MAX / mult)
		return -1;
	*bytes = value * mult;
	return 0;
}

int parse_size(const char *text, const char *default_unit, uint64_t *bytes)
{
	char *end;
	unsigned long long v;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -1;
	while (*end == ' ')
		end++;
	return size_to_bytes(v, *end ? end : default_unit, bytes);
}

const char *fmt_kib(uint64_t kib, char *buf, size_t len)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned i = 0;
	uint64_t scale = 1;

	while (i < 4 && kib >= scale * 1024) {
		scale *= 1024;
		i++;
	}
	if (kib % scale == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)(kib / scale), names[i]);
	else
		snprintf(buf, len, "%.1f %s", (double)kib / (double)scale, names[i]);
	return buf;
}
