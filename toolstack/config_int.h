// SPDX-License-Identifier: MIT
// Internal to the config loader: the parse context shared by its files.
#ifndef LAMINA_CONFIG_INT_H
#define LAMINA_CONFIG_INT_H

#include "config.h"

#include <libxml/tree.h>

// A schema and what makes its errors readable (config_validate.c).  A hint
// says what a value should look like, keyed by "parent/element" or
// "element", with an optional attribute; `re` (extended, anchored) decides
// which of an element's attributes is the bad one (the schema stays the
// authority).  An order lists an element's children as the schema wants
// them ("name, description?, disk*"); files may use any order.
struct cfg_hint {
	const char *elem, *attr;
	int required;
	const char *re, *expect;
};
struct cfg_order {
	const char *elem, *order;
};
struct cfg_schema {
	const char *what; // the root element, also for messages: "domain"
	const char *rng; // RelaxNG text
	const struct cfg_hint *hints;
	size_t nhints;
	const struct cfg_order *orders;
	size_t norders;
};

struct cfg_ctx {
	const char *label; // file name used in messages
	const char *base_dir; // for relative paths; NULL: must be absolute
	const char *src;
	size_t srclen;
	xmlDocPtr doc;
	const struct config_env *env;
	struct config_err *err;
	const struct cfg_schema *schema; // set by cfg_validate_schema
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
// RelaxNG against s, children sorted into its order first; 0 or -1 (errors added).
int cfg_validate_schema(struct cfg_ctx *c, const struct cfg_schema *s);
extern const struct cfg_schema cfg_domain_schema;
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
extern const char lamina_network_rng[]; // generated from docs/network.rng

#endif
