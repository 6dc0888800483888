// SPDX-License-Identifier: MIT
// lamina validate: check domain XML files as create would, without laminad.
#include "lamina.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

void print_notes(const struct config_err *err)
{
	if (err->notes_len)
		fprintf(stderr, "%s\n", err->notes);
}

int validate_file(const char *path, bool quiet)
{
	struct config_env env = { .meminfo_path = getenv("LAMINA_MEMINFO"), .check_files = true };
	struct config_err err;
	struct dom_config cfg;

	if (config_load_file(path, &env, &cfg, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	print_notes(&err);
	if (!quiet)
		printf("%s: valid (domain '%s')\n", path, cfg.name);
	config_free(&cfg);
	return EXIT_OK;
}

int cmd_validate(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "quiet", no_argument, NULL, 'q' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	bool quiet = false;
	int ch, rc = EXIT_OK;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "q", lo)) != -1)
		quiet |= ch == 'q';
	if (optind >= argc) {
		err_msg("validate: missing argument");
		usage(self, true);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (validate_file(argv[i], quiet) != EXIT_OK)
			rc = EXIT_FAIL;
	return rc;
}
