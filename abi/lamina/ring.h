/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the generic shared request/response ring used by the block, net and other split drivers. */
#ifndef LAMINA_RING_H
#define LAMINA_RING_H

#include "types.h"
#include "errno.h"
#include "barrier.h"

/**
 * A split driver has a *front-end* (in the guest) and a *back-end* (in
 * domain 0). They talk through one or more granted pages holding a ring of
 * slots, and an event channel. The front produces requests and consumes
 * responses; the back consumes requests and produces responses. A response
 * is written into the slot of a request already consumed, so the front may
 * have at most "ring size" requests outstanding.
 *
 * The shared page starts with `struct lamina_ring_header`, then the slots.
 * Indices are free-running 32-bit counters: slot = index & (size - 1), and
 * all differences are taken modulo 2^32, so wrapping past 2^32 is normal.
 * The ring size is a power of two: the most slots that fit
 * (`LAMINA_RING_SIZE`).
 *
 * | field       | written by | meaning                                          |
 * |-------------|------------|--------------------------------------------------|
 * | `req_prod`  | front      | requests [0, req_prod) are published             |
 * | `req_event` | back       | notify me when req_prod moves past req_event - 1 |
 * | `rsp_prod`  | back       | responses [0, rsp_prod) are published            |
 * | `rsp_event` | front      | notify me when rsp_prod moves past rsp_event - 1 |
 *
 * **Producing** (push): write the slots; `lamina_wmb()`; store the new
 * producer index; `lamina_mb()`; load the peer's event index. Send an event
 * only if the event index lies in (old prod, new prod]: the peer asked to
 * hear about exactly that step. Otherwise the peer is still busy and will
 * see the new entries without help.
 *
 * **Consuming**: load the producer index; `lamina_rmb()`; copy each slot
 * into private memory *before* validating it (the peer can rewrite the
 * slot at any time; validating shared memory in place invites
 * time-of-check/time-of-use bugs); advance the private consumer index.
 * Before sleeping, *arm* the event: store event = cons + 1; `lamina_mb()`;
 * re-check the producer index, since entries may have arrived meanwhile
 * (the `final_check` functions do this).
 *
 * **Distrust.** A consumer checks that the unconsumed count (prod - cons)
 * is not more than the peer may legally have outstanding (never more than
 * the ring size). If it is, the peer is buggy or hostile: the functions
 * return `-LAMINA_EIO` and the consumer should stop using the ring.
 *
 * `LAMINA_RING_DEFINE(name, req_type, rsp_type)` defines, for one protocol:
 * `union name_slot`, `struct name_sring` (the shared page), the private
 * state `struct name_front` / `struct name_back`, and these functions:
 *
 * | function | side | does |
 * |----------|------|------|
 * | `name_sring_init(s)` | front | zero the header, arm both events |
 * | `name_front_init(f, s, bytes)`, `name_back_init(b, s, bytes)` | both | attach private state to a ring of `bytes` bytes |
 * | `name_free_requests(f)` | front | slots free for new requests |
 * | `name_next_request(f)` | front | pointer to the next request slot to fill, or NULL if full |
 * | `name_push_requests(f)` | front | publish filled requests; returns 1 if the back must be notified |
 * | `name_pending_requests(b)` | back | unconsumed requests, or `-LAMINA_EIO` |
 * | `name_copy_request(b, out)` | back | copy the next request out, advance (call after pending > 0) |
 * | `name_take_request(b, out)` | back | pending + copy: 1 if copied, 0 if empty, `-LAMINA_EIO` |
 * | `name_next_response(b)` | back | pointer to the next response slot, or NULL if no request awaits one |
 * | `name_push_responses(b)` | back | publish responses; returns 1 if the front must be notified |
 * | `name_final_check_requests(b)` | back | arm req_event, return pending requests (or `-LAMINA_EIO`) |
 * | `name_pending_responses(f)`, `name_copy_response(f, out)`, `name_take_response(f, out)`, `name_final_check_responses(f)` | front | the same for responses |
 */
struct lamina_ring_header {
	lamina_u32 req_prod;
	lamina_u32 req_event;
	lamina_u32 rsp_prod;
	lamina_u32 rsp_event;
	lamina_u8 pad[48];
};
LAMINA_CHECK_SIZE(ring_header, struct lamina_ring_header, 64);

/* Largest power of two <= x, as a constant expression (x < 2^18). */
#define LAMINA_POW2_FLOOR(x) \
	(((x) >= 0x20000u) ? 0x20000u : \
	 ((x) >= 0x10000u) ? 0x10000u : \
	 ((x) >= 0x8000u) ? 0x8000u : \
	 ((x) >= 0x4000u) ? 0x4000u : \
	 ((x) >= 0x2000u) ? 0x2000u : \
	 ((x) >= 0x1000u) ? 0x1000u : \
	 ((x) >= 0x800u) ? 0x800u : \
	 ((x) >= 0x400u) ? 0x400u : \
	 ((x) >= 0x200u) ? 0x200u : \
	 ((x) >= 0x100u) ? 0x100u : \
	 ((x) >= 0x80u) ? 0x80u : \
	 ((x) >= 0x40u) ? 0x40u : \
	 ((x) >= 0x20u) ? 0x20u : \
	 ((x) >= 0x10u) ? 0x10u : \
	 ((x) >= 0x8u) ? 0x8u : \
	 ((x) >= 0x4u) ? 0x4u : \
	 ((x) >= 0x2u) ? 0x2u : \
	 ((x) >= 1u) ? 1u : 0u)

