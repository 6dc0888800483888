// SPDX-License-Identifier: MIT
// Config helpers: freeing and copying, MAC addresses, actions, host memory.
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_free(struct dom_config *cfg)
{
	free(cfg->description);
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	for (size_t i = 0; i < cfg->ndisks; i++)
		free(cfg->disks[i].source);
	memset(cfg, 0, sizeof(*cfg));
}

static int dup(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -1 : 0;
}

int config_copy(struct dom_config *dst, const struct dom_config *src)
{
	int rc = 0;

	*dst = *src;
	rc |= dup(&dst->description, src->description);
	rc |= dup(&dst->kernel, src->kernel);
	rc |= dup(&dst->initrd, src->initrd);
	rc |= dup(&dst->cmdline, src->cmdline);
	for (size_t i = 0; i < src->ndisks; i++)
		rc |= dup(&dst->disks[i].source, src->disks[i].source);
	if (rc)
		config_free(dst);
	return rc ? -1 : 0;
}

const char *const dom_formats[DOM_NFORMATS] = { "qcow2", "qed", "vmdk", "vhdx", "vdi", "vpc" };

const char *dom_action_name(enum dom_action a)
{
	switch (a) {
	case DOM_ACT_RESTART:
		return "restart";
	case DOM_ACT_PRESERVE:
		return "preserve";
	default:
		return "destroy";
	}
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int mac_parse(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = text + i * 3;
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0 || p[2] != (i == 5 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

int host_mem_kib(const char *meminfo_path, uint64_t *kib)
{
	FILE *f = fopen(meminfo_path, "r");
	char line[256];
	unsigned long long v;
	int rc = -1;

	if (!f)
		return -1;
	while (rc && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &v) == 1) {
			*kib = v;
			rc = 0;
		}
	fclose(f);
	return rc;
}
