// SPDX-License-Identifier: MIT
// laminad's record of what a started network made: RUNDIR/networks/NAME.state, one line per thing (net.h).
#include "net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_LEN 256

static void parse_mode(const char *v, struct net_state *st)
{
	static const enum net_mode modes[] = { NET_INTERNAL, NET_HOST_ONLY, NET_NAT, NET_BRIDGE };

	for (size_t i = 0; i < 4; i++)
		if (!strcmp(v, net_mode_name(modes[i])))
			st->mode = modes[i];
}

static void parse_address(const char *v, struct net_state *st)
{
	char ip[32];
	unsigned prefix;
	struct in_addr a;

	if (sscanf(v, "%31[0-9.]/%u", ip, &prefix) == 2 && inet_pton(AF_INET, ip, &a) == 1) {
		st->addr = ntohl(a.s_addr);
		st->prefix = prefix;
	}
}

// One record line ("key value...") into st.
static void parse_line(char *line, struct net_state *st)
{
	char *v = strchr(line, ' ');
	int pid;

	if (v)
		*v++ = 0;
	else
		v = line + strlen(line);
	if (!strcmp(line, "mode"))
		parse_mode(v, st);
	else if (!strcmp(line, "bridge") && sscanf(v, "%15s", st->bridge) == 1)
		st->bridge_made = strstr(v, " made") != NULL;
	else if (!strcmp(line, "address"))
		parse_address(v, st);
	else if (!strcmp(line, "vlan"))
		st->vlan = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(line, "switch") && sscanf(v, "%d %llu", &pid, &st->switch_start) == 2)
		st->switch_pid = pid;
	else if (!strcmp(line, "dnsmasq") && sscanf(v, "%d %llu", &pid, &st->dns_start) == 2)
		st->dns_pid = pid;
	else if (!strcmp(line, "nft"))
		st->nft = true;
	else if (!strcmp(line, "forward"))
		st->forward_was_off = !strcmp(v, "0");
	else if (!strcmp(line, "up"))
		st->up = true;
	else if (!strcmp(line, "tap") && st->ntaps < NET_MAX_TAPS && *v && strlen(v) < NET_IFNAME_MAX)
		snprintf(st->taps[st->ntaps++], NET_IFNAME_MAX, "%s", v);
}

int net_state_load(const char *name, struct net_state *st)
{
	char path[PATH_MAX], line[LINE_MAX_LEN];
	FILE *f;

	memset(st, 0, sizeof(*st));
	if (!net_name_ok(name))
		return -1;
	net_path(name, "state", path, sizeof(path));
	if (!(f = fopen(path, "re")))
		return -1;
	snprintf(st->name, sizeof(st->name), "%s", name);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		parse_line(line, st);
	}
	fclose(f);
	return 0;
}

bool net_active(const char *name)
{
	struct net_state st;

	return net_state_load(name, &st) == 0 && st.up;
}

int net_state_add(const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], line[LINE_MAX_LEN];
	va_list ap;
	int fd, n, rc;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	line[n++] = '\n';
	net_path(name, "state", path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	rc = write(fd, line, (size_t)n) == n && fsync(fd) == 0 ? 0 : -1;
	if (close(fd))
		rc = -1;
	return rc;
}

// Rewrite the state without the lines equal to `drop`, by rename.
int net_state_drop(const char *name, const char *drop)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], line[LINE_MAX_LEN];
	FILE *in, *out;
	int rc = 0;

	net_path(name, "state", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(in = fopen(path, "re")))
		return -1;
	if (!(out = fopen(tmp, "we"))) {
		fclose(in);
		return -1;
	}
	while (fgets(line, sizeof(line), in)) {
		size_t n = strcspn(line, "\n");
		if (strlen(drop) != n || strncmp(line, drop, n))
			rc |= fputs(line, out) < 0;
	}
	fclose(in);
	rc |= fflush(out) != 0 || fsync(fileno(out)) != 0;
	rc |= fclose(out) != 0;
	if (rc || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

void net_state_remove(const char *name)
{
	char path[PATH_MAX];

	net_path(name, "state", path, sizeof(path));
	unlink(path);
}

void net_state_each(void (*fn)(const char *name, void *arg), void *arg)
{
	char name[NET_NAME_MAX + 8];
	struct dirent *de;
	DIR *d = opendir(net_run_dir());

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 7 || strcmp(de->d_name + len - 6, ".state"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 6), de->d_name);
		if (net_name_ok(name))
			fn(name, arg);
	}
	if (d)
		closedir(d);
}
