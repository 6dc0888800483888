// SPDX-License-Identifier: MIT
// test_mem.c: Check unit tests for guest-RAM bookkeeping (mem.c) and the physmap hole (physmap.c).
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lamina/errno.h>
#include <lamina/memory.h>
#include "mem.h"
#include "physmap.h"

#ifndef SUITE_NAME
#define SUITE_NAME "mem"
#endif

/* ---- kvm double: records the last slot change, can be told to fail ---- */
static int kvm_fail, kvm_calls;
static uint64_t kvm_last_gpa, kvm_last_len;
static uint32_t kvm_last_flags;

int kvm_map_flags(int vm, int slot, uint64_t gpa, uint64_t len, void *host, uint32_t flags)
{
	(void)vm; (void)slot; (void)host;
	kvm_calls++;
	kvm_last_gpa = gpa;
	kvm_last_len = len;
	kvm_last_flags = flags;
	return kvm_fail ? -1 : 0;
}

int kvm_map(int vm, int slot, uint64_t gpa, uint64_t len, void *host)
{
	return kvm_map_flags(vm, slot, gpa, len, host, 0);
}

static struct domain *d;
static char err[256];

static void setup(void)
{
	d = calloc(1, sizeof(*d));
	d->memfd = -1;
	kvm_fail = kvm_calls = 0;
}

static void teardown(void)
{
	mem_free(d);
	free(d);
}

static struct domain *with_ram(uint64_t mib)
{
	ck_assert_int_eq(mem_init(d, mib << 20, err, sizeof(err)), 0);
	d->max_pages = (mib << 20) / HV_PAGE;
	return d;
}

