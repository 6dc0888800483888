// SPDX-License-Identifier: MIT
// laminad's networks on the host: start one by mode, tear down what its state records, recover after a restart.
#include "laminad.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SWITCH_BUILD_DIR "pvdrivers/net"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

// Record a line, or say why not (nothing is made without its record).
#define RECORD(nc, err, len, ...)                                                          \
	(net_state_add((nc)->name, __VA_ARGS__) == 0                                        \
		 ? 0                                                                         \
		 : (snprintf(err, len, "cannot record network '%s' in %s: %s", (nc)->name,   \
			     net_run_dir(), strerror(errno)), -1))

static void log_path(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/networks/%s.log", net_log_dir(), name);
}

// The last line of a helper's log, for saying why it stopped.
static void log_tail(const char *name, char *out, size_t len)
{
	char path[PATH_MAX], buf[512];
	ssize_t n = 0;
	int fd;

	log_path(name, path, sizeof(path));
	out[0] = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end > 0)
		n = pread(fd, buf, sizeof(buf) - 1, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	char *last = strrchr(buf, '\n');
	snprintf(out, len, "%s", last ? last + 1 : buf);
}

// Wait until ready() or the helper exits; 0, or -1 with why in err.
static int await_helper(const char *name, pid_t pid, const char *what,
			bool (*ready)(const char *name), char *err, size_t len)
{
	char tail[300];
	int status;

	for (int waited = 0; waited < NET_READY_MS; waited += 20) {
		if (ready(name))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			log_tail(name, tail, sizeof(tail));
			snprintf(err, len, "%s exited (%s %d) before it served network '%s'%s%s", what,
				 WIFEXITED(status) ? "status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), name,
				 tail[0] ? ": " : "", tail);
			return -1;
		}
		sleep_ms(20);
	}
	snprintf(err, len, "%s did not serve network '%s' within %d s", what, name,
		 NET_READY_MS / 1000);
	return -1;
}

