// SPDX-License-Identifier: MIT
// Toolstack end-to-end tests: lamina against a private laminad --fake, outputs asserted.
#include "suites.h"

#include "e2e.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define D TEST_DATA_DIR "/"
#define HEADER "NAME                        ID STATE         VCPUS     MEMORY   CPU-TIME PERSISTENT\n"

static pid_t daemon_pid;
static struct run r;

static void setup(void)
{
	e2e_env();
	daemon_pid = e2e_daemon();
}

static void teardown(void)
{
	e2e_cleanup(daemon_pid);
}

#define OK(...)                                                                    \
	do {                                                                       \
		e2e_lamina(&r, NULL, __VA_ARGS__, NULL);                           \
		ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);      \
	} while (0)

#define FAILS(code, errtext, ...)                                                  \
	do {                                                                       \
		e2e_lamina(&r, NULL, __VA_ARGS__, NULL);                           \
		ck_assert_int_eq(r.status, code);                                  \
		ck_assert_str_eq(r.err, errtext);                                  \
	} while (0)

static void assert_matches(const char *text, const char *re)
{
	regex_t rx;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
	ck_assert_msg(regexec(&rx, text, 0, NULL, 0) == 0, "'%s' does not match /%s/", text, re);
	regfree(&rx);
}

START_TEST(lifecycle)
{
	OK("create", D "good-minimal.xml");
	ck_assert_str_eq(r.out, "Created domain 'mini' (id 1).\n");
	OK("list");
	assert_matches(r.out, "^" HEADER "mini +1 running +1 +64 MiB +[0-9.]+s no\n$");
	OK("pause", "mini");
	ck_assert_str_eq(r.out, "Domain 'mini' paused.\n");
	OK("list");
	assert_matches(r.out, "\nmini +1 paused +1 +64 MiB");
	FAILS(1, "lamina: domain 'mini' is already paused\n", "pause", "mini");
	OK("unpause", "mini");
	ck_assert_str_eq(r.out, "Domain 'mini' unpaused.\n");
	OK("mem-set", "mini", "32M");
	ck_assert_str_eq(r.out, "Memory target of 'mini' set to 32 MiB.\n");
	OK("list");
	assert_matches(r.out, "\nmini +1 running +1 +32 MiB");
	OK("shutdown", "--wait", "mini");
	ck_assert_str_eq(r.out, "Domain 'mini' has shut down.\n");
	OK("list");
	ck_assert_str_eq(r.out, HEADER);
	OK("create", D "good-minimal.xml");
	ck_assert_str_eq(r.out, "Created domain 'mini' (id 2).\n");
	OK("destroy", "mini");
	ck_assert_str_eq(r.out, "Domain 'mini' destroyed.\n");
	OK("list");
	ck_assert_str_eq(r.out, HEADER);
}
END_TEST

START_TEST(bad_input)
{
	FAILS(1, "lamina: no domain named 'nope'\n", "info", "nope");
	FAILS(1, D "bad-action.xml:10:3: invalid value 'explode' for <on_crash>: expected "
		   "destroy, restart or preserve\nlamina: " D "bad-action.xml: invalid domain "
		   "configuration\n", "create", D "bad-action.xml");
	FAILS(1, D "bad-mem-host.xml:6:3: <currentMemory> (4 GiB) is more than this host has "
		   "(1 GiB)\nlamina: " D "bad-mem-host.xml: invalid domain configuration\n",
	      "create", D "bad-mem-host.xml");
	OK("create", D "good-minimal.xml");
	FAILS(1, "lamina: domain 'mini' already exists (id 1)\n", "create", D "good-minimal.xml");
	FAILS(1, "lamina: memory target 128 MiB for 'mini' must be whole 4 KiB pages between "
		 "1 MiB and its maximum of 64 MiB\n", "mem-set", "mini", "128M");
	FAILS(2, "lamina: mem-set: invalid size 'lots' (examples: 512, 512M, 2G, 1GiB)\n",
	      "mem-set", "mini", "lots");
	FAILS(2, "lamina: unknown command 'frobnicate'; 'lamina --help' lists them\n",
	      "frobnicate");
	FAILS(2, "lamina: pause: missing argument\nUsage: lamina pause NAME\n"
		 "Try 'lamina pause --help'.\n", "pause");
	FAILS(1, "lamina: 'mini' has no vCPU 5 (it has 1)\n", "vcpu-pin", "mini", "5", "0");
	OK("list");
	assert_matches(r.out, "^" HEADER "mini +1 running");
}
END_TEST

static int sh(const char *fmt, const char *a)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, a, a);
	return system(cmd);
}

