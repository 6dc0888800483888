/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the split-device bus: front/back handshake states and the store keys each side writes. */
#ifndef LAMINA_IO_BUS_H
#define LAMINA_IO_BUS_H

/**
 * ## Handshake
 *
 * A virtual device has a front-end in the guest and a back-end in domain 0.
 * The toolstack creates two store directories (paths below for a guest
 * `<fe>`, device type `<type>` such as `vbd` or `vif`, and device number
 * `<id>`):
 *
 *     front: /local/domain/<fe>/device/<type>/<id>/
 *     back:  /local/domain/0/backend/<type>/<fe>/<id>/
 *
 * Each side publishes its progress in its own directory's `state` key, as
 * a decimal `LAMINA_BUS_*` number, and watches the other side's `state`.
 *
 * | step | back-end                                         | front-end                                   |
 * |------|--------------------------------------------------|---------------------------------------------|
 * | 1    | `INITIALISING`, writes device facts, then `INITWAIT` | `INITIALISING`                          |
 * | 2    |                                                  | sees `INITWAIT`: reads facts, grants the ring(s), allocates the event channel (`ALLOC_UNBOUND` for domain 0), writes its keys, `INITIALISED` |
 * | 3    | sees `INITIALISED`: maps rings, binds the channel, `CONNECTED` |                               |
 * | 4    |                                                  | sees `CONNECTED`: `CONNECTED`, starts I/O   |
 * | 5    | either side wants to stop: `CLOSING`; the peer stops I/O and answers `CLOSING`, then each side releases grants/mappings and writes `CLOSED` | |
 *
 * Writes of several keys plus `state` are done in one store transaction,
 * so the peer never sees the state before the keys.
 *
 * ## Unplug
 *
 * A back-end that dies or quits leaves both directories; its `state` says
 * `CLOSED` and the front-end waits for the next back-end (a restart). A
 * back-end the toolstack asks to detach goes `CLOSING`, waits for its
 * requests, goes `CLOSED` and leaves; the toolstack then removes both
 * directories. The front directory's disappearance is the unplug: the
 * front-end releases the device (a disk is deleted with whatever I/O it
 * still had failed). A front-end writes its `state` only while its
 * `backend` key exists, in one transaction, so that it never makes a
 * removed directory again.
 *
 * Keys every device has (type-specific ones are in io/blkif.h, io/netif.h):
 *
 * | key (front dir) | meaning |
 * |-----------------|---------|
 * | `backend`       | absolute path of the back directory (written by the toolstack) |
 * | `backend-id`    | domid of the back-end (toolstack) |
 * | `state`         | front state |
 * | `ring-ref`      | grant ref of the (first) ring page (front) |
 * | `event-channel` | port allocated for the back-end (front) |
 *
 * | key (back dir)  | meaning |
 * |-----------------|---------|
 * | `frontend`      | absolute path of the front directory (toolstack) |
 * | `frontend-id`   | domid of the front-end (toolstack) |
 * | `state`         | back state |
 */
#define LAMINA_BUS_UNKNOWN      0 /* no state key yet */
#define LAMINA_BUS_INITIALISING 1 /* setting up */
#define LAMINA_BUS_INITWAIT     2 /* back: my facts are written, waiting for the front */
#define LAMINA_BUS_INITIALISED  3 /* front: my rings and channel are published */
#define LAMINA_BUS_CONNECTED    4 /* both: running */
#define LAMINA_BUS_CLOSING      5 /* tearing down; stop I/O */
#define LAMINA_BUS_CLOSED       6 /* resources released */

#define LAMINA_BUS_KEY_BACKEND       "backend"
#define LAMINA_BUS_KEY_BACKEND_ID    "backend-id"
#define LAMINA_BUS_KEY_FRONTEND      "frontend"
#define LAMINA_BUS_KEY_FRONTEND_ID   "frontend-id"
#define LAMINA_BUS_KEY_STATE         "state"
#define LAMINA_BUS_KEY_RING_REF      "ring-ref"
#define LAMINA_BUS_KEY_EVENT_CHANNEL "event-channel"

#endif /* LAMINA_IO_BUS_H */
