// SPDX-License-Identifier: MIT
// blk_crash_check.c: after blk_crash.sh killed a back-end or the hypervisor process: is every write the guest saw flushed on the disk image, and is the image consistent?
//
// usage: blk_crash_check IMAGE LAST
//   LAST: the last i the script saw the guest print "flushed i" for (-1: none).
// The guest issues write i + 1 only after write i and its flush completed,
// so if any sector of a later write H is on the disk, every write before H
// completed too: the check then runs with LAST = H - 1 (when the console
// was read before the kill, the guest may have gone on a little).
// Block b (of BLK_CRASH_BLOCKS, from BLK_CRASH_FIRST) must hold the latest
// write i <= LAST with i % BLK_CRASH_BLOCKS == b, or zeros if there is none.
// Only write LAST + 1 may have been in flight: its block may hold it, and,
// sector by sector, either it or what was there before (sectors are the
// unit a disk writes whole). Prints "ok: ..." and exits 0, or says what is
// wrong and exits 1.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blk_guest/pattern.h"

#define BS 4096u
#define SEC 512u

// Does sector s of buf hold write i's data (i < 0: zeros)?
static int sector_is(const uint64_t *buf, unsigned s, long long i)
{
	for (unsigned w = s * (SEC / 8); w < (s + 1) * (SEC / 8); w++)
		if (buf[w] != (i < 0 ? 0 : blk_pat(BLK_CRASH_SEED + (uint32_t)i, 0, w)))
			return 0;
	return 1;
}

// The write block b must hold if the writes up to last all landed (-1: none).
static long long expected(unsigned b, long long last)
{
	if (last < b)
		return -1;
	return last - (last - b) % BLK_CRASH_BLOCKS;
}

static int check_block(const uint64_t *buf, unsigned b, long long last, char *why, size_t n)
{
	long long want = expected(b, last), next = last + 1;
	int in_flight = next % BLK_CRASH_BLOCKS == b;

	for (unsigned s = 0; s < BS / SEC; s++)
		if (!sector_is(buf, s, want) && !(in_flight && sector_is(buf, s, next))) {
			snprintf(why, n, "block %u sector %u holds neither write %lld%s", b, s, want,
				 in_flight ? " nor the write in flight" : "");
			return 0;
		}
	return 1;
}

// Does any sector of block b (read into buf) hold write i?
static int block_has(const uint64_t *buf, long long i)
{
	for (unsigned s = 0; s < BS / SEC; s++)
		if (sector_is(buf, s, i))
			return 1;
	return 0;
}

// The latest write after last (up to BLK_CRASH_BLOCKS - 1 later) with any
// sector on the disk, or last if there is none.
static long long latest_on_disk(FILE *f, long long last)
{
	static uint64_t buf[BS / 8];
	long long h = last;

	for (long long j = last + 1; j < last + BLK_CRASH_BLOCKS; j++) {
		unsigned b = (unsigned)(j % BLK_CRASH_BLOCKS);
		if (fseek(f, (long)(BLK_CRASH_FIRST + b) * BS, SEEK_SET) != 0 || fread(buf, BS, 1, f) != 1)
			break;
		if (block_has(buf, j))
			h = j;
	}
	return h;
}

int main(int argc, char **argv)
{
	static uint64_t buf[BS / 8];
	char why[160] = "";

	if (argc != 3) {
		fprintf(stderr, "usage: blk_crash_check IMAGE LAST\n");
		return 2;
	}
	long long seen = strtoll(argv[2], NULL, 10), last = seen;
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		printf("cannot read %s\n", argv[1]);
		return 1;
	}
	long long h = latest_on_disk(f, seen);
	if (h > seen + 1)
		last = h - 1;   /* write h was issued, so all before it completed */
	if (fseek(f, (long)BLK_CRASH_FIRST * BS, SEEK_SET) != 0) {
		printf("cannot read %s\n", argv[1]);
		return 1;
	}
	for (unsigned b = 0; b < BLK_CRASH_BLOCKS; b++) {
		if (fread(buf, BS, 1, f) != 1) {
			printf("%s: short at block %u\n", argv[1], b);
			return 1;
		}
		if (!check_block(buf, b, last, why, sizeof(why))) {
			printf("%s\n", why);
			return 1;
		}
	}
	printf("ok: all %lld flushed writes on disk (%lld seen flushed), %u blocks consistent\n",
	       last + 1, seen + 1, BLK_CRASH_BLOCKS);
	return 0;
}
