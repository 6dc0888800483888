// SPDX-License-Identifier: MIT
// blk_image.c: the image's facts (regular file: st_size; block device: BLKGETSIZE64, BLKSSZGET) and the geometry lamina-blkback offers.
#include "blk_image.h"

#include <errno.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

int blk_image_probe(int fd, struct blk_image_facts *f, const char **why)
{
	struct stat st;
	uint64_t bytes;
	int lbs;

	*f = (struct blk_image_facts){ 0 };
	if (fstat(fd, &st))
		return *why = strerror(errno), -1;
	if (S_ISREG(st.st_mode)) {
		f->bytes = (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISBLK(st.st_mode))
		return *why = "neither a regular file nor a block device", -1;
	if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &lbs))
		return *why = strerror(errno), -1;
	f->blockdev = true;
	f->bytes = bytes;
	f->lbs = lbs > 0 ? (unsigned)lbs : 0;
	return 0;
}

int blk_image_sector_size(const struct blk_image_facts *f, unsigned requested, unsigned *out,
			  const char **why)
{
	if (requested && requested != 512 && requested != 4096)
		return *why = "the sector size must be 512 or 4096", -1;
	if (!requested)
		requested = f->blockdev && f->lbs > 512 ? 4096 : 512;
	if (f->blockdev && f->lbs > 4096)
		return *why = "the block device's logical sectors are larger than 4096 bytes", -1;
	if (f->blockdev && f->lbs > requested)
		return *why = "the block device's logical sectors are larger than 512 bytes: "
			      "a 512-byte sector would not be atomic on it", -1;
	*out = requested;
	return 0;
}

int blk_image_sectors(const struct blk_image_facts *f, unsigned sector_size, uint64_t *sectors,
		      const char **why)
{
	if (f->bytes == 0 || f->bytes % sector_size)
		return *why = sector_size == 4096 ? "size is not a non-zero multiple of the sector size (4096)"
				   : "size is not a non-zero multiple of the sector size (512)", -1;
	*sectors = f->bytes / 512;
	return 0;
}
