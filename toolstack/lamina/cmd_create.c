// SPDX-License-Identifier: MIT
// lamina create: check a domain XML file locally, then have laminad create the domain.
#include "lamina.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int console_attach(const char *name); // cmd_console.c

static int load(const char *path, struct dom_config *cfg)
{
	struct config_env env = { .meminfo_path = getenv("LAMINA_MEMINFO"), .check_files = true };
	struct config_err err;

	if (config_load_file(path, &env, cfg, &err) == 0) {
		print_notes(&err);
		return 0;
	}
	fprintf(stderr, "%s\n", err.msg);
	err_msg("%s: invalid domain configuration", path);
	return -1;
}

static int send_create(const struct dom_config *cfg, bool paused)
{
	struct lp_create rq = { .flags = paused ? LP_CREATE_PAUSED : 0 };
	char *xml = config_to_xml(cfg);
	struct lp_msg m;
	int fd = xml ? cl_connect(true) : -1, rc = EXIT_FAIL;

	if (fd >= 0 && (rc = cl_call(fd, LP_CREATE, &rq, sizeof(rq), xml, strlen(xml), &m)) == 0) {
		printf("Created domain '%s' (id %u)%s.\n", cfg->name, ((struct lp_ok *)m.payload)->id,
		       paused ? ", paused" : "");
		lp_msg_free(&m);
	}
	if (fd >= 0)
		close(fd);
	free(xml);
	return rc;
}

int cmd_create(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "console", no_argument, NULL, 'c' },
					    { "paused", no_argument, NULL, 'p' },
					    { "dry-run", no_argument, NULL, 'n' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	bool console = false, paused = false, dry = false;
	struct dom_config cfg;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "cpn", lo)) != -1)
		console |= ch == 'c', paused |= ch == 'p', dry |= ch == 'n';
	if (want_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if (dry)
		return validate_file(argv[optind], false);
	if (load(argv[optind], &cfg))
		return EXIT_FAIL;
	rc = send_create(&cfg, paused);
	if (rc == 0 && console) {
		fflush(stdout);
		rc = console_attach(cfg.name);
	}
	config_free(&cfg);
	return rc;
}
