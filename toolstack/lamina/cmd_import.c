// SPDX-License-Identifier: MIT
// lamina import-libvirt: convert a libvirt domain XML file into a Lamina one, naming what is dropped or refused.
#include "lamina.h"
#include "config.h"
#include "libvirt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_MAX (1 << 20)

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(IMPORT_MAX + 1);

	*len = f && buf ? fread(buf, 1, IMPORT_MAX + 1, f) : 0;
	if (!f || !buf || ferror(f) || *len > IMPORT_MAX) {
		err_msg("%s: %s", path, !f ? strerror(errno) : !buf ? "out of memory"
					 : *len > IMPORT_MAX ? "larger than 1 MiB" : "read error");
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

// The converted document must load as any domain file does (files are not
// checked: they may live on the host the file is for).
static int check(const char *xml, const char *label)
{
	struct config_env env = { .skip_host_memory = true };
	struct config_err err;
	struct dom_config cfg;

	if (config_load_mem(xml, strlen(xml), label, &env, &cfg, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	config_free(&cfg);
	return 0;
}

static int write_out(const char *path, const char *xml)
{
	FILE *f = path ? fopen(path, "w") : stdout;

	if (!f || fputs(xml, f) < 0 || (path && fclose(f))) {
		err_msg("cannot write %s: %s", path ? path : "standard output", strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_import(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "output", required_argument, NULL, 'o' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *outpath = NULL;
	struct config_err err;
	char *buf, *xml = NULL;
	size_t len;
	int ch, rc = EXIT_FAIL;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "o:", lo)) != -1)
		outpath = ch == 'o' ? optarg : outpath;
	if (want_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if (!(buf = slurp(argv[optind], &len)))
		return EXIT_FAIL;
	if (libvirt_import(buf, len, argv[optind], &xml, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		err_msg("%s: cannot be imported (each line above says why)", argv[optind]);
	} else {
		print_notes(&err);
		if (check(xml, "<converted>") == 0)
			rc = write_out(outpath, xml);
	}
	free(xml);
	free(buf);
	return rc;
}
