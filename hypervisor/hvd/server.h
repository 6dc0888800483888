// SPDX-License-Identifier: MIT
// lamina-hvd's server: its socket, lock and KVM, and the poll loop over clients, consoles and timers.
#ifndef LAMINA_HVD_SERVER_H
#define LAMINA_HVD_SERVER_H

#include "hvd.h"

// Block the stop signals in every thread and return a signalfd for them
// (SIGPIPE is ignored); -1 with errno on failure.
int server_signals(void);
// Prepare h->dir, take the lock, listen on h->sock, open KVM.  0, or -1 with err.
int server_open(struct hvd *h, char *err, size_t len);
// Serve until stop-all or a stop signal; 0, or -1 if poll failed.
int server_run(struct hvd *h, int sfd);
// Destroy every domain, drop every client, remove the socket.
void server_close(struct hvd *h);

#endif
