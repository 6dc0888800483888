// SPDX-License-Identifier: MIT
// backend_echo.h: the "echo" test device of the back-end e2e tests: its ring, its store keys, its grant refs.
//
// The front-end (backend_guest) grants one ring page and ECHO_PAGES data
// pages to domain 0 and allocates a port for domain 0. Each request names
// a data page and a length; the back-end sums those bytes, inverts them in
// place and answers with the sum, so data moves both ways. A second ring
// page carries requests the other way: the back-end asks, the front-end
// answers with the sum of the bytes (seed + j) for j < len.
#ifndef BACKEND_ECHO_H
#define BACKEND_ECHO_H
#include <lamina/ring.h>

struct echo_req {
	lamina_u32 id, page, len, seed;
};
struct echo_rsp {
	lamina_u32 id;
	lamina_s32 status; // 0, or -LAMINA_EINVAL for a bad page or length
	lamina_u32 sum, pad;
};
LAMINA_RING_DEFINE(echo, struct echo_req, struct echo_rsp);

#define ECHO_PAGES 4
#define ECHO_REF_RING 1 // grant refs the guest uses
#define ECHO_REF_DATA 2 // .. ECHO_REF_DATA + ECHO_PAGES - 1
#define ECHO_REF_OTHER 6 // a page granted to domain 7, not to the back-end
#define ECHO_REF_RO 7 // a page granted read-only to domain 0
#define ECHO_REF_RING2 8 // the back-to-front ring ("back-ring-ref")
#define ECHO_REQUESTS 16 // front-to-back requests per round
#define ECHO_BACK_REQUESTS 4 // back-to-front requests per connection

// The answer to a back-to-front request.
static inline lamina_u32 echo_seed_sum(lamina_u32 seed, lamina_u32 len)
{
	lamina_u32 s = 0;

	for (lamina_u32 j = 0; j < len; j++)
		s += (lamina_u8)(seed + j);
	return s;
}
#endif
