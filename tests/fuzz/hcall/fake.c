// SPDX-License-Identifier: MIT
// fake.c: what the hypercall harness stands in for: KVM, vCPU threads, timers and clock, guest page walks.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <lamina/errno.h>
#include <lamina/sched.h>
#include "fake.h"
#include "gmem.h"
#include "mem.h"

/* ---- a virtual clock: every read moves it 1 us, short waits jump to their end ---- */

#define FAKE_BOOT_NS 1000000ll
#define FAKE_LONG_WAIT (10ll * 1000000000)   /* a longer wait is ended by "another thread" */

int64_t fake_now;
unsigned fake_upcalls, fake_shutdowns;
#define FAKE_MAX_LONG_WAITS 64   /* then the toolstack gives up on the domain */

static bool wake_once;   /* a wait ended early (as if another thread woke it) */
static unsigned long_waits;   /* long waits in a row */

void fake_reset(void)
{
	fake_now = FAKE_BOOT_NS;
	fake_upcalls = fake_shutdowns = 0;
	wake_once = false;
	long_waits = 0;
}

int64_t dom_time_ns(struct domain *d) { return fake_now += 1000; }
void clock_wallclock(struct domain *d) {}
int64_t timer_next(struct vcpu *v) { return v->timer_deadline; }

bool timer_fire_due(struct vcpu *v)
{
	if (wake_once) {
		wake_once = false;
		return true;
	}
	if (!v->timer_deadline || fake_now < v->timer_deadline)
		return false;
	v->timer_deadline = 0;
	return true;
}

/* The clock stays far from overflow: it only ever moves FAKE_LONG_WAIT at
 * once. A longer wait (or one with no end: a poll with a timeout years
 * away, nothing pending) moves it that far and is woken "by another
 * thread"; nothing else would ever wake the waiter here, so after
 * FAKE_MAX_LONG_WAITS of them in a row the domain is shut down, as a
 * toolstack would destroy it, which ends the wait (the hypercall loops
 * check the domain is live). */
void timer_wait(struct domain *d, int64_t until)
{
	if (until > fake_now && until - fake_now <= FAKE_LONG_WAIT) {
		fake_now = until;
		long_waits = 0;
		return;
	}
	fake_now += FAKE_LONG_WAIT;
	wake_once = true;
	if (++long_waits >= FAKE_MAX_LONG_WAITS) {
		long_waits = 0;
		dom_shutdown(d, LAMINA_SHUTDOWN_POWEROFF);
	}
}

/* ---- vCPU threads and KVM ---- */

void dom_log(struct domain *d, const char *fmt, ...) {}
void dom_wake_all(struct domain *d) {}
void vcpu_upcall(struct vcpu *v) { fake_upcalls++; }
void vcpu_retime(struct vcpu *v) {}
void vcpu_kick_others(struct domain *d) {}
/* The target's thread parks at once (hc_vcpu.c waits for it). */
void vcpu_kick_out(struct vcpu *v) { v->parked = true; }
int vcpu_route_upcalls(struct domain *d) { return 0; }
int kvm_map(int vm, int slot, uint64_t gpa, uint64_t len, void *host) { return 0; }
int kvm_map_flags(int vm, int slot, uint64_t gpa, uint64_t len, void *host, uint32_t flags) { return 0; }
int kvm_ioeventfd(int vm, int efd, uint16_t port, uint32_t match, int deassign) { return 0; }

void dom_shutdown(struct domain *d, int reason)
{
	fake_shutdowns++;
	d->state = HV_DOM_SHUTDOWN;
	d->shutdown_reason = reason;
}

struct domain *hv_domain_get(struct hv *hv, unsigned id)
{
	for (unsigned i = 1; i < HV_MAX_DOMS; i++)
		if (hv->doms[i] && hv->doms[i]->id == id)
			return hv->doms[i];
	return NULL;
}

void *hv_page_alloc(void)
{
	void *p = mmap(NULL, HV_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void hv_page_free(void *p)
{
	if (p)
		munmap(p, HV_PAGE);
}

/* ---- guest memory: identity-mapped, virtual = physical, page 0 unmapped ---- */

/* Each page of [va, va+len) must be populated RAM (mem_gpa decides). */
static void *span(struct vcpu *v, uint64_t va, size_t len)
{
	if (va < HV_PAGE || len > GMEM_MAX || va + len < va)
		return NULL;
	return len ? mem_gpa(v->d, va, len) : v->d->ram;
}

int gmem_read(struct vcpu *v, uint64_t va, void *buf, size_t len)
{
	void *p = span(v, va, len);

	if (!p)
		return -LAMINA_EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int gmem_write(struct vcpu *v, uint64_t va, const void *buf, size_t len)
{
	void *p = span(v, va, len);

	if (!p)
		return -LAMINA_EFAULT;
	memcpy(p, buf, len);
	return 0;
}

void *gmem_ptr(struct vcpu *v, uint64_t va, size_t len, bool write)
{
	if (len == 0 || len > HV_PAGE || (va & (HV_PAGE - 1)) + len > HV_PAGE)
		return NULL;
	return span(v, va, len);
}
