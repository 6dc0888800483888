// SPDX-License-Identifier: MIT
// store/main.c: the store over its real ring: keys, read/write/mkdir/rm/directory, permissions, watches, transactions, errors, quotas, a peer.
#include "xs.h"

/*
 * This image is the tester and gives the verdict; store_peer is the second
 * domain (args), which answers commands the tester writes to the store.
 * Each side takes the other's id to be the one of {1, 2} that it is not
 * (store_peer's args swap them). Destructive checks (a corrupt ring index)
 * come last: afterwards the store no longer answers this domain.
 */
const char test_title[] = "store: the ring, every request type and error, quotas, two domains";

static unsigned me, peer;
static char home[32];
static struct xs_msg m;

/* Read path (no transaction) and compare with want; the read's result. */
static int read_is(const char *path, const char *want)
{
	static char v[LAMINA_STORE_PAYLOAD_MAX + 1];
	int n = xs_read(0, path, v, sizeof(v));

	rt_check(n >= 0 && xs_streq(v, want), "read %s: got %d '%s', want '%s'", path, n,
		 n >= 0 ? v : "", want);
	return n;
}

/* The reply payload of the last request equals want[0..n). */
static void payload_is(int got, const char *want, int n, const char *what)
{
	rt_check(got == n && !rt_memcmp(m.pl, want, (size_t)n), "%s: reply of %d bytes as expected (%d)",
		 what, got, n);
}

static void ports(void)
{
	struct lamina_evtchn_status st = { .dom = LAMINA_DOMID_SELF, .port = xs_port };

	rt_check(xs_port != 0, "shared_info store_port %u is set", xs_port);
	rt_check(rt_shinfo->console_port != 0 && rt_shinfo->console_port != xs_port,
		 "console_port %u is set and not the store port", rt_shinfo->console_port);
	rt_expect(HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_STATUS, &st), 0, "status of store_port");
	rt_expect(st.status, LAMINA_EVTCHNSTAT_INTERDOMAIN, "store_port is bound at creation");
	rt_expect(st.u.interdomain.dom, 0, "store_port's remote end is domain 0");
}

static void standard_keys(void)
{
	char d[8];
	int n = rt_snprintf(d, sizeof(d), "%u", me) + 1;

	payload_is(xs_req(LAMINA_STORE_GET_DOMAIN_PATH, 0, d, (uint32_t)n, &m), home,
		   (int)rt_strlen(home) + 1, "GET_DOMAIN_PATH of this domain");
	payload_is(xs_req(LAMINA_STORE_GET_DOMAIN_PATH, 0, "123", 4, &m), "/local/domain/123", 18,
		   "GET_DOMAIN_PATH of any domid");
	read_is("domid", d);
	read_is(xs_fmt("%s/name", home), "store");
	read_is("vcpus", "1");
	read_is("memory/target", "16384");
	read_is("memory/static-max", "16384");
	static const char kids[] = "control\0device\0domid\0memory\0name\0vcpus";
	payload_is(xs_path_req(LAMINA_STORE_DIRECTORY, 0, home, "", 0, &m), kids, sizeof(kids),
		   "DIRECTORY of the home: the keys written at creation, sorted");
	char perm[8];
	n = rt_snprintf(perm, sizeof(perm), "n%u", me) + 1;
	rt_expect(xs_path_req(LAMINA_STORE_GET_PERMS, 0, ".", "", 0, &m), -LAMINA_EINVAL,
		  "GET_PERMS of '.': EINVAL (bad component)");
	payload_is(xs_path_req(LAMINA_STORE_GET_PERMS, 0, home, "", 0, &m), perm, n,
		   "the home is owned by the domain, 'n' for others");
}

