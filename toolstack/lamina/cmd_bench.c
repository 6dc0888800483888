// SPDX-License-Identifier: MIT
// lamina bench: run the benchmark suite (tools/bench in a Lamina source tree) with make bench's options.
#include "lamina.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The suite lives in the source tree (it builds guests and payloads from
 * it), not in an installation: $LAMINA_SRC/tools/bench, or the tree this
 * binary was built in (O/toolstack/lamina, O being the tree's build/).
 * Fills path; 0, or -1 with the places tried in why. */
static int find_bench(char *path, size_t len, char *why, size_t wlen)
{
	const char *src = getenv("LAMINA_SRC");
	char exe[PATH_MAX];
	ssize_t n;

	if (src && *src) {
		snprintf(path, len, "%s/tools/bench", src);
		if (!access(path, X_OK))
			return 0;
		snprintf(why, wlen, "LAMINA_SRC=%s has no executable tools/bench", src);
		return -1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(why, wlen, "cannot read /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	exe[n] = 0;
	snprintf(path, len, "%s/../../tools/bench", dirname(exe));
	if (!access(path, X_OK))
		return 0;
	snprintf(why, wlen, "%s is not in a Lamina source tree's build directory "
		 "(no %s); set LAMINA_SRC to the source tree", exe, path);
	return -1;
}

int cmd_bench(const struct cmd *self, int argc, char **argv)
{
	char path[PATH_MAX + 32], why[2 * PATH_MAX + 128];

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(self, false);
			return EXIT_OK;
		}
	if (find_bench(path, sizeof(path), why, sizeof(why))) {
		err_msg("bench: %s", why);
		return EXIT_FAIL;
	}
	argv[0] = path;   /* the options go to tools/bench unchanged; it checks them */
	execv(path, argv);
	err_msg("bench: cannot run %s: %s", path, strerror(errno));
	return EXIT_FAIL;
}