// Internal snapshots of a qcow2 disk: refused on a raw disk, an unknown
// target and a running domain; listing only while paused; create, list,
// revert (the data comes back) and delete while shut off.
START_TEST(snapshots)
{
	char xml[1024], img[512], path[512];
	FILE *f;

	if (system("command -v qemu-img >/dev/null && command -v qemu-io >/dev/null")) {
		printf("SKIP snapshots: qemu-img or qemu-io not installed (tools/deps)\n");
		return;
	}
	snprintf(img, sizeof(img), "%s/d.qcow2", e2e_dir());
	snprintf(path, sizeof(path), "%s/snap.xml", e2e_dir());
	ck_assert_int_eq(sh("qemu-img create -q -f qcow2 %s 8M && qemu-io -c 'write -q -P 0xaa 0 4k' %s", img), 0);
	snprintf(xml, sizeof(xml), "<domain><name>snap</name><memory unit='MiB'>8</memory><vcpu>1</vcpu>"
		 "<os><kernel>%s</kernel></os><devices><disk><driver type='qcow2'/><source file='%s'/>"
		 "<target dev='xvda'/></disk><disk><source file='%s'/><target dev='xvdb'/></disk>"
		 "</devices></domain>\n", D "files/vmlinuz", img, D "files/disk0.img");
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(xml, f);
	fclose(f);
	OK("define", path);
	OK("snapshot-create", "snap", "xvda", "s1");
	ck_assert_ptr_nonnull(strstr(r.out, "Created snapshot 's1' of xvda"));
	OK("snapshot-list", "snap", "xvda");
	assert_matches(r.out, "^[0-9]+ +s1 ");
	ck_assert_int_eq(sh("qemu-io -c 'write -q -P 0xbb 0 4k' %s", img), 0);
	OK("snapshot-revert", "snap", "xvda", "s1");
	ck_assert_int_eq(sh("qemu-io -c 'read -q -P 0xaa 0 4k' %s | grep -q 'verification failed' && exit 1 || exit 0", img), 0);
	FAILS(1, "lamina: snapshot-create: disk xvdb of domain 'snap' is a raw image: internal snapshots "
		 "need a qcow2 disk (<driver type=\"qcow2\"/>)\n", "snapshot-create", "snap", "xvdb", "s2");
	FAILS(1, "lamina: snapshot-list: domain 'snap' has no disk xvdz\n", "snapshot-list", "snap", "xvdz");
	FAILS(2, "lamina: snapshot-create: a snapshot name may not hold control characters\n",
	      "snapshot-create", "snap", "xvda", "a\tb");
	FAILS(1, "lamina: no domain named 'nope'\n", "snapshot-list", "nope", "xvda");
	OK("start", "snap");
	FAILS(1, "lamina: snapshot-revert: the domain is running and writes to the disk: shut it off "
		 "first (or pause it, to list snapshots)\n", "snapshot-revert", "snap", "xvda", "s1");
	OK("pause", "snap");
	OK("snapshot-list", "snap", "xvda");
	assert_matches(r.out, "^[0-9]+ +s1 ");
	FAILS(1, "lamina: snapshot-delete: the domain is paused, and its disk's server (qemu-nbd, run by "
		 "lamina-blkback) holds the image's write lock: shut the domain off to create, revert or "
		 "delete snapshots (listing works while paused)\n", "snapshot-delete", "snap", "xvda", "s1");
	OK("destroy", "snap");
	OK("snapshot-delete", "snap", "xvda", "s1");
	OK("snapshot-list", "snap", "xvda");
	ck_assert_ptr_null(strstr(r.out, "s1"));
}
END_TEST

START_TEST(failed_create_leaves_nothing)
{
	char xml[512], path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fail.xml", e2e_dir());
	snprintf(xml, sizeof(xml), "<domain><name>doomed</name><memory unit='MiB'>8</memory>"
				   "<vcpu>1</vcpu><os><kernel>%s</kernel><cmdline>fake.fail"
				   "</cmdline></os></domain>\n", D "files/vmlinuz");
	f = fopen(path, "w");
	fputs(xml, f);
	fclose(f);
	FAILS(1, "lamina: fake back-end: kernel refused to boot (fake.fail)\n", "create", path);
	OK("list");
	ck_assert_str_eq(r.out, HEADER);
	snprintf(path, sizeof(path), "%s/log/doomed.log", e2e_dir());
	ck_assert_int_ne(access(path, F_OK), 0);
	OK("create", D "good-minimal.xml"); // the name and the daemon are still usable
}
END_TEST

