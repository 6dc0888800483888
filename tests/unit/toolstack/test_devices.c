// SPDX-License-Identifier: MIT
// Toolstack unit tests: laminad's device registry, back-end argument vectors, checks, restart policy, pidfile guards.
#include "suites.h"

#include "laminad/laminad.h"
#include "laminad/net.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct dom_config with_disks(const char *name, const char *a, bool ro_a, const char *b,
				    bool ro_b)
{
	struct dom_config c = { .memory_kib = 65536, .ndisks = b ? 2 : 1 };

	snprintf(c.name, sizeof(c.name), "%s", name);
	c.disks[0] = (struct dom_disk){ .source = (char *)a, .readonly = ro_a };
	strcpy(c.disks[0].target, "xvda");
	if (b) {
		c.disks[1] = (struct dom_disk){ .source = (char *)b, .readonly = ro_b };
		strcpy(c.disks[1].target, "xvdb");
	}
	return c;
}

START_TEST(kinds_register_themselves)
{
	ck_assert_ptr_eq(dev_kind_find("vbd"), &dev_kind_vbd);
	ck_assert_ptr_eq(dev_kind_find("vif"), &dev_kind_vif);
	ck_assert_ptr_null(dev_kind_find(""));
	for (size_t i = 0; dev_kinds[i]; i++) { // every kind is complete
		const struct dev_kind *k = dev_kinds[i];
		ck_assert(k->type && k->what && k->exe && k->build_dir && k->count && k->key &&
			  k->devid && k->args && k->problem && k->describe);
	}
}
END_TEST