static bool switch_ready(const char *name)
{
	char sock[PATH_MAX];
	struct stat st;

	net_path(name, "sock", sock, sizeof(sock));
	return stat(sock, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool dns_ready(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	net_path(name, "dnsmasq.pid", path, sizeof(path));
	return stat(path, &st) == 0 && st.st_size > 0;
}

int net_spawn_switch(const char *name, char *err, size_t len)
{
	char exe[PATH_MAX], sock[PATH_MAX], log[PATH_MAX];
	char *argv[] = { exe, sock, NULL };
	pid_t pid;

	dev_find_prog(NET_SWITCH_EXE, SWITCH_BUILD_DIR, exe, sizeof(exe));
	net_path(name, "sock", sock, sizeof(sock));
	log_path(name, log, sizeof(log));
	unlink(sock); // a stale socket of this network's own (no switch records it)
	if ((pid = net_spawn(argv, log)) < 0) {
		snprintf(err, len, "cannot start %s: %s", exe, strerror(errno));
		return -1;
	}
	if (net_state_add(name, "switch %d %llu", (int)pid, dev_pid_start(pid)) ||
	    await_helper(name, pid, NET_SWITCH_EXE, switch_ready, err, len)) {
		if (!*err)
			snprintf(err, len, "cannot record the switch of '%s': %s", name, strerror(errno));
		net_kill(pid, dev_pid_start(pid), NET_SWITCH_EXE);
		return -1;
	}
	return 0;
}

int net_spawn_dnsmasq(const struct net_config *nc, char *err, size_t len)
{
	char pidf[PATH_MAX + 16], lease[PATH_MAX + 24], log[PATH_MAX], iface[32], listen[40];
	char range[80], a[16], b[16], m[16];
	char *argv[16] = { NET_DNSMASQ_EXE, "--keep-in-foreground", "--conf-file=/dev/null",
			   "--bind-interfaces", "--except-interface=lo", "--log-facility=-",
			   "--dhcp-authoritative", pidf, lease, iface, listen };
	size_t n = 11;
	pid_t pid;

	net_path(nc->name, "dnsmasq.pid", log, sizeof(log));
	snprintf(pidf, sizeof(pidf), "--pid-file=%s", log);
	unlink(log);
	net_path(nc->name, "leases", log, sizeof(log));
	snprintf(lease, sizeof(lease), "--dhcp-leasefile=%s", log);
	snprintf(iface, sizeof(iface), "--interface=%s", nc->bridge);
	net_ip_format(nc->addr, a);
	snprintf(listen, sizeof(listen), "--listen-address=%s", a);
	if (nc->has_dhcp) {
		net_ip_format(nc->dhcp_start, a);
		net_ip_format(nc->dhcp_end, b);
		net_ip_format(net_ip_mask(nc->prefix), m);
		snprintf(range, sizeof(range), "--dhcp-range=%s,%s,%s,1h", a, b, m);
		argv[n++] = range;
	}
	argv[n] = NULL;
	log_path(nc->name, log, sizeof(log));
	if ((pid = net_spawn(argv, log)) < 0) {
		snprintf(err, len, "cannot start dnsmasq: %s", strerror(errno));
		return -1;
	}
	if (net_state_add(nc->name, "dnsmasq %d %llu", (int)pid, dev_pid_start(pid)) ||
	    await_helper(nc->name, pid, "dnsmasq", dns_ready, err, len)) {
		if (!*err)
			snprintf(err, len, "cannot record the dnsmasq of '%s': %s", nc->name,
				 strerror(errno));
		net_kill(pid, dev_pid_start(pid), NET_DNSMASQ_EXE);
		return -1;
	}
	return 0;
}

static int make_bridge(const struct net_config *nc, char *err, size_t len)
{
	char addr[40], a[16], why[512];

	if (net_link_exists(nc->bridge)) {
		snprintf(err, len, "an interface named %s exists already; Lamina makes the bridge "
			 "of a %s network itself (name another with <bridge name='...'/>)",
			 nc->bridge, net_mode_name(nc->mode));
		return -1;
	}
	net_ip_format(nc->addr, a);
	snprintf(addr, sizeof(addr), "%s/%u", a, nc->prefix);
	if (RECORD(nc, err, len, "bridge %s made", nc->bridge) ||
	    RECORD(nc, err, len, "address %s", addr))
		return -1;
	if (net_cmd(NULL, why, sizeof(why), "ip", "ip", "link", "add", "name", nc->bridge, "type",
		    "bridge", NULL) ||
	    net_cmd(NULL, why, sizeof(why), "ip", "ip", "addr", "add", addr, "dev", nc->bridge,
		    NULL) ||
	    net_cmd(NULL, why, sizeof(why), "ip", "ip", "link", "set", "dev", nc->bridge, "up",
		    NULL)) {
		snprintf(err, len, "cannot make bridge %s with address %s: %s", nc->bridge, addr, why);
		return -1;
	}
	return 0;
}

static void nft_table(const char *name, char *out, size_t len)
{
	snprintf(out, len, "lamina-%s", name);
}

static bool nft_table_exists(const char *table)
{
	char why[256];

	return net_cmd(NULL, why, sizeof(why), "nft", "nft", "list", "table", "ip", table, NULL) == 0;
}

// Masquerade what leaves the subnet, and let the bridge's traffic be forwarded.
static int make_nat(const struct net_config *nc, char *err, size_t len)
{
	char table[64], net[16], rules[1024], why[512];
	int fwd = net_forwarding();

	nft_table(nc->name, table, sizeof(table));
	net_ip_format(nc->addr & net_ip_mask(nc->prefix), net);
	if (nft_table_exists(table)) {
		snprintf(err, len, "nftables table ip %s exists already and is not this start's", table);
		return -1;
	}
	snprintf(rules, sizeof(rules),
		 "table ip %s {\n"
		 "  chain postrouting {\n"
		 "    type nat hook postrouting priority srcnat; policy accept;\n"
		 "    ip saddr %s/%u ip daddr != %s/%u masquerade\n"
		 "  }\n"
		 "  chain forward {\n"
		 "    type filter hook forward priority filter; policy accept;\n"
		 "    iifname \"%s\" accept\n"
		 "    oifname \"%s\" ct state established,related accept\n"
		 "  }\n"
		 "}\n", table, net, nc->prefix, net, nc->prefix, nc->bridge, nc->bridge);
	if (RECORD(nc, err, len, "nft %s", table))
		return -1;
	if (net_cmd(rules, why, sizeof(why), "nft", "nft", "-f", "-", NULL)) {
		snprintf(err, len, "cannot add nftables table ip %s: %s", table, why);
		return -1;
	}
	if (fwd < 0) {
		snprintf(err, len, "cannot read net.ipv4.ip_forward: %s", strerror(errno));
		return -1;
	}
	if (fwd == 0 && (RECORD(nc, err, len, "forward 0") || net_set_forwarding(1))) {
		if (!*err)
			snprintf(err, len, "cannot enable net.ipv4.ip_forward: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int start_by_mode(const struct net_config *nc, char *err, size_t len)
{
	switch (nc->mode) {
	case NET_INTERNAL:
		if (nc->vlan && RECORD(nc, err, len, "vlan %u", nc->vlan))
			return -1;
		return net_spawn_switch(nc->name, err, len);
	case NET_BRIDGE:
		if (!net_link_is_bridge(nc->bridge)) {
			snprintf(err, len, "host bridge %s %s", nc->bridge, net_link_exists(nc->bridge)
				 ? "is not a bridge" : "does not exist (create it first)");
			return -1;
		}
		return RECORD(nc, err, len, "bridge %s existing", nc->bridge);
	case NET_NAT:
		if (make_bridge(nc, err, len) || make_nat(nc, err, len))
			return -1;
		return net_spawn_dnsmasq(nc, err, len);
	default:
		if (make_bridge(nc, err, len))
			return -1;
		return nc->has_dhcp ? net_spawn_dnsmasq(nc, err, len) : 0;
	}
}

int net_start(struct daemon *dm, const struct net_config *nc, char *err, size_t errlen)
{
	char dir[PATH_MAX], why[512];
	struct net_state st;

	(void)dm;
	err[0] = 0;
	if (net_state_load(nc->name, &st) == 0) {
		snprintf(err, errlen, "network '%s' is already active", nc->name);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/networks", net_log_dir());
	mkdir_p(dir);
	if (RECORD(nc, err, errlen, "mode %s", net_mode_name(nc->mode)) ||
	    start_by_mode(nc, err, errlen) || RECORD(nc, err, errlen, "up")) {
		if (net_teardown(nc->name, why, sizeof(why)))
			fprintf(stderr, "laminad: network '%s': after a failed start: %s\n", nc->name,
				why);
		return -1;
	}
	fprintf(stderr, "laminad: network '%s' (%s) started\n", nc->name, net_mode_name(nc->mode));
	return 0;
}

// Append "; what" to err.
static void also(char *err, size_t len, const char *what)
{
	size_t n = strlen(err);

	snprintf(err + n, len - n, "%s%s", n ? "; " : "", what);
}

static void stop_helpers(const struct net_state *st)
{
	char path[PATH_MAX];

	if (st->dns_pid)
		net_kill(st->dns_pid, st->dns_start, NET_DNSMASQ_EXE);
	if (st->switch_pid)
		net_kill(st->switch_pid, st->switch_start, NET_SWITCH_EXE);
	net_path(st->name, "dnsmasq.pid", path, sizeof(path));
	unlink(path);
	net_path(st->name, "leases", path, sizeof(path));
	unlink(path);
	net_path(st->name, "sock", path, sizeof(path));
	unlink(path);
}

static void delete_link(const char *ifname, char *err, size_t len)
{
	char why[512], msg[600];

	if (!net_link_exists(ifname))
		return;
	if (net_cmd(NULL, why, sizeof(why), "ip", "ip", "link", "del", "dev", ifname, NULL)) {
		snprintf(msg, sizeof(msg), "cannot delete %s: %s", ifname, why);
		also(err, len, msg);
	}
}

struct nat_find {
	const char *me;
	char found[NET_NAME_MAX];
};

static void find_nat(const char *name, void *arg)
{
	struct nat_find *f = arg;
	struct net_state o;

	if (!f->found[0] && strcmp(name, f->me) && net_state_load(name, &o) == 0 && o.up &&
	    o.mode == NET_NAT)
		snprintf(f->found, sizeof(f->found), "%s", name);
}

// Lamina turned ip_forward on for this network: another active NAT network
// takes over turning it off again, or it is turned off now.
static void hand_over_forwarding(const char *name)
{
	struct nat_find f = { .me = name };

	net_state_each(find_nat, &f);
	if (f.found[0])
		net_state_add(f.found, "forward 0");
	else
		net_set_forwarding(0);
}

int net_teardown(const char *name, char *err, size_t errlen)
{
	struct net_state st;
	char table[64], why[512], msg[600];

	err[0] = 0;
	if (net_state_load(name, &st))
		return 0;
	stop_helpers(&st);
	for (size_t i = 0; i < st.ntaps; i++)
		if (net_link_is_tap(st.taps[i]))
			delete_link(st.taps[i], err, errlen);
	nft_table(name, table, sizeof(table));
	if (st.nft && nft_table_exists(table) &&
	    net_cmd(NULL, why, sizeof(why), "nft", "nft", "delete", "table", "ip", table, NULL)) {
		snprintf(msg, sizeof(msg), "cannot delete nftables table ip %s: %s", table, why);
		also(err, errlen, msg);
	}
	if (st.bridge_made && net_link_is_bridge(st.bridge))
		delete_link(st.bridge, err, errlen);
	if (st.forward_was_off)
		hand_over_forwarding(name);
	if (err[0])
		return -1; // the state stays: destroying again retries what is left
	net_state_remove(name);
	return 0;
}
