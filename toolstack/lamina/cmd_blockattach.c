// SPDX-License-Identifier: MIT
// lamina block-attach: attach a disk image to a running domain.
#include "lamina.h"
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// --format=FMT: 0 for raw, else 1 + its index in dom_formats; -1 if unknown.
static int format_code(const char *f)
{
	if (!strcmp(f, "raw"))
		return 0;
	for (int i = 0; i < DOM_NFORMATS; i++)
		if (!strcmp(f, dom_formats[i]))
			return i + 1;
	return -1;
}

int cmd_blockattach(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "readonly", no_argument, NULL, 'r' },
					    { "format", required_argument, NULL, 'f' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	struct lp_block rq = { 0 };
	struct lp_msg m;
	char path[PATH_MAX];
	int ch, fd, rc;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "rf:", lo)) != -1) {
		int f = ch == 'f' ? format_code(optarg) : 0;
		if (f < 0) {
			err_msg("block-attach: unknown image format '%s' (raw, qcow2, qed, vmdk, vhdx, "
				"vdi or vpc)", optarg);
			return EXIT_USAGE;
		}
		if (ch == 'r')
			rq.readonly = 1;
		else
			rq.format = (uint32_t)f;
	}
	if (want_args(self, argc, argv, 3) < 0)
		return EXIT_USAGE;
	if (!realpath(argv[optind + 1], path)) {
		err_msg("block-attach: %s: %s", argv[optind + 1], strerror(errno));
		return EXIT_FAIL;
	}
	if (strlen(argv[optind + 2]) >= sizeof(rq.target) || strlen(path) >= sizeof(rq.source)) {
		err_msg("block-attach: target or path too long");
		return EXIT_USAGE;
	}
	copy_name(rq.name, argv[optind]);
	strcpy(rq.target, argv[optind + 2]);
	strcpy(rq.source, path);
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_call(fd, LP_BLOCK_ATTACH, &rq, sizeof(rq), NULL, 0, &m);
	close(fd);
	if (rc)
		return rc;
	lp_msg_free(&m);
	printf("Attached %s to '%s' as %s%s.\n", path, rq.name, rq.target,
	       rq.readonly ? " (read-only)" : "");
	return EXIT_OK;
}
