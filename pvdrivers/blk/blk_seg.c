// SPDX-License-Identifier: MIT
// blk_seg: helpers the image engines share for a request's data: is it a read or write, and its private bounce buffer.
#include "blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool blk_is_rw(unsigned op)
{
	return op == LAMINA_BLKIF_OP_READ || op == LAMINA_BLKIF_OP_WRITE ||
	       op == LAMINA_BLKIF_OP_WRITE_FUA;
}

int blk_bounce_in(struct blk_slot *s)
{
	struct blk_plan *p = &s->plan;

	if (!s->bounce && posix_memalign(&s->bounce, 4096, p->len ? p->len : 4096))
		return -ENOMEM;
	if (p->op != LAMINA_BLKIF_OP_READ)
		for (size_t i = 0, o = 0; i < p->nseg; o += s->iov[i++].iov_len)
			memcpy((char *)s->bounce + o, s->iov[i].iov_base, s->iov[i].iov_len);
	return 0;
}