static void basic_ops(void)
{
	static char big[LAMINA_STORE_PAYLOAD_MAX];

	rt_expect(xs_write(0, "a/b/c", "hello"), 0, "WRITE creates missing parents");
	read_is("a/b/c", "hello");
	read_is(xs_fmt("%s/a/b/c", home), "hello");
	read_is("a/b", "");
	rt_expect(xs_write(0, "a/b/c", ""), 0, "WRITE an empty value");
	read_is("a/b/c", "");
	rt_expect(xs_path_req(LAMINA_STORE_WRITE, 0, "bin", "x\0y", 3, NULL), 3, "WRITE binary value");
	payload_is(xs_path_req(LAMINA_STORE_READ, 0, "bin", "", 0, &m), "x\0y", 3,
		   "READ returns the bytes, no NUL added");
	rt_expect(xs_mkdir("d"), 0, "MKDIR");
	rt_expect(xs_mkdir("d"), 0, "MKDIR of an existing node changes nothing");
	rt_expect(xs_write(0, "d/z", "1"), 0, "WRITE d/z");
	rt_expect(xs_write(0, "d/a", "2"), 0, "WRITE d/a");
	payload_is(xs_path_req(LAMINA_STORE_DIRECTORY, 0, "d", "", 0, &m), "a\0z", 4, "DIRECTORY");
	payload_is(xs_path_req(LAMINA_STORE_DIRECTORY, 0, "d/a", "", 0, &m), "", 0,
		   "DIRECTORY of a leaf is empty");
	rt_expect(xs_rm("a"), 0, "RM removes the subtree");
	rt_expect(xs_read(0, "a/b/c", big, 8), -LAMINA_ENOENT, "READ a removed node: ENOENT");
	rt_expect(xs_rm("a"), -LAMINA_ENOENT, "RM of a missing node: ENOENT");
	rt_expect(xs_read(0, "nope", big, 8), -LAMINA_ENOENT, "READ a missing node: ENOENT");
	rt_expect(xs_path_req(LAMINA_STORE_DIRECTORY, 0, "nope", "", 0, NULL), -LAMINA_ENOENT,
		  "DIRECTORY of a missing node: ENOENT");
	/* the largest value: path and value fill the payload, the reply takes several ring fills */
	rt_memset(big, 'v', sizeof(big));
	rt_expect(xs_path_req(LAMINA_STORE_WRITE, 0, "big", big, sizeof(big) - 4, NULL), 3,
		  "WRITE a value that fills the payload");
	int n = xs_path_req(LAMINA_STORE_READ, 0, "big", "", 0, &m);
	rt_check(n == (int)sizeof(big) - 4 && !rt_memcmp(m.pl, big, (size_t)n),
		 "READ back the %d-byte value", n);
}

