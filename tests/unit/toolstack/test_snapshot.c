// SPDX-License-Identifier: MIT
// Toolstack unit tests: the snapshot commands' rules (toolstack/snapshot.c): names, disks, domain states, qemu-img's arguments.
#include "suites.h"

#include "proto.h"
#include "snapshot.h"

#include <string.h>

START_TEST(ops_from_commands)
{
	ck_assert_int_eq(snap_op_of("snapshot-create"), SNAP_CREATE);
	ck_assert_int_eq(snap_op_of("snapshot-list"), SNAP_LIST);
	ck_assert_int_eq(snap_op_of("snapshot-revert"), SNAP_REVERT);
	ck_assert_int_eq(snap_op_of("snapshot-delete"), SNAP_DELETE);
	ck_assert_int_eq(snap_op_of("snapshot"), -1);
}
END_TEST

START_TEST(names)
{
	char long_name[SNAP_NAME_MAX + 2];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	ck_assert_ptr_null(snap_name_problem("before-upgrade 2026"));
	ck_assert_str_eq(snap_name_problem(""), "a snapshot name may not be empty");
	ck_assert_str_eq(snap_name_problem("-l"), "a snapshot name may not start with '-'");
	ck_assert_str_eq(snap_name_problem("a\nb"), "a snapshot name may not hold control characters");
	ck_assert_str_eq(snap_name_problem(long_name), "a snapshot name is at most 128 bytes");
	long_name[SNAP_NAME_MAX] = 0;
	ck_assert_ptr_null(snap_name_problem(long_name));
}
END_TEST

START_TEST(disks)
{
	struct dom_config c = { .name = "d", .ndisks = 2 };
	char why[256];

	c.disks[0] = (struct dom_disk){ .source = "/i/a.img", .target = "xvda" };
	c.disks[1] = (struct dom_disk){ .source = "/i/b.qcow2", .target = "xvdb", .format = "qcow2" };
	ck_assert_ptr_eq(snap_disk(&c, "xvdb", why, sizeof(why)), &c.disks[1]);
	ck_assert_ptr_null(snap_disk(&c, "xvda", why, sizeof(why)));
	ck_assert_str_eq(why, "disk xvda of domain 'd' is a raw image: internal snapshots need a "
			      "qcow2 disk (<driver type=\"qcow2\"/>)");
	strcpy(c.disks[0].format, "vmdk");
	ck_assert_ptr_null(snap_disk(&c, "xvda", why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "is a vmdk image"));
	ck_assert_ptr_null(snap_disk(&c, "xvdc", why, sizeof(why)));
	ck_assert_str_eq(why, "domain 'd' has no disk xvdc");
}
END_TEST

START_TEST(states)
{
	for (int op = SNAP_CREATE; op <= SNAP_DELETE; op++) {
		ck_assert_ptr_null(snap_state_problem(op, LP_STATE_SHUTOFF));
		ck_assert_ptr_nonnull(snap_state_problem(op, LP_STATE_RUNNING));
		ck_assert_ptr_nonnull(snap_state_problem(op, LP_STATE_SHUTTING_DOWN));
		ck_assert_ptr_nonnull(snap_state_problem(op, LP_STATE_CRASHED));
		ck_assert((snap_state_problem(op, LP_STATE_PAUSED) == NULL) == (op == SNAP_LIST));
	}
}
END_TEST

static void assert_argv(const char *const *got, const char *const *want)
{
	size_t i = 0;

	for (; want[i]; i++)
		ck_assert_str_eq(got[i], want[i]);
	ck_assert_ptr_null(got[i]);
}

START_TEST(qemu_img_arguments)
{
	const char *argv[SNAP_ARGV_MAX];

	snap_argv(SNAP_CREATE, LP_STATE_SHUTOFF, "/i/b.qcow2", "s1", argv);
	assert_argv(argv, (const char *[]){ "qemu-img", "snapshot", "-q", "-c", "s1", "/i/b.qcow2", NULL });
	snap_argv(SNAP_REVERT, LP_STATE_SHUTOFF, "/i/b.qcow2", "s1", argv);
	assert_argv(argv, (const char *[]){ "qemu-img", "snapshot", "-q", "-a", "s1", "/i/b.qcow2", NULL });
	snap_argv(SNAP_DELETE, LP_STATE_SHUTOFF, "/i/b.qcow2", "s1", argv);
	assert_argv(argv, (const char *[]){ "qemu-img", "snapshot", "-q", "-d", "s1", "/i/b.qcow2", NULL });
	snap_argv(SNAP_LIST, LP_STATE_SHUTOFF, "/i/b.qcow2", NULL, argv);
	assert_argv(argv, (const char *[]){ "qemu-img", "snapshot", "-l", "/i/b.qcow2", NULL });
	snap_argv(SNAP_LIST, LP_STATE_PAUSED, "/i/b.qcow2", NULL, argv); // shared with its server
	assert_argv(argv, (const char *[]){ "qemu-img", "snapshot", "-U", "-l", "/i/b.qcow2", NULL });
}
END_TEST

Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, ops_from_commands);
	tcase_add_test(tc, names);
	tcase_add_test(tc, disks);
	tcase_add_test(tc, states);
	tcase_add_test(tc, qemu_img_arguments);
	suite_add_tcase(s, tc);
	return s;
}
