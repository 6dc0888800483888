// SPDX-License-Identifier: MIT
// conlink.h: the link between the hypervisor process and its PV console back-end process (lamina-console): message layout and rules.
#ifndef LAMINA_CONLINK_H
#define LAMINA_CONLINK_H
#include <stdint.h>

/*
 * The hypervisor process starts one lamina-console per domain and hands
 * it one end of an AF_UNIX SOCK_SEQPACKET socket pair as descriptor
 * CONLINK_FD. One datagram is one message: a struct conlink_hdr, then
 * `len` bytes of data (at most CONLINK_DATA_MAX). Both sides check every
 * field: a message of the wrong size, an unknown type or descriptors
 * where none belong ends the link (the back-end exits; the hypervisor
 * stops that back-end and starts a new one).
 *
 * Hypervisor -> back-end:
 *   CL_SETUP   first message, exactly once. Data: struct conlink_setup.
 *              Three descriptors: the console ring page (a sealed
 *              one-page memfd, map it MAP_SHARED read-write), the
 *              doorbell eventfd (readable when the guest sends on its
 *              console port) and the kick eventfd (write 1 to send to the
 *              guest).
 *   CL_INPUT   the answer to a CL_PULL: data = input bytes for the ring
 *              (at most the pull's `max`, possibly none), then a
 *              struct conlink_more after them telling whether more waits.
 *   CL_AVAIL   console input was queued (no data); coalesced.
 *   CL_STOP    the domain is being destroyed: take the output that is
 *              left, answer CL_DONE and exit. Killed after CONLINK_STOP_MS.
 * Back-end -> hypervisor:
 *   CL_OUTPUT  data = guest output bytes, in order (at most
 *              CONLINK_DATA_MAX per message).
 *   CL_PULL    data = struct conlink_pull: send me up to max input bytes.
 *              At most one pull is outstanding.
 *   CL_LOG     data = one line of text for the domain's log (no newline).
 *   CL_DONE    the answer to CL_STOP (no data).
 */
#define CONLINK_FD 3              /* the back-end's end of the link */
#define CONLINK_DATA_MAX 4096     /* data bytes per message */
#define CONLINK_STOP_MS 1000      /* CL_STOP to CL_DONE, at most */

enum conlink_type {
	CL_SETUP = 1,
	CL_INPUT,
	CL_AVAIL,
	CL_STOP,
	CL_OUTPUT = 16,
	CL_PULL,
	CL_LOG,
	CL_DONE,
};

struct conlink_hdr {
	uint32_t type;   /* enum conlink_type */
	uint32_t len;    /* data bytes after the header */
};

struct conlink_setup {
	uint32_t domid;  /* the guest's domain id (for its log lines) */
	uint32_t port;   /* the guest's console port (for its log lines) */
};

struct conlink_pull {
	uint32_t max;    /* 1 to CONLINK_DATA_MAX */
};

struct conlink_more {
	uint32_t more;   /* 0: no more input; 1: more waits, pull again; 2: input
			  * waits but the guest has not mapped its ring yet:
			  * pull again after the guest's next event */
};

/* One message buffer: the header and the largest data. */
struct conlink_msg {
	struct conlink_hdr h;
	char data[CONLINK_DATA_MAX + sizeof(struct conlink_more)];
};
#endif
