// SPDX-License-Identifier: MIT
// lamina-hvd back-end request checks: device names, store path scope, grant ref lists.
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int bk_check_type(const char *type)
{
	size_t n = strlen(type);

	if (n == 0 || n >= BK_TYPE_MAX || strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		return -EINVAL;
	return 0;
}

void bk_dirs(unsigned domid, const char *type, unsigned devid, char *fe, char *be)
{
	snprintf(fe, BK_PATH_MAX, "/local/domain/%u/device/%s/%u", domid, type, devid);
	snprintf(be, BK_PATH_MAX, "/local/domain/0/backend/%s/%u/%u", type, domid, devid);
}

static bool in_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

// Every component of an absolute path is non-empty and not "." or "..".
static bool clean(const char *path)
{
	if (path[0] != '/')
		return false;
	for (const char *p = path + 1;;) {
		size_t k = strcspn(p, "/");
		if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && !strncmp(p, "..", 2)))
			return false;
		if (!p[k])
			return true;
		p += k + 1;
	}
}

int bk_check_path(const char *path, const char *fe, const char *be)
{
	if (!clean(path))
		return -EINVAL;
	return in_dir(path, fe) || in_dir(path, be) ? 0 : -EACCES;
}

int bk_parse_refs(json_object *v, uint32_t *refs, unsigned *n, char *msg, size_t len)
{
	size_t k = v && json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

	if (k == 0 || k > BK_MAP_PAGES) {
		snprintf(msg, len, "'refs' must be an array of 1 to %d grant refs", BK_MAP_PAGES);
		return -EINVAL;
	}
	for (size_t i = 0; i < k; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		int64_t x = json_object_get_int64(e);
		if (!json_object_is_type(e, json_type_int) || x < 0 || x > UINT32_MAX) {
			snprintf(msg, len, "'refs'[%zu] is not a grant ref (an integer from 0 to %u)",
				 i, UINT32_MAX);
			return -EINVAL;
		}
		refs[i] = (uint32_t)x;
		for (size_t j = 0; j < i; j++)
			if (refs[j] == refs[i]) {
				snprintf(msg, len, "'refs' names ref %u twice", refs[i]);
				return -EINVAL;
			}
	}
	*n = (unsigned)k;
	return 0;
}

struct bk_map *bk_map_of_ref(struct hvd_backend *b, uint32_t ref)
{
	for (unsigned i = 0; i < BK_MAPS; i++)
		for (unsigned j = 0; b->map[i] && j < b->map[i]->n; j++)
			if (b->map[i]->ref[j] == ref)
				return b->map[i];
	return NULL;
}
