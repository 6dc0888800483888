// SPDX-License-Identifier: MIT
// The lamina-hvd socket protocol's transport, shared by lamina-hvd and its clients (docs/hvd-protocol.md).
//
// A connection is an AF_UNIX SOCK_SEQPACKET socket: every message is one
// datagram holding one JSON object (at most HVD_MSG_MAX bytes) and, as
// SCM_RIGHTS ancillary data, up to HVD_MAX_FDS file descriptors.  These
// helpers move bytes and descriptors only; JSON is built and parsed by the
// callers with json-c.
#ifndef LAMINA_HVD_PROTO_H
#define LAMINA_HVD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HVD_PROTO_VERSION 1
#define HVD_MSG_MAX 65536 // bytes of JSON per message
#define HVD_MAX_FDS 8 // descriptors per message
#define HVD_SOCKET_NAME "lamina-hvd.sock"
#define HVD_LOCK_NAME "lamina-hvd.lock"
#define HVD_NAME_MAX 64 // a domain name, NUL included
#define HVD_CONFIG_MAX 32768 // the client's opaque config string, in bytes
#define HVD_BACKLOG 32768 // console bytes kept per domain for clients that attach later (fits a message as base64)
#define HVD_CHUNK 16384 // console bytes per "console" event (fits HVD_MSG_MAX as base64)

// The socket path: override, else $LAMINA_HVD_SOCKET, else RUNDIR/lamina-hvd.sock
// with RUNDIR = run_dir, $LAMINA_RUN_DIR, $XDG_RUNTIME_DIR/lamina or /run/lamina
// (the directory laminad uses).  dir gets the socket's directory.
void hvd_socket_path(const char *override, const char *run_dir, char *path, size_t plen,
		     char *dir, size_t dlen);

// Send one message with nfds descriptors (they stay open in the caller).
// flags: extra send flags (MSG_DONTWAIT).  0, or -errno.
int hvd_send(int fd, const void *buf, size_t len, const int *fds, unsigned nfds, int flags);

// Receive one message into buf (cap bytes; one more is kept free for a NUL,
// written after the data).  Returns its length, 0 at end of stream, or
// -errno.  *truncated: the message was longer than cap (its length is
// returned, the bytes kept are the first cap).  Descriptors received go to
// fds (at most HVD_MAX_FDS, close-on-exec), their count to *nfds; extra
// ones are closed and *truncated is set.
ssize_t hvd_recv(int fd, char *buf, size_t cap, int *fds, unsigned *nfds, bool *truncated,
		 int flags);

// Base64 (RFC 4648, with padding).  encode: out must hold
// HVD_B64_LEN(len) bytes, NUL included; returns the length written.
#define HVD_B64_LEN(n) ((((n) + 2) / 3) * 4 + 1)
size_t hvd_b64_encode(const void *in, size_t len, char *out);
// decode: out must hold len / 4 * 3 bytes; returns the byte count, or -1
// when in is not base64 (wrong length, character or padding).
ssize_t hvd_b64_decode(const char *in, size_t len, void *out);

// Error names in replies ("EINVAL", ...) and their errno values; unknown: EIO.
const char *hvd_errname(int code);
int hvd_errno(const char *name);

#endif
