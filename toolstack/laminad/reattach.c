// SPDX-License-Identifier: MIT
// laminad start and stop with a back-end whose domains outlive it: re-attach running domains, detach at stop.
//
// At start every domain lamina-hvd runs comes back into the registry under
// its id, with the configuration laminad gave at create (the domain XML,
// kept opaque by lamina-hvd), its logs re-opened, its recent console
// output ready for `lamina console` and its device back-ends adopted
// (devices.h).  Output produced while no laminad ran
// is appended to NAME.console.log from lamina-hvd's backlog, without
// repeating what the log already holds.
#include "laminad.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_OVERLAP 16 // shorter matches of log and backlog are taken for chance

struct found_ctx {
	struct daemon *dm;
	int n;
};

// Read the last `len` bytes of the domain's console log into buf; their count.
static size_t log_tail(struct daemon *dm, struct domain *d, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	off_t from;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.console.log", dm->logdir, d->cfg.name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	from = st.st_size > (off_t)len ? st.st_size - (off_t)len : 0;
	n = pread(fd, buf, len, from);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

// How much of the backlog's start the log already ends with: the longest
// suffix of tail that is a prefix of bl (at least MIN_OVERLAP, or all of a
// short backlog).
static size_t overlap(const char *tail, size_t tn, const char *bl, size_t bn)
{
	size_t probe = bn < MIN_OVERLAP ? bn : MIN_OVERLAP;

	for (const char *p = tail; probe && p + probe <= tail + tn; p++) {
		p = memmem(p, (size_t)(tail + tn - p), bl, probe);
		if (!p)
			break;
		size_t k = (size_t)(tail + tn - p);
		if (k <= bn && !memcmp(p, bl, k))
			return k;
	}
	return 0;
}

static void console_catch_up(struct daemon *dm, struct domain *d, const char *bl, size_t bn)
{
	char *tail = malloc(bn ? bn : 1);
	size_t tn = tail ? log_tail(dm, d, tail, bn) : 0;
	size_t skip = tail ? overlap(tail, tn, bl, bn) : 0;
	size_t keep = bn < sizeof(d->con_tail) ? bn : sizeof(d->con_tail);

	if (d->con_log_fd >= 0 && bn > skip && write(d->con_log_fd, bl + skip, bn - skip) < 0)
		(void)0; // a full disk must not stop the daemon
	memcpy(d->con_tail, bl + bn - keep, keep);
	d->con_tail_len = keep;
	free(tail);
}

static void on_found(void *ctx, const struct hvif_found *f)
{
	struct found_ctx *fc = ctx;
	struct daemon *dm = fc->dm;
	struct config_env env = dm->env;
	struct dom_config cfg;
	struct config_err cerr;
	struct domain *d;
	char err[256];

	env.check_files = false; // it runs: its files were checked when it was created
	env.skip_host_memory = true;
	if (!f->config || config_load_mem(f->config, strlen(f->config), "<lamina-hvd>", &env, &cfg,
					  &cerr)) {
		fprintf(stderr, "laminad: domain %u (%s) in lamina-hvd has no configuration laminad "
			"can read; leaving it alone: %s\n", f->id, f->name ? f->name : "?",
			f->config ? cerr.msg : "none");
		dm->ops->destroy(f->hd); // forgets it here; lamina-hvd destroys it
		return;
	}
	d = reg_add_id(&dm->reg, &cfg, f->id, err, sizeof(err));
	config_free(&cfg);
	if (!d) {
		fprintf(stderr, "laminad: cannot re-attach domain %u: %s\n", f->id, err);
		return;
	}
	d->hd = f->hd;
	if (domlog_open(dm, d))
		fprintf(stderr, "laminad: cannot open the logs of '%s' in %s\n", d->cfg.name,
			dm->logdir);
	domlog(d, "re-attached: id %u, running on in lamina-hvd", d->id);
	console_catch_up(dm, d, f->console ? f->console : "", f->console_len);
	dev_adopt_all(dm, d);
	fc->n++;
}

int dom_reattach(struct daemon *dm, char *err, size_t errlen)
{
	struct found_ctx fc = { .dm = dm };
	int rc;

	if (!dm->ops->recover)
		return 0;
	rc = dm->ops->recover(dm->hv, on_found, &fc);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list the domains of the back-end: %s", strerror(-rc));
		return -1;
	}
	dev_pidfiles_prune(dm);
	return fc.n;
}

void dom_detach_all(struct daemon *dm)
{
	while (dm->reg.n) {
		struct domain *d = dm->reg.doms[dm->reg.n - 1];
		streams_end(d, "laminad stopped; the domain runs on");
		dev_forget_all(d); // its back-ends run on too
		if (!laminad_lost)
			domlog(d, "detached: laminad stopped, the domain runs on in lamina-hvd");
		domlog_close(d);
		reg_remove(&dm->reg, d);
	}
}
