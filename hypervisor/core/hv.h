// SPDX-License-Identifier: MIT
// hv.h: libhv's public interface: create, run, control and observe Lamina domains.
#ifndef HV_HV_H
#define HV_HV_H
#include <stddef.h>
#include <stdint.h>

struct hv;
struct domain;

enum { HV_DOM_CREATED, HV_DOM_RUNNING, HV_DOM_PAUSED, HV_DOM_SHUTDOWN, HV_DOM_CRASHED };

struct hv_limits {
	unsigned evtchns;       /* event channel ports, default 1023 */
	unsigned grant_frames;  /* grant-table frames, default 64 */
};

struct hv_dom_params {
	const char *name;
	const char *kernel;     /* ELF64 test guest or Linux bzImage */
	const char *initrd;     /* optional */
	const char *cmdline;    /* optional */
	uint64_t mem_bytes;     /* initial memory */
	uint64_t max_bytes;     /* ceiling; 0 = mem_bytes */
	int vcpus;
	unsigned domid;         /* 0 = the lowest free id; else this id (1..1023) */
	struct hv_limits lim;   /* 0 fields take the defaults */
	int console_fd;         /* where console output goes; -1 = log only */
	const char *console_prefix; /* if set, each output line starts "[prefix] " */
	const char *log_path;   /* per-domain log; NULL = none */
	int halt_poll_us;       /* sched_op block spins up to this long first; 0 = never */
	int tsc_skew_us;        /* tests: vCPU i's TSC runs i * this ahead of vCPU 0's; 0 = none */
	/* If set, called with each whole console line, its "\n" or "\r\n"
	 * removed, after the line went to console_fd (a line too long for the
	 * console's 1 KiB line buffer is not passed). It runs on the thread that
	 * printed the line, with the console's lock held: it may call hv_stats()
	 * and write to console_fd (its output then follows the line), but must
	 * not call hv_console_input(). */
	void (*console_line)(void *ctx, struct domain *d, const char *line, size_t len);
	void *console_line_ctx;
};

/*
 * Exits to user space: each time KVM_RUN returns to a vCPU thread of
 * libhv's process, counted by kind. KVM handles everything else in the
 * kernel (the in-kernel LAPIC, doorbells to back-ends through ioeventfd).
 */
enum hv_exit_kind {
	HV_EXIT_HYPERCALL,  /* port I/O on the hypercall port: one hypercall */
	HV_EXIT_DOORBELL,   /* an event_send doorbell the kernel did not complete */
	HV_EXIT_IO,         /* any other port I/O (a PV guest makes none) */
	HV_EXIT_MSR,        /* an MSR access KVM forwards (the hypercall-page MSR) */
	HV_EXIT_INTR,       /* a signal: the vCPU's own timer, or a kick from another thread */
	HV_EXIT_HLT,        /* hlt that KVM did not handle in the kernel */
	HV_EXIT_SHUTDOWN,   /* a triple fault: the domain is killed */
	HV_EXIT_MMIO,       /* an access to unbacked guest-physical memory: killed */
	HV_EXIT_OTHER,      /* any other KVM exit reason: killed */
	HV_EXIT_KINDS
};

struct hv_dom_stats {
	int state, reason, vcpus;
	uint64_t cur_pages, max_pages;
	uint64_t cpu_ns;
	uint64_t run_ns;            /* since hv_start(), up to the domain's end once it has ended */
	uint64_t user_exits[HV_EXIT_KINDS];   /* exits to user space, by enum hv_exit_kind */
	uint64_t hypercalls[64];
	uint64_t doorbell_exits;    /* doorbells to back-end ports that reached user space */
	uint64_t device_io_exits;   /* port I/O to no device (a PV guest makes none) */
};

struct hv *hv_open(char *err, size_t errlen);
void hv_close(struct hv *hv);
struct domain *hv_create(struct hv *hv, const struct hv_dom_params *p,
			 char *err, size_t errlen);
