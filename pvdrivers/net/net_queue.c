// SPDX-License-Identifier: MIT
// net_queue: lamina-netback's capped FIFO of host frames waiting for the guest's receive buffers.
#include "net_queue.h"

#include <stdlib.h>
#include <string.h>

void nb_rxq_init(struct nb_rxq *q, unsigned max_n, size_t max_bytes)
{
	*q = (struct nb_rxq){ .max_n = max_n, .max_bytes = max_bytes };
}

int nb_rxq_push(struct nb_rxq *q, const uint8_t *data, size_t len, uint16_t rxflags)
{
	struct nb_qframe *f;

	if (q->n >= q->max_n || len > q->max_bytes - q->bytes)
		return -1;
	if (!(f = malloc(sizeof(*f) + len)))
		return -1;
	f->next = NULL;
	f->len = len;
	f->rxflags = rxflags;
	memcpy(f->data, data, len);
	if (q->tail)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->n++;
	q->bytes += len;
	return 0;
}

void nb_rxq_pop(struct nb_rxq *q)
{
	struct nb_qframe *f = q->head;

	q->head = f->next;
	if (!q->head)
		q->tail = NULL;
	q->n--;
	q->bytes -= f->len;
	free(f);
}

void nb_rxq_clear(struct nb_rxq *q)
{
	while (q->head)
		nb_rxq_pop(q);
}
