// SPDX-License-Identifier: MIT
// laminad's device back-ends: the registry of device kinds and the processes that serve them.
//
// Each kind of PV device whose back-end is a process of its own (one process
// per device, pvdrivers/) registers a `struct dev_kind` in dev_kinds[]
// (dev_kinds.c).  Lifecycle code calls only the dev_* functions below and
// never names a kind: it starts every configured device's back-end when a
// domain is created (paused, before its vCPUs run), stops them when it is
// destroyed, and adopts them again when laminad restarts.
//
// A back-end process runs in a session of its own with the domain's log
// (LOGDIR/NAME.log) as stdout and stderr, so it outlives laminad; its pid
// and start time are kept in RUNDIR/backends/DOMID.TYPE.DEVID.pid, which a
// restarted laminad reads to adopt it (never starting a second one).  One
// that dies is restarted after 1, 2, 4, 8 and 16 s; after DEV_MAX_FAILS
// deaths in a row (a back-end that ran DEV_STABLE_MS counts as healthy
// again) it is left dead, with the reason in the domain log and in
// `lamina info`.
//
// When the hypervisor interface has no back-end socket (the fake one,
// unless LAMINA_FAKE_BACKENDS is set), devices are simulated by its
// disk_attach/nic_attach ops instead of processes.
//
// A kind may make something on the host for each device before its
// back-end starts (an interface's TAP: host_setup) and remove it once the
// back-end is stopped for good (detach, destroy: host_teardown).  A back-end
// that dies and is restarted, or that laminad forgets at stop, keeps it.
#ifndef LAMINAD_DEVICES_H
#define LAMINAD_DEVICES_H

#include "config.h"
#include "proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DEV_MAX (DOM_MAX_DISKS + DOM_MAX_NICS) // back-ends per domain
#define DEV_ARGV_MAX 16
#define DEV_READY_MS 15000 // a back-end must be ready this soon after exec
#define DEV_STOP_MS 5000 // after a detach request, then SIGTERM; SIGKILL 1 s later
#define DEV_MAX_FAILS 5 // deaths in a row before a back-end is left dead
#define DEV_STABLE_MS 60000 // a back-end that ran this long starts counting afresh
#define DEV_BACKOFF_MS 1000 // first restart delay; doubles with each death in a row

struct daemon;
struct domain;
struct hv_dom;

// The environment a back-end is started in (filled by dev_argv's caller).
struct dev_ctx {
	unsigned domid; // lamina-hvd's id of the domain
	unsigned devid; // the device's number on the bus
	const char *socket; // lamina-hvd's socket for back-ends
	int ready_fd; // the back-end's end of the ready pipe
};

// A built argument vector; strings live in buf.
struct dev_argv {
	char *argv[DEV_ARGV_MAX + 1];
	size_t argc;
	char buf[8192];
	size_t used;
};

// One kind of device.  Fields are constant; functions get the domain's
// configuration and the index of one device of this kind in it.
struct dev_kind {
	const char *type; // bus and store type ("vbd"), as lamina-hvd names it
	const char *what; // for people: "disk"
	const char *exe; // the back-end's executable, found by dev_find_exe()
	const char *build_dir; // where the build tree has exe ("pvdrivers/blk")
	size_t (*count)(const struct dom_config *cfg);
	// The device's key (what users name it by, e.g. its target) for
	// messages and look-ups.
	const char *(*key)(const struct dom_config *cfg, size_t i);
	// Its number on the bus; -1 if the device cannot have one.  (Should a
	// hot-plugged device's number be taken by a running back-end, the lowest
	// free one is used instead: dev_new_proc.)
	long (*devid)(const struct dom_config *cfg, size_t i);
	// Append the back-end's arguments (after the executable's name).
	int (*args)(const struct dom_config *cfg, size_t i, const struct dev_ctx *ctx,
		    struct dev_argv *av);
	// Refuse a device before its back-end starts: NULL, or why not (static).
	// `others` is every other running domain's configuration.
	const char *(*problem)(const struct dom_config *cfg, size_t i,
			       const struct dom_config *const *others, size_t nothers,
			       char *buf, size_t len);
	// Facts for `lamina info` (sizes; the rest is filled by the caller).
	void (*describe)(const struct dom_config *cfg, size_t i, struct lp_dev *out);
	// Simulated devices (no back-end processes): the hypervisor op, or NULL.
	int (*sim_attach)(struct daemon *dm, struct hv_dom *hd, const struct dom_config *cfg,
			  size_t i);
	int (*sim_detach)(struct daemon *dm, struct hv_dom *hd, const char *key);
	// Simulated devices use nothing of the host: problem() is not asked.
	bool sim_unchecked;
	// Optional: make what the back-end needs on the host (idempotent: a
	// restarted back-end finds it made); 0, or -1 with why in err.
	int (*host_setup)(const struct dom_config *cfg, size_t i, const struct dev_ctx *ctx,
			  char *err, size_t len);
	// Optional: remove what host_setup made for device devid of domain domid.
	void (*host_teardown)(unsigned domid, unsigned devid);
};

extern const struct dev_kind *const dev_kinds[]; // NULL-terminated
extern const struct dev_kind dev_kind_vbd;
extern const struct dev_kind dev_kind_vif;
// A disk target's number on the bus (xvda 0, xvdb 1, ..., xvdzz 701); -1 if malformed.
long dev_vbd_devid(const char *target);

enum dev_state {
	DEV_STARTING = 1, // exec'd, not yet ready
	DEV_RUNNING, // ready (or adopted)
	DEV_BACKOFF, // died; restarts at restart_at
	DEV_FAILED, // died DEV_MAX_FAILS times in a row; left dead
	DEV_STOPPING, // asked to detach
};

