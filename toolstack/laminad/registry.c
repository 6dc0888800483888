// SPDX-License-Identifier: MIT
// laminad's domain registry: unique names, ids, and each domain's daemon-side state.
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void reg_init(struct registry *r)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
}

static struct domain *by_name(const struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->doms[i]->cfg.name, name))
			return r->doms[i];
	return NULL;
}

static struct domain *by_id(const struct registry *r, unsigned id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->doms[i]->id == id)
			return r->doms[i];
	return NULL;
}

// Move doms[i] to its place by id.
static void resort(struct registry *r, size_t i)
{
	struct domain *d = r->doms[i];

	while (i > 0 && r->doms[i - 1]->id > d->id) {
		r->doms[i] = r->doms[i - 1];
		r->doms[--i] = d;
	}
	while (i + 1 < r->n && r->doms[i + 1]->id < d->id) {
		r->doms[i] = r->doms[i + 1];
		r->doms[++i] = d;
	}
}

struct domain *reg_add_id(struct registry *r, const struct dom_config *cfg, unsigned id,
			  char *err, size_t errlen)
{
	struct domain *d, *old = by_name(r, cfg->name);

	if (old) {
		snprintf(err, errlen, "domain '%s' already exists (id %u)", cfg->name, old->id);
		return NULL;
	}
	if ((old = by_id(r, id))) {
		snprintf(err, errlen, "id %u is taken by domain '%s'", id, old->cfg.name);
		return NULL;
	}
	if (r->n == REG_MAX_DOMAINS) {
		snprintf(err, errlen, "too many domains (at most %d)", REG_MAX_DOMAINS);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d || config_copy(&d->cfg, cfg)) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->id = id;
	d->log_fd = d->con_log_fd = -1;
	r->doms[r->n++] = d;
	resort(r, r->n - 1);
	if (id >= r->next_id)
		r->next_id = id + 1;
	return d;
}

struct domain *reg_add(struct registry *r, const struct dom_config *cfg, char *err,
		       size_t errlen)
{
	return reg_add_id(r, cfg, r->next_id, err, errlen);
}

void reg_set_id(struct registry *r, struct domain *d, unsigned id)
{
	size_t i = 0;

	while (i < r->n && r->doms[i] != d)
		i++;
	if (i == r->n)
		return;
	d->id = id;
	resort(r, i);
	if (id >= r->next_id)
		r->next_id = id + 1;
}

struct domain *reg_find(const struct registry *r, const char *name_or_id)
{
	struct domain *d = by_name(r, name_or_id);
	char *end;
	unsigned long id;

	if (d || name_or_id[0] < '0' || name_or_id[0] > '9')
		return d;
	id = strtoul(name_or_id, &end, 10);
	for (size_t i = 0; !*end && i < r->n; i++)
		if (r->doms[i]->id == id)
			return r->doms[i];
	return NULL;
}

static size_t index_of(const struct registry *r, const struct domain *d)
{
	size_t i = 0;

	while (i < r->n && r->doms[i] != d)
		i++;
	return i;
}

void reg_renumber(struct registry *r, struct domain *d)
{
	size_t i = index_of(r, d);

	if (i == r->n)
		return;
	memmove(&r->doms[i], &r->doms[i + 1], (r->n - i - 1) * sizeof(d));
	r->doms[r->n - 1] = d;
	d->id = r->next_id++;
}

void reg_remove(struct registry *r, struct domain *d)
{
	size_t i = index_of(r, d);

	if (i == r->n)
		return;
	memmove(&r->doms[i], &r->doms[i + 1], (r->n - i - 1) * sizeof(d));
	r->n--;
	for (size_t j = 0; j < d->ndevs; j++) // back-ends not stopped run on, unwatched
		if (d->devs[j].pidfd >= 0)
			close(d->devs[j].pidfd);
	config_free(&d->cfg);
	free(d);
}
