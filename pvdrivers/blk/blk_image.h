// SPDX-License-Identifier: MIT
// blk_image.h: what lamina-blkback learns about its image (regular file or block device) and the disk geometry it offers from it.
//
// A block device's size is not its st_size (0): it comes from BLKGETSIZE64,
// and its logical sector size from BLKSSZGET. The decisions (which sector
// size, how many sectors) are pure functions of the facts, unit-tested in
// tests/unit/blk.
#ifndef BLK_IMAGE_H
#define BLK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

struct blk_image_facts {
	bool blockdev; // a block device (else a regular file)
	uint64_t bytes; // its size
	unsigned lbs; // a block device's logical sector size; 0 for a file
};

// fstat the open image and fill f. 0, or -1 with *why (static text or
// strerror) when it is neither a regular file nor a block device or an
// ioctl fails.
int blk_image_probe(int fd, struct blk_image_facts *f, const char **why);
// The logical sector size to offer: requested (512 or 4096) or, when 0,
// the default (512 for a file or a block device of 512-byte logical
// sectors, 4096 for one of 1024 to 4096). A
// request below a block device's logical sector size is refused: writes
// the guest thinks atomic would be read-modify-write on the device.
// 0 with *out set, or -1 with *why.
int blk_image_sector_size(const struct blk_image_facts *f, unsigned requested, unsigned *out,
			  const char **why);
// The disk's size in 512-byte units; -1 with *why when the size is 0 or
// not a multiple of sector_size.
int blk_image_sectors(const struct blk_image_facts *f, unsigned sector_size, uint64_t *sectors,
		      const char **why);
#endif
