// SPDX-License-Identifier: MIT
// laminad's domain registry: unique names, ids, and each domain's daemon-side state.
#ifndef LAMINAD_REGISTRY_H
#define LAMINAD_REGISTRY_H

#include "config.h"
#include "devices.h"

#include <stdbool.h>
#include <stddef.h>

#define REG_MAX_DOMAINS 1024
#define REG_MAX_TRACERS 8

struct conn;
struct hv_dom;

struct domain {
	unsigned id;
	struct dom_config cfg; // cfg.name is the domain's name
	struct hv_dom *hd; // back-end handle
	int log_fd, con_log_fd; // -1 when closed
	struct conn *console; // attached console client, if any
	struct conn *tracers[REG_MAX_TRACERS];
	size_t ntracers;
	bool preserved; // shut off or crashed and kept (on_* = preserve)
	char con_tail[4096]; // latest console output, replayed on attach
	size_t con_tail_len;
	struct dev_proc devs[DEV_MAX]; // back-end processes (devices.h), ndevs in use
	size_t ndevs;
};

struct registry {
	struct domain *doms[REG_MAX_DOMAINS]; // sorted by id
	size_t n;
	unsigned next_id;
};

void reg_init(struct registry *r);
// Add a domain (config copied) with a fresh id; NULL with a message in err
// when the name is taken or the registry is full.
struct domain *reg_add(struct registry *r, const struct dom_config *cfg, char *err,
		       size_t errlen);
// The same with a given id (a domain found running at start-up); NULL when
// the name or the id is taken.  Later fresh ids are above it.
struct domain *reg_add_id(struct registry *r, const struct dom_config *cfg, unsigned id,
			  char *err, size_t errlen);
// Give `d` the id its back-end chose (kept sorted; later fresh ids are above it).
void reg_set_id(struct registry *r, struct domain *d, unsigned id);
// By name, else by numeric id; NULL if neither matches.
struct domain *reg_find(const struct registry *r, const char *name_or_id);
// Give `d` a fresh id (a restarted domain gets a new one, as in Xen).
void reg_renumber(struct registry *r, struct domain *d);
// Remove and free `d` (its config too).
void reg_remove(struct registry *r, struct domain *d);

#endif
