// SPDX-License-Identifier: MIT
// laminad: the daemon that owns this host's Lamina domains (options, setup, shutdown).
#include "laminad.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

volatile sig_atomic_t laminad_stop;
volatile sig_atomic_t laminad_lost;

struct opts {
	const char *backend, *run_dir, *log_dir, *hvd_socket, *state_dir;
	int ready_fd;
	bool stop_domains;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: laminad [OPTION]...\n"
		   "Run the Lamina daemon: own this host's domains and serve lamina(1).\n\n"
		   "  --fake             use the simulated back-end (same as --backend=fake)\n"
		   "  --backend=NAME     back-end to use: kvm (domains in lamina-hvd, which\n"
		   "                     laminad starts if needed) or fake\n"
		   "                     (default: $LAMINA_BACKEND, else kvm)\n"
		   "  --hvd-socket=PATH  lamina-hvd's socket (default: $LAMINA_HVD_SOCKET,\n"
		   "                     else DIR/lamina-hvd.sock in the socket directory)\n"
		   "  --stop-domains     destroy every domain, stop lamina-hvd, and exit\n"
		   "                     (a running laminad then stops too)\n"
		   "  --run-dir=DIR      socket directory (default: $LAMINA_RUN_DIR,\n"
		   "                     $XDG_RUNTIME_DIR/lamina or /run/lamina)\n"
		   "  --log-dir=DIR      per-domain logs (default: $LAMINA_LOG_DIR, /var/log/lamina\n"
		   "                     for root, else ~/.local/state/lamina/log)\n"
		   "  --state-dir=DIR   defined domains (default: $LAMINA_STATE_DIR,\n"
		   "                     /var/lib/lamina for root, else ~/.local/state/lamina/lib)\n"
		   "  --ready-fd=FD      write OK or ERR <why> to FD once serving, then log to\n"
		   "                     LOGDIR/laminad.log (used when lamina starts laminad)\n"
		   "  -h, --help         show this help\n"
		   "  -V, --version      show the version\n\n"
		   "See laminad(8).\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "fake", no_argument, NULL, 'f' },	 { "backend", required_argument, NULL, 'b' },
		{ "run-dir", required_argument, NULL, 'r' }, { "log-dir", required_argument, NULL, 'l' },
		{ "ready-fd", required_argument, NULL, 'R' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },	 { "hvd-socket", required_argument, NULL, 'H' },
		{ "stop-domains", no_argument, NULL, 'S' },
		{ "state-dir", required_argument, NULL, 's' }, { 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'f': o->backend = "fake"; break;
		case 'b': o->backend = optarg; break;
		case 'r': o->run_dir = optarg; break;
		case 'l': o->log_dir = optarg; break;
		case 'R': o->ready_fd = atoi(optarg); break;
		case 'H': o->hvd_socket = optarg; break;
		case 'S': o->stop_domains = true; break;
		case 's': o->state_dir = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("laminad %s (protocol %d)\n", LAMINAD_VERSION, LP_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "laminad: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static const struct hvif *pick_backend(const char *name, char *err, size_t errlen)
{
	if (!name)
		name = getenv("LAMINA_BACKEND");
	if (!name || !*name)
		name = "kvm";
	if (!strcmp(name, "fake"))
		return &hvif_fake;
	if (!strcmp(name, "kvm"))
		return &hvif_hvd;
	snprintf(err, errlen, "unknown back-end '%s' (known: kvm, fake)", name);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	laminad_stop = 1;
}

static void signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

// Device back-end processes: where they connect, and one epoll set for their pidfds.
static void backends_setup(struct daemon *dm)
{
	const char *sock = dm->ops->backend_socket ? dm->ops->backend_socket(dm->hv) : NULL;

	snprintf(dm->bk_socket, sizeof(dm->bk_socket), "%s", sock ? sock : "");
	dm->dev_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dm->dev_epfd < 0)
		fprintf(stderr, "laminad: epoll: %s; dead back-ends go unnoticed\n", strerror(errno));
}

static int setup(struct daemon *dm, const struct opts *o, char *err, size_t errlen)
{
	dm->ops = pick_backend(o->backend, err, errlen);
	if (!dm->ops)
		return -1;
	rundir_locate(&dm->rd, o->run_dir);
	if (o->log_dir)
		snprintf(dm->logdir, sizeof(dm->logdir), "%s", o->log_dir);
	else
		logdir_default(dm->logdir, sizeof(dm->logdir));
	if (mkdir_p(dm->logdir)) {
		snprintf(err, errlen, "cannot create log directory %s: %s", dm->logdir,
			 strerror(errno));
		return -1;
	}
	if (o->state_dir)
		snprintf(dm->statedir, sizeof(dm->statedir), "%s", o->state_dir);
	else
		statedir_default(dm->statedir, sizeof(dm->statedir));
	if (persist_init(dm, err, errlen)) // running domains matter more: go on without
		fprintf(stderr, "laminad: %s; define and autostart will fail\n", err);
	dm->env.meminfo_path = getenv("LAMINA_MEMINFO");
	dm->env.check_files = true;
	if (server_listen(dm, err, errlen))
		return -1;
	if (net_init(dm->statedir, dm->rd.dir, dm->logdir, err, errlen)) // after the lock
		fprintf(stderr, "laminad: %s; networks will fail\n", err);
	struct hvif_env env = { .run_dir = dm->rd.dir, .log_dir = dm->logdir,
				.hvd_socket = o->hvd_socket, .spawn = true };
	dm->hv = dm->ops->open(&env, err, errlen);
	if (!dm->hv)
		return -1;
	backends_setup(dm);
	int n = dom_reattach(dm, err, errlen);
	if (n > 0)
		fprintf(stderr, "laminad: re-attached %d running domain%s\n", n, n == 1 ? "" : "s");
	if (n >= 0) {
		net_recover(dm); // after the back-ends were adopted: it removes unowned TAPs
		net_autostart_all(dm); // before the domains, which may use them
		persist_autostart_all(dm);
	}
	return n < 0 ? -1 : 0;
}

// --stop-domains: lamina-hvd destroys every domain and stops; 0 or 1.
static int stop_domains(const struct opts *o)
{
	struct rundir rd;
	char err[512];
	struct hvif_env env = { .hvd_socket = o->hvd_socket };
	struct hv_backend *hv;
	int n;

	rundir_locate(&rd, o->run_dir);
	env.run_dir = rd.dir;
	hv = hvif_hvd.open(&env, err, sizeof(err));
	if (!hv) {
		if (errno == ENOENT || errno == ECONNREFUSED) {
			printf("lamina-hvd is not running: no domains to stop\n");
			return 0;
		}
		fprintf(stderr, "laminad: %s\n", err);
		return 1;
	}
	n = hvif_hvd.stop_all(hv);
	hvif_hvd.close(hv);
	if (n < 0) {
		fprintf(stderr, "laminad: lamina-hvd did not stop: %s\n", strerror(-n));
		return 1;
	}
	printf("Stopped lamina-hvd: %d domain%s destroyed\n", n, n == 1 ? "" : "s");
	return 0;
}

static void report_ready(struct daemon *dm, int fd, const char *err)
{
	char path[PATH_MAX];
	int log;

	if (fd < 0)
		return;
	dprintf(fd, err ? "ERR %s\n" : "OK\n", err);
	close(fd);
	if (err)
		return;
	snprintf(path, sizeof(path), "%s/laminad.log", dm->logdir);
	log = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log >= 0) {
		dup2(log, 1);
		dup2(log, 2);
		close(log);
	}
	log = open("/dev/null", O_RDONLY);
	if (log >= 0 && log != 0) {
		dup2(log, 0);
		close(log);
	}
}

// A back-end that keeps domains (lamina-hvd) keeps them running; the fake
// one's die with laminad, so they are destroyed and logged as such.
static void teardown(struct daemon *dm)
{
	if (dm->ops && dm->ops->keeps_domains)
		dom_detach_all(dm);
	while (dm->reg.n)
		dom_destroy(dm, dm->reg.doms[dm->reg.n - 1], "laminad stopped");
	server_close(dm);
	if (dm->hv)
		dm->ops->close(dm->hv);
	if (dm->dev_epfd >= 0)
		close(dm->dev_epfd);
	xmlCleanupParser();
}

int main(int argc, char **argv)
{
	static struct daemon dm = { .lfd = -1, .lock_fd = -1, .dev_epfd = -1 };
	struct opts o = { .ready_fd = -1 };
	char err[512];
	int rc;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (o.stop_domains)
		return stop_domains(&o);
	reg_init(&dm.reg);
	signals();
	if (setup(&dm, &o, err, sizeof(err))) {
		fprintf(stderr, "laminad: %s\n", err);
		report_ready(&dm, o.ready_fd, err);
		teardown(&dm);
		return 1;
	}
	fprintf(stderr, "laminad: serving %s with the %s back-end\n", dm.rd.sock, dm.ops->name);
	report_ready(&dm, o.ready_fd, NULL);
	rc = server_run(&dm);
	fprintf(stderr, "laminad: stopping\n");
	teardown(&dm);
	return rc || laminad_lost ? 1 : 0;
}
