// SPDX-License-Identifier: MIT
// laminad's device registry: device kinds, their back-ends' executables and argument vectors.
#include "devices.h"

#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct dev_kind *const dev_kinds[] = { &dev_kind_vbd, &dev_kind_vif, NULL };

const struct dev_kind *dev_kind_find(const char *type)
{
	for (size_t i = 0; dev_kinds[i]; i++)
		if (!strcmp(dev_kinds[i]->type, type))
			return dev_kinds[i];
	return NULL;
}

int dev_index(const struct dev_kind *k, const struct dom_config *cfg, const char *key)
{
	for (size_t i = 0; i < k->count(cfg); i++)
		if (!strcmp(k->key(cfg, i), key))
			return (int)i;
	return -1;
}

void dev_argv_init(struct dev_argv *av, const char *arg0)
{
	av->argc = 0;
	av->used = 0;
	av->argv[0] = NULL;
	dev_argv_add(av, "%s", arg0);
}

int dev_argv_add(struct dev_argv *av, const char *fmt, ...)
{
	size_t room = sizeof(av->buf) - av->used;
	va_list ap;
	int n;

	if (av->argc == DEV_ARGV_MAX)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(av->buf + av->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -1;
	av->argv[av->argc++] = av->buf + av->used;
	av->argv[av->argc] = NULL;
	av->used += (size_t)n + 1;
	return 0;
}

int dev_argv_build(const struct dev_kind *k, const struct dom_config *cfg, size_t i,
		   const struct dev_ctx *ctx, struct dev_argv *av)
{
	dev_argv_init(av, k->exe);
	return k->args(cfg, i, ctx, av);
}

static bool try_exe(char *out, size_t len, const char *dir, const char *sub, const char *exe)
{
	snprintf(out, len, "%s%s/%s", dir, sub, exe);
	return access(out, X_OK) == 0;
}

void dev_find_exe(const struct dev_kind *k, char *out, size_t len)
{
	dev_find_prog(k->exe, k->build_dir, out, len);
}

void dev_find_prog(const char *exe, const char *build_dir, char *out, size_t len)
{
	const char *env = getenv("LAMINA_LIBEXEC_DIR");
	char self[PATH_MAX], sub[128];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (env && *env) {
		snprintf(out, len, "%s/%s", env, exe);
		return;
	}
	if (n > 0) {
		self[n] = 0;
		char *dir = dirname(self);
		if (try_exe(out, len, dir, "", exe))
			return;
		// Installed: PREFIX/bin/laminad, PREFIX/libexec/lamina/NAME.
		if (try_exe(out, len, dir, "/../libexec/lamina", exe))
			return;
		// The build tree: build/toolstack/laminad beside build/pvdrivers/...
		snprintf(sub, sizeof(sub), "/../%s", build_dir);
		if (try_exe(out, len, dir, sub, exe))
			return;
	}
	snprintf(out, len, "%s", exe);
}

const char *dev_state_name(enum dev_state s)
{
	static const char *const names[] = { "?", "starting", "running", "restarting", "failed",
					     "stopping" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

uint64_t dev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
