// SPDX-License-Identifier: MIT
// libbackend: what a device back-end process uses to talk to lamina-hvd: attach, store, granted pages, event channels, waiting.
//
// A back-end is one process for one device (docs/architecture.md
// "Back-ends"). It connects to lamina-hvd's socket, attaches to its device,
// and from then on sees only that device's two store directories, the
// pages its front-end granted to domain 0 (as udmabufs it mmaps), and its
// event channels (as eventfds). Every call returns 0 (or a count) or
// -errno, with lamina-hvd's message in b->err. Not thread-safe: one
// struct lbk per thread.
#ifndef LAMINA_LIBBACKEND_H
#define LAMINA_LIBBACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LBK_PATH_MAX 128
#define LBK_EVENTS 64 // watch events kept while waiting for a reply; more are dropped

struct lbk {
	int fd; // the connection to lamina-hvd
	unsigned domid; // the front-end's domain
	char fe[LBK_PATH_MAX], be[LBK_PATH_MAX]; // front-end and back-end directories
	char err[512]; // the last error's message
	char *ev[LBK_EVENTS]; // watched paths that fired, oldest first
	unsigned nev, dropped;
	bool detach; // lamina-hvd asked us to detach and exit
};

// Connect to lamina-hvd at socket (NULL: $LAMINA_HVD_SOCKET or the default path).
int lbk_connect(struct lbk *b, const char *socket);
void lbk_close(struct lbk *b); // releases everything in lamina-hvd (the device goes Closed)
// Attach to device type/devid of domain id (lamina-hvd's id); fills domid, fe, be.
int lbk_attach(struct lbk *b, unsigned id, const char *type, unsigned devid);
// Store, as absolute paths inside fe or be (lbk_fe/lbk_be build them).
const char *lbk_fe(struct lbk *b, const char *key); // a static buffer per side, overwritten
const char *lbk_be(struct lbk *b, const char *key);
int lbk_read(struct lbk *b, const char *path, char *buf, size_t size); // length
int lbk_read_uint(struct lbk *b, const char *path, unsigned long *out);
int lbk_write(struct lbk *b, const char *path, const char *val);
int lbk_watch(struct lbk *b, const char *path);
// The device's bus state (lamina/io/bus.h) as the front-end last wrote it; 0 (Unknown) if unreadable.
int lbk_front_state(struct lbk *b);
int lbk_set_state(struct lbk *b, int state); // the back-end's own state key
int lbk_write_uint(struct lbk *b, const char *key, unsigned long v); // key in the back-end directory
// A connection-ending failure: "PROG: domain N: MSG" on stderr and MSG in the
// back-end directory's error_key, where the front-end and the toolstack read it.
void lbk_fail(struct lbk *b, const char *prog, const char *error_key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
// Map grant refs[0..n) as one udmabuf: *fd (the caller mmaps and closes it), *handle.
int lbk_map(struct lbk *b, const uint32_t *refs, unsigned n, uint32_t *handle, int *fd);
int lbk_unmap(struct lbk *b, uint32_t handle);
// Bind the guest's port (allocated unbound for domain 0): *doorbell is
// readable when the guest sends; writing 1 to *kick sends to the guest.
int lbk_bind(struct lbk *b, uint32_t port, int *doorbell, int *kick);
// Wait up to timeout_ms (-1: forever) for a watch event (its path into
// path) or a detach request: 1 event, 0 timeout, -EPIPE lamina-hvd went
// away, -ECANCELED asked to detach.
int lbk_wait(struct lbk *b, int timeout_ms, char *path, size_t len);
// Once set up (attached, mapped, bound), give up every system call the
// serving loop does not need (sandbox.c: a libseccomp allowlist for the
// whole process). Allowed: the common list in sandbox.c (the lamina-hvd
// socket, eventfds, udmabuf mappings, memory, time, exit) plus
// extra[0..n), native system call numbers (__NR_*) that this back-end's
// own loop needs (lamina-blkback: io_uring_enter). Any other call kills
// the process with SIGSYS (SCMP_ACT_KILL_PROCESS): no opening files or
// sockets, no exec, no ioctl. Further lbk_map calls still work (mmap is
// allowed); lbk_connect does not. Irreversible; call it once. A stdio
// stream written after this needs its buffer already (setvbuf with a
// buffer, an unbuffered stream, or a first write before): glibc sizes a
// lazily allocated buffer with fstat, which is not allowed.
// Diagnostics, from the environment of whoever starts the back-end:
// LAMINA_SANDBOX=log lets forbidden calls run and the kernel logs each
// (SCMP_ACT_LOG, an audit record); LAMINA_SANDBOX=trap prints each one's
// name on stderr and makes it fail with ENOSYS; kill (or unset) is the
// default. Another value: -EINVAL, no filter loaded.
int lbk_sandbox(struct lbk *b, const int *extra, size_t n);
// A raw request (tests): text out, the reply into rep (NUL-terminated), descriptors into fds.
int lbk_raw(struct lbk *b, const char *text, char *rep, size_t len, int *fds, unsigned *nfds);

#endif
