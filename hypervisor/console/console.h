// SPDX-License-Identifier: MIT
// console.h: guest console output and input (console_io debug channel and the PV console ring).
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H
#include "dom.h"

struct hv_console {
	int out_fd;               /* where output is copied live, or -1 */
	char prefix[72];          /* "[name] " at each line start, or "" */
	char line[1024];          /* output line being collected (lock) */
	size_t line_len;
	bool line_cut;            /* line[] continues a line too long for it (lock) */
	/* hv_dom_params.console_line: told of each whole line (lock held) */
	void (*line_fn)(void *ctx, struct domain *d, const char *line, size_t len);
	void *line_ctx;
	pthread_mutex_t lock;     /* guards in[] and output */
	char in[4096];            /* input typed at the console, not yet read */
	size_t in_len;
	/* Told (lock held) when input is queued: the PV console back-end's
	 * supervisor (conhost.c) sets it while it runs; it must not call back
	 * into the console. */
	void (*input_hook)(struct domain *d);
	struct conhost *host;     /* the back-end's supervisor, or NULL (conhost.c) */
};

int console_init(struct domain *d, const struct hv_dom_params *p);
void console_free(struct domain *d);
void console_output(struct domain *d, const char *buf, size_t len);
size_t console_input_take(struct domain *d, char *buf, size_t max);
/* Offer up to max bytes of queued input, oldest first, to copy(ctx, buf, n)
 * and consume them only if it returns 0. Returns the bytes consumed, or
 * copy's (negative) error, with nothing consumed. copy runs under the
 * console lock, so no other reader takes input meanwhile; it must not
 * call back into the console. */
typedef int (*console_copy_fn)(void *ctx, const char *buf, size_t n);
int64_t console_input_read(struct domain *d, size_t max, console_copy_fn copy, void *ctx);
int console_input_put(struct domain *d, const char *buf, size_t len);
/* Bytes of input queued, and set or clear the input hook (both take the lock). */
size_t console_input_len(struct domain *d);
void console_set_input_hook(struct domain *d, void (*fn)(struct domain *d));
#endif
