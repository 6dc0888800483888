// SPDX-License-Identifier: MIT
// Unit tests for lamina-blkback's request checks (pvdrivers/blk/blk_check.c): every refusal and the plans of good requests (Check).
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "blk_check.h"

TCase *image_tcase(void); // test_image.c
TCase *nbd_tcase(void); // test_nbd.c

#ifndef SUITE_NAME
#define SUITE_NAME "blk"
#endif

#define OK LAMINA_BLKIF_RSP_OKAY
#define ERR LAMINA_BLKIF_RSP_ERROR
#define NOTSUP LAMINA_BLKIF_RSP_EOPNOTSUPP

static struct blk_disk disk = { .sectors = 2048, .sector_size = 512, .max_indirect = 256,
				.flush = true, .fua = true, .discard = true, .zeroes = true };
static struct blk_plan plan;

static struct lamina_blkif_request rw(unsigned op, uint64_t sector, unsigned nseg)
{
	struct lamina_blkif_request rq = { .op = (uint8_t)op, .nr_segments = (uint8_t)nseg,
					   .id = 77, .sector = sector };

	for (unsigned i = 0; i < nseg && i < LAMINA_BLKIF_MAX_SEGMENTS; i++)
		rq.seg[i] = (struct lamina_blkif_segment){ .gref = 10 + i, .first_sect = 0, .last_sect = 7 };
	return rq;
}

static int check(struct lamina_blkif_request rq)
{
	return blk_check_request(&rq, &disk, &plan);
}

START_TEST(good_read_plan)
{
	struct lamina_blkif_request rq = rw(LAMINA_BLKIF_OP_READ, 16, 3);

	rq.seg[1].first_sect = 2;
	rq.seg[1].last_sect = 4;
	ck_assert_int_eq(check(rq), OK);
	ck_assert_uint_eq(plan.id, 77);
	ck_assert_uint_eq(plan.nseg, 3);
	ck_assert_uint_eq(plan.offset, 16 * 512);
	ck_assert_uint_eq(plan.len, (8 + 3 + 8) * 512);
	ck_assert_uint_eq(plan.seg[1].off, 1024);
	ck_assert_uint_eq(plan.seg[1].len, 1536);
	ck_assert_uint_eq(plan.seg[2].gref, 12);
}
END_TEST

START_TEST(segment_counts)
{
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_WRITE, 0, 0)), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_WRITE, 0, 12)), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_WRITE, 0, 255)), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_WRITE, 0, 11)), OK);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_FLUSH, 0, 1)), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_FLUSH, 0, 0)), OK);
	ck_assert_uint_eq(plan.len, 0);
}
END_TEST

START_TEST(bad_segments)
{
	struct lamina_blkif_request rq = rw(LAMINA_BLKIF_OP_READ, 0, 2);

	rq.seg[1].last_sect = 8;
	ck_assert_int_eq(check(rq), ERR);
	rq.seg[1].first_sect = 5;
	rq.seg[1].last_sect = 4;
	ck_assert_int_eq(check(rq), ERR);
	rq.seg[1] = rq.seg[0]; // the same grant twice
	ck_assert_int_eq(check(rq), ERR);
	ck_assert_str_eq(plan.why, "a grant appears twice in one request");
}
END_TEST

START_TEST(bounds)
{
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_READ, 2048 - 8, 1)), OK);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_READ, 2048 - 7, 1)), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_READ, 2048, 1)), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_READ, UINT64_MAX - 3, 1)), ERR);
	ck_assert_str_eq(plan.why, "past the end of the disk");
	struct lamina_blkif_request d = { .op = LAMINA_BLKIF_OP_DISCARD, .sector = 8, .sector_count = 2040 };
	ck_assert_int_eq(check(d), OK);
	ck_assert_uint_eq(plan.len, 2040 * 512);
	d.sector_count = 2041;
	ck_assert_int_eq(check(d), ERR);
	d.sector_count = 0;
	ck_assert_int_eq(check(d), ERR);
	d.sector = 1;
	d.sector_count = UINT64_MAX;
	ck_assert_int_eq(check(d), ERR);
}
END_TEST

START_TEST(sector_size_4096)
{
	struct blk_disk saved = disk;
	struct lamina_blkif_request rq = rw(LAMINA_BLKIF_OP_WRITE, 8, 2);

	disk.sector_size = 4096;
	ck_assert_int_eq(check(rq), OK);
	rq.sector = 4;
	ck_assert_int_eq(check(rq), ERR);
	rq.sector = 8;
	rq.seg[0].last_sect = 6;
	ck_assert_int_eq(check(rq), ERR);
	disk = saved;
	ck_assert_int_eq(check(rq), OK);
}
END_TEST

START_TEST(ops_and_features)
{
	struct blk_disk saved = disk;
	struct lamina_blkif_request z = { .op = LAMINA_BLKIF_OP_WRITE_ZEROES, .sector = 0, .sector_count = 8 };

	ck_assert_int_eq(check(rw(99, 0, 1)), NOTSUP);
	disk.flush = disk.fua = disk.discard = disk.zeroes = false;
	disk.max_indirect = 0;
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_FLUSH, 0, 0)), NOTSUP);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_WRITE_FUA, 0, 1)), NOTSUP);
	ck_assert_int_eq(check(z), NOTSUP);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_INDIRECT, 0, 0)), NOTSUP);
	ck_assert_uint_eq(plan.id, 77); // refusals still say which request
	disk = saved;
	disk.ro = true;
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_WRITE, 0, 1)), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_WRITE_FUA, 0, 1)), ERR);
	ck_assert_int_eq(check(z), ERR);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_READ, 0, 1)), OK);
	ck_assert_int_eq(check(rw(LAMINA_BLKIF_OP_FLUSH, 0, 0)), OK);
	disk = saved;
}
END_TEST