START_TEST(init_rejects_bad_sizes)
{
	ck_assert_int_eq(mem_init(d, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "memory must be a multiple of 2 MiB between 2 MiB and 3072 MiB");
	ck_assert_int_eq(mem_init(d, 3u << 20, err, sizeof(err)), -1);
	ck_assert_int_eq(mem_init(d, MEM_RAM_MAX + (2u << 20), err, sizeof(err)), -1);
	ck_assert_int_eq(kvm_calls, 0);
}
END_TEST

START_TEST(init_populates_everything)
{
	with_ram(4);
	ck_assert_uint_eq(atomic_load(&d->cur_pages), 1024);
	ck_assert(mem_populated(d, 0) && mem_populated(d, 1023));
	ck_assert(!mem_populated(d, 1024));
	ck_assert_int_eq(kvm_calls, 1);
	ck_assert_uint_eq(kvm_last_gpa, 0);
	ck_assert_uint_eq(kvm_last_len, 4u << 20);
}
END_TEST

START_TEST(init_reports_kvm_failure)
{
	kvm_fail = 1;
	ck_assert_int_eq(mem_init(d, 2u << 20, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "KVM memory slot"));
}
END_TEST

START_TEST(release_and_populate)
{
	with_ram(2);
	ck_assert_int_eq(mem_release(d, 300), 0);
	ck_assert_uint_eq(atomic_load(&d->cur_pages), 511);
	ck_assert_int_eq(mem_release(d, 300), -LAMINA_ENOENT);
	ck_assert_int_eq(mem_release(d, 512), -LAMINA_EINVAL);
	ck_assert_int_eq(mem_populate(d, 301), -LAMINA_EEXIST);
	ck_assert_int_eq(mem_populate(d, 512), -LAMINA_EINVAL);
	ck_assert_int_eq(mem_populate(d, 300), 0);
	ck_assert_uint_eq(atomic_load(&d->cur_pages), 512);
}
END_TEST

START_TEST(release_range)
{
	with_ram(4);
	ck_assert_int_eq(mem_release_range(d, 512, 512), 0);
	ck_assert_uint_eq(atomic_load(&d->cur_pages), 512);
	ck_assert(mem_populated(d, 511) && !mem_populated(d, 512) && !mem_populated(d, 1023));
	ck_assert_int_eq(mem_release_range(d, 1000, 25), -LAMINA_EINVAL);
	ck_assert_int_eq(mem_release_range(d, ~0ull, 2), -LAMINA_EINVAL);
	ck_assert_int_eq(mem_release_range(d, 500, 20), 0);       /* partly released already */
	ck_assert_uint_eq(atomic_load(&d->cur_pages), 500);
}
END_TEST

/* Everything but the kept gfns goes back to the host: the memfd's blocks. */
START_TEST(release_except_keeps_only_those)
{
	const uint64_t keep[] = { 3, 3, 100, 511, 4096, ~0ull };   /* repeats, beyond RAM */
	struct stat st;

	with_ram(2);
	memset(d->ram, 1, 2u << 20);
	ck_assert_int_eq(mem_release_except(d, keep, 6), 0);
	ck_assert_uint_eq(atomic_load(&d->cur_pages), 3);
	ck_assert(mem_populated(d, 3) && mem_populated(d, 100) && mem_populated(d, 511));
	ck_assert(!mem_populated(d, 0) && !mem_populated(d, 4) && !mem_populated(d, 510));
	ck_assert_int_eq(fstat(d->memfd, &st), 0);
	ck_assert_int_eq(st.st_blocks * 512, 3 * HV_PAGE);
	ck_assert_int_eq(d->ram[100 * HV_PAGE], 1);
	ck_assert_int_eq(mem_release_except(d, NULL, 0), 0);      /* keep nothing */
	ck_assert_uint_eq(atomic_load(&d->cur_pages), 0);
	ck_assert_int_eq(fstat(d->memfd, &st), 0);
	ck_assert_int_eq(st.st_blocks, 0);
}
END_TEST

START_TEST(populate_respects_the_maximum)
{
	with_ram(2);
	mem_release(d, 10);
	mem_release(d, 11);
	d->max_pages = 511;
	ck_assert_int_eq(mem_populate(d, 10), 0);
	ck_assert_int_eq(mem_populate(d, 11), -LAMINA_ENOMEM);
	ck_assert(!mem_populated(d, 11));
}
END_TEST

START_TEST(released_page_reads_zero_after_repopulating)
{
	with_ram(2);
	memset(d->ram + 5 * HV_PAGE, 0xab, HV_PAGE);
	mem_release(d, 5);
	mem_populate(d, 5);
	ck_assert_int_eq(d->ram[5 * HV_PAGE + 17], 0);
}
END_TEST

/* Can frame gfn be read through KVM's view? A write(2) from an unreadable
 * buffer fails with EFAULT instead of faulting the test. */
static bool kvm_sees(uint64_t gfn)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ssize_t n = write(fds[1], d->kvm_ram + gfn * HV_PAGE, 1);
	close(fds[0]);
	close(fds[1]);
	return n == 1;
}

/* memory.h (1.5): a frame given back is not the guest's any more. */
START_TEST(released_frame_is_unmapped_for_the_guest)
{
	with_ram(2);
	ck_assert_ptr_ne(d->kvm_ram, d->ram);
	ck_assert(kvm_sees(7));
	ck_assert_int_eq(mem_release(d, 7), 0);
	ck_assert(!kvm_sees(7));
	ck_assert(kvm_sees(6) && kvm_sees(8));
	ck_assert_int_eq(d->ram[7 * HV_PAGE], 0);   /* the hypervisor's view stays */
	ck_assert_int_eq(mem_populate(d, 7), 0);
	ck_assert(kvm_sees(7));
	ck_assert_int_eq(d->kvm_ram[7 * HV_PAGE + 5], 0);
}
END_TEST

/* Frames above the initial reservation start unmapped for the guest. */
START_TEST(frames_above_the_reservation_are_unmapped)
{
	with_ram(4);
	ck_assert_int_eq(mem_release_range(d, 512, 512), 0);
	ck_assert(kvm_sees(511) && !kvm_sees(512) && !kvm_sees(1023));
	ck_assert_uint_eq(d->unowned_runs, 1);
	ck_assert_int_eq(mem_populate_n(d, 512, 8), 0);
	ck_assert(kvm_sees(512) && kvm_sees(519) && !kvm_sees(520));
	ck_assert_uint_eq(d->unowned_runs, 1);
}
END_TEST

