// SPDX-License-Identifier: MIT
// lamina-hvd back-end resources: granted pages pinned and handed out as one udmabuf, event channels as two eventfds.
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <hv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

// Why a pin of ref failed, for the back-end.
static void pin_error(int rc, uint32_t ref, unsigned domid, char *msg, size_t len)
{
	if (rc == -EACCES)
		snprintf(msg, len, "ref %u is not granted to domain 0 (the back-ends' domain) by "
			 "domain %u", ref, domid);
	else if (rc == -EINVAL)
		snprintf(msg, len, "ref %u is beyond domain %u's grant table or names no RAM page",
			 ref, domid);
	else if (rc == -EROFS)
		snprintf(msg, len, "ref %u is a read-only grant: a udmabuf cannot be read-only, so "
			 "only writable grants are mapped", ref);
	else if (rc == -ENOSPC)
		snprintf(msg, len, "every host grant mapping slot is in use");
	else
		snprintf(msg, len, "ref %u: cannot pin it (error %d)", ref, -rc);
}

// Room for n more pages and one more map, and none of refs mapped yet.
static int check_room(struct hvd_backend *b, const uint32_t *refs, unsigned n, char *msg,
		      size_t len)
{
	if (b->nmaps == BK_MAPS || b->npages + n > BK_PAGES) {
		snprintf(msg, len, "a back-end holds at most %d udmabufs and %d pages (it has %u, %u)",
			 BK_MAPS, BK_PAGES, b->nmaps, b->npages);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < n; i++) {
		struct bk_map *m = bk_map_of_ref(b, refs[i]);
		if (m) {
			snprintf(msg, len, "ref %u is mapped already (handle %u): unmap it first",
				 refs[i], m->handle);
			return -EEXIST;
		}
	}
	return 0;
}

static void unpin(struct hvd *h, const uint32_t *pin, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		hv_bk_grant_unpin(h->hv, pin[i]);
}

int bk_map(struct hvd *h, struct hvd_backend *b, const uint32_t *refs, unsigned n,
	   uint32_t *handle, int *fd, char *msg, size_t len)
{
	uint64_t gfn[BK_MAP_PAGES];
	struct bk_map *m;
	unsigned i, slot = 0;
	int rc = check_room(b, refs, n, msg, len);

	if (rc)
		return rc;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	for (i = 0; i < n; i++) // i: pages pinned so far
		if ((rc = hv_bk_grant_pin(b->hd->d, refs[i], &gfn[i], &m->pin[i]))) {
			pin_error(rc, refs[i], b->domid, msg, len);
			break;
		}
	if (rc == 0 && (*fd = hv_bk_udmabuf(b->hd->d, gfn, n)) < 0) {
		snprintf(msg, len, "udmabuf over %u pages: %s", n, strerror(-*fd));
		rc = -EIO;
	}
	if (rc) {
		unpin(h, m->pin, i);
		free(m);
		return rc;
	}
	memcpy(m->ref, refs, n * sizeof(*refs));
	m->n = n;
	m->handle = *handle = ++b->next_handle;
	while (b->map[slot])
		slot++;
	b->map[slot] = m;
	b->nmaps++;
	b->npages += n;
	return 0;
}

int bk_unmap(struct hvd *h, struct hvd_backend *b, uint32_t handle)
{
	for (unsigned i = 0; i < BK_MAPS; i++) {
		struct bk_map *m = b->map[i];
		if (!m || m->handle != handle)
			continue;
		unpin(h, m->pin, m->n);
		b->npages -= m->n;
		b->nmaps--;
		b->map[i] = NULL;
		free(m);
		return 0;
	}
	return -ENOENT;
}

static int find_port(struct hvd_backend *b, uint32_t port)
{
	for (unsigned i = 0; i < b->nports; i++)
		if (b->port[i].port == port)
			return (int)i;
	return -1;
}

int bk_bind(struct hvd *h, struct hvd_backend *b, uint32_t port, int fds[2], char *msg,
	    size_t len)
{
	int efd, kick, rc;

	if (find_port(b, port) >= 0) {
		snprintf(msg, len, "port %u is bound already", port);
		return -EEXIST;
	}
	if (b->nports == BK_PORTS) {
		snprintf(msg, len, "a back-end binds at most %d ports", BK_PORTS);
		return -ENOSPC;
	}
	if ((rc = hv_bk_evt_bind(b->hd->d, port, &efd))) {
		snprintf(msg, len, rc == -EINVAL ? "port %u of domain %u is not allocated unbound for "
			 "domain 0" : "port %u of domain %u: cannot bind it (error %d)", port,
			 b->domid, -rc);
		return rc == -EINVAL ? -EINVAL : -EIO;
	}
	kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fds[0] = fcntl(efd, F_DUPFD_CLOEXEC, 0);
	fds[1] = kick < 0 ? -1 : fcntl(kick, F_DUPFD_CLOEXEC, 0);
	if (kick < 0 || fds[0] < 0 || fds[1] < 0) {
		snprintf(msg, len, "out of descriptors");
		hv_bk_evt_close(h->hv, efd);
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (kick >= 0)
			close(kick);
		return -ENOMEM;
	}
	b->port[b->nports++] = (struct bk_port){ .port = port, .efd = efd, .kick = kick };
	return 0;
}

int bk_unbind(struct hvd *h, struct hvd_backend *b, uint32_t port)
{
	int i = find_port(b, port);

	if (i < 0)
		return -ENOENT;
	hv_bk_evt_close(h->hv, b->port[i].efd);
	close(b->port[i].kick);
	b->port[i] = b->port[--b->nports];
	return 0;
}
