// SPDX-License-Identifier: MIT
// laminad request handlers for defined domains: define, start, undefine, autostart, and autostart at start-up.
#include "laminad.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTOSTART_DONE "autostart.done"

// The request's name as a defined domain's, or answer why not (NULL).
static const char *defined_name(struct daemon *dm, struct conn *c, const char *name)
{
	if (!persist_name_ok(name)) {
		conn_error(c, EINVAL, "'%s' is not a domain name", name);
		return NULL;
	}
	if (!persist_defined(dm, name)) {
		conn_error(c, ENOENT, "no defined domain named '%s' (lamina define FILE first)",
			   name);
		return NULL;
	}
	return name;
}

void op_define(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const struct lp_create *rq = p;
	struct config_env env = dm->env;
	struct config_err cerr;
	struct dom_config cfg;
	char err[512];

	env.skip_host_memory = false;
	if (config_load_mem((const char *)(rq + 1), len - sizeof(*rq), "<request>", &env, &cfg,
			    &cerr)) {
		conn_error(c, EINVAL, "%s", cerr.msg);
		return;
	}
	if (persist_save(dm, &cfg, err, sizeof(err)))
		conn_error(c, EIO, "%s", err);
	else
		conn_ok(c, 0);
	config_free(&cfg);
}

// Create a defined domain from its file; NULL with the reason in err.
static struct domain *start_defined(struct daemon *dm, const char *name, char *err,
				    size_t errlen)
{
	struct dom_config cfg;
	struct domain *d;

	if (reg_find(&dm->reg, name) && !strcmp(reg_find(&dm->reg, name)->cfg.name, name)) {
		snprintf(err, errlen, "domain '%s' is already running", name);
		errno = EEXIST;
		return NULL;
	}
	errno = EINVAL;
	if (persist_load(dm, name, true, &cfg, err, errlen))
		return NULL;
	d = dom_create(dm, &cfg, false, err, errlen);
	config_free(&cfg);
	return d;
}

void op_start(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const struct lp_name *rq = p;
	struct domain *d;
	char err[1024];

	(void)len;
	if (!defined_name(dm, c, rq->name))
		return;
	d = start_defined(dm, rq->name, err, sizeof(err));
	if (d)
		conn_ok(c, d->id);
	else
		conn_error(c, errno, "%s", err);
}

void op_undefine(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const struct lp_name *rq = p;

	(void)len;
	if (!defined_name(dm, c, rq->name))
		return;
	if (persist_remove(dm, rq->name))
		conn_error(c, errno, "cannot remove '%s' from %s: %s", rq->name, dm->statedir,
			   strerror(errno));
	else
		conn_ok(c, 0);
}

void op_autostart(struct daemon *dm, struct conn *c, const void *p, uint32_t len)
{
	const struct lp_autostart *rq = p;

	(void)len;
	if (!defined_name(dm, c, rq->name))
		return;
	if (persist_set_autostart(dm, rq->name, rq->enable))
		conn_error(c, errno, "cannot change autostart of '%s': %s", rq->name,
			   strerror(errno));
	else
		conn_ok(c, 0);
}

static void autostart_one(struct daemon *dm, const char *name, void *arg)
{
	char err[1024];

	(void)arg;
	if (reg_find(&dm->reg, name) && !strcmp(reg_find(&dm->reg, name)->cfg.name, name))
		return; // running already (re-attached)
	if (!persist_defined(dm, name))
		fprintf(stderr, "laminad: autostart mark for '%s', which is not defined\n", name);
	else if (start_defined(dm, name, err, sizeof(err)))
		fprintf(stderr, "laminad: autostarted '%s'\n", name);
	else
		fprintf(stderr, "laminad: cannot autostart '%s': %s\n", name, err);
}

// Once per run directory's life (a boot, with /run on tmpfs): a laminad that
// merely restarts does not start again what a user shut down.
void persist_autostart_all(struct daemon *dm)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dm->rd.dir, AUTOSTART_DONE);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(fd);
	persist_each(dm, "autostart", autostart_one, NULL);
}

struct list_ctx {
	struct lp_dom_stats *st;
	size_t n, cap;
};

static void list_one(struct daemon *dm, const char *name, void *arg)
{
	struct list_ctx *l = arg;
	struct dom_config cfg;
	char err[1024];

	if (l->n == l->cap || persist_load(dm, name, false, &cfg, err, sizeof(err)))
		return;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->st[i].name, name)) {
			config_free(&cfg);
			return; // running: listed already
		}
	l->st[l->n] = (struct lp_dom_stats){
		.state = LP_STATE_SHUTOFF, .vcpus = cfg.vcpus_current, .max_vcpus = cfg.vcpus,
		.mem_kib = cfg.memory_kib, .maxmem_kib = cfg.maxmem_kib,
		.flags = LP_DOM_PERSISTENT | (persist_autostart(dm, name) ? LP_DOM_AUTOSTART : 0),
	};
	snprintf(l->st[l->n++].name, LP_NAME_MAX, "%s", name);
	config_free(&cfg);
}

size_t persist_list(struct daemon *dm, struct lp_dom_stats *st, size_t n, size_t cap)
{
	struct list_ctx l = { st, n, cap };

	for (size_t i = 0; i < n; i++)
		if (persist_defined(dm, st[i].name))
			st[i].flags |= LP_DOM_PERSISTENT |
				       (persist_autostart(dm, st[i].name) ? LP_DOM_AUTOSTART : 0);
	persist_each(dm, "domains", list_one, &l);
	return l.n;
}
