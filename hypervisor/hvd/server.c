// SPDX-License-Identifier: MIT
// lamina-hvd's server: its socket, lock and KVM, and the poll loop over clients, consoles and timers.
#include "server.h"
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <hv.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

int server_signals(void)
{
	sigset_t s;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &s, NULL))
		return -1;
	return signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
}

// mkdir -p (0700 for what it creates), then refuse a directory that is not
// ours or is open to others: the socket gives full control of every domain.
static int prepare_dir(const char *dir, char *err, size_t len)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0700);
			*p = '/';
		}
	if (mkdir(buf, 0700) && errno != EEXIST) {
		snprintf(err, len, "cannot create socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, len, "socket directory %s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, len, "socket directory %s belongs to uid %u or is open to others "
			 "(mode %04o); refusing to use it", dir, st.st_uid, st.st_mode & 07777);
		return -1;
	}
	return 0;
}

// One lamina-hvd per socket: flock on SOCKET's directory's lock file (holding the pid).
static int lock(struct hvd *h, char *err, size_t len)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s.lock", h->sock);
	if (!strcmp(h->sock + strlen(h->sock) - strlen(HVD_SOCKET_NAME), HVD_SOCKET_NAME))
		snprintf(path, sizeof(path), "%s/%s", h->dir, HVD_LOCK_NAME);
	h->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (h->lock_fd < 0) {
		snprintf(err, len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(h->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, len, "lamina-hvd is already running (socket %s)", h->sock);
		close(h->lock_fd);
		h->lock_fd = -1;
		return -1;
	}
	if (ftruncate(h->lock_fd, 0) == 0)
		dprintf(h->lock_fd, "%ld\n", (long)getpid());
	return 0;
}

static int listen_on(struct hvd *h, char *err, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int rc;

	if (strlen(h->sock) >= sizeof(sa.sun_path)) {
		snprintf(err, len, "socket path %s is too long", h->sock);
		return -1;
	}
	strcpy(sa.sun_path, h->sock);
	unlink(h->sock); // stale: we hold the lock
	h->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(0177);
	rc = h->lfd < 0 || bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(h->lfd, 16);
	umask(old);
	if (rc) {
		snprintf(err, len, "cannot listen on %s: %s", h->sock, strerror(errno));
		return -1;
	}
	return 0;
}

int server_open(struct hvd *h, char *err, size_t len)
{
	h->lfd = h->lock_fd = h->efd = h->tfd = -1;
	h->next_id = 1;
	if (prepare_dir(h->dir, err, len) || lock(h, err, len) || listen_on(h, err, len))
		return -1;
	h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->efd < 0 || h->tfd < 0) {
		snprintf(err, len, "eventfd or timerfd: %s", strerror(errno));
		return -1;
	}
	if (getenv("LAMINA_HVD_NO_KVM")) // tests of the protocol on hosts without KVM
		return 0;
	h->hv = hv_open(err, len);
	return h->hv ? 0 : -1;
}

static bool peer_ok(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	return cr.uid == geteuid() || cr.uid == 0;
}

static void accept_one(struct hvd *h)
{
	int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct hvd_conn *c;

	if (fd < 0)
		return;
	if (h->nconns == HVD_MAX_CONNS || !peer_ok(fd) || !(c = calloc(1, sizeof(*c)))) {
		fprintf(stderr, "lamina-hvd: refused a client (%s)\n",
			h->nconns == HVD_MAX_CONNS ? "too many clients" : "another user");
		close(fd);
		return;
	}
	c->fd = fd;
	h->conns[h->nconns++] = c;
}

// pfd: the four fixed descriptors, the clients, then each console pipe.
static size_t fill(struct hvd *h, struct pollfd *pfd, int sfd)
{
	size_t n = 0;

	pfd[n++] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = h->efd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = h->tfd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (unsigned i = 0; i < h->nconns; i++)
		pfd[n++] = (struct pollfd){ .fd = h->conns[i]->fd,
					    .events = POLLIN | (h->conns[i]->head ? POLLOUT : 0) };
	for (struct hvd_dom *hd = h->doms; hd; hd = hd->next)
		pfd[n++] = (struct pollfd){ .fd = hd->con_rd, .events = POLLIN }; // -1: ignored
	return n + bk_fill(h, pfd + n); // they wake the loop; bk_pump() reads them all
}

static void on_signal(struct hvd *h, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			continue;
		fprintf(stderr, "lamina-hvd: signal %u: destroying every domain\n", si.ssi_signo);
		h->stop = true;
	}
}

static void serve(struct hvd *h, const struct pollfd *pfd, size_t nconns)
{
	// Clients first (their requests may destroy domains), in their array order.
	for (size_t i = nconns; i-- > 0;) {
		struct hvd_conn *c = h->conns[i];
		if (pfd[4 + i].revents & POLLOUT)
			conn_flush(c);
		if (pfd[4 + i].revents & (POLLIN | POLLHUP | POLLERR))
			conn_read(h, c);
	}
	for (struct hvd_dom *hd = h->doms; hd; hd = hd->next)
		dom_console_pump(hd); // non-blocking: cheap when nothing waits
	bk_pump(h); // back-ends' kicks, watch events and detach deadlines
	if (pfd[1].revents & POLLIN)
		dom_check_ends(h);
	if (pfd[2].revents & POLLIN)
		trace_drain(h);
	if (pfd[0].revents & POLLIN)
		accept_one(h);
	for (unsigned i = h->nconns; i-- > 0;)
		if (h->conns[i]->dead)
			conn_close(h, i);
}

int server_run(struct hvd *h, int sfd)
{
	struct pollfd *pfd = malloc(sizeof(*pfd) * (4 + HVD_MAX_CONNS + HVD_MAX_DOMAINS + BK_POLLFDS));
	size_t n, nconns;

	if (!pfd)
		return -1;
	while (!h->stop) {
		nconns = h->nconns;
		n = fill(h, pfd, sfd);
		if (poll(pfd, n, bk_timeout_ms(h)) < 0 && errno != EINTR) {
			free(pfd);
			return -1;
		}
		if (pfd[3].revents & POLLIN)
			on_signal(h, sfd);
		serve(h, pfd, nconns);
	}
	free(pfd);
	return 0;
}

void server_close(struct hvd *h)
{
	while (h->doms)
		dom_destroy(h->doms);
	for (unsigned i = 0; i < h->nconns; i++)
		conn_flush(h->conns[i]); // a last reply (stop-all) goes out if it can
	while (h->nconns)
		conn_close(h, h->nconns - 1);
	if (h->lfd >= 0) {
		close(h->lfd);
		unlink(h->sock);
	}
	if (h->hv)
		hv_close(h->hv);
	bk_watchq_free(h); // after hv_close: no watch fires any more
	if (h->lock_fd >= 0)
		close(h->lock_fd);
}
