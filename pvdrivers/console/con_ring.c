// SPDX-License-Identifier: MIT
// con_ring.c: lamina-console's ring steps: output peeked then committed, input appended, every index checked once.
#include <string.h>
#include <lamina/barrier.h>
#include "con.h"

int con_peek_output(const struct lamina_console_ring *r, uint32_t cons, char *buf, uint32_t cap,
		    bool *was_full)
{
	uint32_t prod = LAMINA_READ_ONCE(r->out_prod), n, i;

	lamina_rmb();   /* the index before the bytes */
	n = prod - cons;
	if (n > CON_OUT_BYTES)
		return -1;
	*was_full = n == CON_OUT_BYTES;
	if (n > cap)
		n = cap;
	for (i = 0; i < n;) {
		uint32_t at = (cons + i) % CON_OUT_BYTES;
		uint32_t k = CON_OUT_BYTES - at < n - i ? CON_OUT_BYTES - at : n - i;
		memcpy(buf + i, &r->out[at], k);
		i += k;
	}
	return (int)n;
}

void con_commit_output(struct lamina_console_ring *r, uint32_t *cons, uint32_t n)
{
	if (!n)
		return;
	*cons += n;
	lamina_mb();    /* the bytes were copied before the space is handed back */
	LAMINA_WRITE_ONCE(r->out_cons, *cons);
}

int con_input_room(const struct lamina_console_ring *r, uint32_t prod)
{
	uint32_t used = prod - LAMINA_READ_ONCE(r->in_cons);

	if (used > CON_IN_BYTES)
		return -1;
	lamina_mb();    /* the guest's consumption before our writes into the space */
	return (int)(CON_IN_BYTES - used);
}

void con_put_input(struct lamina_console_ring *r, uint32_t *prod, const char *buf, uint32_t n)
{
	for (uint32_t i = 0; i < n;) {
		uint32_t at = (*prod + i) % CON_IN_BYTES;
		uint32_t k = CON_IN_BYTES - at < n - i ? CON_IN_BYTES - at : n - i;
		memcpy(&r->in[at], buf + i, k);
		i += k;
	}
	*prod += n;
	lamina_wmb();   /* the bytes before the index */
	LAMINA_WRITE_ONCE(r->in_prod, *prod);
}
