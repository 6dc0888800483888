// SPDX-License-Identifier: MIT
// Toolstack unit tests: domain config parsing, validation and error texts.
#include "suites.h"

#include "config.h"
#include "units.h"

#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct config_env env = {
	.meminfo_path = TEST_DATA_DIR "/meminfo-1g",
	.check_files = true,
};

#define D TEST_DATA_DIR "/"
#define F TEST_DATA_DIR "/files/"

// Each bad file and the exact text the loader must give for it.
static const struct {
	const char *file, *msg;
} bad[] = {
	{ "bad-empty.xml", D "bad-empty.xml: the document is empty" },
	{ "bad-malformed.xml", D "bad-malformed.xml:5:1: expected '>'" },
	{ "bad-root.xml", D "bad-root.xml:3:1: expected element <domain>, found <vm>" },
	{ "bad-unknown-element.xml",
	  D "bad-unknown-element.xml:10:3: unexpected element <foo>; <domain> takes (in any "
	    "order) name, description?, memory, currentMemory?, maxMemory?, vcpu, os, "
	    "on_poweroff?, on_reboot?, on_crash?, limits?, devices?" },
	{ "bad-action.xml", D "bad-action.xml:10:3: invalid value 'explode' for <on_crash>: "
			      "expected destroy, restart or preserve" },
	{ "bad-unit.xml", D "bad-unit.xml:5:11: invalid value 'XB' for attribute 'unit' of "
			    "<memory>: expected one of b, bytes, KB, k, KiB, MB, M, MiB, GB, G, "
			    "GiB, TB, T, TiB" },
	{ "bad-name.xml", D "bad-name.xml:4:3: invalid value 'web/1' for <name>: expected 1 "
			    "to 63 letters, digits, '_', '.' or '-', starting with a letter or "
			    "digit" },
	{ "bad-vcpu-text.xml", D "bad-vcpu-text.xml:6:3: invalid value 'two' for <vcpu>: "
				 "expected a whole number" },
	{ "bad-vcpu-zero.xml", D "bad-vcpu-zero.xml:6:3: <vcpu> of 0 is out of range 1-128" },
	{ "bad-no-vcpu.xml", D "bad-no-vcpu.xml:3:1: <domain> lacks the required element <vcpu>" },
	{ "bad-no-kernel-element.xml",
	  D "bad-no-kernel-element.xml:7:3: <os> lacks the required element <kernel>" },
	{ "bad-target.xml", D "bad-target.xml:11:51: invalid value 'sda' for attribute 'dev' "
			      "of <target>: expected xvd and one or two letters, such as xvda" },
	{ "bad-disk-nofile.xml", D "bad-disk-nofile.xml:11:11: <source> lacks the required "
				   "attribute 'file' (a path)" },
	{ "bad-dup-target.xml", D "bad-dup-target.xml:17:15: disk target 'xvda' is already "
				  "used by the disk on line 11" },
	{ "bad-mac.xml", D "bad-mac.xml:12:12: invalid MAC address '52:54:00:zz:00:01': "
			   "expected six pairs of hex digits such as 52:54:00:12:34:56" },
	{ "bad-mac-multicast.xml", D "bad-mac-multicast.xml:12:12: MAC address "
				     "01:00:5e:00:00:01 is a multicast address (the first "
				     "byte must be even)" },
	{ "bad-kernel-missing.xml", D "bad-kernel-missing.xml:8:5: kernel '" F
				      "no-such-kernel': No such file or directory" },
	{ "bad-disk-missing.xml", D "bad-disk-missing.xml:12:15: disk source '" F
				    "missing.img': No such file or directory" },
	{ "bad-mem-over-max.xml", D "bad-mem-over-max.xml:6:3: <currentMemory> (64 MiB) is "
				    "larger than <memory> (32 MiB)" },
	{ "bad-mem-host.xml", D "bad-mem-host.xml:6:3: <currentMemory> (4 GiB) is more than "
				"this host has (1 GiB)" },
	{ "bad-mem-absurd.xml", D "bad-mem-absurd.xml:5:3: <memory> of 99999999999 TiB is "
				  "too large" },
	{ "bad-mem-unaligned.xml", D "bad-mem-unaligned.xml:5:3: <memory> must be a whole "
				     "number of 4 KiB pages (100 KB is not)" },
	{ "bad-mem-small.xml", D "bad-mem-small.xml:5:3: <memory> of 512 KiB is below the "
				 "minimum of 1 MiB" },
};

