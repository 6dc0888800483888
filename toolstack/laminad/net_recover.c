// SPDX-License-Identifier: MIT
// laminad's networks across its restarts: undo cut-short starts, adopt or restart helpers, autostart, users.
#include "laminad.h"
#include "net.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define AUTOSTART_DONE "autostart.done"

// Replace a dead helper's record by a new helper's.
static void respawn(const char *name, const char *what, pid_t pid, unsigned long long start)
{
	struct net_config nc;
	char line[64], err[1024];
	int rc;

	snprintf(line, sizeof(line), "%s %d %llu", what, (int)pid, start);
	net_state_drop(name, line);
	if (!strcmp(what, "switch"))
		rc = net_spawn_switch(name, err, sizeof(err));
	else if (net_def_load(name, &nc, err, sizeof(err)) == 0)
		rc = net_spawn_dnsmasq(&nc, err, sizeof(err));
	else
		rc = -1;
	if (rc)
		fprintf(stderr, "laminad: network '%s': its %s ended while laminad was away and "
			"cannot be restarted: %s\n", name, what, err);
	else
		fprintf(stderr, "laminad: network '%s': its %s ended while laminad was away; "
			"restarted\n", name, what);
}

static void recover_one(const char *name, void *arg)
{
	struct net_state st;
	char err[1024];

	(void)arg;
	if (net_state_load(name, &st))
		return;
	if (!st.up) { // laminad died while starting it
		if (net_teardown(name, err, sizeof(err)))
			fprintf(stderr, "laminad: network '%s': cannot undo its cut-short start: %s\n",
				name, err);
		else
			fprintf(stderr, "laminad: network '%s': its start was cut short; removed what "
				"it made\n", name);
		return;
	}
	if (st.switch_pid && !dev_pid_matches(st.switch_pid, st.switch_start, NET_SWITCH_EXE))
		respawn(name, "switch", st.switch_pid, st.switch_start);
	if (st.dns_pid && !dev_pid_matches(st.dns_pid, st.dns_start, NET_DNSMASQ_EXE))
		respawn(name, "dnsmasq", st.dns_pid, st.dns_start);
	if (st.bridge[0] && !net_link_is_bridge(st.bridge))
		fprintf(stderr, "laminad: network '%s': its bridge %s is gone\n", name, st.bridge);
}

void net_recover(struct daemon *dm)
{
	net_state_each(recover_one, NULL);
	net_tap_sweep(dm);
}

static void autostart_one(const char *name, void *arg)
{
	struct net_config nc;
	char err[1024];

	(void)arg;
	if (net_active(name))
		return;
	if (net_def_load(name, &nc, err, sizeof(err)) || net_start(arg, &nc, err, sizeof(err)))
		fprintf(stderr, "laminad: cannot autostart network '%s': %s\n", name, err);
	else
		fprintf(stderr, "laminad: autostarted network '%s'\n", name);
}

void net_autostart_all(struct daemon *dm)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", net_run_dir(), AUTOSTART_DONE);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(fd);
	net_each_defined(true, autostart_one, dm);
}

const char *net_of_nic(const char *network)
{
	return network && network[0] ? network : "default";
}

size_t net_users(const struct daemon *dm, const char *name, char *out, size_t len)
{
	size_t n = 0, used = 0;

	if (len)
		out[0] = 0;
	for (size_t i = 0; i < dm->reg.n; i++) {
		const struct dom_config *cfg = &dm->reg.doms[i]->cfg;
		size_t mine = 0;
		for (size_t j = 0; j < cfg->nnics; j++)
			mine += !strcmp(net_of_nic(cfg->nics[j].network), name);
		if (mine && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s'%s'", n ? ", " : "",
						 cfg->name);
		n += mine;
	}
	return n;
}
