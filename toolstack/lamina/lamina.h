// SPDX-License-Identifier: MIT
// lamina CLI internals: the command table entry, the client calls and shared helpers.
#ifndef LAMINA_CLI_H
#define LAMINA_CLI_H

#include "proto.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAMINA_VERSION "0.1.0"

// Exit codes: like a good Unix tool.
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cmd {
	const char *name;
	int (*run)(const struct cmd *self, int argc, char **argv);
	const char *args; // "NAME SIZE"
	const char *summary; // one line
	const char *options; // extra option lines for --help, or NULL
};

extern const struct cmd lamina_cmds[];
extern const size_t lamina_ncmds;

// One prototype per subcommand file.
#define CMD(fn) int fn(const struct cmd *self, int argc, char **argv)
CMD(cmd_create); CMD(cmd_list); CMD(cmd_info); CMD(cmd_console); CMD(cmd_shutdown);
CMD(cmd_reboot); CMD(cmd_destroy); CMD(cmd_pause); CMD(cmd_unpause); CMD(cmd_memset);
CMD(cmd_vcpuset); CMD(cmd_vcpupin); CMD(cmd_blockattach); CMD(cmd_blockdetach);
CMD(cmd_netattach); CMD(cmd_netdetach); CMD(cmd_top); CMD(cmd_trace); CMD(cmd_dumpxml); CMD(cmd_snapshot);
CMD(cmd_version); CMD(cmd_validate); CMD(cmd_bench);
CMD(cmd_import); CMD(cmd_define); CMD(cmd_start); CMD(cmd_undefine); CMD(cmd_autostart);
CMD(cmd_net); CMD(cmd_netlist);

// cmd_validate.c: check one file as create does; EXIT_OK or EXIT_FAIL (errors printed).
int validate_file(const char *path, bool quiet);
struct config_err;
void print_notes(const struct config_err *err); // notes on stderr, if any

// cmd_list.c: print a reply as laminad's JSON protocol would answer it.
int print_json(uint16_t type, const struct lp_msg *m);

// util.c
void usage(const struct cmd *c, bool to_stderr);
// getopt_long over argv with -h/--help added; returns the option or -1.
// Prints help (exit 0) or a usage error (exit 2) itself.
int getopt_cmd(const struct cmd *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
// After options: exactly `n` positional arguments, else usage error (-1).
int want_args(const struct cmd *c, int argc, char **argv, int n);
// Only -h/--help and exactly `n` positionals; returns optind or -1.
int simple_args(const struct cmd *c, int argc, char **argv, int n);
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *fmt_cpu(uint64_t ns, char *buf, size_t len);
void copy_name(char dst[LP_NAME_MAX], const char *src);

// client.c
// Connect to laminad; start it first if `autostart` and it is not running.
// -1 after printing why.
int cl_connect(bool autostart);
// Send a request and read the reply; 0 with `reply` set, or EXIT_FAIL after
// printing the error.  The caller frees reply.
// cmd_autostart.c: autostart and net-autostart: mark NAME (argv[optind]) or --disable.
int autostart_call(const struct cmd *self, int argc, char **argv, uint16_t type, const char *what);
int cl_call(int fd, uint16_t type, const void *a, size_t alen, const void *b, size_t blen,
	    struct lp_msg *reply);
// Connect, send {name} of `type`, expect OK: the exit code.
int cl_simple(uint16_t type, const char *name, struct lp_ok *ok);
// lp_name-style request for name.
int cl_named(int fd, uint16_t type, const char *name, struct lp_msg *reply);

#endif
