// SPDX-License-Identifier: MIT
// con.h: lamina-console's state (one domain's PV console ring), its ops, and the ring steps it is made of.
//
// One process serves one domain's console ring (abi/lamina/io/console.h)
// for the hypervisor process that started it, over the link in
// hypervisor/console/conlink.h. It is single-threaded: every field below
// is owned by the main loop. The ring page is guest-writable: each index
// is read once per step into a private copy and checked before use.
#ifndef CON_H
#define CON_H

#include <stdbool.h>
#include <stdint.h>
#include <lamina/io/console.h>
#include "conlink.h"

#define CON_OUT_BYTES LAMINA_CONSOLE_OUT_BYTES
#define CON_IN_BYTES LAMINA_CONSOLE_IN_BYTES
/* Output bytes one service round takes at most: a guest that keeps
 * writing cannot hold the loop (input and the hypervisor's messages get a
 * turn between rounds). */
#define CON_ROUND_BUDGET (4 * CON_OUT_BYTES)
/* Messages from the hypervisor handled per loop turn. */
#define CON_MSG_BUDGET 16

struct con_dev {
	int link;                        /* the hypervisor's socket (CONLINK_FD) */
	struct lamina_console_ring *ring;/* the mapped ring page, or NULL before setup */
	int doorbell, kick;              /* eventfds: guest -> us, us -> guest */
	unsigned domid, port;            /* for log lines */
	uint32_t out_cons;               /* next output byte to take (ours) */
	uint32_t in_prod;                /* next input byte to give (ours) */
	bool dead;                       /* the guest corrupted the ring: no longer used */
	bool input_waits;                /* the hypervisor has input for us */
	bool input_retry;                /* it has, once the guest maps the ring: ask after its next event */
	bool pulling;                    /* a CL_PULL is outstanding */
	uint32_t pull_max;               /* its max */
	bool stopping;                   /* CL_STOP came: drain, answer, exit */
	bool notify;                     /* kick the guest at the end of the round */
	uint32_t budget;                 /* output bytes per round; 0: CON_ROUND_BUDGET (tests lower it) */
	uint64_t out_bytes, in_bytes;    /* counters, for the exit line */
};

/* Handlers of the hypervisor's messages (con_serve.c), by type; 0 or
 * -errno (the link then ends). */
struct con_ops {
	uint32_t type;
	int (*fn)(struct con_dev *c, const char *data, uint32_t len, const int *fds, unsigned nfds);
};
extern const struct con_ops con_ops[];

/* ---- con_ring.c: ring steps, pure (unit-tested and fuzzed) ---- */
/* Copy up to cap unread output bytes from cons into buf without consuming
 * them: the count, or -1 if out_prod is corrupt. *was_full: the ring was full. */
int con_peek_output(const struct lamina_console_ring *r, uint32_t cons, char *buf, uint32_t cap,
		    bool *was_full);
/* Hand n bytes (peeked) back to the guest: *cons += n, published. */
void con_commit_output(struct lamina_console_ring *r, uint32_t *cons, uint32_t n);
/* Free bytes in the input ring, or -1 if in_cons is corrupt. */
int con_input_room(const struct lamina_console_ring *r, uint32_t prod);
/* Append n bytes (at most the room) to the input ring and publish them. */
void con_put_input(struct lamina_console_ring *r, uint32_t *prod, const char *buf, uint32_t n);

/* ---- con_serve.c: the service ---- */
/* Set up from CL_SETUP (maps the ring, takes the eventfds). */
int con_init(struct con_dev *c, int link);
void con_exit(struct con_dev *c);
/* One service round: output (up to CON_ROUND_BUDGET, sent to the
 * hypervisor before it is consumed) and, if input waits, a pull. True if
 * output may be left. -errno if the link failed. */
int con_round(struct con_dev *c);
/* The guest sent an event (the doorbell rang). */
void con_guest_event(struct con_dev *c);
/* Handle one message from the link: 0, or -errno (the link ends). */
int con_handle(struct con_dev *c, const struct conlink_msg *m, uint32_t len, const int *fds,
	       unsigned nfds);
/* Send a message (blocking); 0 or -errno. */
int con_send(struct con_dev *c, uint32_t type, const void *data, uint32_t len);
/* A line for the domain's log, printf-style. */
void con_log(struct con_dev *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Receive one message, if one waits, and its descriptors (at most 3):
 * its data length + 1, 0 on EOF, -EAGAIN if none waits, -errno (-EPROTO:
 * malformed, -EMSGSIZE: too long or too many descriptors). */
int con_recv(int link, struct conlink_msg *m, int *fds, unsigned *nfds);
#endif
