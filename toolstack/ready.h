// SPDX-License-Identifier: MIT
// ready.h: the ready-pipe handshake of a process laminad starts (lamina-hvd, a back-end): its first line is "OK" or "ERR why".
#ifndef LAMINA_TS_READY_H
#define LAMINA_TS_READY_H
#include <stddef.h>

enum ready_status {
	READY_OK,       // the process said "OK"
	READY_ERR,      // it said "ERR why": why is in the caller's buffer
	READY_EXITED,   // the pipe closed (or said something else) first
	READY_TIMEOUT,  // nothing within the time given
};

// Wait up to ms for the first line on fd (closed on return; EINTR is
// retried). On READY_ERR, why holds the process's own reason.
enum ready_status ready_await(int fd, int ms, char *why, size_t len);

// "exited before it was ready" or "was not ready in time", for the two
// failures without a reason of the process's own.
const char *ready_failure(enum ready_status s);
#endif
