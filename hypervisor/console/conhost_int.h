// SPDX-License-Identifier: MIT
// conhost_int.h: the PV console back-end's supervisor in the hypervisor process (private to console/): state and the spawn/link half.
#ifndef HV_CONHOST_INT_H
#define HV_CONHOST_INT_H
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "conlink.h"
#include "dom.h"

/*
 * One per domain (d->con->host). Its thread starts lamina-console, relays
 * the back-end's kicks to the guest, takes its output into
 * console_output(), answers its pulls for input, and starts a new one
 * when it dies (after a back-off). The guest's output waits in its ring
 * meanwhile: nothing is dropped here.
 */
#define CONHOST_MSG_BUDGET 16          /* messages taken from the link per turn */
#define CONHOST_BACKOFF_MIN_MS 50      /* first restart after a death */
#define CONHOST_BACKOFF_MAX_MS 2000    /* doubling up to this */
#define CONHOST_STABLE_NS 10000000000ll/* lived this long: back-off starts again at the minimum */
#define CONHOST_LOG_MAX 200            /* bytes of a CL_LOG line kept */
#define CONHOST_LOG_LINES 32           /* CL_LOG lines kept per back-end; more are dropped */

struct conhost {
	struct domain *d;               /* set at init, read-only */
	uint32_t port;                  /* the guest's console port (read-only) */
	int efd;                        /* the host end of the port: the doorbell eventfd (init/free) */
	int kick;                       /* eventfd the back-end writes; relayed as sends (init/free) */
	int wake;                       /* eventfd: input queued, or stop (init/free) */
	atomic_bool stop, avail;        /* set by other threads, then wake is written */
	pthread_t thread;
	/* The thread's: */
	int sock;                       /* our end of the link; -1 while none runs */
	pid_t pid;                      /* the running back-end; 0 if none */
	bool done;                      /* it answered CL_STOP */
	unsigned log_lines;             /* CL_LOG lines it sent */
	int64_t started_ns, respawn_ns; /* CLOCK_MONOTONIC: its start; the next start */
	int backoff_ms;
	unsigned restarts;              /* back-ends started after the first */
	bool said_spawn_failed;         /* logged once */
	uint64_t out_bytes;             /* output taken from all of them */
};

/* conhost_spawn.c */
/* The lamina-console to start: $LAMINA_CONSOLE, else beside this program
 * or in the build tree, else "lamina-console" on PATH. */
const char *conhost_binary(void);
/* Start a back-end and send it CL_SETUP: 0, or -1 (logged; retried later). */
int conhost_start(struct conhost *h);
/* The back-end is gone or must go: close the link, reap it (SIGKILL if
 * it still runs), log why, and plan the next start. */
void conhost_lost(struct conhost *h, const char *why);
/* Send a message on the link without blocking: 0 or -errno. */
int conhost_send(struct conhost *h, uint32_t type, const void *data, uint32_t len);
#endif