/** Number of slots of type slot_type in a ring of `bytes` bytes (a power of two). */
#define LAMINA_RING_SIZE(slot_type, bytes) \
	LAMINA_POW2_FLOOR(((bytes) - sizeof(struct lamina_ring_header)) / sizeof(slot_type))

/* Same, at run time, for any size. */
static inline lamina_u32 lamina_ring_entries(lamina_u32 bytes, lamina_u32 slot_size)
{
	lamina_u32 n = (bytes - (lamina_u32)sizeof(struct lamina_ring_header)) / slot_size;
	lamina_u32 p = 1;

	if (bytes < sizeof(struct lamina_ring_header) + slot_size)
		return 0;
	while (p <= n / 2)
		p *= 2;
	return p;
}

/*
 * Publish producer index new_prod (old_prod was the last one published) at
 * *prod, then decide whether the peer asked for a notification via *event.
 */
static inline int lamina_ring_publish(lamina_u32 *prod, const lamina_u32 *event,
				      lamina_u32 old_prod, lamina_u32 new_prod)
{
	lamina_u32 ev;

	lamina_wmb();                       /* slots before the index */
	LAMINA_WRITE_ONCE(*prod, new_prod);
	lamina_mb();                        /* index before reading the event */
	ev = LAMINA_READ_ONCE(*event);
	return (lamina_u32)(new_prod - ev) < (lamina_u32)(new_prod - old_prod);
}

/*
 * Unconsumed entries: prod - cons, checked against limit (the most the peer
 * may legally have published beyond cons). Orders later slot reads after
 * the index read.
 */
static inline int lamina_ring_pending(const lamina_u32 *prod, lamina_u32 cons,
				      lamina_u32 limit)
{
	lamina_u32 n = LAMINA_READ_ONCE(*prod) - cons;

	lamina_rmb();                       /* index before the slots */
	if (n > limit)
		return -LAMINA_EIO;
	return (int)n;
}

#define LAMINA_RING_DEFINE(name, req_t, rsp_t)                                  \
union name##_slot {                                                            \
	req_t req;                                                             \
	rsp_t rsp;                                                             \
};                                                                             \
struct name##_sring {                                                          \
	struct lamina_ring_header hdr;                                         \
	union name##_slot slot[];                                              \
};                                                                             \
struct name##_front {                                                          \
	lamina_u32 req_prod_pvt; /* next request to fill */                    \
	lamina_u32 rsp_cons;     /* next response to consume */                \
	lamina_u32 nr_ents;                                                    \
	struct name##_sring *sring;                                            \
};                                                                             \
struct name##_back {                                                           \
	lamina_u32 rsp_prod_pvt; /* next response to fill */                   \
	lamina_u32 req_cons;     /* next request to consume */                 \
	lamina_u32 nr_ents;                                                    \
	struct name##_sring *sring;                                            \
};                                                                             \
                                                                               \
