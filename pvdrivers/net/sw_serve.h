// SPDX-License-Identifier: MIT
// sw_serve.h: lamina-netswitch's server: the listening socket, its ports and the forwarding loop.
#ifndef SW_SERVE_H
#define SW_SERVE_H

#include <stdbool.h>

// Listen on path (SOCK_SEQPACKET, mode 0600) and switch frames until
// SIGTERM or SIGINT (the caller blocks both; they are taken during the
// wait only), then remove the socket. 0, or 1 after a message on stderr.
int sw_run(const char *path, bool verbose);
#endif
