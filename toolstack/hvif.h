// SPDX-License-Identifier: MIT
// laminad's back-end interface: the few hypervisor operations the daemon uses.
//
// The daemon owns names, configs, logs and clients; a back-end only runs
// domains (and, if it keeps them beyond laminad, gives their ids).  Calls
// never wait for a guest; hvif_hvd's wait for lamina-hvd's reply (bounded,
// HH_TIMEOUT_MS).  The daemon polls event_fd() and calls
// process() when it is readable; afterwards it reads each domain's stats,
// console output and trace events, so a back-end needs no callbacks.
// Operations return 0 or a negative errno; an op left NULL is reported to
// the user as not supported by this back-end.
//
// Back-ends: hvif_hvd ("kvm", the default: real domains owned by the
// lamina-hvd process, docs/hvd-protocol.md; they outlive laminad) and
// hvif_fake ("fake": simulated in laminad, for tests and --fake).
#ifndef LAMINA_HVIF_H
#define LAMINA_HVIF_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HV_MAX_EXIT_REASONS 12
#define HV_MAX_HCALL_KINDS 12

enum hv_state { HV_RUNNING = 1, HV_PAUSED, HV_SHUTTING_DOWN, HV_SHUTOFF, HV_CRASHED };
enum hv_reason { HV_REASON_NONE, HV_REASON_POWEROFF, HV_REASON_REBOOT, HV_REASON_CRASH };

struct hv_count {
	char what[32];
	uint64_t count;
};

struct hv_stats {
	enum hv_state state;
	enum hv_reason reason; // why it is shut off (or crashed)
	unsigned vcpus, max_vcpus; // online, possible
	uint64_t mem_kib, maxmem_kib; // current, ceiling
	uint64_t cpu_ns; // all vCPUs
	uint64_t hypercalls; // total
	unsigned nexits, nhcalls;
	struct hv_count exits[HV_MAX_EXIT_REASONS]; // exits to user space, by kind
	struct hv_count hcalls[HV_MAX_HCALL_KINDS]; // by hypercall
};

struct hv_trace_event {
	uint64_t ts_ns;
	unsigned vcpu, nr;
	uint64_t args[5];
	int64_t ret;
	char text[128]; // decoded call, e.g. "event_send(port=3)"
};

struct hv_backend;
struct hv_dom;

// What laminad tells a back-end when it opens it.
struct hvif_env {
	const char *run_dir; // laminad's socket directory
	const char *log_dir; // laminad's log directory
	const char *hvd_socket; // NULL: the back-end's default
	bool spawn; // may start its hypervisor process if none runs
};

// One domain found running by recover(): config is what create() stored
// (the domain XML), console the latest output (backlog) so that a client
// attaching later sees it, console_len its length.
struct hvif_found {
	struct hv_dom *hd;
	unsigned id;
	const char *name, *config;
	const char *console;
	size_t console_len;
};
typedef void hvif_found_fn(void *ctx, const struct hvif_found *f);

struct hvif {
	const char *name;
	// Domains live outside laminad (in lamina-hvd): close() leaves them
	// running, and laminad does not destroy them when it stops.
	bool keeps_domains;
	struct hv_backend *(*open)(const struct hvif_env *env, char *err, size_t errlen);
	void (*close)(struct hv_backend *hv);
	int (*event_fd)(struct hv_backend *hv);
	void (*process)(struct hv_backend *hv);

	struct hv_dom *(*create)(struct hv_backend *hv, const struct dom_config *cfg,
				 unsigned id, bool paused, char *err, size_t errlen);
	void (*destroy)(struct hv_dom *d);
	int (*pause)(struct hv_dom *d);
	int (*unpause)(struct hv_dom *d);
	int (*shutdown)(struct hv_dom *d, enum hv_reason why); // asks the guest
	int (*set_mem_target)(struct hv_dom *d, uint64_t kib);
	int (*set_vcpus)(struct hv_dom *d, unsigned online);
	int (*pin_vcpu)(struct hv_dom *d, unsigned vcpu, const uint64_t *cpus, unsigned ncpus);
	int (*disk_attach)(struct hv_dom *d, const struct dom_disk *disk);
	int (*disk_detach)(struct hv_dom *d, const char *target);
	int (*nic_attach)(struct hv_dom *d, const struct dom_nic *nic);
	int (*nic_detach)(struct hv_dom *d, const uint8_t mac[6]);
	int (*stats)(struct hv_dom *d, struct hv_stats *st);

	// Guest console: non-blocking; 0 when there is nothing (more).
	ssize_t (*console_read)(struct hv_dom *d, void *buf, size_t len);
	ssize_t (*console_write)(struct hv_dom *d, const void *buf, size_t len);
	// Hypercall trace: events are queued only while subscribed.
	int (*trace_subscribe)(struct hv_dom *d, bool on);
	int (*trace_read)(struct hv_dom *d, struct hv_trace_event *ev); // 1, 0 (none)

	// Back-ends that own ids (keeps_domains): the id create() gave, which
	// then replaces the daemon's proposal.  Ids are never reused.
	unsigned (*dom_id)(struct hv_dom *d);
	// Right after open(): call fn for every domain already running; 0 or -errno.
	int (*recover)(struct hv_backend *hv, hvif_found_fn *fn, void *ctx);
	// Destroy every domain and stop the hypervisor process; the number
	// destroyed, or -errno.
	int (*stop_all)(struct hv_backend *hv);
	// False once the hypervisor process is gone (its domains with it).
	bool (*alive)(struct hv_backend *hv);

	// Device back-end processes (toolstack/laminad/devices.h).  The socket
	// they connect to (passed to them as --socket), or NULL: this back-end
	// has no back-end processes and simulates devices with disk_attach and
	// friends.
	const char *(*backend_socket)(struct hv_backend *hv);
	// Ask the back-end process of device type/devid of d to detach and exit
	// (it closes the device: the bus goes to Closed); 0 or -errno.
	int (*backend_detach)(struct hv_dom *d, const char *type, unsigned devid);
};

extern const struct hvif hvif_fake;
extern const struct hvif hvif_hvd;

#endif