static inline void name##_sring_init(struct name##_sring *s)                   \
{                                                                              \
	lamina_u32 i;                                                          \
	for (i = 0; i < sizeof(s->hdr.pad); i++)                               \
		s->hdr.pad[i] = 0;                                             \
	s->hdr.req_prod = 0;                                                   \
	s->hdr.rsp_prod = 0;                                                   \
	s->hdr.req_event = 1;                                                  \
	s->hdr.rsp_event = 1;                                                  \
}                                                                              \
static inline void name##_front_init(struct name##_front *f,                   \
				     struct name##_sring *s, lamina_u32 bytes) \
{                                                                              \
	f->req_prod_pvt = 0;                                                   \
	f->rsp_cons = 0;                                                       \
	f->nr_ents = lamina_ring_entries(bytes, sizeof(union name##_slot));    \
	f->sring = s;                                                          \
}                                                                              \
static inline void name##_back_init(struct name##_back *b,                     \
				    struct name##_sring *s, lamina_u32 bytes)  \
{                                                                              \
	b->rsp_prod_pvt = 0;                                                   \
	b->req_cons = 0;                                                       \
	b->nr_ents = lamina_ring_entries(bytes, sizeof(union name##_slot));    \
	b->sring = s;                                                          \
}                                                                              \
                                                                               \
/* ---- front: requests out ---- */                                           \
static inline lamina_u32 name##_free_requests(const struct name##_front *f)    \
{                                                                              \
	return f->nr_ents - (f->req_prod_pvt - f->rsp_cons);                   \
}                                                                              \
static inline req_t *name##_next_request(struct name##_front *f)               \
{                                                                              \
	union name##_slot *sl;                                                 \
	if (name##_free_requests(f) == 0)                                      \
		return 0;                                                      \
	sl = &f->sring->slot[f->req_prod_pvt++ & (f->nr_ents - 1)];            \
	return &sl->req;                                                       \
}                                                                              \
static inline int name##_push_requests(struct name##_front *f)                 \
{                                                                              \
	struct lamina_ring_header *h = &f->sring->hdr;                         \
	return lamina_ring_publish(&h->req_prod, &h->req_event,                \
				   LAMINA_READ_ONCE(h->req_prod),              \
				   f->req_prod_pvt);                           \
}                                                                              \
                                                                               \
/* ---- back: requests in ---- */                                             \
static inline int name##_pending_requests(const struct name##_back *b)         \
{                                                                              \
	/* the front may have at most nr_ents requests not yet answered */     \
	lamina_u32 busy = b->req_cons - b->rsp_prod_pvt;                       \
	if (busy > b->nr_ents)                                                 \
		return -LAMINA_EIO;                                            \
	return lamina_ring_pending(&b->sring->hdr.req_prod, b->req_cons,       \
				   b->nr_ents - busy);                         \
}                                                                              \
static inline void name##_copy_request(struct name##_back *b, req_t *out)      \
{                                                                              \
	union name##_slot *sl =                                                \
		&b->sring->slot[b->req_cons++ & (b->nr_ents - 1)];             \
	*out = *(volatile req_t *)&sl->req;                                    \
	lamina_barrier(); /* the copy is done before anyone looks at it */     \
}                                                                              \
static inline int name##_take_request(struct name##_back *b, req_t *out)       \
{                                                                              \
	int n = name##_pending_requests(b);                                    \
	if (n <= 0)                                                            \
		return n;                                                      \
	name##_copy_request(b, out);                                           \
	return 1;                                                              \
}                                                                              \
static inline int name##_final_check_requests(struct name##_back *b)           \
{                                                                              \
	int n = name##_pending_requests(b);                                    \
	if (n != 0)                                                            \
		return n;                                                      \
	LAMINA_WRITE_ONCE(b->sring->hdr.req_event, b->req_cons + 1);           \
	lamina_mb(); /* arm the event before re-reading req_prod */            \
	return name##_pending_requests(b);                                     \
}                                                                              \
                                                                               \
/* ---- back: responses out ---- */                                           \
static inline rsp_t *name##_next_response(struct name##_back *b)               \
{                                                                              \
	union name##_slot *sl;                                                 \
	if (b->rsp_prod_pvt == b->req_cons)                                    \
		return 0;                                                      \
	sl = &b->sring->slot[b->rsp_prod_pvt++ & (b->nr_ents - 1)];            \
	return &sl->rsp;                                                       \
}                                                                              \
static inline int name##_push_responses(struct name##_back *b)                 \
{                                                                              \
	struct lamina_ring_header *h = &b->sring->hdr;                         \
	return lamina_ring_publish(&h->rsp_prod, &h->rsp_event,                \
				   LAMINA_READ_ONCE(h->rsp_prod),              \
				   b->rsp_prod_pvt);                           \
}                                                                              \
                                                                               \
/* ---- front: responses in ---- */                                           \
static inline int name##_pending_responses(const struct name##_front *f)       \
{                                                                              \
	/* the back may answer only requests the front has produced */         \
	lamina_u32 outstanding = f->req_prod_pvt - f->rsp_cons;                \
	if (outstanding > f->nr_ents)                                          \
		return -LAMINA_EIO;                                            \
	return lamina_ring_pending(&f->sring->hdr.rsp_prod, f->rsp_cons,       \
				   outstanding);                               \
}                                                                              \
static inline void name##_copy_response(struct name##_front *f, rsp_t *out)    \
{                                                                              \
	union name##_slot *sl =                                                \
		&f->sring->slot[f->rsp_cons++ & (f->nr_ents - 1)];             \
	*out = *(volatile rsp_t *)&sl->rsp;                                    \
	lamina_barrier();                                                      \
}                                                                              \
static inline int name##_take_response(struct name##_front *f, rsp_t *out)     \
{                                                                              \
	int n = name##_pending_responses(f);                                   \
	if (n <= 0)                                                            \
		return n;                                                      \
	name##_copy_response(f, out);                                          \
	return 1;                                                              \
}                                                                              \
static inline int name##_final_check_responses(struct name##_front *f)         \
{                                                                              \
	int n = name##_pending_responses(f);                                   \
	if (n != 0)                                                            \
		return n;                                                      \
	LAMINA_WRITE_ONCE(f->sring->hdr.rsp_event, f->rsp_cons + 1);           \
	lamina_mb();                                                           \
	return name##_pending_responses(f);                                    \
}                                                                              \
typedef int name##_ring_defined /* swallow the caller's semicolon */

#endif /* LAMINA_RING_H */
