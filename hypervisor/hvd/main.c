// SPDX-License-Identifier: MIT
// lamina-hvd: the hypervisor process that owns every domain; options, socket setup and its poll loop.
#include "hvd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <hv.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "server.h"

struct opts {
	const char *sock, *run_dir, *log_file;
	int ready_fd;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: lamina-hvd [OPTION]...\n"
		   "Own this host's Lamina domains and serve them to laminad over a Unix socket.\n\n"
		   "  --socket=PATH      socket (default: $LAMINA_HVD_SOCKET, else\n"
		   "                     RUNDIR/lamina-hvd.sock)\n"
		   "  --run-dir=DIR      RUNDIR (default: $LAMINA_RUN_DIR, $XDG_RUNTIME_DIR/lamina\n"
		   "                     or /run/lamina: the directory laminad uses)\n"
		   "  --log-file=FILE    once serving, append messages to FILE\n"
		   "  --ready-fd=FD      write OK or ERR <why> to FD once serving\n"
		   "  -h, --help         show this help\n"
		   "  -V, --version      show the version\n\n"
		   "SIGTERM or SIGINT destroys every domain and stops. See lamina-hvd(8).\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' }, { "run-dir", required_argument, NULL, 'r' },
		{ "log-file", required_argument, NULL, 'l' }, { "ready-fd", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { 0 },
	};
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o->sock = optarg; break;
		case 'r': o->run_dir = optarg; break;
		case 'l': o->log_file = optarg; break;
		case 'R':
			o->ready_fd = (int)strtol(optarg, &end, 10);
			if (*end || o->ready_fd < 0) {
				fprintf(stderr, "lamina-hvd: --ready-fd wants a descriptor number, not "
					"'%s'\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("lamina-hvd %s (protocol %d)\n", HVD_VERSION, HVD_PROTO_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lamina-hvd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static void report_ready(int fd, const char *err, const char *log_file)
{
	int log;

	if (fd >= 0) {
		dprintf(fd, err ? "ERR %s\n" : "OK\n", err);
		close(fd);
	}
	if (err || !log_file)
		return;
	log = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log >= 0) {
		dup2(log, 1);
		dup2(log, 2);
		close(log);
	}
	log = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log >= 0 && log != 0) {
		dup2(log, 0);
		close(log);
	}
}

int main(int argc, char **argv)
{
	static struct hvd h;
	struct opts o = { .ready_fd = -1 };
	char err[512];
	int sfd, rc;

	if (parse_opts(argc, argv, &o))
		return 2;
	sfd = server_signals();
	hvd_socket_path(o.sock, o.run_dir, h.sock, sizeof(h.sock), h.dir, sizeof(h.dir));
	if (sfd < 0 || server_open(&h, err, sizeof(err))) {
		if (sfd < 0)
			snprintf(err, sizeof(err), "signalfd: %s", strerror(errno));
		fprintf(stderr, "lamina-hvd: %s\n", err);
		report_ready(o.ready_fd, err, NULL);
		server_close(&h);
		return 1;
	}
	fprintf(stderr, "lamina-hvd: pid %ld serving %s\n", (long)getpid(), h.sock);
	report_ready(o.ready_fd, NULL, o.log_file);
	rc = server_run(&h, sfd);
	fprintf(stderr, "lamina-hvd: stopping\n");
	server_close(&h);
	return rc ? 1 : 0;
}