int hv_start(struct domain *d);
int hv_wait(struct domain *d);          /* returns the shutdown reason */
int hv_pause(struct domain *d);
int hv_unpause(struct domain *d);
void hv_destroy(struct domain *d);
void hv_kill(struct domain *d, const char *why);
/* Pin a vCPU to the CPUs in mask (ncpus bits): 0 or -EINVAL/-errno. */
int hv_vcpu_pin(struct domain *d, int vcpu, const uint64_t *mask, unsigned ncpus);   /* end it as crashed, logging why */
int hv_stats(struct domain *d, struct hv_dom_stats *s);
/* Each vCPU's run state and last exit rip, one "; "-separated phrase each. */
void hv_vcpu_where(struct domain *d, char *buf, size_t n);
/* Queue console input for the guest (console_io READ); returns bytes taken. */
int hv_console_input(struct domain *d, const char *buf, size_t len);
const char *hv_dom_name(struct domain *d);
int hv_dom_id(struct domain *d);
const char *hv_crash_reason(struct domain *d);

/*
 * The store (abi/lamina/store.h) as domain 0, the host side, uses it: no
 * permission or quota limits. Paths are absolute or relative to
 * /local/domain/0. Each call returns >= 0 on success or a negative error
 * number (the store's LAMINA_E* names, which equal Linux's): -EINVAL bad
 * path or permissions, -ENOENT no such node, -E2BIG too long (or the
 * reply does not fit size), -EIO out of memory. Every domain gets at
 * creation /local/domain/<id>, owned by it, holding name, domid, vcpus,
 * memory/target and memory/static-max (KiB), device/ and control/; its
 * home is removed when it is destroyed.
 */
/* The value (NUL-terminated in buf) and its length. */
int hv_store_read(struct hv *hv, const char *path, char *buf, size_t size);
int hv_store_write(struct hv *hv, const char *path, const char *val);  /* creates parents */
/* Write n keys (key[i] = val[i]) under dir in one transaction, redone while
 * it loses a race: a watcher never sees some of them without the others. */
int hv_store_write_all(struct hv *hv, const char *dir, const char *const key[],
		       const char *const val[], unsigned n);
int hv_store_mkdir(struct hv *hv, const char *path);
int hv_store_rm(struct hv *hv, const char *path);                      /* and all below */
/* The children's names, each NUL-terminated; returns the byte count. */
int hv_store_directory(struct hv *hv, const char *path, char *buf, size_t size);
/* perms: entries "<n|r|w|b><domid>", the owner first, separated by spaces
 * or commas, e.g. "n5 r0". */
int hv_store_set_perms(struct hv *hv, const char *path, const char *perms);
/* Watch path (or "@introduceDomain", "@releaseDomain"): fn(arg, changed
 * path, token) runs on the store's thread, once at once and then for each
 * change at or below path; it may call hv_store_* but should not block.
 * Events already queued may still arrive after hv_store_unwatch(). */
typedef void hv_store_watch_fn(void *arg, const char *path, const char *token);
int hv_store_watch(struct hv *hv, const char *path, const char *token,
		   hv_store_watch_fn *fn, void *arg);
int hv_store_unwatch(struct hv *hv, const char *path, const char *token);
/* Any request of store.h as domain 0, in wire format (payload req, len
 * bytes): the reply payload into rsp and its length, or -error for an
 * ERROR reply. Transactions: TRANSACTION_START, then tx_id on each
 * request, TRANSACTION_END ("T" or "F"). WATCH made here has no callback. */
int hv_store_request(struct hv *hv, unsigned type, uint32_t tx_id, const void *req,
		     size_t len, void *rsp, size_t size);

/*
 * Toolstack helpers (hv_api.c).
 *
 * Hypercall trace: fn(ctx, vcpu, a, ret) runs on the vCPU's thread after
 * each hypercall that exits to user space, with a[0] the hypercall number
 * and a[1..5] its arguments; it must be quick and must not block. Doorbell
 * sends that KVM completes in the kernel are not seen. fn NULL stops
 * tracing; a call already under way may still finish, so ctx must stay
 * valid until hv_destroy(d) returns.
 */
typedef void hv_trace_fn(void *ctx, int vcpu, const uint64_t a[6], int64_t ret);
void hv_set_trace(struct domain *d, hv_trace_fn *fn, void *ctx);
/* The name of hypercall nr ("event_send"), or NULL if there is none. */
const char *hv_hypercall_name(unsigned nr);
/* The name of exit kind k ("hypercall", "doorbell", "io", "msr", "intr",
 * "hlt", "shutdown", "mmio", "other"), or NULL past HV_EXIT_KINDS. These
 * names are an interface: tools print and parse them. */