START_TEST(devices_and_dumpxml)
{
	OK("create", D "good-full.xml");
	OK("block-attach", "--readonly", "web-1.example", D "files/initrd.img", "xvdc");
	ck_assert_str_eq(r.out, "Attached " D "files/initrd.img to 'web-1.example' as xvdc "
				"(read-only).\n");
	FAILS(1, "lamina: cannot attach " D "files/disk0.img as xvda to 'web-1.example': "
		 "that target is already in use\n",
	      "block-attach", "web-1.example", D "files/disk0.img", "xvda");
	OK("block-attach", "--format=qcow2", "web-1.example", D "files/disk1.img", "xvdd");
	OK("dumpxml", "web-1.example");
	ck_assert_ptr_nonnull(strstr(r.out, "<driver type=\"qcow2\"/>"));
	FAILS(2, "lamina: block-attach: unknown image format 'qcow3' (raw, qcow2, qed, vmdk, vhdx, vdi "
		 "or vpc)\n", "block-attach", "-f", "qcow3", "web-1.example", D "files/disk1.img", "xvde");
	OK("block-detach", "web-1.example", "xvdd");
	OK("block-detach", "web-1.example", "xvdb");
	OK("network-attach", "--mac=52:54:00:00:00:99", "--network=lan1", "web-1.example");
	OK("network-detach", "web-1.example", "52:54:00:ab:cd:01");
	FAILS(1, "lamina: 'web-1.example' has no interface with MAC 52:54:00:ab:cd:01\n",
	      "network-detach", "web-1.example", "52:54:00:ab:cd:01");
	OK("vcpu-set", "web-1.example", "3");
	FAILS(1, "lamina: vCPU count 5 for 'web-1.example' is out of range 1-4\n", "vcpu-set",
	      "web-1.example", "5");
	OK("vcpu-pin", "web-1.example", "0", "all");
	OK("dumpxml", "web-1.example");
	assert_matches(r.out, "<vcpu current=\"3\">4</vcpu>");
	assert_matches(r.out, "<source file=\"" D "files/initrd.img\"/>\n +<target dev=\"xvdc\"/>"
			      "\n +<readonly/>");
	ck_assert_ptr_null(strstr(r.out, "xvdb"));
	assert_matches(r.out, "<source network=\"lan1\"/>\n +<mac address=\"52:54:00:00:00:99\"/>");
	ck_assert_ptr_null(strstr(r.out, "52:54:00:ab:cd:01"));
	OK("info", "web-1.example");
	assert_matches(r.out, "^Name: +web-1.example\nId: +1\nState: +running\nvCPUs: +3 of 4\n"
			      "Memory: +256 MiB of 1 GiB\n");
}
END_TEST

START_TEST(console_trace_top)
{
	OK("create", D "good-minimal.xml");
	e2e_lamina(&r, "hello\r", "console", "mini", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "Lamina fake console: mini (id 1)\r\nlogin: hello\r\n");
	OK("trace", "-n", "3", "mini");
	assert_matches(r.out, "^( +[0-9]+\\.[0-9]{6} vcpu0 +[a-z_]+\\(.*\\) = 0\n){3}$");
	OK("top", "-b", "-n", "1", "-d", "0.3");
	assert_matches(r.out, "^NAME +ID STATE +CPU% +MEMORY +VCPUS +EXITS/s +HCALLS/s\n"
			      "mini +1 running +[0-9.]+ +64 MiB +1 +[0-9]+ +[0-9]+\n"
			      " +exits/s: hypercall [0-9]+ doorbell [0-9]+ io 0 msr 0 intr [0-9]+ hlt 0 "
			      "shutdown 0 mmio 0 other 0\n$");
	OK("version");
	ck_assert_str_eq(r.out, "lamina 0.1.0 (protocol 5)\nlaminad 0.1.0 (protocol 5, back-end "
				"fake)\n");
}
END_TEST

START_TEST(crash_preserve_and_logs)
{
	char xml[512], path[512], log[2048] = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/crash.xml", e2e_dir());
	snprintf(xml, sizeof(xml), "<domain><name>crashy</name><memory unit='MiB'>8</memory>"
				   "<vcpu>1</vcpu><os><kernel>%s</kernel><cmdline>fake.crash"
				   "</cmdline></os><on_crash>preserve</on_crash></domain>\n",
		 D "files/vmlinuz");
	f = fopen(path, "w");
	fputs(xml, f);
	fclose(f);
	OK("create", path);
	for (int i = 0; i < 50 && !strstr(r.out, "crashed"); i++) { // crashes after 0.5 s
		usleep(100 * 1000);
		OK("list");
	}
	assert_matches(r.out, "\ncrashy +1 crashed ");
	FAILS(1, "lamina: domain 'crashy' is not running\n", "shutdown", "crashy");
	OK("destroy", "crashy");
	snprintf(path, sizeof(path), "%s/log/crashy.log", e2e_dir());
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(fread(log, 1, sizeof(log) - 1, f), 0);
	fclose(f);
	assert_matches(log, "Z created: id 1, 1 vCPUs, 8192 KiB\n");
	assert_matches(log, "Z guest crashed; action preserve\n");
	assert_matches(log, "Z destroyed: destroyed by request\n$");
}
END_TEST

