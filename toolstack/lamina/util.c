// SPDX-License-Identifier: MIT
// lamina CLI helpers: --help and usage errors, messages, formatting.
#include "lamina.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usage(const struct cmd *c, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	if (to_stderr) {
		fprintf(f, "Usage: lamina %s %s\nTry 'lamina %s --help'.\n", c->name, c->args,
			c->name);
		return;
	}
	fprintf(f, "Usage: lamina %s %s\n%s\n\nOptions:\n", c->name, c->args, c->summary);
	if (c->options)
		fputs(c->options, f);
	fprintf(f, "  -h, --help          show this help\n\nSee lamina-%s(1).\n", c->name);
}

int getopt_cmd(const struct cmd *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	static const struct option help_only[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	char so[64];
	int ch;

	// GNU order: options may follow the domain name (lamina network-attach mine --network n)
	snprintf(so, sizeof(so), "h%s", shortopts ? shortopts : "");
	ch = getopt_long(argc, argv, so, longopts ? longopts : help_only, NULL);
	if (ch == 'h') {
		usage(c, false);
		exit(EXIT_OK);
	}
	if (ch == '?' || ch == ':') {
		usage(c, true);
		exit(EXIT_USAGE);
	}
	return ch;
}

int want_args(const struct cmd *c, int argc, char **argv, int n)
{
	(void)argv;
	if (argc - optind == n)
		return optind;
	err_msg("%s: %s", c->name, argc - optind < n ? "missing argument" : "too many arguments");
	usage(c, true);
	return -1;
}

int simple_args(const struct cmd *c, int argc, char **argv, int n)
{
	optind = 1;
	while (getopt_cmd(c, argc, argv, NULL, NULL) != -1)
		;
	return want_args(c, argc, argv, n);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("lamina: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *fmt_cpu(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%.1fs", (double)ns / 1e9);
	return buf;
}

void copy_name(char dst[LP_NAME_MAX], const char *src)
{
	memset(dst, 0, LP_NAME_MAX);
	snprintf(dst, LP_NAME_MAX, "%s", src);
}
