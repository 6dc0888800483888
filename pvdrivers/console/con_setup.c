// SPDX-License-Identifier: MIT
// con_setup.c: lamina-console's setup and teardown: CL_SETUP from the hypervisor process, the ring page mapped, the eventfds taken.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lamina/barrier.h>
#include "con.h"

static int map_ring(struct con_dev *c, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_size != sizeof(struct lamina_console_ring))
		return -EINVAL;
	void *p = mmap(NULL, sizeof(struct lamina_console_ring), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->ring = p;
	/* Go on where the last back-end stopped: its indices are in the page
	 * (read once; a corrupt one is caught by the first check). */
	c->out_cons = LAMINA_READ_ONCE(c->ring->out_cons);
	c->in_prod = LAMINA_READ_ONCE(c->ring->in_prod);
	return 0;
}

int con_init(struct con_dev *c, int link)
{
	struct conlink_msg m;
	struct conlink_setup s;
	int fds[3], rc;
	unsigned nfds;

	memset(c, 0, sizeof(*c));
	c->link = link;
	c->doorbell = c->kick = -1;
	struct pollfd p = { .fd = link, .events = POLLIN };
	while ((rc = con_recv(link, &m, fds, &nfds)) == -EAGAIN)
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -errno;
	if (rc <= 0)
		return rc ? rc : -EPIPE;
	if (m.h.type != CL_SETUP || m.h.len != sizeof(s) || nfds != 3) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	memcpy(&s, m.data, sizeof(s));
	c->domid = s.domid;
	c->port = s.port;
	c->doorbell = fds[1];
	c->kick = fds[2];
	rc = map_ring(c, fds[0]);
	close(fds[0]);
	return rc;
}

void con_exit(struct con_dev *c)
{
	if (c->ring)
		munmap(c->ring, sizeof(*c->ring));
	if (c->doorbell >= 0)
		close(c->doorbell);
	if (c->kick >= 0)
		close(c->kick);
	c->ring = NULL;
	c->doorbell = c->kick = -1;
}