const char *hv_exit_name(unsigned k);
/* "total=N hypercall=N doorbell=N ... other=N": the sum, then every kind
 * in enum order. With run_ns > 0 each count is followed by its rate over
 * run_ns, " (R/s)" with one decimal. Returns what snprintf would (the
 * length it needed); buf is always NUL-terminated if n > 0. */
int hv_exits_format(char *buf, size_t n, const uint64_t exits[HV_EXIT_KINDS], uint64_t run_ns);
/* A console_line callback (hv_dom_params) for tests and benchmarks; ctx is
 * a marker, a NUL-terminated string that outlives the domain. After each
 * console line that is exactly the marker, it writes one line to the
 * domain's console_fd and log: "@HVSTATS dom=ID t_ns=T " and then
 * hv_exits_format()'s counts without rates: d's exits to user space since
 * it started, at T, CLOCK_MONOTONIC in ns. */
void hv_exits_on_marker(void *ctx, struct domain *d, const char *line, size_t len);
/* Ask the guest to stop: writes control/shutdown = "poweroff" or "reboot"
 * (reason LAMINA_SHUTDOWN_POWEROFF or _REBOOT) in its store home. A guest
 * that watches the key acknowledges it by writing "" and then shuts down
 * with sched_op SHUTDOWN and that reason. 0 or -errno (-EINVAL: other
 * reason; the store's errors otherwise). */
int hv_request_shutdown(struct domain *d, int reason);
/* Set the balloon target: memory/target = kib in the guest's store home;
 * the guest's balloon follows it. 0 or -errno (-EINVAL: not whole pages,
 * or above the domain's maximum). */
int hv_set_mem_target(struct domain *d, uint64_t kib);
/* End d at once, without the guest's help, as if it powered off: its
 * vCPUs stop and hv_wait() returns. d stays until hv_destroy(). */
void hv_stop(struct domain *d);

/*
 * Host side of back-end processes (hv_backend.c; lamina-hvd serves them,
 * docs/architecture.md "Back-ends"). A back-end acts as domain 0. Call
 * these only while d exists (before hv_destroy), except the unpin and
 * close calls, which name the instance.
 */
#define HV_BK_MAP_MAX 256 /* pages per udmabuf */
/* Pin grant ref of d, granted to domain 0 and writable, for a back-end:
 * OUT *gfn (its frame in d's RAM) and *handle. 0, -EINVAL (ref beyond d's
 * table, or not a RAM page), -EACCES (not granted to domain 0), -EROFS (a
 * read-only grant: a udmabuf cannot be made read-only), -ENOSPC (every
 * host mapping slot used), -ESRCH (d has no grant table), -ENOMEM. */
int hv_bk_grant_pin(struct domain *d, uint32_t ref, uint64_t *gfn, uint32_t *handle);
/* Drop a pin of hv_bk_grant_pin: 0 or -EINVAL (unknown handle). */
int hv_bk_grant_unpin(struct hv *hv, uint32_t handle);
/* A new udmabuf (close-on-exec) over exactly the pages gfns[0..n) of d's
 * RAM memfd, in that order: its fd, or -EINVAL (n is 0 or above
 * HV_BK_MAP_MAX, a gfn beyond RAM) or the kernel's -errno (no
 * /dev/udmabuf: -ENOENT). The caller pins the pages first. */
int hv_bk_udmabuf(struct domain *d, const uint64_t *gfns, unsigned n);
/* Bind a new host port to d's port, which d allocated unbound for domain
 * 0: OUT *efd, signalled (in the kernel, by an ioeventfd on the doorbell)
 * whenever d sends on port; libhv owns it. 0 or -EINVAL (port not unbound
 * for domain 0), -ENOSPC, -ENOMEM, -ESRCH. */
int hv_bk_evt_bind(struct domain *d, uint32_t port, int *efd);
/* Host to guest: make d's port pending and upcall, if it is bound to a host port. */
void hv_bk_evt_notify(struct domain *d, uint32_t port);
/* Close the host port of efd (d's end becomes unbound for domain 0 again,
 * so a new back-end can bind it) and efd itself. */
void hv_bk_evt_close(struct hv *hv, int efd);
#endif