static struct lamina_blkif_request indirect(unsigned op, unsigned nseg)
{
	struct lamina_blkif_request_indirect ir = { .op = LAMINA_BLKIF_OP_INDIRECT, .indirect_op = (uint8_t)op,
						    .nr_segments = (uint16_t)nseg, .id = 5, .sector = 64 };
	struct lamina_blkif_request rq;

	ir.indirect_gref[0] = 1000;
	memcpy(&rq, &ir, sizeof(rq));
	return rq;
}

START_TEST(indirect_plan)
{
	static struct lamina_blkif_segment segs[256];

	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_WRITE, 256)), OK);
	ck_assert_uint_eq(plan.nind, 1);
	ck_assert_uint_eq(plan.ind[0], 1000);
	for (unsigned i = 0; i < 256; i++)
		segs[i] = (struct lamina_blkif_segment){ .gref = 2000 + i, .last_sect = 7 };
	ck_assert_int_eq(blk_check_indirect(&plan, segs, &disk), ERR); // 64 + 2048 units > 2048
	disk.sectors = 64 + 2048;
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_WRITE, 256)), OK);
	ck_assert_int_eq(blk_check_indirect(&plan, segs, &disk), OK);
	disk.sectors = 2048;
	ck_assert_uint_eq(plan.len, 256 * 4096);
	ck_assert_uint_eq(plan.offset, 64 * 512);
	ck_assert_uint_eq(plan.ring_op, LAMINA_BLKIF_OP_INDIRECT);
	ck_assert_uint_eq(plan.op, LAMINA_BLKIF_OP_WRITE);
	ck_assert_uint_eq(plan.id, 5);
}
END_TEST

// 256 grants in a scrambled order: distinct passes; one repeat anywhere is found (the sort).
START_TEST(indirect_distinct_grants)
{
	static struct lamina_blkif_segment segs[256];

	disk.sectors = 64 + 2048;
	for (unsigned i = 0; i < 256; i++)
		segs[i] = (struct lamina_blkif_segment){ .gref = (i * 97u) % 256u + 5000u, .last_sect = 7 };
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_READ, 256)), OK);
	ck_assert_int_eq(blk_check_indirect(&plan, segs, &disk), OK);
	for (unsigned j = 1; j < 256; j += 37) {
		struct lamina_blkif_segment keep = segs[j];
		segs[j].gref = segs[255 - j / 2].gref; // another index for every j used
		ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_READ, 256)), OK);
		ck_assert_int_eq(blk_check_indirect(&plan, segs, &disk), ERR);
		ck_assert_str_eq(plan.why, "a grant appears twice in one request");
		segs[j] = keep;
	}
	disk.sectors = 2048;
}
END_TEST

START_TEST(indirect_refusals)
{
	static struct lamina_blkif_segment segs[4];

	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_WRITE, 0)), ERR);
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_WRITE, 257)), ERR);
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_FLUSH, 1)), ERR);
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_INDIRECT, 1)), ERR);
	// an indirect page that names itself as a data page
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_READ, 4)), OK);
	for (unsigned i = 0; i < 4; i++)
		segs[i] = (struct lamina_blkif_segment){ .gref = 3000 + i, .last_sect = 7 };
	segs[2].gref = 1000;
	ck_assert_int_eq(blk_check_indirect(&plan, segs, &disk), ERR);
	// a segment out of range inside the page
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_READ, 4)), OK);
	segs[2] = (struct lamina_blkif_segment){ .gref = 3002, .first_sect = 3, .last_sect = 9 };
	ck_assert_int_eq(blk_check_indirect(&plan, segs, &disk), ERR);
	// past the end through many segments
	disk.sectors = 64 + 16;
	ck_assert_int_eq(check(indirect(LAMINA_BLKIF_OP_READ, 4)), OK);
	segs[2] = (struct lamina_blkif_segment){ .gref = 3002, .last_sect = 7 };
	ck_assert_int_eq(blk_check_indirect(&plan, segs, &disk), ERR);
	disk.sectors = 2048;
}
END_TEST

static Suite *blk_suite(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *t = tcase_create("check");

	tcase_add_test(t, good_read_plan);
	tcase_add_test(t, segment_counts);
	tcase_add_test(t, bad_segments);
	tcase_add_test(t, bounds);
	tcase_add_test(t, sector_size_4096);
	tcase_add_test(t, ops_and_features);
	tcase_add_test(t, indirect_plan);
	tcase_add_test(t, indirect_distinct_grants);
	tcase_add_test(t, indirect_refusals);
	suite_add_tcase(s, t);
	suite_add_tcase(s, image_tcase()); // test_image.c
	suite_add_tcase(s, nbd_tcase()); // test_nbd.c
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(blk_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
