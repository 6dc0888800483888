// SPDX-License-Identifier: MIT
// vcpu.c: one thread per vCPU: run it in KVM and handle each exit to user space.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <lamina/cpuid.h>
#include <lamina/errno.h>
#include <lamina/shared_info.h>
#include "clock.h"
#include "event.h"
#include "exits.h"
#include "hcall.h"
#include "hv_int.h"
#include "timer.h"
#include "vcpu.h"

#define SIG_KICK SIGUSR1   /* vcpu_kick_out, and the vCPU's own timer (timer.h) */

/* The vCPU this thread runs, if it is a vCPU thread. */
static __thread struct vcpu *self;

/* A kick or a timer: leave KVM_RUN now, or refuse to enter it if the
 * signal came just before (KVM's immediate_exit). */
static void on_kick(int sig)
{
	int saved = errno;   /* the interrupted call's EINTR must survive (vcpu_main) */

	(void)sig;
	if (self && self->run) {
		__atomic_store_n(&self->run->immediate_exit, 1, __ATOMIC_RELAXED);
		atomic_store(&self->timers_dirty, true);   /* lock-free: signal-safe */
	}
	errno = saved;
}

/* SA_RESTART: the timer signal also lands while the thread is in other
 * system calls (a console write, say); KVM_RUN still returns EINTR. */
void vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_kick, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIG_KICK, &sa, NULL);
}

/* Make v leave KVM_RUN soon (to see a pause or a shutdown). */
void vcpu_kick_out(struct vcpu *v)
{
	if (!v->started || !v->run)
		return;
	/* Other threads and the signal handler write it too: atomically. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELAXED);
	pthread_kill(v->thread, SIG_KICK);
}

/* Every started vCPU of v's domain but v leaves KVM_RUN soon. */
void vcpu_kick_others(struct vcpu *v)
{
	for (int i = 0; i < v->d->nr_vcpus; i++)
		if (&v->d->vcpu[i] != v)
			vcpu_kick_out(&v->d->vcpu[i]);
}

/* v's timers changed: unless this is v's own thread (it re-arms before it
 * next enters the guest), make v look again, blocked or running. */
void vcpu_retime(struct vcpu *v)
{
	atomic_store(&v->timers_dirty, true);
	if (v == self)
		return;
	pthread_mutex_lock(&v->d->lock);
	dom_wake_all(v->d);
	bool started = v->started;
	pthread_mutex_unlock(&v->d->lock);
	if (started)
		vcpu_kick_out(v);
}

/* On v's own thread: load a start state vcpu_op UP left. With the
 * in-kernel LAPIC a vCPU other than 0 waits for INIT/SIPI; make it
 * runnable so KVM_RUN executes the context. The state came from the
 * caller's vCPU: keep v's own APIC base (the caller's says "BSP").
 * False if KVM refused it. */
static bool load_start(struct vcpu *v, struct kvm_sregs *s, const struct kvm_regs *r)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs own;

	if (ioctl(v->fd, KVM_GET_SREGS, &own) == 0)
		s->apic_base = own.apic_base;
	if (ioctl(v->fd, KVM_SET_SREGS, s) < 0 || ioctl(v->fd, KVM_SET_REGS, r) < 0 ||
	    ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
		dom_crash(v->d, "vCPU %d: KVM refused the vcpu_op UP context: %s", v->id,
			  strerror(errno));
		return false;
	}
	return true;
}

/* Wait while the domain is paused or this vCPU is down; false once it is over. */
static bool may_run(struct vcpu *v)
{
	struct domain *d = v->d;
	bool ok;

	pthread_mutex_lock(&d->lock);
	if (!v->up || d->state != HV_DOM_RUNNING) {
		v->parked = true;
		dom_wake_all(d);          /* vcpu_op DOWN waits for this */
		pthread_mutex_unlock(&d->lock);
		runstate_set(v, LAMINA_RUNSTATE_OFFLINE);
		pthread_mutex_lock(&d->lock);
	}
	/* A down vCPU's or a paused domain's timers still fire (vcpu.h in abi/). */
	while ((d->state == HV_DOM_PAUSED || d->state == HV_DOM_CREATED || !v->up) &&
	       d->state != HV_DOM_SHUTDOWN && d->state != HV_DOM_CRASHED)
		if (d->state == HV_DOM_CREATED || !timer_fire_due(v))
			timer_wait(d, d->state == HV_DOM_CREATED ? 0 : timer_next(v));
	v->parked = false;
	ok = d->state == HV_DOM_RUNNING;
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
	bool start = ok && v->start_pending;
	struct kvm_sregs s;
	struct kvm_regs r;
	if (start) {   /* rare: copy it out, load it unlocked */
		s = v->start_sregs;
		r = v->start_regs;
		v->start_pending = false;
	}
	pthread_mutex_unlock(&d->lock);
	if (start)
		ok = load_start(v, &s, &r);
	if (ok)
		runstate_set(v, LAMINA_RUNSTATE_RUNNING);
	return ok;
}

/* An event_send doorbell that reached user space: a port with no
 * ioeventfd (or one KVM missed), sent through the hypercall table. */