START_TEST(help_and_man_pages)
{
	static const char *const cmds[] = {
		"create", "list", "info", "console", "shutdown", "reboot", "destroy",
		"pause", "unpause", "mem-set", "vcpu-set", "vcpu-pin", "block-attach",
		"block-detach", "network-attach", "network-detach", "top", "trace",
		"dumpxml", "version", "validate", "define", "start", "undefine", "autostart",
		"import-libvirt", "snapshot-create", "snapshot-list", "snapshot-revert",
		"snapshot-delete", "net-define", "net-undefine", "net-start", "net-destroy",
		"net-list", "net-dumpxml", "net-autostart",
	};
	char want[64], page[256];

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		e2e_lamina(&r, NULL, cmds[i], "--help", NULL);
		ck_assert_int_eq(r.status, 0);
		snprintf(want, sizeof(want), "Usage: lamina %s", cmds[i]);
		ck_assert_msg(!strncmp(r.out, want, strlen(want)), "%s --help: %s", cmds[i], r.out);
		snprintf(page, sizeof(page), MAN_DIR "/lamina-%s.1", cmds[i]);
		ck_assert_msg(access(page, R_OK) == 0, "no man page %s", page);
		snprintf(want, sizeof(want), "\n  %-15s ", cmds[i]);
		e2e_lamina(&r, NULL, "--help", NULL);
		ck_assert_msg(strstr(r.out, want), "lamina --help lacks %s", cmds[i]);
	}
	ck_assert_int_eq(access(MAN_DIR "/lamina.1", R_OK), 0);
	ck_assert_int_eq(access(MAN_DIR "/laminad.8", R_OK), 0);
}
END_TEST

START_TEST(daemon_not_running)
{
	char want[512];

	e2e_env();
	snprintf(want, sizeof(want), "lamina: laminad is not running (no socket at %s/run/"
				     "laminad.sock); 'lamina create' starts it\n", e2e_dir());
	FAILS(1, want, "list");
	FAILS(1, want, "destroy", "mini");
	OK("version");
	ck_assert_str_eq(r.out, "lamina 0.1.0 (protocol 5)\nlaminad: not running\n");
	e2e_cleanup(0);
}
END_TEST

START_TEST(autostart)
{
	char path[512], pid[32] = { 0 };
	FILE *f;

	e2e_env();
	setenv("LAMINA_BACKEND", "fake", 1);
	OK("create", D "good-minimal.xml");
	ck_assert_str_eq(r.out, "Created domain 'mini' (id 1).\n");
	OK("list");
	assert_matches(r.out, "\nmini +1 running");
	snprintf(path, sizeof(path), "%s/run/laminad.lock", e2e_dir());
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(pid, sizeof(pid), f));
	fclose(f);
	e2e_cleanup((pid_t)atoi(pid));
}
END_TEST

START_TEST(autostart_fails_clearly)
{
	e2e_env();
	setenv("LAMINA_BACKEND", "nosuch", 1);
	FAILS(1, "lamina: cannot start laminad: unknown back-end 'nosuch' (known: kvm, fake)\n",
	      "create", D "good-minimal.xml");
	e2e_cleanup(0);
}
END_TEST

START_TEST(foreign_socket_dir)
{
	char dir[512], want[768];

	e2e_env();
	snprintf(dir, sizeof(dir), "%s/run", e2e_dir());
	if (geteuid() == 0) {
		ck_assert_int_eq(mkdir(dir, 0700), 0);
		ck_assert_int_eq(chown(dir, 4242, 4242), 0);
	} else {
		snprintf(dir, sizeof(dir), "/");
		setenv("LAMINA_RUN_DIR", dir, 1);
	}
	snprintf(want, sizeof(want), "lamina: socket directory %s is owned by uid %u, not by "
				     "you (uid %u); refusing to use it\n", dir,
		 geteuid() == 0 ? 4242u : 0u, geteuid());
	FAILS(1, want, "list");
	FAILS(1, want, "create", D "good-minimal.xml");
	e2e_cleanup(0);
}
END_TEST

Suite *e2e_suite(void)
{
	Suite *s = suite_create("e2e");
	TCase *tc = tcase_create("with-daemon"), *nd = tcase_create("without-daemon");

	tcase_set_timeout(tc, 60);
	tcase_set_timeout(nd, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lifecycle);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, failed_create_leaves_nothing);
	tcase_add_test(tc, snapshots);
	tcase_add_test(tc, devices_and_dumpxml);
	tcase_add_test(tc, console_trace_top);
	tcase_add_test(tc, crash_preserve_and_logs);
	tcase_add_test(nd, help_and_man_pages);
	tcase_add_test(nd, daemon_not_running);
	tcase_add_test(nd, autostart);
	tcase_add_test(nd, autostart_fails_clearly);
	tcase_add_test(nd, foreign_socket_dir);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, nd);
	return s;
}
