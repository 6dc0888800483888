// SPDX-License-Identifier: MIT
// hc_vcpu.c: vcpu_op: bring vCPUs up and down, vcpu_info, upcall vector, timers, runstate.
#include <string.h>
#include <sys/ioctl.h>
#include <lamina/errno.h>
#include <lamina/vcpu.h>
#include "boot.h"
#include "clock.h"
#include "event.h"
#include "gmem.h"
#include "hcall.h"
#include "hv_int.h"
#include "kvm.h"
#include "mem.h"
#include "vcpu.h"


/* Read the UP context at arg and build t's start state from it, with the
 * caller's control registers and segments; t's own thread loads it
 * (vcpu.c, load_start). Nothing is stored in t. d->lock not held. */
static int64_t read_context(struct vcpu *v, uint64_t arg, struct kvm_sregs *s,
			    struct kvm_regs *r)
{
	struct lamina_vcpu_up c;

	if (gmem_read(v, arg, &c, sizeof(c)))
		return -LAMINA_EFAULT;
	if ((c.cr3 & ~0xfffull) >= v->d->ram_bytes)   /* KVM would refuse it later */
		return -LAMINA_EINVAL;
	if (ioctl(v->fd, KVM_GET_SREGS, s) < 0)   /* the caller's own vCPU */
		return -LAMINA_EINVAL;
	s->cr3 = c.cr3;
	s->fs.base = s->gs.base = 0;
	memset(&s->ldt, 0, sizeof(s->ldt));
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.type = 11;
	s->tr.present = 1;
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
	*r = (struct kvm_regs){ .rip = c.rip, .rsp = c.rsp, .rdi = c.rdi, .rflags = 2 };
	return 0;
}

/* vcpu.h's checks for UP of t, in its order. d->lock held. */
static int64_t up_check(const struct vcpu *t, bool ctx)
{
	if (t->up)
		return -LAMINA_EALREADY;
	return !ctx && !t->ever_ran ? -LAMINA_EINVAL : 0;
}

/* The checks and the bring-up happen in one d->lock section, so of
 * concurrent UPs of one vCPU exactly one returns 0 and the others
 * -EALREADY, and a loser's context never reaches t. */
