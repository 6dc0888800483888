// SPDX-License-Identifier: MIT
// shim_blk.h: force-included into the blk harness's compile of lamina-blkback's ring code: the shared shim, and the block ring's take through it.
#ifndef FUZZ_SHIM_BLK_H
#define FUZZ_SHIM_BLK_H
#include "common/shim.h"
#include <lamina/io/blkif.h>

FZ_RING_TAKE(lamina_blkif, struct lamina_blkif_request)
#define lamina_blkif_take_request fz_lamina_blkif_take_request
#endif
