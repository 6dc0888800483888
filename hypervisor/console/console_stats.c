// SPDX-License-Identifier: MIT
// console_stats.c: the console line hook that answers a marker line with the domain's exit counters (@HVSTATS).
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "console.h"

static void write_all(int fd, const char *buf, size_t len)
{
	while (fd >= 0 && len) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return;
		buf += (size_t)n;
		len -= (size_t)n;
	}
}

/* hv.h. The console's lock is held (console.c), so the line follows the marker
 * on console_fd and in the log, with no other output between. */
void hv_exits_on_marker(void *ctx, struct domain *d, const char *line, size_t len)
{
	const char *marker = ctx;
	struct hv_dom_stats s;
	char buf[640];

	if (len != strlen(marker) || memcmp(line, marker, len) || hv_stats(d, &s))
		return;
	int n = snprintf(buf, sizeof(buf), "@HVSTATS dom=%d t_ns=%lld ", hv_dom_id(d),
			 (long long)hv_now_ns());
	n += hv_exits_format(buf + n, sizeof(buf) - (size_t)n - 1, s.user_exits, 0);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;   /* cannot happen: 10 counters of 20 digits */
	buf[n++] = '\n';
	write_all(d->con->out_fd, buf, (size_t)n);
	write_all(d->log_fd, buf, (size_t)n);
}