START_TEST(vbd_numbers_from_targets)
{
	static const struct { const char *t; long id; } cases[] = {
		{ "xvda", 0 },	 { "xvdb", 1 },	  { "xvdz", 25 }, { "xvdaa", 26 }, { "xvdaz", 51 },
		{ "xvdba", 52 }, { "xvdzz", 701 }, { "xvd", -1 },  { "xvdA", -1 },	{ "sda", -1 },
		{ "xvdabc", -1 }, { "xvd1", -1 },  { "", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(dev_vbd_devid(cases[i].t) == cases[i].id, "%s: %ld, want %ld",
			      cases[i].t, dev_vbd_devid(cases[i].t), cases[i].id);
}
END_TEST

static void assert_argv(const struct dev_argv *av, const char *const *want)
{
	size_t n = 0;

	while (want[n])
		n++;
	ck_assert_uint_eq(av->argc, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(av->argv[i], want[i]);
	ck_assert_ptr_null(av->argv[n]);
}

START_TEST(blkback_arguments)
{
	struct dom_config c = with_disks("d", "/img/a.img", false, "/img/b b.img", true);
	struct dev_ctx ctx = { .domid = 7, .devid = 0, .socket = "/run/x/lamina-hvd.sock",
			       .ready_fd = 3 };
	static const char *const rw[] = { "lamina-blkback", "--ready-fd=3",
					  "--socket=/run/x/lamina-hvd.sock", "7", "0", "/img/a.img",
					  NULL };
	static const char *const ro[] = { "lamina-blkback", "--read-only", "--ready-fd=3", "12",
					  "1", "/img/b b.img", NULL };
	static const char *const ro_qcow2[] = { "lamina-blkback", "--read-only", "--format=qcow2",
						"--ready-fd=3", "12", "1", "/img/b b.img", NULL };
	struct dev_argv av;

	ck_assert_int_eq(dev_argv_build(&dev_kind_vbd, &c, 0, &ctx, &av), 0);
	assert_argv(&av, rw);
	ctx = (struct dev_ctx){ .domid = 12, .devid = 1, .ready_fd = 3 }; // no socket: default
	ck_assert_int_eq(dev_argv_build(&dev_kind_vbd, &c, 1, &ctx, &av), 0);
	assert_argv(&av, ro);
	strcpy(c.disks[1].format, "qcow2"); // served through qemu-nbd
	ck_assert_int_eq(dev_argv_build(&dev_kind_vbd, &c, 1, &ctx, &av), 0);
	assert_argv(&av, ro_qcow2);
}
END_TEST

static void rm_tree(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

// A domain with interfaces on networks a, b (and the default network, c).
static struct dom_config with_nics(void)
{
	struct dom_config c = { .memory_kib = 65536, .nnics = 3 };
	static const uint8_t macs[3][6] = { { 2, 0x4c, 0x4d, 0, 0, 1 }, { 2, 0x4c, 0x4d, 0, 0, 2 },
					    { 2, 0x4c, 0x4d, 0, 0, 3 } };

	strcpy(c.name, "n");
	for (int i = 0; i < 3; i++) {
		memcpy(c.nics[i].mac, macs[i], 6);
		c.nics[i].has_mac = true;
	}
	strcpy(c.nics[0].network, "inside");
	strcpy(c.nics[1].network, "outside");
	return c;
}

// Networks under a temporary state and run directory: "inside" internal
// with VLAN 7 and active, "outside" nat and active, "idle" defined only.
static void fake_networks(char *dir)
{
	char state[256], run[256], err[256];
	struct net_config idle = { .mode = NET_INTERNAL };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(net_init(state, run, dir, err, sizeof(err)), 0);
	ck_assert_int_eq(net_state_add("inside", "mode internal"), 0);
	ck_assert_int_eq(net_state_add("inside", "vlan 7"), 0);
	ck_assert_int_eq(net_state_add("inside", "up"), 0);
	ck_assert_int_eq(net_state_add("outside", "mode nat"), 0);
	ck_assert_int_eq(net_state_add("outside", "bridge lm-outside made"), 0);
	ck_assert_int_eq(net_state_add("outside", "up"), 0);
	strcpy(idle.name, "idle");
	ck_assert_int_eq(net_def_save(&idle, err, sizeof(err)), 0);
}

START_TEST(netback_arguments)
{
	struct dom_config c = with_nics();
	struct dev_ctx ctx = { .domid = 12, .devid = 0, .socket = "/run/x/lamina-hvd.sock",
			       .ready_fd = 3 };
	char dir[] = "/tmp/lamina-vif-XXXXXX", sock[300];
	struct dev_argv av;

	fake_networks(dir);
	snprintf(sock, sizeof(sock), "%s/run/networks/inside.sock", dir);
	const char *const inside[] = { "lamina-netback", "--mac", "02:4c:4d:00:00:01", "--ready-fd",
				       "3", "--socket", "/run/x/lamina-hvd.sock", "--switch", sock,
				       "--vlan", "7", "12", "0", NULL };
	static const char *const outside[] = { "lamina-netback", "--mac", "02:4c:4d:00:00:02",
					       "--ready-fd", "3", "--tap", "lm12.1", "--tx-rate", "1024",
					       "--rx-rate", "13107200", "12", "1", NULL };
	static const char *const inbound[] = { "lamina-netback", "--mac", "02:4c:4d:00:00:02",
					       "--ready-fd", "3", "--tap", "lm12.1", "--rx-rate",
					       "4398046510080", "12", "1", NULL };
	ck_assert_str_eq(dev_kind_vif.key(&c, 1), "02:4c:4d:00:00:02");
	ck_assert_int_eq(dev_kind_vif.devid(&c, 2), 2);
	ck_assert_int_eq(dev_argv_build(&dev_kind_vif, &c, 0, &ctx, &av), 0);
	assert_argv(&av, inside);
	ctx = (struct dev_ctx){ .domid = 12, .devid = 1, .ready_fd = 3 };
	c.nics[1].in_kibps = 12800; // <inbound average="12800"/>: what the guest receives
	c.nics[1].out_kibps = 1;
	ck_assert_int_eq(dev_argv_build(&dev_kind_vif, &c, 1, &ctx, &av), 0);
	assert_argv(&av, outside);
	c.nics[1].in_kibps = UINT32_MAX; // no overflow in bytes a second
	c.nics[1].out_kibps = 0; // no limit: no option
	ck_assert_int_eq(dev_argv_build(&dev_kind_vif, &c, 1, &ctx, &av), 0);
	assert_argv(&av, inbound);
	ck_assert_int_eq(dev_argv_build(&dev_kind_vif, &c, 2, &ctx, &av), -1); // "default": none
	rm_tree(dir);
}
END_TEST

START_TEST(vif_refusals)
{
	struct dom_config c = with_nics();
	char dir[] = "/tmp/lamina-vif-XXXXXX", buf[512];

	fake_networks(dir);
	ck_assert_ptr_null(dev_kind_vif.problem(&c, 0, NULL, 0, buf, sizeof(buf)));
	ck_assert_ptr_null(dev_kind_vif.problem(&c, 1, NULL, 0, buf, sizeof(buf)));
	ck_assert_str_eq(dev_kind_vif.problem(&c, 2, NULL, 0, buf, sizeof(buf)),
			 "network 'default' is not defined ('lamina net-define FILE' defines it, "
			 "'lamina net-start default' starts it)");
	strcpy(c.nics[2].network, "idle");
	ck_assert_str_eq(dev_kind_vif.problem(&c, 2, NULL, 0, buf, sizeof(buf)),
			 "network 'idle' is not started ('lamina net-start idle' starts it)");
	c.nics[0].mac[0] = 1;
	ck_assert_str_eq(dev_kind_vif.problem(&c, 0, NULL, 0, buf, sizeof(buf)),
			 "the interface needs a unicast MAC address");
	ck_assert_int_eq(net_state_drop("inside", "up"), 0); // a start cut short is not active
	ck_assert(!net_active("inside"));
	ck_assert(net_active("outside"));
	rm_tree(dir);
}
END_TEST

START_TEST(argv_limits)
{
	static struct dev_argv av;
	static char big[9000];

	dev_argv_init(&av, "x");
	for (int i = 1; i < DEV_ARGV_MAX; i++)
		ck_assert_int_eq(dev_argv_add(&av, "%d", i), 0);
	ck_assert_int_eq(dev_argv_add(&av, "one too many"), -1);
	ck_assert_uint_eq(av.argc, DEV_ARGV_MAX);
	memset(big, 'a', sizeof(big) - 1);
	dev_argv_init(&av, "x");
	ck_assert_int_eq(dev_argv_add(&av, "%s", big), -1); // longer than the buffer
	ck_assert_uint_eq(av.argc, 1);
}
END_TEST

START_TEST(executable_lookup)
{
	char out[PATH_MAX];

	setenv("LAMINA_LIBEXEC_DIR", "/opt/lamina/libexec", 1);
	dev_find_exe(&dev_kind_vbd, out, sizeof(out));
	ck_assert_str_eq(out, "/opt/lamina/libexec/lamina-blkback");
	unsetenv("LAMINA_LIBEXEC_DIR");
	dev_find_exe(&dev_kind_vbd, out, sizeof(out));
	size_t n = strlen(out);
	ck_assert(n >= 14 && !strcmp(out + n - 14, "lamina-blkback"));
	ck_assert(out[0] == '/' ? access(out, X_OK) == 0 : !strcmp(out, "lamina-blkback"));
}
END_TEST

// A sparse image: 64 MiB long, one 4 KiB block written.
static void sparse(const char *path)
{
	char block[4096];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	memset(block, 0x5a, sizeof(block));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
	ck_assert_int_eq(pwrite(fd, block, sizeof(block), 1 << 20), (ssize_t)sizeof(block));
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
}

START_TEST(vbd_refusals)
{
	char dir[] = "/tmp/lamina-dev-XXXXXX", img[64], other[64], buf[512];
	struct dom_config me, them;
	const struct dom_config *others[1] = { &them };
	const char *why;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/a.img", dir);
	snprintf(other, sizeof(other), "%s/missing.img", dir);
	sparse(img);
	me = with_disks("me", other, false, NULL, false);
	why = dev_kind_vbd.problem(&me, 0, NULL, 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "missing.img") && strstr(why, "No such file"), "%s", why);
	me = with_disks("me", img, false, NULL, false);
	ck_assert_ptr_null(dev_kind_vbd.problem(&me, 0, NULL, 0, buf, sizeof(buf)));
	them = with_disks("them", "/nonexistent", false, img, false);
	why = dev_kind_vbd.problem(&me, 0, others, 1, buf, sizeof(buf));
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, "the image is in use by domain 'them' as xvdb; a disk image may be "
			      "shared only read-only");
	me.disks[0].readonly = true; // read-only here, read-write there: still refused
	ck_assert_ptr_nonnull(dev_kind_vbd.problem(&me, 0, others, 1, buf, sizeof(buf)));
	them.disks[1].readonly = true; // read-only on both sides: shared
	ck_assert_ptr_null(dev_kind_vbd.problem(&me, 0, others, 1, buf, sizeof(buf)));
	strcpy(me.disks[0].target, "hda");
	ck_assert_str_eq(dev_kind_vbd.problem(&me, 0, NULL, 0, buf, sizeof(buf)),
			 "the target must be xvd and one or two letters, such as xvdb");
	unlink(img);
	rmdir(dir);
}
END_TEST

START_TEST(vbd_sizes_show_thin_provisioning)
{
	char dir[] = "/tmp/lamina-dev-XXXXXX", img[64];
	struct dom_config c;
	struct lp_dev dv = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/a.img", dir);
	sparse(img);
	c = with_disks("d", img, true, NULL, false);
	dev_kind_vbd.describe(&c, 0, &dv);
	ck_assert_uint_eq(dv.virtual_bytes, 64u << 20);
	ck_assert_uint_ge(dv.allocated_bytes, 4096);
	ck_assert_uint_lt(dv.allocated_bytes, 1u << 20); // sparse: the hole takes nothing
	ck_assert_uint_eq(dv.readonly, 1);
	ck_assert_str_eq(dv.source, img);
	unlink(img);
	rmdir(dir);
}
END_TEST

START_TEST(restart_backoff_then_left_dead)
{
	static struct domain d = { .log_fd = -1, .con_log_fd = -1 };
	struct dev_proc *p = &d.devs[0];
	uint64_t delay[DEV_MAX_FAILS];

	*p = (struct dev_proc){ .kind = &dev_kind_vbd, .pidfd = -1, .state = DEV_RUNNING,
				.started_ms = dev_now_ms() };
	strcpy(p->key, "xvda");
	for (unsigned i = 0; i < DEV_MAX_FAILS; i++) {
		dev_died(&d, p, "pid 9 exited with status 1");
		ck_assert_int_eq(p->state, DEV_BACKOFF);
		delay[i] = p->restart_at_ms - dev_now_ms();
		ck_assert_msg(delay[i] <= (uint64_t)DEV_BACKOFF_MS << i &&
			      delay[i] + 200 >= (uint64_t)DEV_BACKOFF_MS << i,
			      "death %u: restart in %llu ms", i + 1, (unsigned long long)delay[i]);
		ck_assert_ptr_nonnull(strstr(p->note, "restarting in"));
	}
	ck_assert_int_eq(dev_timeout_ms(&(struct daemon){ 0 }), -1); // no domain registered
	dev_died(&d, p, "pid 9 exited with status 1");
	ck_assert_int_eq(p->state, DEV_FAILED);
	ck_assert_msg(strstr(p->note, "left dead"), "%s", p->note);
	ck_assert_str_eq(dev_state_name(p->state), "failed");
	p->started_ms = dev_now_ms() - DEV_STABLE_MS; // one that ran long counts afresh
	p->state = DEV_RUNNING;
	dev_died(&d, p, "pid 9 was killed by signal 9 (Killed)");
	ck_assert_int_eq(p->state, DEV_BACKOFF);
	ck_assert_uint_eq(p->fails, 1);
}
END_TEST

START_TEST(pid_guards)
{
	unsigned long long start = dev_pid_start(getpid());

	ck_assert_uint_gt(start, 0);
	ck_assert(dev_pid_matches(getpid(), start, "unit-tests"));
	ck_assert(!dev_pid_matches(getpid(), start + 1, "unit-tests")); // a reused pid
	ck_assert(!dev_pid_matches(getpid(), start, "lamina-blkback")); // another program
	ck_assert(!dev_pid_matches(0, start, "unit-tests"));
	ck_assert_uint_eq(dev_pid_start(-5), 0);
}
END_TEST

Suite *devices_suite(void)
{
	Suite *s = suite_create("devices");
	TCase *tc = tcase_create("registry");

	tcase_add_test(tc, kinds_register_themselves);
	tcase_add_test(tc, vbd_numbers_from_targets);
	tcase_add_test(tc, blkback_arguments);
	tcase_add_test(tc, netback_arguments);
	tcase_add_test(tc, vif_refusals);
	tcase_add_test(tc, argv_limits);
	tcase_add_test(tc, executable_lookup);
	tcase_add_test(tc, vbd_refusals);
	tcase_add_test(tc, vbd_sizes_show_thin_provisioning);
	tcase_add_test(tc, restart_backoff_then_left_dead);
	tcase_add_test(tc, pid_guards);
	suite_add_tcase(s, tc);
	return s;
}
