// SPDX-License-Identifier: MIT
// store_client.h: a minimal polling store client for test guests (abi/lamina/store.h): read and write keys.
#ifndef STORE_CLIENT_H
#define STORE_CLIENT_H
#include <stddef.h>
#include <stdint.h>

/* Map the store ring at gfn and learn the store port: 0 or a negative error. */
long sc_init(uint64_t gfn);
/* The store's event port (for sched_op POLL). */
uint32_t sc_port(void);
/* Clear the port's pending bit (before checking for work, then polling). */
void sc_ack(void);
/* Value of path (NUL-terminated in buf): its length, or -LAMINA_E*. */
long sc_read(const char *path, char *buf, size_t size);
/* path = val: 0 or -LAMINA_E*. */
long sc_write(const char *path, const char *val);
#endif
