// SPDX-License-Identifier: MIT
// laminad's virtual networks: definitions, what starting one made, and the TAPs of interfaces.
//
// A network is defined by STATEDIR/networks/NAME.xml (lamina-network(5));
// STATEDIR/networks/autostart/NAME marks it for starting with laminad.
// Starting it makes things on the host, and each is recorded in
// RUNDIR/networks/NAME.state *before* it is made (after checking that
// nothing of that name exists), one line each:
//
//   mode nat                 the network's mode, bridge, address and VLAN
//   bridge lm-lab made       ("existing" for a bridge network: never removed)
//   address 10.0.7.1/24
//   vlan 5
//   switch PID START         a lamina-netswitch (pid, start time as in /proc)
//   nft lamina-lab           an nftables table: table ip lamina-lab
//   forward 0                net.ipv4.ip_forward was 0 and Lamina set it to 1
//   dnsmasq PID START
//   up                       the start completed
//   tap lm3.0                a domain's interface's TAP on this network
//
// So destroying a network, or a laminad restarted after a crash, removes
// exactly what Lamina made and nothing else.  The switch and dnsmasq run in
// sessions of their own and outlive laminad; a restarted laminad adopts
// them (by pid and start time) and restarts one that died.
#ifndef LAMINAD_NET_H
#define LAMINAD_NET_H

#include "net_config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NET_MAX_TAPS 64 // TAPs one network records
#define NET_CMD_MS 10000 // an ip or nft command must finish this soon
#define NET_READY_MS 5000 // lamina-netswitch and dnsmasq must be serving this soon
#define NET_SWITCH_EXE "lamina-netswitch"
#define NET_DNSMASQ_EXE "dnsmasq"

struct daemon;
struct conn;

// RUNDIR/networks/NAME.state, parsed.
struct net_state {
	char name[NET_NAME_MAX];
	enum net_mode mode;
	bool up;
	char bridge[NET_IFNAME_MAX];
	bool bridge_made;
	uint32_t addr;
	unsigned prefix, vlan;
	pid_t switch_pid, dns_pid; // 0: none recorded
	unsigned long long switch_start, dns_start;
	bool nft, forward_was_off;
	char taps[NET_MAX_TAPS][NET_IFNAME_MAX];
	size_t ntaps;
};

// net_persist.c: directories and definitions.
// Where networks live (STATEDIR/networks, RUNDIR/networks, LOGDIR); creates
// them.  0, or -1 with err.
int net_init(const char *statedir, const char *rundir, const char *logdir, char *err,
	     size_t errlen);
const char *net_run_dir(void); // RUNDIR/networks
const char *net_log_dir(void); // LOGDIR
bool net_defined(const char *name);
bool net_autostart_marked(const char *name);
int net_def_load(const char *name, struct net_config *nc, char *err, size_t errlen);
int net_def_save(const struct net_config *nc, char *err, size_t errlen);
int net_def_remove(const char *name); // and its autostart mark; -1 (errno)
int net_set_autostart(const char *name, bool on); // -1 (errno)
// fn for every defined network's name; `autostart`: only marked ones.
void net_each_defined(bool autostart, void (*fn)(const char *name, void *arg), void *arg);
// RUNDIR/networks/NAME.EXT ("sock", "state", "leases", "dnsmasq.pid").
void net_path(const char *name, const char *ext, char *out, size_t len);

// net_state.c: the record of what a started network made.
// 0 with st filled, or -1 if the network has no state (not started).
int net_state_load(const char *name, struct net_state *st);
bool net_active(const char *name); // started and complete
// Append one record line; 0 or -1 (errno).
int net_state_add(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Remove every record line equal to `line`; 0 or -1 (errno).
int net_state_drop(const char *name, const char *line);
void net_state_remove(const char *name);
// fn for every network with a state file.
void net_state_each(void (*fn)(const char *name, void *arg), void *arg);

// net_host.c: commands and processes on the host.
// Run prog with the NULL-terminated argument list (argv[0] is prog), input
// on its standard input if not NULL; 0 if it exits 0, else -1 with its
// first line of output (or how it ended) in err.  Waits at most NET_CMD_MS.
int net_cmd(const char *input, char *err, size_t errlen, const char *prog, ...)
	__attribute__((sentinel));
// Start argv[0] in a session of its own, output appended to log; its pid, or -1 (errno).
pid_t net_spawn(char *const argv[], const char *log);
// Stop pid if it still is the process started at `start` running exe:
// SIGTERM, 3 s, SIGKILL.  True if it was running.
bool net_kill(pid_t pid, unsigned long long start, const char *exe);
bool net_link_exists(const char *ifname);
bool net_link_is_bridge(const char *ifname);
bool net_link_is_tap(const char *ifname);
int net_forwarding(void); // net.ipv4.ip_forward: 0, 1, or -1 unreadable
int net_set_forwarding(int on); // 0 or -1 (errno)

// net_start.c: starting, destroying and recovering networks.
int net_start(struct daemon *dm, const struct net_config *nc, char *err, size_t errlen);
// Start the network's lamina-netswitch (internal) or dnsmasq (on its
// bridge: DNS, and DHCP with a range), recorded in its state, and wait until
// it serves; 0, or -1 with err (nothing left running).
int net_spawn_switch(const char *name, char *err, size_t errlen);
int net_spawn_dnsmasq(const struct net_config *nc, char *err, size_t errlen);
// Remove everything the state records, then the state; 0, or -1 with
// what could not be removed in err (the rest is removed all the same).
int net_teardown(const char *name, char *err, size_t errlen);
// After laminad restarts: finish or undo cut-short starts, adopt the
// helpers of active networks (restarting dead ones), remove TAPs no
// device owns.  Call after the domains' back-ends were adopted.
void net_recover(struct daemon *dm);
// Start networks marked for autostart, once per run directory's life.
void net_autostart_all(struct daemon *dm);
// Names of running domains with an interface on network `name`, comma
// separated, into out; their interface count.
size_t net_users(const struct daemon *dm, const char *name, char *out, size_t len);

// net_tap.c: the TAP of an interface on a host-only, nat or bridge network.
// "lm" DOMID "." DEVID (at most 15 characters).
void net_tap_name(unsigned domid, unsigned devid, char out[NET_IFNAME_MAX]);
// Make (or find made) the TAP, joined to the network's bridge and up; 0 or -1 with err.
int net_tap_create(const char *net, unsigned domid, unsigned devid, char *err, size_t errlen);
// Delete the TAP if a network records it.
void net_tap_delete(unsigned domid, unsigned devid);
// Delete the TAPs this laminad's networks record that no running back-end owns.
void net_tap_sweep(struct daemon *dm);
// The network an interface names: its <source network>, or "default".
const char *net_of_nic(const char *network);

// net_ops.c: request handlers.
void op_net_define(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_net_undefine(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_net_start(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_net_destroy(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_net_list(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_net_dumpxml(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_net_autostart(struct daemon *dm, struct conn *c, const void *p, uint32_t len);

#endif
