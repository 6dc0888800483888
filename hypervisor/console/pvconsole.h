// SPDX-License-Identifier: MIT
// pvconsole.h: the PV console back-end: the guest's console ring page (io/console.h) to console_output(), queued input back.
#ifndef HV_PVCONSOLE_H
#define HV_PVCONSOLE_H
#include <stdbool.h>
#include <stdint.h>
#include <lamina/io/console.h>
#include "dom.h"

/*
 * Each domain gets a host thread that sleeps on the host end of its
 * console port. When the guest sends an event the thread copies the
 * unread output bytes (out_cons..out_prod) to console_output() and, once
 * the guest has mapped the ring page, moves input queued with
 * console_input_put() into the `in` ring, then notifies the guest if it
 * wrote input or the output ring had been full. Every index from the page
 * is read once per step and checked; a producer more than the ring size
 * ahead of our consumer (or a consumer of `in` behind our producer by more
 * than the ring size) is corruption: the back-end logs it and stops using
 * the ring, and the domain carries on.
 */

/* At domain creation, after evt_domain_init() and console_init(): the
 * console port (shared_info console_port) and the thread. 0 or -1. */
int pvconsole_init(struct domain *d);
/* At destruction, before evt_domain_free(): take the last output, stop
 * the thread, close the port. Nothing if init did not run. */
void pvconsole_free(struct domain *d);
/* Input was queued for d (console_input_put() calls this). */
void pvconsole_kick(struct domain *d);

/* The back-end's private view of one ring (owned by the domain's thread). */
struct pvcon_state {
	uint32_t port;          /* the guest's console port */
	uint32_t out_cons;      /* next output byte to take */
	uint32_t in_prod;       /* next input byte to give */
	bool dead;              /* the ring was corrupt: no longer used */
};

/* Ring steps, pure. Take up to cap output bytes into buf: the count, or
 * -LAMINA_EIO if out_prod is corrupt. *was_full: the ring was full. */
int pvcon_take_output(struct lamina_console_ring *r, uint32_t *cons, char *buf, uint32_t cap,
		      bool *was_full);
/* Free bytes in the input ring, or -LAMINA_EIO if in_cons is corrupt. */
int pvcon_input_room(struct lamina_console_ring *r, uint32_t prod);
/* Append n bytes (at most the room) to the input ring and publish them. */
void pvcon_put_input(struct lamina_console_ring *r, uint32_t *prod, const char *buf, uint32_t n);
/* One service round for d's ring d->console_page (input too if input):
 * at most 4 rings' worth of output. True if output may be left, so the
 * caller should run another round without waiting for an event. */
bool pvcon_service(struct domain *d, struct pvcon_state *st, bool input);
#endif
