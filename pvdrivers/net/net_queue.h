// SPDX-License-Identifier: MIT
// net_queue.h: lamina-netback's receive queue: host frames waiting in private memory for the guest's receive buffers, capped in frames and bytes.
#ifndef NET_QUEUE_H
#define NET_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define NB_RXQ_FRAMES 512u // default caps, per interface
#define NB_RXQ_BYTES (8u << 20)

struct nb_qframe {
	struct nb_qframe *next;
	size_t len;
	uint16_t rxflags; // LAMINA_NETRXF_* for its responses
	uint8_t data[];
};

struct nb_rxq {
	struct nb_qframe *head, *tail;
	unsigned n, max_n;
	size_t bytes, max_bytes; // data bytes queued, and the cap
};

void nb_rxq_init(struct nb_rxq *q, unsigned max_n, size_t max_bytes);
// Append a copy of data[0..len): 0, or -1 (a cap would be passed, or no memory: not queued).
int nb_rxq_push(struct nb_rxq *q, const uint8_t *data, size_t len, uint16_t rxflags);
static inline struct nb_qframe *nb_rxq_head(const struct nb_rxq *q) { return q->head; }
void nb_rxq_pop(struct nb_rxq *q); // free the head (there is one)
void nb_rxq_clear(struct nb_rxq *q); // drop every queued frame (the caller counts drops)
#endif
