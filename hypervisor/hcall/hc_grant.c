// SPDX-License-Identifier: MIT
// hc_grant.c: grant_table_op: decode each command's argument array, validate it, run the grant operations.
#include <lamina/errno.h>
#include <lamina/grant_table.h>
#include "gmem.h"
#include "grant.h"
#include "grant_tbl.h"
#include "hcall.h"

/* One element of a batched command, copied out of guest memory. */
union gnt_elem {
	struct lamina_gnttab_map map;
	struct lamina_gnttab_unmap unmap;
	struct lamina_gnttab_copy copy;
};

/* A batched command: act fills the element's OUT fields (status, handle);
 * undo reverts a successful act whose result cannot be written back. */
struct batch_op {
	size_t size;
	void (*act)(struct vcpu *v, union gnt_elem *e);
	void (*undo)(struct vcpu *v, union gnt_elem *e);
};

static void act_map(struct vcpu *v, union gnt_elem *e)
{
	struct lamina_gnttab_map *m = &e->map;
	int rc = gt_check_map(m);

	if (!rc)
		rc = grant_map(v->d, m->dom, m->ref, m->gpa, m->flags & LAMINA_GNTMAP_READONLY,
			       &m->handle);
	m->status = (int16_t)rc;
}

/* The guest would never learn the handle: do not leave the mapping behind. */
static void undo_map(struct vcpu *v, union gnt_elem *e)
{
	if (e->map.status == 0)
		grant_unmap(v->d, e->map.gpa, e->map.handle);
}

static void act_unmap(struct vcpu *v, union gnt_elem *e)
{
	struct lamina_gnttab_unmap *u = &e->unmap;

	u->status = (int16_t)(u->pad ? -LAMINA_EINVAL : grant_unmap(v->d, u->gpa, u->handle));
}

static void act_copy(struct vcpu *v, union gnt_elem *e)
{
	e->copy.status = (int16_t)grant_copy(v->d, &e->copy);
}

static const struct batch_op op_map = { sizeof(struct lamina_gnttab_map), act_map, undo_map };
static const struct batch_op op_unmap = { sizeof(struct lamina_gnttab_unmap), act_unmap, NULL };
static const struct batch_op op_copy = { sizeof(struct lamina_gnttab_copy), act_copy, NULL };

/* Process count elements in order, writing each back with its status. On
 * -EFAULT the elements before the faulting one are done and written. */
static int64_t batch(struct vcpu *v, uint64_t arg, uint64_t count, const struct batch_op *op)
{
	union gnt_elem e;

	if (count == 0)
		return -LAMINA_EINVAL;
	if (count > LAMINA_GNTTAB_MAX_BATCH)
		return -LAMINA_E2BIG;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t va = arg + i * op->size;
		if (gmem_read(v, va, &e, op->size))
			return -LAMINA_EFAULT;
		op->act(v, &e);
		if (gmem_write(v, va, &e, op->size)) {
			if (op->undo)
				op->undo(v, &e);
			return -LAMINA_EFAULT;
		}
	}
	return 0;
}

static int64_t setup_table(struct vcpu *v, uint64_t arg, uint64_t count)
{
	struct lamina_gnttab_setup_table s;

	if (count != 1)
		return -LAMINA_EINVAL;
	if (gmem_read(v, arg, &s, sizeof(s)))
		return -LAMINA_EFAULT;
	if (s.pad)
		return -LAMINA_EINVAL;
	if (s.dom != LAMINA_DOMID_SELF)
		return -LAMINA_EPERM;
	if (s.nr_frames == 0 || s.nr_frames > LAMINA_GNTTAB_MAX_FRAMES)
		return -LAMINA_EINVAL;
	return grant_setup(v->d, s.nr_frames);
}

static int64_t query_size(struct vcpu *v, uint64_t arg, uint64_t count)
{
	struct lamina_gnttab_query_size q;

	if (count != 1)
		return -LAMINA_EINVAL;
	if (gmem_read(v, arg, &q, sizeof(q)))
		return -LAMINA_EFAULT;
	if (q.pad)
		return -LAMINA_EINVAL;
	int rc = grant_query(v->d, q.dom, &q.nr_frames, &q.max_frames);
	if (rc)
		return rc;
	return gmem_write(v, arg, &q, sizeof(q)) ? -LAMINA_EFAULT : 0;
}

/* a[0] = cmd, a[1] = arg (pointer to the element array), a[2] = count. */
int64_t hc_grant_table_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case LAMINA_GNTTABOP_SETUP_TABLE:     return setup_table(v, a[1], a[2]);
	case LAMINA_GNTTABOP_QUERY_SIZE:      return query_size(v, a[1], a[2]);
	case LAMINA_GNTTABOP_MAP_GRANT_REF:   return batch(v, a[1], a[2], &op_map);
	case LAMINA_GNTTABOP_UNMAP_GRANT_REF: return batch(v, a[1], a[2], &op_unmap);
	case LAMINA_GNTTABOP_COPY:            return batch(v, a[1], a[2], &op_copy);
	default:                              return -LAMINA_ENOSYS;
	}
}
