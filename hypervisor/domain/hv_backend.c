// SPDX-License-Identifier: MIT
// hv_backend.c: libhv's host side for back-end processes: grants pinned and handed out as udmabufs, host event ports as eventfds.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <lamina/errno.h>
#include "evtchn.h"
#include "grant.h"
#include "hv.h"
#include "hv_int.h"

int hv_bk_grant_pin(struct domain *d, uint32_t ref, uint64_t *gfn, uint32_t *handle)
{
	return grant_pin_host(d, ref, 0, true, handle, gfn);
}

int hv_bk_grant_unpin(struct hv *hv, uint32_t handle)
{
	return grant_unmap_host(hv, handle);
}

/* Items for gfns[0..n): one per run of consecutive frames. Returns the count. */
static unsigned fill_items(struct udmabuf_create_item *it, int memfd, const uint64_t *gfns,
			   unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t off = gfns[i] * HV_PAGE;
		if (k && it[k - 1].offset + it[k - 1].size == off) {
			it[k - 1].size += HV_PAGE;
			continue;
		}
		it[k++] = (struct udmabuf_create_item){ .memfd = (uint32_t)memfd, .offset = off,
							.size = HV_PAGE };
	}
	return k;
}

int hv_bk_udmabuf(struct domain *d, const uint64_t *gfns, unsigned n)
{
	struct udmabuf_create_list *l;
	int dev, fd, err;

	if (n == 0 || n > HV_BK_MAP_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (gfns[i] >= d->ram_bytes / HV_PAGE)
			return -EINVAL;
	l = calloc(1, sizeof(*l) + n * sizeof(l->list[0]));
	if (!l)
		return -ENOMEM;
	l->flags = UDMABUF_FLAGS_CLOEXEC;
	l->count = fill_items(l->list, d->memfd, gfns, n);
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	fd = dev < 0 ? -1 : ioctl(dev, UDMABUF_CREATE_LIST, l);
	err = errno;
	if (dev >= 0)
		close(dev);
	free(l);
	return fd < 0 ? -err : fd;
}

int hv_bk_evt_bind(struct domain *d, uint32_t port, int *efd)
{
	return evt_host_bind(d, port, efd);
}

void hv_bk_evt_notify(struct domain *d, uint32_t port)
{
	evt_host_notify(d, port);
}

void hv_bk_evt_close(struct hv *hv, int efd)
{
	evt_host_close(hv, efd);
}
