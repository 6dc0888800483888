/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the PV console ring: two byte rings in one page plus an event channel. */
#ifndef LAMINA_IO_CONSOLE_H
#define LAMINA_IO_CONSOLE_H

#include "../types.h"

/**
 * ## PV console
 *
 * Each domain has one console page, `struct lamina_console_ring`, mapped
 * with `memory_op ADD_TO_PHYSMAP` (space `LAMINA_SPACE_CONSOLE_RING`), and
 * the event channel `console_port` from shared_info, bound at domain
 * creation to the console back-end in domain 0.
 *
 * `out` carries bytes from the guest (producer `out_prod`) to the back-end
 * (consumer `out_cons`); `in` carries keyboard input the other way. Indices
 * are free-running 32-bit byte counts; byte i is at `[i % size]`. Same
 * discipline as the store rings: the producer writes bytes, `lamina_wmb()`,
 * advances prod, and sends an event; the consumer loads prod,
 * `lamina_rmb()`, copies, `lamina_mb()`, advances cons, and sends an event
 * if the ring was full. `prod - cons` > size means the ring is corrupt.
 */
#define LAMINA_CONSOLE_IN_BYTES  1024u
#define LAMINA_CONSOLE_OUT_BYTES 2048u

struct lamina_console_ring {
	lamina_u32 in_prod;  /* written by the back-end */
	lamina_u32 in_cons;  /* written by the guest */
	lamina_u32 out_prod; /* written by the guest */
	lamina_u32 out_cons; /* written by the back-end */
	lamina_u8 pad0[48];
	lamina_u8 in[1024];
	lamina_u8 out[2048];
	lamina_u8 pad1[4096 - 64 - 1024 - 2048];
};
LAMINA_CHECK_SIZE(console_ring, struct lamina_console_ring, 4096);
LAMINA_CHECK_OFFSET(cr_in, struct lamina_console_ring, in, 64);
LAMINA_CHECK_OFFSET(cr_out, struct lamina_console_ring, out, 1088);

#endif /* LAMINA_IO_CONSOLE_H */
