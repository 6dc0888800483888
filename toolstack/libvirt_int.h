// SPDX-License-Identifier: MIT
// Internal to the libvirt importer: its context and the per-element converters.
#ifndef LAMINA_LIBVIRT_INT_H
#define LAMINA_LIBVIRT_INT_H

#include "config_int.h"
#include "libvirt.h"

struct lv_ctx {
	struct cfg_ctx cc; // label, source and err, for located messages
	xmlNodePtr out; // the Lamina <domain> being built
	xmlNodePtr devs; // its <devices>, once needed
	bool console; // a <console> has been written
	bool kernel; // the input's <os> has a <kernel>
};

// An element dropped, and why (a note), or refused (an error).
#define lv_drop(x, n, ...) cfg_note(&(x)->cc, (n), NULL, __VA_ARGS__)
#define lv_refuse(x, n, ...) cfg_error(&(x)->cc, (n), NULL, __VA_ARGS__)

xmlNodePtr lv_add(xmlNodePtr parent, const char *name, const char *text);
void lv_set(xmlNodePtr n, const char *attr, const char *value);
// The attribute's value (malloc'd) or NULL.
char *lv_prop(xmlNodePtr n, const char *attr);
// True if n's attribute `attr` is absent or one of the '|'-separated values.
bool lv_prop_in(xmlNodePtr n, const char *attr, const char *values);
// The attribute's value inside the tree, "" if absent (for messages).
const char *lv_attr(xmlNodePtr n, const char *attr);
xmlNodePtr lv_child(xmlNodePtr n, const char *name);

// libvirt_devices.c: each child of <devices>.
void lv_devices(struct lv_ctx *x, xmlNodePtr devs);

#endif
