// SPDX-License-Identifier: MIT
// Toolstack end-to-end tests: laminad --fake starting, restarting and stopping back-end processes (a stand-in lamina-blkback).
//
// LAMINA_FAKE_BACKENDS makes the fake hypervisor interface ask for back-end
// processes; LAMINA_LIBEXEC_DIR points laminad at data/libexec, whose
// lamina-blkback and lamina-netback check their arguments, answer on the
// ready pipe and wait, and whose lamina-netswitch listens on its socket.
// The interfaces of good-full.xml are on internal networks (lan0 and
// default) that each test starts and destroys.
#include "suites.h"

#include "e2e.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define D TEST_DATA_DIR "/"

static pid_t daemon_pid;
static struct run r;

static const char *const nets[] = { "lan0", "default" };

// An internal network NAME, defined and started.
static void internal_network(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.xml", e2e_dir(), name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "<network><name>%s</name><forward mode='internal'/></network>\n", name);
	fclose(f);
	e2e_lamina(&r, NULL, "net-define", path, NULL);
	ck_assert_msg(r.status == 0, "net-define %s: %s", name, r.err);
	e2e_lamina(&r, NULL, "net-start", name, NULL);
	ck_assert_msg(r.status == 0, "net-start %s: %s", name, r.err);
}

static void setup(void)
{
	e2e_env();
	setenv("LAMINA_FAKE_BACKENDS", "1", 1);
	setenv("LAMINA_LIBEXEC_DIR", D "libexec", 1);
	daemon_pid = e2e_daemon();
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		internal_network(nets[i]);
}

// The switches outlive laminad: destroy the networks (after the domain on them).
static void teardown(void)
{
	e2e_lamina(&r, NULL, "destroy", "web-1.example", NULL);
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		e2e_lamina(&r, NULL, "net-destroy", nets[i], NULL);
	e2e_cleanup(daemon_pid);
	unsetenv("LAMINA_FAKE_BACKENDS");
	unsetenv("LAMINA_LIBEXEC_DIR");
}

#define OK(...)                                                                    \
	do {                                                                       \
		e2e_lamina(&r, NULL, __VA_ARGS__, NULL);                           \
		ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);      \
	} while (0)

// The pid of the back-end of `target` in `lamina info --json`, 0 if none.
static long backend_pid(const char *dom, const char *target)
{
	char key[64];
	const char *p;

	OK("info", "--json", dom);
	snprintf(key, sizeof(key), "\"target\": \"%s\"", target);
	if (!(p = strstr(r.out, key)) || !(p = strstr(p, "\"pid\": ")))
		return 0;
	return strtol(p + 7, NULL, 10);
}

static bool running(long pid)
{
	char path[64], st[512];
	FILE *f;
	bool up = false;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r"))) {
		up = fgets(st, sizeof(st), f) && !strstr(st, ") Z ");
		fclose(f);
	}
	return up;
}

static void wait_gone(long pid)
{
	for (int i = 0; i < 50 && running(pid); i++)
		usleep(100000);
	ck_assert_msg(!running(pid), "back-end %ld still runs", pid);
}