static int64_t op_up(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct domain *d = v->d;
	struct kvm_sregs s;
	struct kvm_regs r;

	pthread_mutex_lock(&d->lock);
	int64_t rc = up_check(t, arg != 0);   /* first, so -EALREADY beats a bad arg */
	pthread_mutex_unlock(&d->lock);
	if (!rc && arg)
		rc = read_context(v, arg, &s, &r);
	if (rc)
		return rc;
	pthread_mutex_lock(&d->lock);
	rc = up_check(t, arg != 0);
	if (!rc && arg) {
		t->start_sregs = s;
		t->start_regs = r;
		t->start_pending = true;
		t->ever_ran = true;
	}
	if (!rc) {
		t->up = true;
		dom_wake_all(d);
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static int64_t op_down(struct vcpu *v, struct vcpu *t)
{
	struct domain *d = v->d;
	int64_t r = 0;
	int n = 0;

	pthread_mutex_lock(&d->lock);
	for (int i = 0; i < d->nr_vcpus; i++)
		n += d->vcpu[i].up;
	if (!t->up)
		r = -LAMINA_EALREADY;
	else if (n == 1)
		r = -LAMINA_EBUSY;
	else
		t->up = false;
	dom_wake_all(d);
	pthread_mutex_unlock(&d->lock);
	if (r || t == v)
		return r;   /* the caller parks in vcpu_main's may_run() on return */
	vcpu_kick_out(t);
	pthread_mutex_lock(&d->lock);
	while (!t->parked && !t->up && d->state == HV_DOM_RUNNING)
		pthread_cond_wait(&d->wake, &d->lock);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* t->up changes under d->lock (UP, DOWN on other vCPUs): read it there. */
static int64_t op_is_up(struct vcpu *t)
{
	pthread_mutex_lock(&t->d->lock);
	bool up = t->up;
	pthread_mutex_unlock(&t->d->lock);
	return up;
}

static int64_t op_register_info(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct lamina_vcpu_register_info ri;
	struct lamina_vcpu_info *new;
	/* The current contents live in shared_info even while the guest has
	 * not mapped it (delivery writes there), so copy from the slot itself. */
	struct lamina_vcpu_info *old = t->id < (int)LAMINA_SHINFO_VCPUS && v->d->shinfo ?
		&((struct lamina_shared_info *)(void *)v->d->shinfo)->vcpu_info[t->id] : NULL;

	if (gmem_read(v, arg, &ri, sizeof(ri)))
		return -LAMINA_EFAULT;
	if (ri.gpa % 64 || !(new = mem_gpa(v->d, ri.gpa, sizeof(*new))))
		return -LAMINA_EINVAL;
	pthread_mutex_lock(&t->info_lock);   /* no event may land in old after the copy */
	bool moved = t->vcpu_info_gpa != ~0ull;
	if (!moved) {
		if (old)
			memcpy(new, old, sizeof(*new));
		__atomic_store_n(&t->vcpu_info_gpa, ri.gpa, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&t->info_lock);
	if (moved)
		return -LAMINA_EEXIST;
	if (t != v)
		vcpu_kick_out(t);   /* it points KVM's clock at the new place (clock.c) */
	return 0;
}

/* Route an MSI with vector vec to t's local APIC and bind t's irqfd to it. */
static int64_t op_upcall_vector(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct lamina_vcpu_upcall_vector uv;
	struct domain *d = v->d;

	if (gmem_read(v, arg, &uv, sizeof(uv)))
		return -LAMINA_EFAULT;
	if ((uv.vector && uv.vector < 0x20) || uv.vector > 0xff)
		return -LAMINA_EINVAL;
	pthread_mutex_lock(&d->lock);
	t->upcall_vector = (uint8_t)uv.vector;
	int rc = uv.vector ? vcpu_route_upcalls(d) : 0;
	pthread_mutex_unlock(&d->lock);
	return rc < 0 ? -LAMINA_EINVAL : 0;
}

static int64_t op_singleshot(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct lamina_vcpu_singleshot_timer st;

	if (gmem_read(v, arg, &st, sizeof(st)))
		return -LAMINA_EFAULT;
	if (st.pad)
		return -LAMINA_EINVAL;
	if ((st.flags & LAMINA_VCPU_SSHOT_FUTURE) && st.deadline_ns &&
	    (int64_t)st.deadline_ns <= dom_time_ns(v->d))
		return -LAMINA_ETIME;
	vcpu_set_deadline(t, st.deadline_ns > INT64_MAX ? INT64_MAX : (int64_t)st.deadline_ns);
	return 0;
}

static int64_t op_periodic(struct vcpu *v, struct vcpu *t, uint64_t arg, bool stop)
{
	struct lamina_vcpu_periodic_timer pt = { 0 };
	struct domain *d = v->d;

	if (!stop && gmem_read(v, arg, &pt, sizeof(pt)))
		return -LAMINA_EFAULT;
	if (!stop && pt.period_ns < LAMINA_VCPU_PERIOD_MIN_NS)
		return -LAMINA_EINVAL;
	if (pt.period_ns > INT64_MAX / 4)   /* centuries: the same as never, without overflow */
		pt.period_ns = INT64_MAX / 4;
	pthread_mutex_lock(&d->lock);
	t->periodic_ns = (int64_t)pt.period_ns;
	t->periodic_next = dom_time_ns(d) + t->periodic_ns;
	pthread_mutex_unlock(&d->lock);
	vcpu_retime(t);
	return 0;
}

static int64_t op_runstate(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct lamina_vcpu_runstate_info ri;

	runstate_snapshot(t, &ri);
	return gmem_write(v, arg, &ri, sizeof(ri)) ? -LAMINA_EFAULT : 0;
}

static int64_t op_runstate_area(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct lamina_vcpu_register_info ri;

	if (gmem_read(v, arg, &ri, sizeof(ri)))
		return -LAMINA_EFAULT;
	if (ri.gpa && (ri.gpa % 8 || (ri.gpa % HV_PAGE) + sizeof(struct lamina_vcpu_runstate_info) > HV_PAGE ||
		       !mem_gpa(v->d, ri.gpa, sizeof(struct lamina_vcpu_runstate_info))))
		return -LAMINA_EINVAL;
	runstate_set_area(t, ri.gpa);
	return 0;
}

/* vcpu_op(cmd, vcpuid, arg) */
int64_t hc_vcpu_op(struct vcpu *v, const uint64_t a[5])
{
	if (a[1] >= (uint64_t)v->d->nr_vcpus)
		return -LAMINA_ENOENT;
	struct vcpu *t = &v->d->vcpu[a[1]];

	switch (a[0]) {
	case LAMINA_VCPUOP_UP:                   return op_up(v, t, a[2]);
	case LAMINA_VCPUOP_DOWN:                 return op_down(v, t);
	case LAMINA_VCPUOP_IS_UP:                return op_is_up(t);
	case LAMINA_VCPUOP_REGISTER_VCPU_INFO:   return op_register_info(v, t, a[2]);
	case LAMINA_VCPUOP_SET_UPCALL_VECTOR:    return op_upcall_vector(v, t, a[2]);
	case LAMINA_VCPUOP_SET_SINGLESHOT_TIMER: return op_singleshot(v, t, a[2]);
	case LAMINA_VCPUOP_STOP_SINGLESHOT_TIMER:
		vcpu_set_deadline(t, 0);
		return 0;
	case LAMINA_VCPUOP_SET_PERIODIC_TIMER:   return op_periodic(v, t, a[2], false);
	case LAMINA_VCPUOP_STOP_PERIODIC_TIMER:  return op_periodic(v, t, 0, true);
	case LAMINA_VCPUOP_GET_RUNSTATE_INFO:    return op_runstate(v, t, a[2]);
	case LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA: return op_runstate_area(v, t, a[2]);
	default:                                 return -LAMINA_ENOSYS;
	}
}