static void permissions(void)
{
	char buf[8];

	rt_expect(xs_read(0, "/local/domain/0", buf, 8), -LAMINA_EACCES, "READ domain 0's home: EACCES");
	rt_expect(xs_read(0, "/", buf, 8), -LAMINA_EACCES, "READ the root: EACCES");
	rt_expect(xs_read(0, "/local/domain/0/nope", buf, 8), -LAMINA_EACCES,
		  "READ a missing node below an unreadable one: EACCES, not ENOENT");
	rt_expect(xs_path_req(LAMINA_STORE_DIRECTORY, 0, "/local/domain", "", 0, NULL), -LAMINA_EACCES,
		  "DIRECTORY /local/domain: EACCES (no listing other domains)");
	rt_expect(xs_write(0, "/x", "1"), -LAMINA_EACCES, "WRITE below the root: EACCES");
	rt_expect(xs_write(0, xs_fmt("/local/domain/%u/x", peer), "1"), -LAMINA_EACCES,
		  "WRITE into another domain's home: EACCES");
	rt_expect(xs_mkdir("/local/newdir"), -LAMINA_EACCES, "MKDIR below /local: EACCES");
	rt_expect(xs_rm("/local"), -LAMINA_EACCES, "RM /local: EACCES");
	rt_expect(xs_rm("/"), -LAMINA_EINVAL, "RM the root: EINVAL");
	rt_expect(xs_write(0, "p", "v"), 0, "WRITE p");
	payload_is(xs_path_req(LAMINA_STORE_GET_PERMS, 0, "p", "", 0, &m), xs_fmt("n%u", me),
		   (int)rt_strlen(xs_fmt("n%u", me)) + 1, "a new node copies its parent's list");
	rt_expect(xs_set_perms("p", xs_fmt("b%u r0", me)), 0, "SET_PERMS by the owner");
	const char *want = xs_fmt("b%u r0 ", me);
	int n = xs_path_req(LAMINA_STORE_GET_PERMS, 0, "p", "", 0, &m);
	for (int i = 0; i < n; i++)
		m.pl[i] = m.pl[i] ? m.pl[i] : ' ';
	rt_check(n == (int)rt_strlen(want) && !rt_memcmp(m.pl, want, (size_t)n), "GET_PERMS after SET_PERMS");
	rt_expect(xs_set_perms("p", "b0"), -LAMINA_EPERM, "SET_PERMS giving the node to domain 0: EPERM");
	rt_expect(xs_set_perms("p", xs_fmt("b%u", me + 1)), -LAMINA_EPERM,
		  "SET_PERMS giving the node to another domain: EPERM");
	rt_expect(xs_set_perms("p", "x5"), -LAMINA_EINVAL, "SET_PERMS bad letter: EINVAL");
	rt_expect(xs_set_perms("p", "r"), -LAMINA_EINVAL, "SET_PERMS no domid: EINVAL");
	rt_expect(xs_set_perms("p", "r70000"), -LAMINA_EINVAL, "SET_PERMS domid > 65535: EINVAL");
	rt_expect(xs_path_req(LAMINA_STORE_SET_PERMS, 0, "p", "", 0, NULL), -LAMINA_EINVAL,
		  "SET_PERMS empty list: EINVAL");
	rt_expect(xs_path_req(LAMINA_STORE_SET_PERMS, 0, "p", "r1", 2, NULL), -LAMINA_EINVAL,
		  "SET_PERMS entry without its NUL: EINVAL");
	rt_expect(xs_set_perms("nope", xs_fmt("n%u", me)), -LAMINA_ENOENT,
		  "SET_PERMS missing node: ENOENT");
	rt_expect(xs_set_perms("/local/domain/0", xs_fmt("n%u", me)), -LAMINA_EACCES,
		  "SET_PERMS on a node of domain 0: EACCES");
	/* a node cannot be given away (ABI 1.3: only domain 0 changes an owner) */
	rt_expect(xs_write(0, "gift", "v"), 0, "WRITE gift");
	rt_expect(xs_set_perms("gift", xs_fmt("n%u", peer)), -LAMINA_EPERM,
		  "SET_PERMS naming the peer as the owner: EPERM");
	rt_expect(xs_write(0, "gift", "w"), 0, "WRITE the node still ours");
	rt_expect(xs_set_perms("gift", xs_fmt("n%u r%u", me, peer)), 0,
		  "SET_PERMS letting the peer read it, the owner unchanged");
	rt_expect(xs_rm("/local/domain/0"), -LAMINA_EACCES, "RM a node of domain 0: EACCES");
}

