// SPDX-License-Identifier: MIT
// lamina validate: check domain and network XML files as create and net-define would, without laminad.
#include "lamina.h"
#include "config.h"
#include "net_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void print_notes(const struct config_err *err)
{
	if (err->notes_len)
		fprintf(stderr, "%s\n", err->notes);
}

// Whether the file's root element is <network> (after the XML declaration,
// comments and white space); a domain file or anything unreadable is not.
static bool is_network_file(const char *path)
{
	char buf[8192], *p = buf;
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (!strncmp(p, "<?", 2) && strstr(p, "?>"))
			p = strstr(p, "?>") + 2;
		else if (!strncmp(p, "<!--", 4) && strstr(p, "-->"))
			p = strstr(p, "-->") + 3;
		else
			break;
	}
	return !strncmp(p, "<network", 8) && strchr(" \t\r\n>/", p[8]);
}

static int validate_network(const char *path, bool quiet)
{
	struct config_err err;
	struct net_config nc;

	if (net_config_load_file(path, &nc, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	if (!quiet)
		printf("%s: valid (network '%s', %s)\n", path, nc.name, net_mode_name(nc.mode));
	return EXIT_OK;
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
		if ((is_network_file(argv[i]) ? validate_network(argv[i], quiet)
					      : validate_file(argv[i], quiet)) != EXIT_OK)
			rc = EXIT_FAIL;
	return rc;
}