/* memory.h: at most LAMINA_MEM_MAX_RUNS separate runs of unowned frames;
 * a release next to a run and a populate of a whole run stay allowed. */
START_TEST(unowned_runs_are_bounded)
{
	const uint64_t max = LAMINA_MEM_MAX_RUNS;

	with_ram(2 * (max * 2 * HV_PAGE >> 20) + 2);
	for (uint64_t i = 0; i < max; i++)
		ck_assert_int_eq(mem_release(d, 2 * i + 1), 0);
	ck_assert_uint_eq(d->unowned_runs, max);
	ck_assert_int_eq(mem_release(d, 2 * max + 1), -LAMINA_ENOMEM);   /* a new run */
	ck_assert(mem_populated(d, 2 * max + 1) && kvm_sees(2 * max + 1));
	ck_assert_int_eq(mem_release(d, 2 * max - 1 + 1), 0);         /* joins the last run */
	ck_assert_uint_eq(d->unowned_runs, max);
	ck_assert_int_eq(mem_release(d, 2), 0);                        /* merges two runs */
	ck_assert_uint_eq(d->unowned_runs, max - 1);
	ck_assert_int_eq(mem_release(d, 2 * max + 3), 0);              /* room for one again */
	ck_assert_int_eq(mem_release_n(d, 2 * max + 6, 2), -LAMINA_ENOMEM);
	ck_assert_int_eq(mem_populate(d, 1), 0);                       /* splits [1,3] */
	ck_assert_uint_eq(d->unowned_runs, max);
	ck_assert_int_eq(mem_populate(d, 5), 0);                       /* a whole run */
	ck_assert_uint_eq(d->unowned_runs, max - 1);
}
END_TEST

/* A dying domain's RAM goes back with no limit on runs, and the count
 * stays right. */
START_TEST(release_except_recounts_the_runs)
{
	const uint64_t keep[] = { 10, 20, 30 };

	with_ram(2);
	ck_assert_int_eq(mem_release_except(d, keep, 3), 0);
	ck_assert_uint_eq(d->unowned_runs, 4);
	ck_assert_int_eq(mem_populate(d, 0), 0);
	ck_assert_uint_eq(d->unowned_runs, 4);
	ck_assert_int_eq(mem_populate_n(d, 11, 9), 0);
	ck_assert_uint_eq(d->unowned_runs, 3);
}
END_TEST

START_TEST(gpa_bounds)
{
	with_ram(2);
	ck_assert_ptr_eq(mem_gpa(d, 0x1000, 8), d->ram + 0x1000);
	ck_assert_ptr_null(mem_gpa(d, 0x1000, 0));
	ck_assert_ptr_null(mem_gpa(d, (2u << 20) - 4, 8));        /* runs past RAM */
	ck_assert_ptr_null(mem_gpa(d, ~0ull - 3, 8));              /* wraps */
	ck_assert_ptr_null(mem_gpa(d, 2u << 20, 1));
	mem_release(d, 3);
	ck_assert_ptr_null(mem_gpa(d, 2 * HV_PAGE + 4000, 200));   /* spans a hole */
	ck_assert_ptr_nonnull(mem_gpa(d, 2 * HV_PAGE, 4096));
}
END_TEST

static long rss_shmem_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssShmem: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

START_TEST(release_returns_memory_to_the_host)
{
	with_ram(16);
	memset(d->ram, 1, 16u << 20);
	long before = rss_shmem_kib();
	for (uint64_t g = 0; g < 2048; g++)          /* 8 MiB */
		ck_assert_int_eq(mem_release(d, g), 0);
	long after = rss_shmem_kib();
	ck_assert_msg(before - after >= 8192 * 9 / 10, "RssShmem fell %ld KiB, want >= 7372",
		      before - after);
}
END_TEST

#define HOLE_GFN (LAMINA_PHYSMAP_HOLE_BASE / HV_PAGE)
static char pages[3][4096] __attribute__((aligned(4096)));