static void watches(void)
{
	const char *abs = xs_fmt("%s/w", home);

	rt_expect(xs_watch("w", "t1"), 0, "WATCH w");
	rt_check(xs_event("w", "t1", 1000 * MS), "WATCH fires once at once, with the path as given");
	rt_expect(xs_write(0, "w/x", "1"), 0, "WRITE w/x");
	rt_check(xs_event("w/x", "t1", 1000 * MS), "a write below fires, relative to the home");
	rt_expect(xs_write(0, "wx", "1"), 0, "WRITE wx");
	rt_check(!xs_event("wx", "t1", 100 * MS), "a sibling sharing the prefix does not fire");
	rt_expect(xs_watch(abs, "abs"), 0, "WATCH with an absolute path");
	rt_check(xs_event(abs, "abs", 1000 * MS), "its first event has the absolute path");
	rt_expect(xs_watch("w", "t1"), -LAMINA_EEXIST, "WATCH the same path and token: EEXIST");
	rt_expect(xs_unwatch("w", "nope"), -LAMINA_ENOENT, "UNWATCH an unknown token: ENOENT");
	rt_expect(xs_unwatch("w", "t1"), 0, "UNWATCH");
	rt_expect(xs_unwatch("w", "t1"), -LAMINA_ENOENT, "UNWATCH twice: ENOENT");
	rt_expect(xs_set_perms("w/x", xs_fmt("n%u r0", me)), 0, "SET_PERMS w/x");
	rt_check(xs_event(xs_fmt("%s/x", abs), "abs", 1000 * MS), "a permission change fires");
	rt_expect(xs_rm("w"), 0, "RM w");
	rt_check(xs_event(abs, "abs", 1000 * MS), "removing the watched node fires");
	rt_check(!xs_event("w", "t1", 100 * MS), "an unwatched watch is silent");
	rt_expect(xs_unwatch(abs, "abs"), 0, "UNWATCH abs");
	rt_expect(xs_watch("@introduceDomain", "i"), 0, "WATCH @introduceDomain");
	rt_check(xs_event("@introduceDomain", "i", 1000 * MS), "special watch: first event");
	rt_expect(xs_unwatch("@introduceDomain", "i"), 0, "UNWATCH @introduceDomain");
	rt_expect(xs_watch("@bogusDomain", "b"), -LAMINA_EINVAL, "WATCH an unknown special name: EINVAL");
	rt_expect(xs_watch("bad//path", "b"), -LAMINA_EINVAL, "WATCH a bad path: EINVAL");
	rt_expect(xs_path_req(LAMINA_STORE_WATCH, 0, "w", "", 0, NULL), -LAMINA_EINVAL,
		  "WATCH without a token: EINVAL");
	xs_events_clear();
}

static void transactions(void)
{
	uint32_t t, u;
	char v[16];

	rt_expect(xs_watch("t", "tw"), 0, "WATCH t");
	xs_event("t", "tw", 1000 * MS);
	rt_expect(xs_tx_start(&t), 0, "TRANSACTION_START");
	rt_check(t != 0, "the transaction id %u is not 0", t);
	rt_expect(xs_write(t, "t/k", "1"), 0, "WRITE in the transaction");
	rt_expect(xs_read(t, "t/k", v, sizeof(v)), 1, "READ in the transaction sees its own write");
	rt_expect(xs_read(0, "t/k", v, sizeof(v)), -LAMINA_ENOENT, "the write is invisible outside");
	rt_check(!xs_event("t/k", "tw", 100 * MS), "no event before the commit");
	rt_expect(xs_tx_end(t, 1), 0, "TRANSACTION_END commit");
	rt_check(xs_event("t/k", "tw", 1000 * MS), "the watch fires at commit");
	read_is("t/k", "1");
	rt_expect(xs_tx_end(t, 1), -LAMINA_ENOENT, "ending it again: ENOENT");
	/* abort */
	rt_expect(xs_tx_start(&t), 0, "TRANSACTION_START");
	rt_expect(xs_write(t, "t/k", "2"), 0, "WRITE in the transaction");
	rt_expect(xs_tx_end(t, 0), 0, "TRANSACTION_END abort");
	read_is("t/k", "1");
	/* conflict: someone else changes a node the transaction read */
	rt_expect(xs_tx_start(&t), 0, "TRANSACTION_START");
	rt_expect(xs_read(t, "t/k", v, sizeof(v)), 1, "READ in the transaction");
	rt_expect(xs_write(0, "t/k", "3"), 0, "WRITE outside it");
	rt_expect(xs_read(t, "t/k", v, sizeof(v)), 1, "READ in the transaction again");
	rt_check(xs_streq(v, "1"), "the transaction still sees its snapshot ('%s')", v);
	rt_expect(xs_write(t, "t/k", "4"), 0, "WRITE in the transaction");
	rt_expect(xs_tx_end(t, 1), -LAMINA_EAGAIN, "commit after a conflict: EAGAIN");
	read_is("t/k", "3");
	/* two at once, on different nodes: both commit */
	rt_expect(xs_tx_start(&t), 0, "TRANSACTION_START t");
	rt_expect(xs_tx_start(&u), 0, "TRANSACTION_START u");
	rt_check(t != u, "distinct transaction ids");
	rt_expect(xs_write(t, "t/one", "1"), 0, "WRITE t/one in t");
	rt_expect(xs_write(u, "t/two", "2"), 0, "WRITE t/two in u");
	rt_expect(xs_tx_end(u, 1), 0, "commit u");
	rt_expect(xs_tx_end(t, 1), 0, "commit t (a sibling created meanwhile is no conflict)");
	read_is("t/one", "1");
	read_is("t/two", "2");
	/* errors */
	rt_expect(xs_read(99999, "t/k", v, sizeof(v)), -LAMINA_ENOENT, "READ in an unknown transaction: ENOENT");
	rt_expect(xs_write(99999, "t/k", "x"), -LAMINA_ENOENT, "WRITE in an unknown transaction: ENOENT");
	rt_expect(xs_tx_end(0, 1), -LAMINA_ENOENT, "TRANSACTION_END without an id: ENOENT");
	rt_expect(xs_tx_start(&t), 0, "TRANSACTION_START");
	rt_expect(xs_req(LAMINA_STORE_TRANSACTION_END, t, "X", 2, NULL), -LAMINA_EINVAL,
		  "TRANSACTION_END neither T nor F: EINVAL");
	rt_expect(xs_req(LAMINA_STORE_TRANSACTION_START, 0, "x", 2, NULL), -LAMINA_EINVAL,
		  "TRANSACTION_START with a payload: EINVAL");
	rt_expect(xs_tx_end(t, 0), 0, "abort");
	rt_expect(xs_unwatch("t", "tw"), 0, "UNWATCH t");
	xs_events_clear();
}

