// SPDX-License-Identifier: MIT
// Domain configuration loader: file or memory in, checked struct dom_config out.
#include "config_int.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_FILE (1 << 20)

static int run(struct cfg_ctx *c)
{
	int rc = -1;

	memset(c->cfg, 0, sizeof(*c->cfg));
	if (cfg_parse_xml(c) == 0 && cfg_validate(c) == 0 && cfg_read(c) == 0)
		rc = cfg_check(c);
	if (rc)
		config_free(c->cfg);
	xmlFreeDoc(c->doc);
	c->doc = NULL;
	return rc;
}

int config_load_mem(const char *buf, size_t len, const char *label,
		    const struct config_env *env, struct dom_config *cfg,
		    struct config_err *err)
{
	struct cfg_ctx c = {
		.label = label, .src = buf, .srclen = len,
		.env = env, .err = err, .cfg = cfg,
	};

	memset(err, 0, sizeof(*err));
	return run(&c);
}

static char *read_file(const char *path, size_t *len, struct config_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		cerr_add(err, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	*len = buf ? fread(buf, 1, CONFIG_MAX_FILE + 1, f) : 0;
	if (buf && ferror(f))
		cerr_add(err, path, 0, 0, "cannot read: %s", strerror(errno));
	else if (buf && *len > CONFIG_MAX_FILE)
		cerr_add(err, path, 0, 0, "file is larger than %d bytes", CONFIG_MAX_FILE);
	else if (!buf)
		cerr_add(err, path, 0, 0, "out of memory");
	fclose(f);
	if (err->count) {
		free(buf);
		return NULL;
	}
	return buf;
}

int config_load_file(const char *path, const struct config_env *env,
		     struct dom_config *cfg, struct config_err *err)
{
	char dir[PATH_MAX], *buf, *dcopy;
	size_t len;
	int rc = -1;

	memset(err, 0, sizeof(*err));
	memset(cfg, 0, sizeof(*cfg));
	buf = read_file(path, &len, err);
	if (!buf)
		return -1;
	dcopy = strdup(path);
	if (dcopy && realpath(dirname(dcopy), dir)) {
		struct cfg_ctx c = {
			.label = path, .base_dir = dir, .src = buf, .srclen = len,
			.env = env, .err = err, .cfg = cfg,
		};
		rc = run(&c);
	} else {
		cerr_add(err, path, 0, 0, "cannot resolve its directory: %s", strerror(errno));
	}
	free(dcopy);
	free(buf);
	return rc;
}
