// SPDX-License-Identifier: MIT
// Internal to the config loader: the parse context shared by its files.
#ifndef LAMINA_CONFIG_INT_H
#define LAMINA_CONFIG_INT_H

#include "config.h"

#include <libxml/tree.h>

struct cfg_ctx {
	const char *label; // file name used in messages
	const char *base_dir; // for relative paths; NULL: must be absolute
	const char *src;
	size_t srclen;
	xmlDocPtr doc;
	const struct config_env *env;
	struct config_err *err;
	struct dom_config *cfg;
	// Where things were written, for semantic errors.
	// memory_node gives cfg->memory_kib (the boot size), maxmem_node
	// cfg->maxmem_kib; mem_elem, curmem_elem, oldmax_elem are the elements
	// as written (<memory>, <currentMemory>, the deprecated <maxMemory>).
	xmlNodePtr name_node, memory_node, maxmem_node, vcpu_node;
	xmlNodePtr mem_elem, curmem_elem, oldmax_elem;
	uint64_t mem_elem_kib, curmem_kib, oldmax_kib;
	xmlNodePtr kernel_node, initrd_node;
	xmlNodePtr disk_nodes[DOM_MAX_DISKS], nic_nodes[DOM_MAX_NICS];
};

void cerr_add(struct config_err *err, const char *label, long line, long col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
// An error located at `node` (its start tag; `attr` moves the column to
// that attribute when given).
void cfg_error(struct cfg_ctx *c, xmlNodePtr node, const char *attr,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
// A note (not an error) located at `node`.
void cfg_note(struct cfg_ctx *c, xmlNodePtr node, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
long cfg_node_col(const struct cfg_ctx *c, xmlNodePtr node, const char *attr);

int cfg_parse_xml(struct cfg_ctx *c); // well-formedness; sets c->doc
int cfg_validate(struct cfg_ctx *c); // RelaxNG against docs/domain.rng
int cfg_read(struct cfg_ctx *c); // tree to struct dom_config
// Small tree helpers (config_read.c).
int cfg_is(xmlNodePtr n, const char *name);
char *cfg_text(xmlNodePtr n);
char *cfg_prop(xmlNodePtr n, const char *name);
// Make `value` (consumed) absolute against base_dir into *out.
int cfg_abs_path(struct cfg_ctx *c, xmlNodePtr n, const char *attr, char *value,
		 char **out);
int cfg_read_devices(struct cfg_ctx *c, xmlNodePtr devs);
int cfg_check(struct cfg_ctx *c); // semantic checks

extern const char lamina_domain_rng[]; // generated from docs/domain.rng

#endif