static void errors(void)
{
	static char p[LAMINA_STORE_ABS_PATH_MAX + 2];
	char v[8];

	rt_expect(xs_req(99, 0, "x", 2, NULL), -LAMINA_EINVAL, "unknown type 99: EINVAL");
	rt_expect(xs_req(0, 0, "", 0, NULL), -LAMINA_EINVAL, "type 0: EINVAL");
	rt_expect(xs_req(LAMINA_STORE_WATCH_EVENT, 0, "a\0b", 4, NULL), -LAMINA_EINVAL,
		  "WATCH_EVENT from a domain: EINVAL");
	rt_expect(xs_req(LAMINA_STORE_ERROR, 0, "EIO", 4, NULL), -LAMINA_EINVAL, "ERROR from a domain: EINVAL");
	rt_expect(xs_req(LAMINA_STORE_READ, 0, "abc", 3, NULL), -LAMINA_EINVAL, "READ path without NUL: EINVAL");
	rt_expect(xs_req(LAMINA_STORE_READ, 0, "a\0b", 3, NULL), -LAMINA_EINVAL,
		  "READ with bytes after the path: EINVAL");
	rt_expect(xs_req(LAMINA_STORE_READ, 0, "", 0, NULL), -LAMINA_EINVAL, "READ with no payload: EINVAL");
	rt_expect(xs_read(0, "a//b", v, 8), -LAMINA_EINVAL, "empty component: EINVAL");
	rt_expect(xs_read(0, "a/", v, 8), -LAMINA_EINVAL, "trailing '/': EINVAL");
	rt_expect(xs_write(0, "a b", "1"), -LAMINA_EINVAL, "a space: EINVAL");
	rt_expect(xs_write(0, "a/../b", "1"), -LAMINA_EINVAL, "'..' component: EINVAL");
	rt_expect(xs_write(0, "a*", "1"), -LAMINA_EINVAL, "'*': EINVAL");
	rt_memset(p, 'a', sizeof(p));
	p[0] = '/';
	p[LAMINA_STORE_ABS_PATH_MAX + 1] = 0;
	rt_expect(xs_read(0, p, v, 8), -LAMINA_E2BIG, "absolute path of 3073 characters: E2BIG");
	p[LAMINA_STORE_REL_PATH_MAX + 2] = 0;
	rt_expect(xs_read(0, p + 1, v, 8), -LAMINA_E2BIG, "relative path of 2049 characters: E2BIG");
	rt_expect(xs_req(LAMINA_STORE_INTRODUCE, 0, "9\0" "1\0" "1", 6, NULL), -LAMINA_EPERM,
		  "INTRODUCE from a guest: EPERM");
	rt_expect(xs_req(LAMINA_STORE_RELEASE, 0, "9", 2, NULL), -LAMINA_EPERM, "RELEASE from a guest: EPERM");
	rt_expect(xs_req(LAMINA_STORE_GET_DOMAIN_PATH, 0, "x", 2, NULL), -LAMINA_EINVAL,
		  "GET_DOMAIN_PATH of 'x': EINVAL");
}

