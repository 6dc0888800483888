// SPDX-License-Identifier: MIT
// laminad internals: the daemon, its client connections, and the handlers' API.
#ifndef LAMINAD_H
#define LAMINAD_H

#include "config.h"
#include "hvif.h"
#include "proto.h"
#include "registry.h"
#include "rundir.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define LAMINAD_VERSION "0.1.0"
#define MAX_CONNS 64
#define CONN_OUT_MAX (8u << 20) // a client this far behind is dropped

enum conn_mode { CONN_REQUEST, CONN_CONSOLE, CONN_TRACE };

struct conn {
	int fd;
	enum conn_mode mode;
	struct domain *dom; // console or trace target
	uint8_t *in, *out;
	size_t in_len, out_len, out_cap;
	bool sniffed; // first byte seen: json decided
	bool json; // speaks the JSON protocol (first byte '{'), see api_json.c
	struct json_object *json_id; // the JSON request being answered (borrowed)
	bool closing; // close once `out` is flushed
	bool dead; // close now
};

struct daemon {
	const struct hvif *ops;
	struct hv_backend *hv;
	struct registry reg;
	struct rundir rd;
	char logdir[PATH_MAX];
	struct config_env env;
	int lfd, lock_fd;
	char statedir[PATH_MAX - 64]; // defined domains (persist.c)
	char bk_socket[PATH_MAX]; // where back-end processes connect; "" = devices simulated
	int dev_epfd; // every back-end's pidfd (devices.h), -1 if none
	struct conn *conns[MAX_CONNS];
	size_t nconns;
};

extern volatile sig_atomic_t laminad_stop;
extern volatile sig_atomic_t laminad_lost; // the hypervisor process went away

// Call an optional back-end op; -ENOSYS when the back-end lacks it.
#define HVCALL(dm, op, ...) ((dm)->ops->op ? (dm)->ops->op(__VA_ARGS__) : -ENOSYS)

// server.c
int server_listen(struct daemon *dm, char *err, size_t errlen);
int server_run(struct daemon *dm);
void server_close(struct daemon *dm);
void conn_send(struct conn *c, uint16_t type, const void *a, size_t alen, const void *b,
	       size_t blen);
void conn_error(struct conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conn_ok(struct conn *c, unsigned id);
// Queue bytes as they are (the JSON protocol's lines).
void conn_write_raw(struct conn *c, const void *p, size_t len);

// api_json.c: the JSON protocol over the same socket
struct json_object;
void json_input(struct daemon *dm, struct conn *c, size_t cap);
void json_reply(struct conn *c, uint16_t type, const void *a, size_t alen, const void *b,
		size_t blen);

// persist.c, ops_persist.c: defined domains under dm->statedir
void statedir_default(char *out, size_t len);
int persist_init(struct daemon *dm, char *err, size_t errlen);
bool persist_name_ok(const char *name);
bool persist_defined(const struct daemon *dm, const char *name);
bool persist_autostart(const struct daemon *dm, const char *name);
int persist_save(struct daemon *dm, const struct dom_config *cfg, char *err, size_t errlen);
// Load NAME's configuration; check_files also checks files and host memory.
int persist_load(struct daemon *dm, const char *name, bool check_files, struct dom_config *cfg,
		 char *err, size_t errlen);
int persist_remove(struct daemon *dm, const char *name);
int persist_set_autostart(struct daemon *dm, const char *name, bool on);
int persist_each(struct daemon *dm, const char *kind,
		 void (*fn)(struct daemon *dm, const char *name, void *arg), void *arg);
// Mark st[0..n) that are defined and append defined domains not running, up
// to cap entries; the new count.
size_t persist_list(struct daemon *dm, struct lp_dom_stats *st, size_t n, size_t cap);
void persist_autostart_all(struct daemon *dm);
void op_define(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_start(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_undefine(struct daemon *dm, struct conn *c, const void *p, uint32_t len);
void op_autostart(struct daemon *dm, struct conn *c, const void *p, uint32_t len);

// ops.c, ops_dev.c: one handler per request type
void ops_dispatch(struct daemon *dm, struct conn *c, const struct lp_hdr *h,
		  const uint8_t *payload);
void op_memset(struct daemon *dm, struct conn *c, const void *p);
void op_vcpuset(struct daemon *dm, struct conn *c, const void *p);
void op_vcpupin(struct daemon *dm, struct conn *c, const void *p);
void op_block_attach(struct daemon *dm, struct conn *c, const void *p);
void op_block_detach(struct daemon *dm, struct conn *c, const void *p);
void op_net_attach(struct daemon *dm, struct conn *c, const void *p);
void op_net_detach(struct daemon *dm, struct conn *c, const void *p);
// Find the named domain or answer ENOENT.
struct domain *op_domain(struct daemon *dm, struct conn *c, const char *name);
// Report a back-end result; true if it succeeded.
bool op_result(struct daemon *dm, struct conn *c, struct domain *d, int rc,
	       const char *what);

// lifecycle.c
struct domain *dom_create(struct daemon *dm, struct dom_config *cfg, bool paused,
			  char *err, size_t errlen);
void dom_destroy(struct daemon *dm, struct domain *d, const char *why);
void dom_after_process(struct daemon *dm);
void dom_stats(struct daemon *dm, struct domain *d, struct lp_dom_stats *out);
void dom_assign_mac(struct daemon *dm, uint8_t mac[6]);

// reattach.c: at start, take over the domains the back-end already runs;
// the number found, or -1 with a message in err.
int dom_reattach(struct daemon *dm, char *err, size_t errlen);
// At stop: forget every domain, leaving it running in the back-end.
void dom_detach_all(struct daemon *dm);

// domlog.c
int domlog_open(struct daemon *dm, struct domain *d);
void domlog_close(struct domain *d);
void domlog(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// streams.c
void streams_pump(struct daemon *dm, struct domain *d);
void streams_end(struct domain *d, const char *why);
void streams_detach(struct daemon *dm, struct conn *c);
void op_console(struct daemon *dm, struct conn *c, const void *p);
void op_trace(struct daemon *dm, struct conn *c, const void *p);
void op_console_data(struct daemon *dm, struct conn *c, const uint8_t *p, uint32_t len);

#endif
