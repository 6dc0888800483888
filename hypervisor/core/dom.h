// SPDX-License-Identifier: MIT
// dom.h: the hypervisor's internal view of domains and vCPUs (shared by all of libhv).
#ifndef HV_DOM_H
#define HV_DOM_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <linux/kvm.h>
#include "hv.h"

#define HV_MAX_VCPUS 8
#define HV_PAGE 4096ull
#define HV_HC_SLOTS 64          /* counters per hypercall number */

struct domain;

/* One vCPU: owned by its thread except where a field says otherwise. */
struct vcpu {
	struct domain *d;
	int id;
	int fd;                     /* KVM vCPU fd */
	struct kvm_run *run;        /* mmap of fd; only the vCPU thread touches it */
	pthread_t thread;
	bool started;               /* thread created (d->lock) */
	bool up;                    /* runs guest code (d->lock); vcpu_op up/down */
	bool ever_ran;              /* has had a context (d->lock) */
	bool parked;                /* waiting in may_run() (d->lock) */
	/* vcpu_op UP with a context: the state this vCPU's own thread loads
	 * into KVM before it next runs (KVM wants a vCPU's ioctls from the
	 * thread that runs it). (d->lock) */
	bool start_pending;
	struct kvm_sregs start_sregs;
	struct kvm_regs start_regs;
	void *affinity;             /* cpu_set_t from hv_vcpu_pin, or NULL (d->lock) */
	uint64_t runstate_gpa;      /* registered runstate area or 0 (rs_lock) */
	int irq_efd;                /* irqfd that raises this vCPU's upcall vector */
	bool irqfd_bound;           /* irq_efd is attached to its GSI (d->lock) */
	uint8_t upcall_vector;      /* 0 = none registered (d->lock) */
	/* info_lock: held to move the vcpu_info and to post an event's bits into
	 * it, so that no event lands in the old place after the copy. */
	pthread_mutex_t info_lock;
	uint64_t vcpu_info_gpa;     /* guest-physical address or ~0 (info_lock to change) */
	int64_t timer_deadline;     /* set_timer_op, PV-clock ns, 0 = off (d->lock) */
	int64_t periodic_ns;        /* vcpu_op periodic timer period, 0 = off (d->lock) */
	int64_t periodic_next;      /* (d->lock) */
	timer_t ptimer;             /* signals this thread at the next deadline (vCPU thread) */
	bool ptimer_ok;             /* ptimer exists (vCPU thread) */
	int64_t ptimer_at;          /* PV ns ptimer is armed for, 0 = disarmed (vCPU thread) */
	int64_t poll_ns;            /* sched_op block's spin window now (vCPU thread) */
	atomic_bool timers_dirty;   /* timers changed or ptimer signalled since the vCPU looked */
	atomic_uint_fast64_t exits[HV_EXIT_KINDS];   /* exits to user space by enum hv_exit_kind */
	uint64_t last_rip;          /* guest rip at the last exit, a signal's too (vCPU thread) */
	uint64_t where_exits;       /* its exits at the last hv_vcpu_where() (that caller) */
	int64_t tsc_offset;         /* guest TSC - host TSC, as set at creation */
	uint64_t clock_gpa;         /* where KVM keeps this vCPU's PV clock, 0 = nowhere (vCPU thread) */
	pthread_mutex_t rs_lock;    /* guards the runstate fields below */
	int rs_state;               /* LAMINA_RUNSTATE_* */
	int64_t rs_entry;           /* PV ns when rs_state was entered */
	int64_t rs_time[4];         /* ns spent in each state before rs_entry */
};

/* A hypervisor-owned page mapped into the guest's physmap hole. */
struct physmap_ent {
	bool used;
	uint64_t gfn;
	void *host;
};
#define PHYSMAP_MAX (128 + 1024)  /* shared_info + grant frames + rings + spare + LAMINA_GNTTAB_MAX_MAPS granted pages */
#define PHYSMAP_SLOT0 16    /* KVM slots PHYSMAP_SLOT0.. hold them */

struct hv_console;
struct evtchn_table;
struct grant_table;

struct domain {
	struct hv *hv;
	uint16_t id;
	char name[64];
	int vmfd;
	int memfd;                  /* guest RAM; back-ends map pages of it */
	uint8_t *ram;               /* host mapping of all guest RAM (the hypervisor's view) */
	uint8_t *kvm_ram;           /* KVM's view of the same RAM: frames the guest does not
				     * own are PROT_NONE there (mem.c; d->lock) */
	unsigned unowned_runs;      /* runs of unpopulated frames in RAM (d->lock) */
	unsigned runs_refused;      /* memory_ops refused for LAMINA_MEM_MAX_RUNS (d->lock) */
	uint64_t ram_bytes;         /* size of the RAM region */
	uint64_t max_pages;         /* reservation ceiling */
	atomic_uint_fast64_t cur_pages;  /* populated pages */
	uint8_t *populated;         /* bitmap: page is backed (d->lock) */
	int nr_vcpus;
	bool tsc_deadline;          /* KVM runs the TSC-deadline timer (set at creation, then read-only) */
	struct vcpu vcpu[HV_MAX_VCPUS];
	pthread_mutex_t lock;       /* guards fields marked d->lock */
	pthread_cond_t wake;        /* signalled on events, timers, shutdown (d->lock) */
	int state;                  /* HV_DOM_* (d->lock) */
	int shutdown_reason;        /* LAMINA_SHUTDOWN_* once state is SHUTDOWN (d->lock) */
	char crash_why[320];        /* why the domain was killed, if it was */
	int64_t boot_ns;            /* CLOCK_MONOTONIC at creation (system time before the VM exists) */
	int64_t start_ns, end_ns;   /* CLOCK_MONOTONIC at hv_start() and when it ended; 0 = not yet (d->lock) */
	pthread_mutex_t wc_lock;    /* serialises wallclock updates (clock.c) */
	atomic_uint_fast64_t hc_count[HV_HC_SLOTS];
	atomic_uint_fast64_t doorbell_exits;  /* doorbells to host-linked ports that reached user space */
	atomic_uint_fast64_t device_io_exits;  /* port I/O that reached no device */
	uint8_t *shinfo;            /* shared_info page (hypervisor memory) */
	void *store_page;           /* store ring page (hypervisor memory) */
	void *console_page;         /* PV console ring page (hypervisor memory) */
	int console_page_fd;        /* its memfd, for the console back-end process */
	uint64_t shinfo_gfn;        /* where the guest mapped it, or ~0 */
	struct evtchn_table *evt;
	struct grant_table *gnt;
	struct hv_console *con;
	struct hv_limits lim;
	int64_t halt_poll_max;      /* ns; 0 = sched_op block never spins (set at create) */
	int timer_efd;              /* 1 while the wallclock thread (timer.c) runs */
	pthread_t timer_thread;
	int log_fd;                 /* console_io and hypervisor messages */
	int next_slot;              /* next free KVM memslot (d->lock) */
	struct physmap_ent pm[PHYSMAP_MAX];  /* (d->lock) */
	void (*trace)(struct domain *, int vcpu, const uint64_t a[6], int64_t ret);
	hv_trace_fn *trace_fn;      /* hv_set_trace(): what trace calls, and with what */
	void *trace_ctx;
};

/* Kill the domain from inside (fatal guest behaviour); logs why. */
void dom_crash(struct domain *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dom_log(struct domain *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int64_t hv_now_ns(void);
int64_t dom_time_ns(struct domain *d);   /* PV-clock system time of d (KVM's clock; clock.c) */
void dom_wake_all(struct domain *d);     /* d->lock held */
#endif