/* ---- with the peer ---- */

static unsigned seq;

/* Have the peer run a command; its answer (after "<seq> "). */
static const char *command(const char *name)
{
	static char r[64];
	char want[16];
	uint64_t until = rt_now() + XS_WAIT;

	seq++;
	rt_expect(xs_write(0, "shared/cmd", xs_fmt("%u %s", seq, name)), 0, "WRITE shared/cmd");
	int wl = rt_snprintf(want, sizeof(want), "%u ", seq);
	while (rt_now() < until) {
		xs_event("shared/reply", "reply", 200 * MS);
		if (xs_read(0, "shared/reply", r, sizeof(r)) > 0 && !rt_strncmp(r, want, (size_t)wl))
			return r + wl;
	}
	rt_fail("the peer did not answer '%s'", name);
}

static void pair(void)
{
	char ph[32], v[16];
	uint32_t t;

	rt_snprintf(ph, sizeof(ph), "/local/domain/%u", peer);
	/* a directory the peer may use; its children copy its list */
	rt_expect(xs_mkdir("shared"), 0, "MKDIR shared");
	rt_expect(xs_set_perms("shared", xs_fmt("n%u b%u", me, peer)), 0, "grant the peer shared/");
	rt_expect(xs_write(0, "shared/cmd", "0 none"), 0, "WRITE shared/cmd");
	rt_expect(xs_write(0, "shared/reply", ""), 0, "WRITE shared/reply");
	rt_expect(xs_write(0, "shared/counter", "0"), 0, "WRITE shared/counter");
	rt_expect(xs_write(0, "shared/ro", "r"), 0, "WRITE shared/ro");
	rt_expect(xs_set_perms("shared/ro", xs_fmt("n%u r%u", me, peer)), 0, "shared/ro read-only for the peer");
	rt_expect(xs_watch("shared/reply", "reply"), 0, "WATCH shared/reply");
	rt_expect(xs_watch(ph, "peerhome"), 0, "WATCH the peer's home (not readable)");
	xs_events_clear();
	rt_expect(xs_write(0, "shared/ready", "1"), 0, "WRITE shared/ready");

	rt_check(xs_streq(command("private"), "ok"), "the peer writes a private key");
	rt_check(!xs_event(xs_fmt("%s/private", ph), "peerhome", 300 * MS),
		 "no event for a node this domain may not read");
	rt_expect(xs_read(0, xs_fmt("%s/private", ph), v, 8), -LAMINA_EACCES, "READ the peer's private key: EACCES");
	rt_check(xs_streq(command("public"), "ok"), "the peer writes a key readable by this domain");
	rt_check(xs_event(xs_fmt("%s/pub/k", ph), "peerhome", 1000 * MS), "the peer's readable key fires the watch");
	read_is(xs_fmt("%s/pub/k", ph), "hello");
	rt_expect(xs_write(0, xs_fmt("%s/pub/k", ph), "x"), -LAMINA_EACCES, "WRITE with only 'r': EACCES");
	rt_check(xs_streq(command("create"), "ok"), "the peer creates a node in shared/");
	rt_expect(xs_read(0, "shared/by-peer", v, 8), -LAMINA_EACCES,
		  "a node the peer created is the peer's: EACCES for the parent's owner");
	rt_check(xs_streq(command("readonly"), "err 13"), "the peer cannot write shared/ro: EACCES");
	read_is("shared/ro", "r");
	/* a transaction loses to the peer's write */
	rt_expect(xs_tx_start(&t), 0, "TRANSACTION_START");
	rt_expect(xs_read(t, "shared/counter", v, sizeof(v)), 1, "READ counter in the transaction");
	rt_check(xs_streq(command("bump"), "ok"), "the peer writes shared/counter");
	rt_expect(xs_write(t, "shared/counter", "mine"), 0, "WRITE counter in the transaction");
	rt_expect(xs_tx_end(t, 1), -LAMINA_EAGAIN, "commit after the peer's write: EAGAIN");
	read_is("shared/counter", "bumped");
	rt_expect(xs_tx_start(&t), 0, "redo: TRANSACTION_START");
	rt_expect(xs_read(t, "shared/counter", v, sizeof(v)), 6, "redo: READ");
	rt_expect(xs_write(t, "shared/counter", "mine"), 0, "redo: WRITE");
	rt_expect(xs_tx_end(t, 1), 0, "redo: commit");
	read_is("shared/counter", "mine");
	rt_check(xs_streq(command("done"), "bye"), "the peer says goodbye");
	rt_expect(xs_unwatch("shared/reply", "reply"), 0, "UNWATCH shared/reply");
	rt_expect(xs_unwatch(ph, "peerhome"), 0, "UNWATCH the peer's home");
	rt_expect(xs_rm("shared"), 0, "RM shared, with the peer's node in it");
	xs_events_clear();
}