START_TEST(bad_files)
{
	struct dom_config cfg;
	struct config_err err;

	char path[512];
	snprintf(path, sizeof(path), D "%s", bad[_i].file);
	ck_assert_int_eq(config_load_file(path, &env, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_uint_eq(err.count, 1);
	ck_assert_ptr_null(cfg.kernel);
}
END_TEST

START_TEST(good_minimal)
{
	struct dom_config cfg;
	struct config_err err;

	ck_assert_int_eq(config_load_file(D "good-minimal.xml", &env, &cfg, &err), 0);
	ck_assert_str_eq(cfg.name, "mini");
	ck_assert_uint_eq(cfg.memory_kib, 64 * 1024);
	ck_assert_uint_eq(cfg.maxmem_kib, 64 * 1024);
	ck_assert_uint_eq(cfg.vcpus, 1);
	ck_assert_uint_eq(cfg.vcpus_current, 1);
	ck_assert_str_eq(cfg.kernel, F "vmlinuz");
	ck_assert_ptr_null(cfg.initrd);
	ck_assert_int_eq(cfg.on_reboot, DOM_ACT_RESTART);
	ck_assert_int_eq(cfg.on_crash, DOM_ACT_DESTROY);
	ck_assert_uint_eq(cfg.ndisks + cfg.nnics, 0);
	config_free(&cfg);
}
END_TEST

START_TEST(good_full)
{
	struct dom_config cfg;
	struct config_err err;
	const uint8_t mac[6] = { 0x52, 0x54, 0, 0xab, 0xcd, 1 };

	ck_assert_int_eq(config_load_file(D "good-full.xml", &env, &cfg, &err), 0);
	ck_assert_str_eq(cfg.name, "web-1.example");
	ck_assert_str_eq(cfg.description, "A domain with everything & more");
	ck_assert_uint_eq(cfg.memory_kib, 256 * 1024);
	ck_assert_uint_eq(cfg.maxmem_kib, 1024 * 1024);
	ck_assert_uint_eq(cfg.vcpus, 4);
	ck_assert_uint_eq(cfg.vcpus_current, 2);
	ck_assert_str_eq(cfg.initrd, F "initrd.img");
	ck_assert_str_eq(cfg.cmdline, "console=hvc0 root=/dev/xvda ro");
	ck_assert_int_eq(cfg.on_crash, DOM_ACT_PRESERVE);
	ck_assert_uint_eq(cfg.max_evtchn, 2048);
	ck_assert_uint_eq(cfg.max_grant_frames, 64);
	ck_assert_uint_eq(cfg.ndisks, 2);
	ck_assert_str_eq(cfg.disks[0].source, F "disk0.img");
	ck_assert_str_eq(cfg.disks[1].target, "xvdb");
	ck_assert(!cfg.disks[0].readonly && cfg.disks[1].readonly);
	ck_assert_uint_eq(cfg.nnics, 2);
	ck_assert_str_eq(cfg.nics[0].network, "lan0");
	ck_assert_mem_eq(cfg.nics[0].mac, mac, 6);
	ck_assert_uint_eq(cfg.nics[0].in_kibps, 1000);
	ck_assert_uint_eq(cfg.nics[0].out_kibps, 500);
	ck_assert(!cfg.nics[1].has_mac);
	config_free(&cfg);
}
END_TEST

START_TEST(xml_round_trip)
{
	struct dom_config a, b;
	struct config_err err;
	char *x1, *x2;

	ck_assert_int_eq(config_load_file(D "good-full.xml", &env, &a, &err), 0);
	x1 = config_to_xml(&a);
	ck_assert_int_eq(config_load_mem(x1, strlen(x1), "<mem>", &env, &b, &err), 0);
	x2 = config_to_xml(&b);
	ck_assert_str_eq(x1, x2);
	ck_assert_str_eq(b.disks[1].source, a.disks[1].source);
	free(x1);
	free(x2);
	config_free(&a);
	config_free(&b);
}
END_TEST

START_TEST(mem_relative_path)
{
	static const char doc[] = "<domain>\n<name>x</name>\n<memory>4096</memory>\n"
				  "<vcpu>1</vcpu>\n<os><kernel>vmlinuz</kernel></os>\n</domain>\n";
	struct dom_config cfg;
	struct config_err err;

	ck_assert_int_eq(config_load_mem(doc, strlen(doc), "<request>", &env, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, "<request>:5:5: path 'vmlinuz' must be absolute");
}
END_TEST

// <driver type>: a qemu-img format is kept (and written back); raw is "";
// an unknown one is refused naming the choices.
START_TEST(disk_formats)
{
	static const char head[] = "<domain>\n<name>x</name>\n<memory>4096</memory>\n<vcpu>1</vcpu>\n"
				   "<os><kernel>" F "vmlinuz</kernel></os>\n<devices>\n";
	static const char disks[] = "<disk><driver type='qcow2'/><source file='" F "disk0.img'/>"
				    "<target dev='xvda'/></disk>\n<disk><driver type='raw'/><source file='" F
				    "disk1.img'/><target dev='xvdb'/></disk>\n</devices>\n</domain>\n";
	static const char bad[] = "<disk><driver type='qcow3'/><source file='" F "disk0.img'/>"
				  "<target dev='xvda'/></disk>\n</devices>\n</domain>\n";
	char doc[2048];
	struct dom_config a, b;
	struct config_err err;
	char *x;

	snprintf(doc, sizeof(doc), "%s%s", head, disks);
	ck_assert_int_eq(config_load_mem(doc, strlen(doc), "<r>", &env, &a, &err), 0);
	ck_assert_str_eq(a.disks[0].format, "qcow2");
	ck_assert_str_eq(a.disks[1].format, "");
	x = config_to_xml(&a);
	ck_assert_ptr_nonnull(strstr(x, "<driver type=\"qcow2\"/>"));
	ck_assert_int_eq(config_load_mem(x, strlen(x), "<r>", &env, &b, &err), 0);
	ck_assert_str_eq(b.disks[0].format, "qcow2");
	free(x);
	config_free(&a);
	config_free(&b);
	snprintf(doc, sizeof(doc), "%s%s", head, bad);
	ck_assert_int_eq(config_load_mem(doc, strlen(doc), "<r>", &env, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid value 'qcow3' for attribute 'type' of <driver>: "
				     "expected raw, qcow2, qed, vmdk, vhdx, vdi or vpc"));
}
END_TEST

// libvirt's meanings, children in any order, libvirt attributes noted.
START_TEST(libvirt_memory_any_order)
{
	static const char doc[] =
		"<domain type='kvm'>\n<os><kernel>/bin/sh</kernel><type arch='x86_64'>hvm</type></os>\n"
		"<vcpu placement='static'>2</vcpu>\n<currentMemory unit='MiB'>64</currentMemory>\n"
		"<memory unit='MiB'>256</memory>\n<name>lv</name>\n</domain>\n";
	struct dom_config cfg;
	struct config_err err;

	ck_assert_int_eq(config_load_mem(doc, strlen(doc), "<t>", &env, &cfg, &err), 0);
	ck_assert_uint_eq(cfg.memory_kib, 64 * 1024);
	ck_assert_uint_eq(cfg.maxmem_kib, 256 * 1024);
	ck_assert_uint_eq(cfg.vcpus, 2);
	ck_assert_msg(strstr(err.notes, "<t>:1:9: note: type='kvm' is read as type='lamina'"),
		      "%s", err.notes);
	ck_assert_msg(strstr(err.notes, "<t>:3:7: note: placement='...' ignored"), "%s", err.notes);
	ck_assert_msg(strstr(err.notes, "<t>:2:29: note: <type>hvm</type> is read as"), "%s",
		      err.notes);
	config_free(&cfg);
}
END_TEST

START_TEST(old_max_memory)
{
	static const char old[] = "<domain><name>o</name><memory unit='MiB'>64</memory>"
				  "<maxMemory unit='MiB'>128</maxMemory><vcpu>1</vcpu>"
				  "<os><kernel>/bin/sh</kernel></os></domain>";
	static const char mixed[] = "<domain><name>o</name><memory unit='MiB'>64</memory>"
				    "<currentMemory>1024</currentMemory>"
				    "<maxMemory unit='MiB'>128</maxMemory><vcpu>1</vcpu>"
				    "<os><kernel>/bin/sh</kernel></os></domain>";
	struct dom_config cfg;
	struct config_err err;
	char *xml;

	ck_assert_int_eq(config_load_mem(old, strlen(old), "<t>", &env, &cfg, &err), 0);
	ck_assert_uint_eq(cfg.memory_kib, 64 * 1024);
	ck_assert_uint_eq(cfg.maxmem_kib, 128 * 1024);
	ck_assert_msg(strstr(err.notes, "deprecated: <memory> with <maxMemory>"), "%s", err.notes);
	xml = config_to_xml(&cfg); // written the new way, read back the same
	ck_assert_msg(strstr(xml, "<memory unit=\"MiB\">128</memory>") &&
		      strstr(xml, "<currentMemory unit=\"MiB\">64</currentMemory>"), "%s", xml);
	config_free(&cfg);
	ck_assert_int_eq(config_load_mem(xml, strlen(xml), "<t>", &env, &cfg, &err), 0);
	ck_assert_uint_eq(cfg.memory_kib, 64 * 1024);
	ck_assert_uint_eq(cfg.maxmem_kib, 128 * 1024);
	ck_assert_uint_eq(err.notes_len, 0);
	config_free(&cfg);
	free(xml);
	ck_assert_int_eq(config_load_mem(mixed, strlen(mixed), "<t>", &env, &cfg, &err), -1);
	ck_assert_msg(strstr(err.msg, "<maxMemory> (Lamina's old ceiling) cannot be mixed"), "%s",
		      err.msg);
}
END_TEST

// An initrd the memory cannot hold unpacked is refused, saying how much is needed.
START_TEST(initrd_too_big)
{
	const struct config_env e = { .meminfo_path = env.meminfo_path, .check_files = true };
	char dir[] = "/tmp/lamina-initrd-XXXXXX", path[64], doc[512];
	struct dom_config cfg;
	struct config_err err;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/initrd", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_eq(ftruncate(fd, 40 << 20), 0); // sparse: 40 MiB
	close(fd);
	snprintf(doc, sizeof(doc), "<domain><name>i</name>\n<memory unit='MiB'>128</memory>\n"
		 "<vcpu>1</vcpu><os><kernel>/bin/sh</kernel><initrd>%s</initrd></os></domain>",
		 path);
	ck_assert_int_eq(config_load_mem(doc, strlen(doc), "<t>", &e, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, "<t>:2:1: <memory> (128 MiB) is too small for the initrd "
			 "(40 MiB): the kernel unpacks it in memory and needs about twice its "
			 "size plus 64 MiB, at least 144 MiB");
	snprintf(doc, sizeof(doc), "<domain><name>i</name>\n<memory unit='MiB'>144</memory>\n"
		 "<vcpu>1</vcpu><os><kernel>/bin/sh</kernel><initrd>%s</initrd></os></domain>",
		 path);
	ck_assert_int_eq(config_load_mem(doc, strlen(doc), "<t>", &e, &cfg, &err), 0);
	config_free(&cfg);
	unlink(path);
	rmdir(dir);
}
END_TEST

// The loader reads only buf[0, len): a blank prefix of a longer buffer is an
// empty document, and a lone malloc'd blank is not read past (ASan run).
START_TEST(mem_blank_unterminated)
{
	static const char doc[] = "  <domain/>";
	char *one = malloc(1);
	struct dom_config cfg;
	struct config_err err;

	ck_assert_int_eq(config_load_mem(doc, 1, "<request>", &env, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, "<request>: the document is empty");
	ck_assert_ptr_nonnull(one);
	one[0] = ' ';
	ck_assert_int_eq(config_load_mem(one, 1, "<request>", &env, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, "<request>: the document is empty");
	free(one);
}
END_TEST

START_TEST(meminfo_unreadable)
{
	const struct config_env e = { .meminfo_path = D "no-meminfo" };
	struct dom_config cfg;
	struct config_err err;

	ck_assert_int_eq(config_load_file(D "good-minimal.xml", &e, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, D "good-minimal.xml: cannot read the host's memory size "
				    "from " D "no-meminfo");
}
END_TEST

START_TEST(missing_file)
{
	struct dom_config cfg;
	struct config_err err;

	ck_assert_int_eq(config_load_file(D "nope.xml", &env, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, D "nope.xml: cannot open: No such file or directory");
}
END_TEST

START_TEST(examples_validate)
{
	const struct config_env e = { .meminfo_path = env.meminfo_path };
	struct dom_config cfg;
	struct config_err err;
	glob_t g;

	ck_assert_int_eq(glob(EXAMPLES_DIR "/*.xml", 0, NULL, &g), 0);
	ck_assert_uint_ge(g.gl_pathc, 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int rc = config_load_file(g.gl_pathv[i], &e, &cfg, &err);
		ck_assert_msg(rc == 0, "%s", err.msg);
		config_free(&cfg);
	}
	globfree(&g);
}
END_TEST

START_TEST(sizes)
{
	uint64_t b;
	char buf[32];

	ck_assert_int_eq(parse_size("512", "MiB", &b), 0);
	ck_assert_uint_eq(b, 512ull << 20);
	ck_assert_int_eq(parse_size("2G", "MiB", &b), 0);
	ck_assert_uint_eq(b, 2ull << 30);
	ck_assert_int_eq(parse_size("100KB", "MiB", &b), 0);
	ck_assert_uint_eq(b, 100000);
	ck_assert_int_eq(parse_size("1 GiB", "MiB", &b), 0);
	ck_assert_int_eq(parse_size("-1", "MiB", &b), -1);
	ck_assert_int_eq(parse_size("12Q", "MiB", &b), -1);
	ck_assert_int_eq(parse_size("99999999999999T", "MiB", &b), -1);
	ck_assert_str_eq(fmt_kib(1536 * 1024, buf, sizeof(buf)), "1.5 GiB");
	ck_assert_str_eq(fmt_kib(65536, buf, sizeof(buf)), "64 MiB");
	ck_assert_str_eq(fmt_kib(100, buf, sizeof(buf)), "100 KiB");
}
END_TEST

START_TEST(macs)
{
	uint8_t m[6];
	char s[18];

	ck_assert_int_eq(mac_parse("52:54:00:AB:cd:0f", m), 0);
	mac_format(m, s);
	ck_assert_str_eq(s, "52:54:00:ab:cd:0f");
	ck_assert_int_eq(mac_parse("52:54:00:ab:cd", m), -1);
	ck_assert_int_eq(mac_parse("52:54:00:ab:cd:0f:", m), -1);
	ck_assert_int_eq(mac_parse("5254.00ab.cd0f", m), -1);
	ck_assert_int_eq(mac_parse("", m), -1);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_loop_test(tc, bad_files, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, good_minimal);
	tcase_add_test(tc, good_full);
	tcase_add_test(tc, xml_round_trip);
	tcase_add_test(tc, mem_relative_path);
	tcase_add_test(tc, disk_formats);
	tcase_add_test(tc, mem_blank_unterminated);
	tcase_add_test(tc, meminfo_unreadable);
	tcase_add_test(tc, libvirt_memory_any_order);
	tcase_add_test(tc, old_max_memory);
	tcase_add_test(tc, initrd_too_big);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, examples_validate);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, macs);
	suite_add_tcase(s, tc);
	return s;
}
