// SPDX-License-Identifier: MIT
// fuzz_blk.h: the blk harness's parts: the front-end and its checks (fuzz_blk.c), the faked outside world of lamina-blkback (fake.c).
#ifndef FUZZ_BLK_H
#define FUZZ_BLK_H
#include "blk.h"
#include "common/shim_int.h"

#define PAGE 4096u
#define NGUEST 640u   /* pages the front may grant: grefs 0..639 map, larger ones do not */
#define MAXQ 4u
#define MAXREC 256u   /* requests taken and not answered, per ring (at most its 128 slots) */

struct rec { /* a request the back-end took, as it copied it */
	uint32_t index;
	struct lamina_blkif_request rq;
};

struct front { /* the front-end's side of one ring */
	struct lamina_blkif_sring *s;
	size_t bytes;
	struct fz_region *reg;
	uint32_t prod; /* requests written */
	uint32_t rsp_cons; /* responses collected */
	uint32_t next_take; /* the index the back-end must take next */
	unsigned takes; /* requests taken in the current back-end call */
	struct rec rec[MAXREC]; /* taken and not answered, in take order */
	unsigned nrec;
	uint64_t ok[MAXREC]; /* ids whose I/O the engine finished well, not yet answered OKAY */
	unsigned nok;
};

extern struct blk_dev dev;
extern struct front fq[MAXQ];
extern uint8_t *guest; /* the front's own view of its pages: NGUEST * PAGE bytes */
extern int64_t fake_now;
extern bool fake_bounce; /* the engine goes through s->bounce (O_DIRECT), else the mapped pages */
extern unsigned fake_fail_every; /* every n-th submit fails (0: none) */
extern const struct blk_engine fake_engine;

// fake.c: guest memory, mappings, disk, engine.
void fake_init(void); // once: the guest's memory, the doorbells
void fake_setup(uint64_t disk_bytes, unsigned room); // each input: clean pages, a patterned disk
void fake_dirty(uint32_t gref); // the front wrote page gref (cleaned at the next input)
void fake_done(unsigned pick, unsigned how); // the engine finishes an in-flight I/O (pick, result class)
unsigned fake_ios(void); // I/O queued with the engine
unsigned fake_mapped(void); // pages mapped by the back-end now
bool fake_failed(void); // the back-end declared a ring corrupt (blk_fail, i.e. lbk_fail)
void fake_ring_guard(void); // before a back-end call: snapshot the rings once one is corrupt
void fake_ring_check(void); // after it: a corrupt ring untouched
int fake_kick_fd(unsigned q);

// fuzz_blk.c: the front's records.
void harvest(void); // collect and check every response written so far
unsigned rec_count(const struct front *f, uint64_t id, const struct rec **first);
void ok_add(unsigned q, uint64_t id); // the engine finished q's request id well
#endif
