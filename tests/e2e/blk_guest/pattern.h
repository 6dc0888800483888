// SPDX-License-Identifier: MIT
// pattern.h: the data pattern the block test guest writes, shared with the host-side checker (blk_crash_check.c).
#ifndef BLK_PATTERN_H
#define BLK_PATTERN_H
#include <stdint.h>

// Word `word` (0..511) of page `page` of a buffer filled with seed `seed`.
static inline uint64_t blk_pat(uint32_t seed, unsigned page, unsigned word)
{
	uint64_t x = (uint64_t)seed << 32 ^ (uint64_t)page << 12 ^ word;

	x *= 0x9e3779b97f4a7c15ull;
	return x ^ x >> 29;
}

// The crash case (blk_guest main.c, blk_crash.sh): write i goes to 4 KiB
// block i % BLK_CRASH_BLOCKS from BLK_CRASH_FIRST on, filled with seed
// BLK_CRASH_SEED + i.
#define BLK_CRASH_FIRST 1024u
#define BLK_CRASH_BLOCKS 4096u
#define BLK_CRASH_SEED 0x5eed0000u
#endif
