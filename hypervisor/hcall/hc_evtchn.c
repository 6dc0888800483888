// SPDX-License-Identifier: MIT
// hc_evtchn.c: the event_channel_op and event_send hypercalls: copy arguments in, check them, act (event.c, event_link.c), copy results out.
#include <lamina/errno.h>
#include <lamina/event_channel.h>
#include "evtchn.h"
#include "gmem.h"
#include "hcall.h"

/* LAMINA_DOMID_SELF names the caller. */
static unsigned self(struct vcpu *v, lamina_domid_t dom)
{
	return dom == LAMINA_DOMID_SELF ? v->d->id : dom;
}

/* Copy the OUT port of an allocating op to arg + off. If that faults, the
 * port is closed again (when it is the caller's) so nothing leaks. */
static int64_t put_port(struct vcpu *v, uint64_t arg, size_t off, int port, bool own)
{
	lamina_port_t p = (lamina_port_t)port;

	if (port < 0)
		return port;
	if (gmem_write(v, arg + off, &p, sizeof(p)) == 0)
		return 0;
	if (own)
		evt_op_close(v->d, p);
	return -LAMINA_EFAULT;
}

static int64_t op_alloc_unbound(struct vcpu *v, uint64_t arg)
{
	struct lamina_evtchn_alloc_unbound op;

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	unsigned dom = self(v, op.dom);
	int p = evt_op_alloc_unbound(v->d, dom, self(v, op.remote_dom));
	return put_port(v, arg, offsetof(struct lamina_evtchn_alloc_unbound, port), p,
			dom == v->d->id);
}

static int64_t op_bind_interdomain(struct vcpu *v, uint64_t arg)
{
	struct lamina_evtchn_bind_interdomain op;

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	if (op.pad)
		return -LAMINA_EINVAL;
	int p = evt_op_bind_interdomain(v->d, self(v, op.remote_dom), op.remote_port);
	return put_port(v, arg, offsetof(struct lamina_evtchn_bind_interdomain, local_port),
			p, true);
}

static int64_t op_bind_virq(struct vcpu *v, uint64_t arg)
{
	struct lamina_evtchn_bind_virq op;

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	int p = evt_op_bind_virq(v->d, op.virq, op.vcpu);
	return put_port(v, arg, offsetof(struct lamina_evtchn_bind_virq, port), p, true);
}

static int64_t op_bind_ipi(struct vcpu *v, uint64_t arg)
{
	struct lamina_evtchn_bind_ipi op;

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	int p = evt_op_bind_ipi(v->d, op.vcpu);
	return put_port(v, arg, offsetof(struct lamina_evtchn_bind_ipi, port), p, true);
}

static int64_t op_bind_vcpu(struct vcpu *v, uint64_t arg)
{
	struct lamina_evtchn_bind_vcpu op;

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	return evt_op_bind_vcpu(v->d, op.port, op.vcpu);
}

/* SEND, CLOSE and UNMASK take a struct lamina_evtchn_port. */
static int64_t op_port(struct vcpu *v, uint64_t arg, int (*fn)(struct domain *, uint32_t))
{
	struct lamina_evtchn_port op;

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	return fn(v->d, op.port);
}

/* OUT: status, vcpu and u (everything after port). */
static int64_t op_status(struct vcpu *v, uint64_t arg)
{
	struct lamina_evtchn_status op;
	const size_t out = offsetof(struct lamina_evtchn_status, status);

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	if (op.pad)
		return -LAMINA_EINVAL;
	int rc = evt_op_status(v->d, self(v, op.dom), &op);
	if (rc < 0)
		return rc;
	return gmem_write(v, arg + out, (char *)&op + out, sizeof(op) - out) ? -LAMINA_EFAULT : 0;
}

static int64_t op_reset(struct vcpu *v, uint64_t arg)
{
	struct lamina_evtchn_reset op;

	if (gmem_read(v, arg, &op, sizeof(op)))
		return -LAMINA_EFAULT;
	return evt_op_reset(v->d, self(v, op.dom));
}

/* event_channel_op(cmd, arg) */
int64_t hc_event_channel_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case LAMINA_EVTCHNOP_ALLOC_UNBOUND:
		return op_alloc_unbound(v, a[1]);
	case LAMINA_EVTCHNOP_BIND_INTERDOMAIN:
		return op_bind_interdomain(v, a[1]);
	case LAMINA_EVTCHNOP_BIND_VIRQ:
		return op_bind_virq(v, a[1]);
	case LAMINA_EVTCHNOP_BIND_IPI:
		return op_bind_ipi(v, a[1]);
	case LAMINA_EVTCHNOP_BIND_VCPU:
		return op_bind_vcpu(v, a[1]);
	case LAMINA_EVTCHNOP_SEND:
		return op_port(v, a[1], evt_op_send);
	case LAMINA_EVTCHNOP_CLOSE:
		return op_port(v, a[1], evt_op_close);
	case LAMINA_EVTCHNOP_STATUS:
		return op_status(v, a[1]);
	case LAMINA_EVTCHNOP_UNMASK:
		return op_port(v, a[1], evt_op_unmask);
	case LAMINA_EVTCHNOP_RESET:
		return op_reset(v, a[1]);
	default:
		return -LAMINA_ENOSYS;
	}
}

/* event_send(port): EVTCHNOP_SEND with the port by value. */
int64_t hc_event_send(struct vcpu *v, const uint64_t a[5])
{
	if (a[0] > UINT32_MAX)
		return -LAMINA_EBADF;
	return evt_op_send(v->d, (uint32_t)a[0]);
}