START_TEST(physmap_only_in_the_hole)
{
	ck_assert_int_eq(physmap_add(d, pages[0], 5), -LAMINA_EINVAL);
	ck_assert_int_eq(physmap_add(d, pages[0], HOLE_GFN - 1), -LAMINA_EINVAL);
	ck_assert_int_eq(physmap_add(d, pages[0], (LAMINA_PHYSMAP_HOLE_BASE + LAMINA_PHYSMAP_HOLE_SIZE) / HV_PAGE),
			 -LAMINA_EINVAL);
	ck_assert_int_eq(physmap_add(d, pages[0], HOLE_GFN), 0);
	ck_assert(physmap_gfn_used(d, HOLE_GFN));
	ck_assert_uint_eq(kvm_last_gpa, LAMINA_PHYSMAP_HOLE_BASE);
	ck_assert_uint_eq(kvm_last_len, HV_PAGE);
}
END_TEST

START_TEST(physmap_busy_and_move)
{
	ck_assert_int_eq(physmap_add(d, pages[0], HOLE_GFN), 0);
	ck_assert_int_eq(physmap_add(d, pages[1], HOLE_GFN), -LAMINA_EBUSY);
	ck_assert_int_eq(physmap_add(d, pages[0], HOLE_GFN), 0);          /* same place: fine */
	ck_assert_int_eq(physmap_add(d, pages[0], HOLE_GFN + 7), 0);      /* moves */
	ck_assert(!physmap_gfn_used(d, HOLE_GFN));
	ck_assert(physmap_gfn_used(d, HOLE_GFN + 7));
	ck_assert_int_eq(physmap_add(d, pages[1], HOLE_GFN), 0);
}
END_TEST

START_TEST(physmap_read_only_flag_reaches_kvm)
{
	ck_assert_int_eq(physmap_add_flags(d, pages[2], HOLE_GFN + 3, KVM_MEM_READONLY), 0);
	ck_assert_uint_eq(kvm_last_flags, KVM_MEM_READONLY);
}
END_TEST

START_TEST(physmap_full_and_kvm_failure)
{
	static char many[PHYSMAP_MAX + 1][16];

	for (int i = 0; i < PHYSMAP_MAX; i++)
		ck_assert_int_eq(physmap_add(d, many[i], HOLE_GFN + (uint64_t)i), 0);
	ck_assert_int_eq(physmap_add(d, many[PHYSMAP_MAX], HOLE_GFN + PHYSMAP_MAX), -LAMINA_ENOSPC);
	memset(d->pm, 0, sizeof(d->pm));
	kvm_fail = 1;
	ck_assert_int_eq(physmap_add(d, pages[0], HOLE_GFN), -LAMINA_ENOMEM);
	ck_assert(!physmap_gfn_used(d, HOLE_GFN));
}
END_TEST

int main(void)
{
	Suite *s = suite_create(SUITE_NAME);
	TCase *t = tcase_create("ram");
	TCase *p = tcase_create("physmap");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_checked_fixture(p, setup, teardown);
	tcase_add_test(t, init_rejects_bad_sizes);
	tcase_add_test(t, init_populates_everything);
	tcase_add_test(t, init_reports_kvm_failure);
	tcase_add_test(t, release_and_populate);
	tcase_add_test(t, release_range);
	tcase_add_test(t, release_except_keeps_only_those);
	tcase_add_test(t, populate_respects_the_maximum);
	tcase_add_test(t, released_page_reads_zero_after_repopulating);
	tcase_add_test(t, released_frame_is_unmapped_for_the_guest);
	tcase_add_test(t, frames_above_the_reservation_are_unmapped);
	tcase_add_test(t, unowned_runs_are_bounded);
	tcase_add_test(t, release_except_recounts_the_runs);
	tcase_add_test(t, gpa_bounds);
	tcase_add_test(t, release_returns_memory_to_the_host);
	tcase_add_test(p, physmap_only_in_the_hole);
	tcase_add_test(p, physmap_busy_and_move);
	tcase_add_test(p, physmap_read_only_flag_reaches_kvm);
	tcase_add_test(p, physmap_full_and_kvm_failure);
	suite_add_tcase(s, t);
	suite_add_tcase(s, p);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_ENV);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