// One back-end process (owned by its domain's struct domain, laminad's thread).
struct dev_proc {
	const struct dev_kind *kind;
	char key[24]; // the device's key (target, MAC)
	unsigned devid;
	enum dev_state state;
	pid_t pid; // 0 when none runs
	int pidfd; // -1 when none
	bool child; // laminad started it (its exit status can be read)
	uint64_t started_ms, restart_at_ms; // CLOCK_MONOTONIC
	unsigned fails; // deaths in a row
	unsigned restarts; // restarts since laminad took it on
	char note[128]; // the last thing worth saying (why it died, ...)
};

// devices.c: the registry and argument building (no processes).
const struct dev_kind *dev_kind_find(const char *type);
// Index of the device with this key in cfg, or -1.
int dev_index(const struct dev_kind *k, const struct dom_config *cfg, const char *key);
void dev_argv_init(struct dev_argv *av, const char *arg0);
int dev_argv_add(struct dev_argv *av, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Build the whole vector for device i; 0 or -1 (too long, bad key).
int dev_argv_build(const struct dev_kind *k, const struct dom_config *cfg, size_t i,
		   const struct dev_ctx *ctx, struct dev_argv *av);
// Where the executable is: $LAMINA_LIBEXEC_DIR (only there, when set); else
// beside laminad; else ../libexec/lamina from laminad's directory (where
// make install puts it); else ../BUILD_DIR from there (the build tree); else
// the bare name, for PATH.
void dev_find_exe(const struct dev_kind *k, char *out, size_t len);
// The same lookup for any helper program (lamina-netswitch): exe, and its
// directory in the build tree.
void dev_find_prog(const char *exe, const char *build_dir, char *out, size_t len);
const char *dev_state_name(enum dev_state s);

// dev_proc.c: one back-end process.
int dev_pidfd_open(pid_t pid); // -1 (errno) if it is gone
// Start device i's back-end for p (kind, key, devid set) and wait until it
// is ready (DEV_READY_MS); 0, or -1 with why in err (nothing left running).
int dev_spawn(struct daemon *dm, struct domain *d, struct dev_proc *p, size_t i, char *err,
	      size_t len);
// Ask ps[] to detach (lamina-hvd's backend-detach; SIGTERM without it), wait
// DEV_STOP_MS, then SIGTERM, then SIGKILL; logs each end, removes pidfiles.
void dev_stop_procs(struct daemon *dm, struct domain *d, struct dev_proc **ps, size_t n);
void dev_reap(struct dev_proc *p, char *out, size_t len); // how it ended; reaps a child
void dev_release(struct dev_proc *p); // close its pidfd
void dev_watch(struct daemon *dm, struct dev_proc *p); // its pidfd into dm->dev_epfd

// dev_supervise.c: every back-end of a domain.
// A slot in d->devs for device i of kind k (not started); NULL with err.
struct dev_proc *dev_new_proc(struct domain *d, const struct dev_kind *k, size_t i, char *err,
			      size_t len);
// p's back-end is gone unasked (`how` says why): schedule a restart after
// the backoff, or leave it dead after DEV_MAX_FAILS deaths in a row.
void dev_died(struct domain *d, struct dev_proc *p, const char *how);
// Start every configured device's back-end of d (created paused); 0, or -1
// with the first failure in err (the others started are stopped again).
int dev_start_all(struct daemon *dm, struct domain *d, char *err, size_t errlen);
// Start device i of kind k of d (hot-plug); 0 or -1 with err.
int dev_attach(struct daemon *dm, struct domain *d, const struct dev_kind *k, size_t i,
	       char *err, size_t errlen);
// Stop the back-end of the device with this key (detach, bounded wait, kill).
int dev_detach(struct daemon *dm, struct domain *d, const struct dev_kind *k, const char *key,
	       char *err, size_t errlen);
// Stop every back-end of d (its domain is being destroyed).
void dev_stop_all(struct daemon *dm, struct domain *d);
// Forget d's back-ends, leaving them running (laminad stops).
void dev_forget_all(struct domain *d);
// Notice back-ends that died and restart those whose backoff is over.
void dev_tick(struct daemon *dm);
// Milliseconds until dev_tick() has something to do, -1 for never.
int dev_timeout_ms(const struct daemon *dm);
// Fill out[] with d's devices; their count.
size_t dev_describe(const struct daemon *dm, const struct domain *d, struct lp_dev *out,
		    size_t max);
uint64_t dev_now_ms(void);

// dev_adopt.c: pidfiles, and taking over back-ends after a restart.
// Record p's process for d; 0 or -1 (errno).
int dev_pidfile_write(const struct daemon *dm, const struct domain *d, const struct dev_proc *p);
void dev_pidfile_remove(const struct daemon *dm, const struct domain *d, const struct dev_proc *p);
// Is pid alive, started at `start` (clock ticks since boot, as in
// /proc/PID/stat) and running exe (or the script exe under an interpreter)?
// Guards against a reused pid.
bool dev_pid_matches(pid_t pid, unsigned long long start, const char *exe);
// The start time of pid (0 if it is gone).
unsigned long long dev_pid_start(pid_t pid);
// Adopt the running back-ends of a re-attached domain, start the missing ones.
void dev_adopt_all(struct daemon *dm, struct domain *d);
// Remove pidfiles of domains laminad does not know (their back-ends ended
// with the domain); called once after re-attaching.
void dev_pidfiles_prune(struct daemon *dm);

#endif
