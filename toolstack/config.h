// SPDX-License-Identifier: MIT
// Domain configuration: the parsed form of a domain XML file and its loader.
#ifndef LAMINA_CONFIG_H
#define LAMINA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOM_NAME_MAX 64 // including the NUL
#define DOM_NET_MAX 33
#define DOM_TARGET_MAX 8
#define DOM_FORMAT_MAX 8 // a <driver type>: raw, qcow2, qed, vmdk, vhdx, vdi or vpc
#define DOM_MAX_DISKS 16
#define DOM_MAX_NICS 8
#define DOM_MAX_VCPUS 128
#define DOM_MIN_MEM_KIB 1024ull
#define DOM_MAX_MEM_KIB (1ull << 30) // 1 TiB
#define DOM_MAX_EVTCHN 131072
#define DOM_MAX_GRANT_FRAMES 1024

enum dom_action { DOM_ACT_DESTROY, DOM_ACT_RESTART, DOM_ACT_PRESERVE };
enum dom_console { DOM_CONSOLE_PTY, DOM_CONSOLE_NULL };

struct dom_disk {
	char *source; // absolute path
	char target[DOM_TARGET_MAX];
	char format[DOM_FORMAT_MAX]; // the image's format; "" is raw
	bool readonly;
};

struct dom_nic {
	char network[DOM_NET_MAX]; // "" = default network
	uint8_t mac[6];
	bool has_mac; // false: the daemon assigns one
	uint32_t in_kibps, out_kibps; // 0 = unlimited
};

struct dom_config {
	char name[DOM_NAME_MAX];
	char *description;
	uint64_t memory_kib, maxmem_kib;
	unsigned vcpus, vcpus_current;
	char *kernel, *initrd, *cmdline; // absolute paths; NULL if absent
	enum dom_action on_poweroff, on_reboot, on_crash;
	unsigned max_evtchn, max_grant_frames; // 0 = back-end default
	enum dom_console console;
	size_t ndisks, nnics;
	struct dom_disk disks[DOM_MAX_DISKS];
	struct dom_nic nics[DOM_MAX_NICS];
};

struct config_env {
	const char *meminfo_path; // NULL: /proc/meminfo
	bool check_files; // check kernel, initrd and disk files exist
	bool skip_host_memory; // a config laminad already accepted
};

// Error text: one "LABEL:LINE:COL: message" line per problem.  Notes
// (deprecated spellings, libvirt attributes ignored) go to `notes` in the
// same form, also when loading succeeds; tools print them on stderr.
struct config_err {
	char msg[4096];
	size_t len;
	unsigned count;
	char notes[2048];
	size_t notes_len;
};

// Load, validate against docs/domain.rng and check a domain file.  Relative
// paths are taken from the file's directory.  0 on success; -1 with `err`
// filled and `cfg` left empty.
int config_load_file(const char *path, const struct config_env *env,
		     struct dom_config *cfg, struct config_err *err);
// The same for a document in memory; `label` names it in errors and paths
// in it must be absolute.
int config_load_mem(const char *buf, size_t len, const char *label,
		    const struct config_env *env, struct dom_config *cfg,
		    struct config_err *err);
void config_free(struct dom_config *cfg);
// Deep copy; 0 or -1 (out of memory).
int config_copy(struct dom_config *dst, const struct dom_config *src);

// The configuration as a domain XML document (malloc'd, NUL-terminated).
char *config_to_xml(const struct dom_config *cfg);

const char *dom_action_name(enum dom_action a);
// The image formats besides raw a <disk> may have (<driver type>), served
// through qemu-nbd: dom_formats[0..DOM_NFORMATS).
#define DOM_NFORMATS 6
extern const char *const dom_formats[DOM_NFORMATS];
// "52:54:00:12:34:56" into mac[6]; 0 or -1.
int mac_parse(const char *text, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char out[18]);
// Host memory (MemTotal) in KiB from a meminfo file; 0 or -1.
int host_mem_kib(const char *meminfo_path, uint64_t *kib);

#endif