START_TEST(disks_get_backends)
{
	long a, b, a2 = 0;

	OK("create", D "good-full.xml");
	a = backend_pid("web-1.example", "xvda");
	b = backend_pid("web-1.example", "xvdb");
	ck_assert(a > 0 && b > 0 && a != b && running(a) && running(b));
	ck_assert_ptr_nonnull(strstr(r.out, "\"state\": \"running\""));
	OK("info", "web-1.example");
	ck_assert_ptr_nonnull(strstr(r.out, "xvdb " D "files/disk1.img (read-only)"));
	kill((pid_t)a, SIGKILL); // a death is noticed and the back-end restarted after 1 s
	// until laminad notices the death, info still names the old pid
	for (int i = 0; i < 50 && ((a2 = backend_pid("web-1.example", "xvda")) <= 0 || a2 == a); i++)
		usleep(100000);
	ck_assert_msg(a2 > 0 && a2 != a, "no new back-end for xvda: %s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "restarted 1 time"));
	OK("block-detach", "web-1.example", "xvdb");
	ck_assert(!running(b));
	OK("block-attach", "--readonly", "web-1.example", D "files/initrd.img", "xvdc");
	b = backend_pid("web-1.example", "xvdc");
	ck_assert(b > 0 && running(b));
	OK("destroy", "web-1.example");
	wait_gone(a2);
	wait_gone(b);
}
END_TEST

// The pid of the back-end of the interface with `mac` in `lamina info --json`, 0 if none.
static long nic_pid(const char *dom, const char *mac)
{
	char key[64];
	const char *p;

	OK("info", "--json", dom);
	snprintf(key, sizeof(key), "\"mac\": \"%s\"", mac);
	if (!(p = strstr(r.out, key)) || !(p = strstr(p, "\"pid\": ")))
		return 0;
	return strtol(p + 7, NULL, 10);
}

START_TEST(interfaces_get_backends)
{
	long a, b;
	char log[512], text[16384] = { 0 };
	FILE *f;

	OK("create", D "good-full.xml");
	a = nic_pid("web-1.example", "52:54:00:ab:cd:01");
	ck_assert_msg(a > 0 && running(a), "no back-end for the interface on lan0: %s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "\"network\": \"lan0\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"network\": \"default\""));
	OK("info", "web-1.example");
	ck_assert_msg(strstr(r.out, "Interfaces:    52:54:00:ab:cd:01 network lan0, back-end "
				    "running, pid "), "%s", r.out);
	e2e_lamina(&r, NULL, "net-destroy", "lan0", NULL); // in use
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "lamina: network 'lan0' is in use by 1 interface of running "
				"domain 'web-1.example'; detach them or destroy the domains first\n");
	OK("net-list");
	ck_assert_msg(strstr(r.out, "\nlan0 ") && strstr(r.out, " internal  active "), "%s", r.out);
	OK("network-attach", "--network=lan0", "--mac=52:54:00:00:00:99", "web-1.example");
	b = nic_pid("web-1.example", "52:54:00:00:00:99");
	ck_assert(b > 0 && running(b));
	OK("network-detach", "web-1.example", "52:54:00:00:00:99");
	wait_gone(b);
	e2e_lamina(&r, NULL, "network-attach", "--network=nowhere", "web-1.example", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "network 'nowhere' is not defined"), "%s", r.err);
	snprintf(log, sizeof(log), "%s/log/web-1.example.log", e2e_dir());
	f = fopen(log, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(fread(text, 1, sizeof(text) - 1, f), 0);
	fclose(f);
	ck_assert_msg(strstr(text, "stub lamina-netback: domain 1 vif/0 52:54:00:ab:cd:01 switch "),
		      "%s", text);
	OK("destroy", "web-1.example");
	wait_gone(a);
}
END_TEST

START_TEST(backend_refusal_fails_the_attach)
{
	char img[512], log[512];
	FILE *f;

	snprintf(img, sizeof(img), "%s/locked.img", e2e_dir());
	f = fopen(img, "w");
	fputs("x", f);
	fclose(f);
	OK("create", D "good-minimal.xml");
	e2e_lamina(&r, NULL, "block-attach", "mini", img, "xvdb", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "as xvdb to 'mini': disk xvdb (vbd): ") &&
		      strstr(r.err, "locked.img: in use: another process holds a lock on it"),
		      "%s", r.err);
	OK("info", "mini");
	ck_assert_ptr_null(strstr(r.out, "Disks:"));
	snprintf(log, sizeof(log), "%s/log/mini.log", e2e_dir());
	f = fopen(log, "r");
	ck_assert_ptr_nonnull(f);
	fclose(f);
}
END_TEST

Suite *backends_suite(void)
{
	Suite *s = suite_create("backends");
	TCase *tc = tcase_create("fake-with-processes");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, disks_get_backends);
	tcase_add_test(tc, interfaces_get_backends);
	tcase_add_test(tc, backend_refusal_fails_the_attach);
	suite_add_tcase(s, tc);
	return s;
}
