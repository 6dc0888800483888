// SPDX-License-Identifier: MIT
// laminad's TAPs: one persistent TAP per interface on a bridged network, named lmDOMID.DEVID, recorded in the network's state.
#include "laminad.h"
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void net_tap_name(unsigned domid, unsigned devid, char out[NET_IFNAME_MAX])
{
	snprintf(out, NET_IFNAME_MAX, "lm%u.%u", domid, devid);
}

// Is ifname of Lamina's TAP naming scheme?  Its domain id and device number.
static bool tap_parse(const char *ifname, unsigned *domid, unsigned *devid)
{
	char tail;

	return sscanf(ifname, "lm%u.%u%c", domid, devid, &tail) == 2 && ifname[2] >= '0' &&
	       ifname[2] <= '9';
}

static bool recorded(const struct net_state *st, const char *tap)
{
	for (size_t i = 0; i < st->ntaps; i++)
		if (!strcmp(st->taps[i], tap))
			return true;
	return false;
}

struct tap_find {
	const char *tap;
	char net[NET_NAME_MAX];
};

static void find_recorder(const char *name, void *arg)
{
	struct tap_find *f = arg;
	struct net_state st;

	if (!f->net[0] && net_state_load(name, &st) == 0 && recorded(&st, f->tap))
		snprintf(f->net, sizeof(f->net), "%s", name);
}

// Join the TAP to the bridge and bring it up; 0 or -1 with err.
static int plug(const char *tap, const char *bridge, char *err, size_t len)
{
	char why[512];

	if (net_cmd(NULL, why, sizeof(why), "ip", "ip", "link", "set", "dev", tap, "master", bridge,
		    NULL) ||
	    net_cmd(NULL, why, sizeof(why), "ip", "ip", "link", "set", "dev", tap, "up", NULL)) {
		snprintf(err, len, "cannot join TAP %s to bridge %s: %s", tap, bridge, why);
		return -1;
	}
	return 0;
}

int net_tap_create(const char *net, unsigned domid, unsigned devid, char *err, size_t errlen)
{
	struct tap_find f = { 0 };
	struct net_state st;
	char tap[NET_IFNAME_MAX], line[32], why[512];

	net_tap_name(domid, devid, tap);
	if (net_state_load(net, &st) || !st.up || !st.bridge[0]) {
		snprintf(err, errlen, "network '%s' is not active or has no bridge", net);
		return -1;
	}
	f.tap = tap;
	net_state_each(find_recorder, &f);
	if (net_link_exists(tap) && !f.net[0]) {
		snprintf(err, errlen, "an interface named %s exists already and is not Lamina's", tap);
		return -1;
	}
	if (f.net[0] && net_link_is_tap(tap) && !strcmp(f.net, net))
		return plug(tap, st.bridge, err, errlen); // made before: a restarted back-end
	if (f.net[0])
		net_tap_delete(domid, devid); // left on another network
	snprintf(line, sizeof(line), "tap %s", tap);
	if (net_state_add(net, "%s", line)) {
		snprintf(err, errlen, "cannot record TAP %s for network '%s'", tap, net);
		return -1;
	}
	if (net_cmd(NULL, why, sizeof(why), "ip", "ip", "tuntap", "add", "dev", tap, "mode", "tap",
		    NULL)) {
		snprintf(err, errlen, "cannot create TAP %s: %s", tap, why);
		net_state_drop(net, line);
		return -1;
	}
	if (plug(tap, st.bridge, err, errlen)) {
		net_tap_delete(domid, devid);
		return -1;
	}
	return 0;
}

void net_tap_delete(unsigned domid, unsigned devid)
{
	struct tap_find f = { 0 };
	char tap[NET_IFNAME_MAX], line[32], why[512];

	net_tap_name(domid, devid, tap);
	f.tap = tap;
	net_state_each(find_recorder, &f);
	if (!f.net[0])
		return; // not Lamina's (or a switch-side interface: nothing on the host)
	if (net_link_is_tap(tap) &&
	    net_cmd(NULL, why, sizeof(why), "ip", "ip", "link", "del", "dev", tap, NULL)) {
		fprintf(stderr, "laminad: cannot delete TAP %s: %s\n", tap, why);
		return;
	}
	snprintf(line, sizeof(line), "tap %s", tap);
	net_state_drop(f.net, line);
}

// Does a running back-end of an interface own this TAP?
static bool owned(const struct daemon *dm, unsigned domid, unsigned devid)
{
	const struct dev_kind *vif = dev_kind_find("vif");
	char id[16];
	const struct domain *d;

	snprintf(id, sizeof(id), "%u", domid);
	if (!(d = reg_find(&dm->reg, id)) || d->id != domid)
		return false;
	for (size_t j = 0; j < d->ndevs; j++)
		if (d->devs[j].kind == vif && d->devs[j].devid == devid)
			return true;
	return false;
}

static void sweep_recorded(const char *name, void *arg)
{
	struct daemon *dm = arg;
	struct net_state st;
	unsigned domid, devid;

	if (net_state_load(name, &st))
		return;
	for (size_t i = 0; i < st.ntaps; i++)
		if (tap_parse(st.taps[i], &domid, &devid) && !owned(dm, domid, devid)) {
			fprintf(stderr, "laminad: removing TAP %s of network '%s': no interface "
				"uses it any more\n", st.taps[i], name);
			net_tap_delete(domid, devid);
		}
}

// Only TAPs this laminad's networks record: another laminad (another run
// directory) may have TAPs of the same naming on this host.
void net_tap_sweep(struct daemon *dm)
{
	net_state_each(sweep_recorded, dm);
}
