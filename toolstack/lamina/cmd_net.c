// SPDX-License-Identifier: MIT
// lamina net-define, net-undefine, net-start, net-destroy, net-dumpxml, net-autostart: virtual networks kept by laminad.
#include "lamina.h"
#include "net_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Check FILE locally (errors with its own line numbers), then have laminad keep it.
static int net_define(const char *path)
{
	struct lp_create rq = { 0 };
	struct config_err err;
	struct net_config nc;
	struct lp_msg m;
	char *xml;
	int fd, rc = EXIT_FAIL;

	if (net_config_load_file(path, &nc, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		err_msg("%s: invalid network definition", path);
		return EXIT_FAIL;
	}
	xml = net_config_to_xml(&nc);
	fd = xml ? cl_connect(true) : -1;
	if (fd >= 0 &&
	    (rc = cl_call(fd, LP_NETWORK_DEFINE, &rq, sizeof(rq), xml, strlen(xml), &m)) == 0) {
		printf("Defined network '%s' (%s); 'lamina net-start %s' starts it.\n", nc.name,
		       net_mode_name(nc.mode), nc.name);
		lp_msg_free(&m);
	}
	if (fd >= 0)
		close(fd);
	free(xml);
	return rc;
}

static int net_dumpxml(const char *name)
{
	struct lp_msg m;
	int fd, rc;

	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, LP_NETWORK_DUMPXML, name, &m);
	close(fd);
	if (rc)
		return rc;
	fputs((const char *)m.payload, stdout);
	lp_msg_free(&m);
	return EXIT_OK;
}

static int net_autostart(const struct cmd *self, int argc, char **argv)
{
	return autostart_call(self, argc, argv, LP_NETWORK_AUTOSTART, "Network");
}

static const struct {
	const char *cmd;
	uint16_t type;
	const char *done; // printf format taking the name
} simple[] = {
	{ "net-undefine", LP_NETWORK_UNDEFINE, "Undefined network '%s'.\n" },
	{ "net-start", LP_NETWORK_START, "Started network '%s'.\n" },
	{ "net-destroy", LP_NETWORK_DESTROY, "Destroyed network '%s'.\n" },
};

int cmd_net(const struct cmd *self, int argc, char **argv)
{
	struct lp_ok ok;

	if (!strcmp(self->name, "net-autostart"))
		return net_autostart(self, argc, argv);
	if (simple_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if (!strcmp(self->name, "net-define"))
		return net_define(argv[optind]);
	if (!strcmp(self->name, "net-dumpxml"))
		return net_dumpxml(argv[optind]);
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (!strcmp(self->name, simple[i].cmd)) {
			int rc = cl_simple(simple[i].type, argv[optind], &ok);
			if (rc == EXIT_OK)
				printf(simple[i].done, argv[optind]);
			return rc;
		}
	return EXIT_USAGE;
}
