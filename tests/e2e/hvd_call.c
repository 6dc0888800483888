// SPDX-License-Identifier: MIT
// hvd_call: one request to lamina-hvd for test scripts: prints the reply, or (--console ID) the domain's decoded console backlog.
#include "libbackend.h"

#include <hvd_proto.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char rep[HVD_MSG_MAX + 1];

int main(int argc, char **argv)
{
	struct lbk b;
	char rq[128];
	json_object *o, *v;
	static char out[HVD_MSG_MAX];
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "--console"))
		snprintf(rq, sizeof(rq), "{\"op\":\"console-backlog\",\"id\":%d}", atoi(argv[2]));
	else if (argc != 2) {
		fprintf(stderr, "usage: hvd_call JSON | hvd_call --console ID\n");
		return 2;
	}
	if (lbk_connect(&b, NULL) || lbk_raw(&b, argc == 2 ? argv[1] : rq, rep, sizeof(rep), NULL, NULL)) {
		fprintf(stderr, "hvd_call: %s\n", b.err[0] ? b.err : "no reply");
		return 1;
	}
	if (argc == 2) {
		puts(rep);
		return strstr(rep, "\"ok\":true") ? 0 : 1;
	}
	o = json_tokener_parse(rep);
	if (!o || !json_object_object_get_ex(o, "data", &v) ||
	    (n = hvd_b64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), out)) < 0) {
		fprintf(stderr, "hvd_call: %s\n", rep);
		return 1;
	}
	fwrite(out, 1, (size_t)n, stdout);
	return 0;
}