static void on_doorbell(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint32_t port;

	memcpy(&port, (uint8_t *)r + r->io.data_offset, 4);
	if (evt_port_fast(v->d, port))
		atomic_fetch_add(&v->d->doorbell_exits, 1);
	int64_t rc = hcall_doorbell(v, port);
	if (rc) {   /* 0 needs no write: eax still holds the port (hcall.c) */
		r->s.regs.regs.rax = (uint64_t)rc;
		r->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	}
}

/* No devices: reads float high, writes vanish. Count and name them. */
static void on_device_io(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;

	if (atomic_fetch_add(&v->d->device_io_exits, 1) < 8)
		dom_log(v->d, "lamina: vCPU %d: %s of I/O port %#x, which has no device", v->id,
			r->io.direction == KVM_EXIT_IO_IN ? "read" : "write", r->io.port);
	if (r->io.direction == KVM_EXIT_IO_IN)
		memset(data, 0xff, (size_t)r->io.size * r->io.count);
}

static void on_msr(struct vcpu *v, bool write)
{
	struct kvm_run *r = v->run;

	r->msr.error = 1;                       /* #GP unless we know it */
	if (write && r->msr.index == LAMINA_MSR_HYPERCALL &&
	    hcall_page_install(v->d, r->msr.data) == 0)
		r->msr.error = 0;
	if (!write)
		r->msr.data = 0;
}

/* Handle one exit of the given kind (exits.h); false if the domain must stop. */
static bool on_exit(struct vcpu *v, unsigned kind)
{
	struct kvm_run *r = v->run;

	switch (kind) {
	case HV_EXIT_HYPERCALL:
		hcall_on_exit(v, (uint8_t *)r + r->io.data_offset);
		return true;
	case HV_EXIT_DOORBELL:
		on_doorbell(v);
		return true;
	case HV_EXIT_IO:
		on_device_io(v);
		return true;
	case HV_EXIT_MSR:
		on_msr(v, r->exit_reason == KVM_EXIT_X86_WRMSR);
		return true;
	case HV_EXIT_INTR:
	case HV_EXIT_HLT:
		return true;
	case HV_EXIT_SHUTDOWN:
		/* AMD SVM resets the vCPU before this exit (rip 0xfff0): name
		 * where it last left the guest as well. */
		dom_crash(v->d, "vCPU %d triple-faulted (rip %#llx; its previous exit was at rip %#llx)",
			  v->id, (unsigned long long)r->s.regs.regs.rip,
			  (unsigned long long)v->last_rip);
		return false;
	case HV_EXIT_MMIO:
		dom_crash(v->d, "vCPU %d touched unbacked physical address %#llx (rip %#llx)",
			  v->id, (unsigned long long)r->mmio.phys_addr,
			  (unsigned long long)r->s.regs.regs.rip);
		return false;
	default:
		dom_crash(v->d, "vCPU %d: unexpected KVM exit %u (rip %#llx)", v->id,
			  r->exit_reason, (unsigned long long)r->s.regs.regs.rip);
		return false;
	}
}

void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;

	char why[128];

	self = v;
	if (timer_vcpu_init(v, SIG_KICK) < 0) {
		dom_crash(v->d, "vCPU %d: cannot create its timer: %s", v->id, strerror(errno));
		return NULL;
	}
	if (vcpu_sandbox(v, why, sizeof(why)) < 0) {
		dom_crash(v->d, "vCPU %d: cannot load its sandbox: %s", v->id, why);
		timer_vcpu_fini(v);
		return NULL;
	}
	while (may_run(v)) {
		clock_vcpu_poll(v);
		timer_vcpu_poll(v);
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
		int rc = ioctl(v->fd, KVM_RUN, 0);
		if (rc < 0 && (errno == EINTR || errno == EAGAIN)) {
			v->last_rip = v->run->s.regs.regs.rip;   /* where a kick found it */
			atomic_fetch_add(&v->exits[HV_EXIT_INTR], 1);
			continue;
		}
		if (rc < 0 && errno == EFAULT) {   /* a frame unmapped for it: mem.c */
			dom_crash(v->d, "vCPU %d touched guest memory it does not own (a frame given "
				  "back or above its reservation; KVM_RUN: EFAULT, last exit at rip %#llx)",
				  v->id, (unsigned long long)v->last_rip);
			break;
		}
		if (rc < 0) {
			dom_crash(v->d, "vCPU %d: KVM_RUN: %s", v->id, strerror(errno));
			break;
		}
		unsigned kind = exit_kind(v->run);
		if (kind != HV_EXIT_SHUTDOWN)
			v->last_rip = v->run->s.regs.regs.rip;
		atomic_fetch_add(&v->exits[kind], 1);
		if (!on_exit(v, kind))
			break;
	}
	/* Ended (crash, shutdown): it runs no more, and its run time stops. */
	runstate_set(v, LAMINA_RUNSTATE_OFFLINE);
	timer_vcpu_fini(v);
	return NULL;
}

/* Name the thread "v<vcpu>-<domain>" (seen in top -H and /proc/.../comm). */
void vcpu_name_thread(struct vcpu *v)
{
	char name[16];
	int n = snprintf(name, sizeof(name), "v%d-", v->id);

	for (const char *p = v->d->name; *p && n < (int)sizeof(name) - 1; p++)
		name[n++] = *p;               /* the kernel keeps 15 characters */
	name[n] = 0;
	pthread_setname_np(v->thread, name);
}