/* ---- quotas ---- */

static void quota_watches(void)
{
	char tok[8];
	int i, rc = 0;

	for (i = 0; i < (int)LAMINA_STORE_QUOTA_WATCHES && !rc; i++) {
		rt_snprintf(tok, sizeof(tok), "%d", i);
		rc = xs_watch("qw", tok);
	}
	rt_expect(rc, 0, "128 watches");
	rt_expect(xs_watch("qw", "one-more"), -LAMINA_ENOSPC, "watch 129: ENOSPC");
	rt_expect(xs_unwatch("qw", "0"), 0, "UNWATCH one");
	rt_expect(xs_watch("qw", "one-more"), 0, "then one more fits");
	for (i = 1; i < (int)LAMINA_STORE_QUOTA_WATCHES; i++) {
		rt_snprintf(tok, sizeof(tok), "%d", i);
		xs_unwatch("qw", tok);
	}
	xs_unwatch("qw", "one-more");
	xs_events_clear();
}

static void quota_transactions(void)
{
	uint32_t t[LAMINA_STORE_QUOTA_TRANSACTIONS], x;
	int rc = 0;

	for (unsigned i = 0; i < LAMINA_STORE_QUOTA_TRANSACTIONS && !rc; i++)
		rc = xs_tx_start(&t[i]);
	rt_expect(rc, 0, "10 open transactions");
	rt_expect(xs_tx_start(&x), -LAMINA_ENOSPC, "transaction 11: ENOSPC");
	rt_expect(xs_tx_end(t[0], 0), 0, "end one");
	rt_expect(xs_tx_start(&t[0]), 0, "then one more fits");
	for (unsigned i = 0; i < LAMINA_STORE_QUOTA_TRANSACTIONS; i++)
		xs_tx_end(t[i], 0);
}

