// SPDX-License-Identifier: MIT
// lamina trace: a live stream of a domain's hypercalls with decoded arguments.
#include "lamina.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int stream(int fd, long count)
{
	struct lp_msg m;
	struct lp_err e;

	for (long n = 0; count <= 0 || n < count;) {
		if (lp_recv(fd, &m, &e)) {
			err_msg("trace: %s", e.msg);
			return EXIT_FAIL;
		}
		if (m.hdr.type == LP_STREAM_END) {
			fprintf(stderr, "[trace ended: %s]\n",
				(char *)m.payload + sizeof(struct lp_error));
			lp_msg_free(&m);
			return EXIT_OK;
		}
		const struct lp_trace_event *ev = (const struct lp_trace_event *)m.payload;
		if (m.hdr.type == LP_TRACE_EVENT) {
			printf("%12.6f vcpu%-3u %s = %lld\n", (double)ev->ts_ns / 1e9, ev->vcpu,
			       ev->text, (long long)ev->ret);
			n++;
		}
		lp_msg_free(&m);
	}
	return EXIT_OK;
}

int cmd_trace(const struct cmd *self, int argc, char **argv)
{
	static const struct option lo[] = { { "count", required_argument, NULL, 'n' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	struct lp_msg m;
	long count = 0;
	int ch, fd, rc;

	optind = 1;
	while ((ch = getopt_cmd(self, argc, argv, "n:", lo)) != -1)
		if ((count = atol(optarg)) <= 0) {
			err_msg("trace: invalid count '%s'", optarg);
			return EXIT_USAGE;
		}
	if (want_args(self, argc, argv, 1) < 0)
		return EXIT_USAGE;
	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, LP_TRACE, argv[optind], &m);
	if (rc == 0) {
		lp_msg_free(&m);
		setvbuf(stdout, NULL, _IOLBF, 0);
		rc = stream(fd, count);
	}
	close(fd);
	return rc;
}
