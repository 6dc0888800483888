// SPDX-License-Identifier: MIT
// Unit tests for lamina-blkback's image facts (pvdrivers/blk/blk_image.c): file and block-device geometry, refusals (Check).
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_image.h"

static const char *why;

START_TEST(file_geometry)
{
	struct blk_image_facts f = { .bytes = 1 << 20 };
	unsigned ss = 0;
	uint64_t n = 0;

	ck_assert_int_eq(blk_image_sector_size(&f, 0, &ss, &why), 0);
	ck_assert_uint_eq(ss, 512); // a file's default
	ck_assert_int_eq(blk_image_sectors(&f, ss, &n, &why), 0);
	ck_assert_uint_eq(n, 2048);
	ck_assert_int_eq(blk_image_sector_size(&f, 4096, &ss, &why), 0);
	ck_assert_uint_eq(ss, 4096);
	ck_assert_int_eq(blk_image_sectors(&f, ss, &n, &why), 0);
	ck_assert_uint_eq(n, 2048); // still in 512-byte units
}
END_TEST

START_TEST(blockdev_geometry)
{
	struct blk_image_facts f = { .blockdev = true, .bytes = 64ull << 30, .lbs = 4096 };
	unsigned ss = 0;
	uint64_t n = 0;

	ck_assert_int_eq(blk_image_sector_size(&f, 0, &ss, &why), 0);
	ck_assert_uint_eq(ss, 4096); // the device's own
	ck_assert_int_eq(blk_image_sectors(&f, ss, &n, &why), 0);
	ck_assert_uint_eq(n, (64ull << 30) / 512);
	// 512 on a 4096 device: refused, with the reason
	ck_assert_int_eq(blk_image_sector_size(&f, 512, &ss, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "larger than 512"));
	f.lbs = 1024; // the kernel NBD client's old default: 4096 covers it
	ck_assert_int_eq(blk_image_sector_size(&f, 0, &ss, &why), 0);
	ck_assert_uint_eq(ss, 4096);
	f.lbs = 512;
	ck_assert_int_eq(blk_image_sector_size(&f, 0, &ss, &why), 0);
	ck_assert_uint_eq(ss, 512);
	ck_assert_int_eq(blk_image_sector_size(&f, 4096, &ss, &why), 0);
	ck_assert_uint_eq(ss, 4096);
	f.lbs = 8192; // neither: refused whatever is asked
	ck_assert_int_eq(blk_image_sector_size(&f, 0, &ss, &why), -1);
	ck_assert_int_eq(blk_image_sector_size(&f, 4096, &ss, &why), -1);
}
END_TEST

START_TEST(bad_sizes)
{
	struct blk_image_facts f = { .bytes = 0 };
	unsigned ss = 0;
	uint64_t n = 7;

	ck_assert_int_eq(blk_image_sectors(&f, 512, &n, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "non-zero multiple"));
	f.bytes = 4096 + 512;
	ck_assert_int_eq(blk_image_sectors(&f, 512, &n, &why), 0);
	ck_assert_int_eq(blk_image_sectors(&f, 4096, &n, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "(4096)"));
	f.bytes = 1000;
	ck_assert_int_eq(blk_image_sectors(&f, 512, &n, &why), -1);
	ck_assert_int_eq(blk_image_sector_size(&f, 1024, &ss, &why), -1);
}
END_TEST

// The probe on real descriptors: a regular file's st_size, a pipe refused.
START_TEST(probe_file_and_pipe)
{
	char path[] = "/tmp/blk-image-XXXXXX";
	struct blk_image_facts f;
	int fd = mkstemp(path), p[2];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, 3 << 20), 0);
	ck_assert_int_eq(blk_image_probe(fd, &f, &why), 0);
	ck_assert(!f.blockdev);
	ck_assert_uint_eq(f.bytes, 3 << 20);
	close(fd);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(blk_image_probe(p[0], &f, &why), -1);
	ck_assert_str_eq(why, "neither a regular file nor a block device");
	close(p[0]);
	close(p[1]);
}
END_TEST

// A block device when the machine has one we may open (loop devices need
// none to be set up: an unbound /dev/loopN answers BLKSSZGET, size 0).
START_TEST(probe_blockdev)
{
	struct blk_image_facts f;
	int fd = open("/dev/loop0", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return; // no loop device here: the e2e test (blk/qcow2-nbd, /dev/nbd0) covers it
	ck_assert_int_eq(blk_image_probe(fd, &f, &why), 0);
	ck_assert(f.blockdev);
	ck_assert(f.lbs == 512 || f.lbs == 4096);
	close(fd);
}
END_TEST

TCase *image_tcase(void);
TCase *image_tcase(void)
{
	TCase *t = tcase_create("image");

	tcase_add_test(t, file_geometry);
	tcase_add_test(t, blockdev_geometry);
	tcase_add_test(t, bad_sizes);
	tcase_add_test(t, probe_file_and_pipe);
	tcase_add_test(t, probe_blockdev);
	return t;
}
