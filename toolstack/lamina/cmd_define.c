// SPDX-License-Identifier: MIT
// lamina define: check a domain XML file locally, then have laminad keep it under its state directory.
#include "lamina.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_define(const struct cmd *self, int argc, char **argv)
{
	struct config_env env = { .meminfo_path = getenv("LAMINA_MEMINFO"), .check_files = true };
	struct lp_create rq = { 0 };
	struct config_err err;
	struct dom_config cfg;
	struct lp_msg m;
	char *xml;
	int fd, rc = EXIT_FAIL;

	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if (config_load_file(argv[optind], &env, &cfg, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		err_msg("%s: invalid domain configuration", argv[optind]);
		return EXIT_FAIL;
	}
	print_notes(&err);
	xml = config_to_xml(&cfg);
	fd = xml ? cl_connect(true) : -1;
	if (fd >= 0 && (rc = cl_call(fd, LP_DEFINE, &rq, sizeof(rq), xml, strlen(xml), &m)) == 0) {
		printf("Defined domain '%s'; 'lamina start %s' creates it.\n", cfg.name, cfg.name);
		lp_msg_free(&m);
	}
	if (fd >= 0)
		close(fd);
	free(xml);
	config_free(&cfg);
	return rc;
}