static void quota_nodes(void)
{
	static const char *mine[] = { "bin", "d", "big", "p", "w", "wx", "t", "gift" };
	int i, rc = 0;

	for (unsigned k = 0; k < sizeof(mine) / sizeof(mine[0]); k++)
		xs_rm(mine[k]);
	/* the domain owns its home and the 8 nodes written at creation, plus q */
	rt_expect(xs_mkdir("q"), 0, "MKDIR q");
	for (i = 0; !rc; i++)
		rc = xs_write(0, xs_fmt("q/%d", i), "v");
	rt_expect(rc, -LAMINA_ENOSPC, "a write beyond the node quota: ENOSPC");
	rt_expect(i - 1, LAMINA_STORE_QUOTA_NODES - 10, "nodes written before the quota (1000 in all)");
	rt_expect(xs_write(0, "q/0", "rewrite"), 0, "rewriting an existing node needs no new node");
	rt_expect(xs_rm("q/0"), 0, "RM one node");
	rt_expect(xs_write(0, "q/x/y", "v"), -LAMINA_ENOSPC, "a write needing two nodes with one left: ENOSPC");
	rt_expect(xs_write(0, "q/x", "v"), 0, "a write needing one node");
	rt_expect(xs_rm("q"), 0, "RM q frees them all");
	rt_expect(xs_write(0, "q2/a", "v"), 0, "writing works again");
	xs_rm("q2");
}

/* 25 requests sent at once: 20 answered, the rest once replies are taken. */
static void quota_requests(void)
{
	unsigned n = LAMINA_STORE_QUOTA_REQUESTS + 5, got = 0;
	char d[8];
	uint32_t dl = (uint32_t)rt_snprintf(d, sizeof(d), "%u", me) + 1;
	uint32_t rl = XS_HDR + 14 + dl;    /* "/local/domain/<me>" and its NUL */
	uint32_t req0 = xs_ring->req_cons, rsp0 = xs_ring->rsp_prod;

	for (unsigned i = 0; i < n; i++) {
		struct lamina_store_msg h = { LAMINA_STORE_GET_DOMAIN_PATH, 1000 + i, 0, dl };
		xs_put(&h, XS_HDR);
		xs_put(d, dl);
	}
	rt_wait_for(xs_ring->rsp_prod - rsp0 >= LAMINA_STORE_QUOTA_REQUESTS * rl, 2000 * MS);
	rt_spin_ns(100 * MS);
	xs_notify();
	rt_spin_ns(100 * MS);
	rt_expect(xs_ring->rsp_prod - rsp0, LAMINA_STORE_QUOTA_REQUESTS * rl, "20 replies, no more");
	rt_expect(xs_ring->req_cons - req0, LAMINA_STORE_QUOTA_REQUESTS * (XS_HDR + dl),
		  "the store stops reading at 20 outstanding requests");
	while (got < n && xs_get(&m, 2000 * MS)) {
		rt_check(m.h.req_id == 1000 + got, "reply %u in order (req_id %u)", got, m.h.req_id);
		got++;
	}
	rt_expect(got, n, "all 25 replies once they are consumed");
}

/* Last: a producer index past the ring ends the connection, not the domain. */
static void corrupt_ring(void)
{
	uint32_t rsp = xs_ring->rsp_prod, cons = xs_ring->req_cons;

	xs_ring->req_prod = xs_req_prod + XS_RB + 1;
	xs_notify();
	rt_spin_ns(300 * MS);
	rt_expect(xs_ring->rsp_prod, rsp, "nothing answered once req_prod is past the ring");
	rt_expect(xs_ring->req_cons, cons, "nothing consumed either");
	xs_ring->req_prod = xs_req_prod;
	struct lamina_store_msg h = { LAMINA_STORE_GET_DOMAIN_PATH, 1, 0, 2 };
	xs_put(&h, XS_HDR);
	xs_put("1", 2);
	rt_spin_ns(300 * MS);
	rt_expect(xs_ring->rsp_prod, rsp, "the connection stays closed");
	rt_expect(HC0(LAMINA_HC_null), 0, "the domain itself carries on");
}

void test_main(void)
{
	xs_init();
	me = rt_shinfo->domid;
	peer = me == 1 ? 2 : 1;
	rt_snprintf(home, sizeof(home), "/local/domain/%u", me);
	ports();
	standard_keys();
	pair();
	basic_ops();
	permissions();
	watches();
	transactions();
	errors();
	quota_watches();
	quota_transactions();
	quota_nodes();
	quota_requests();
	corrupt_ring();
}
