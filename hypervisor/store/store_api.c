// SPDX-License-Identifier: MIT
// store_api.c: the hv_store_* host API (hv.h): domain 0's requests and watches on a hypervisor instance's store.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/errno.h>
#include <lamina/store.h>
#include "store_int.h"

int hv_store_request(struct hv *hv, unsigned type, uint32_t tx_id, const void *req, size_t len,
		     void *rsp, size_t size)
{
	struct store *s = store_instance(hv, true);
	struct lamina_store_msg h = { type, 0, tx_id, (uint32_t)len };
	uint32_t rlen;

	if (!s)
		return -LAMINA_EIO;
	if (len > LAMINA_STORE_PAYLOAD_MAX)
		return -LAMINA_E2BIG;
	store_lock_host(s);
	uint32_t rtype = store_dispatch(s->db, 0, &s->ops, &h, req, s->rsp, &rlen);
	int rc = (int)rlen;
	if (rtype == LAMINA_STORE_ERROR)
		rc = -(store_err_number((char *)s->rsp) ? store_err_number((char *)s->rsp) : LAMINA_EIO);
	else if (rlen > size)
		rc = -LAMINA_E2BIG;
	else if (rlen)
		memcpy(rsp, s->rsp, rlen);
	store_unlock(s);
	return rc;
}

/* A request whose payload is path, NUL, then n bytes of data. */
static int path_request(struct hv *hv, unsigned type, const char *path, const void *data,
			size_t n, void *rsp, size_t size)
{
	char pl[LAMINA_STORE_PAYLOAD_MAX];
	size_t l = strlen(path) + 1;

	if (l + n > sizeof(pl))
		return -LAMINA_E2BIG;
	memcpy(pl, path, l);
	if (n)
		memcpy(pl + l, data, n);
	return hv_store_request(hv, type, 0, pl, l + n, rsp, size);
}

int hv_store_read(struct hv *hv, const char *path, char *buf, size_t size)
{
	int n = size ? path_request(hv, LAMINA_STORE_READ, path, NULL, 0, buf, size - 1) : -LAMINA_E2BIG;

	if (n >= 0)
		buf[n] = 0;
	return n;
}

int hv_store_write(struct hv *hv, const char *path, const char *val)
{
	char ok[4];
	int n = path_request(hv, LAMINA_STORE_WRITE, path, val, strlen(val), ok, sizeof(ok));

	return n < 0 ? n : 0;
}

/* One try of hv_store_write_all(): 0, -EAGAIN (lost a race), or -error. */
static int write_all_once(struct hv *hv, const char *dir, const char *const key[],
			  const char *const val[], unsigned n)
{
	char id[16] = "", pl[LAMINA_STORE_PAYLOAD_MAX], ok[4];
	int rc = hv_store_request(hv, LAMINA_STORE_TRANSACTION_START, 0, "", 0, id, sizeof(id) - 1);
	uint32_t tx;

	if (rc < 0)
		return rc;
	tx = (uint32_t)strtoul(id, NULL, 10);
	for (unsigned i = 0; i < n && rc >= 0; i++) {
		int l = snprintf(pl, sizeof(pl), "%s/%s", dir, key[i]);
		size_t v = strlen(val[i]);
		if (l < 0 || (size_t)l + 1 + v > sizeof(pl))
			rc = -LAMINA_E2BIG;
		else {
			memcpy(pl + l + 1, val[i], v);
			rc = hv_store_request(hv, LAMINA_STORE_WRITE, tx, pl, (size_t)l + 1 + v, ok, sizeof(ok));
		}
	}
	int end = hv_store_request(hv, LAMINA_STORE_TRANSACTION_END, tx, rc < 0 ? "F" : "T", 2, ok, sizeof(ok));
	return rc < 0 ? rc : end < 0 ? end : 0;
}

int hv_store_write_all(struct hv *hv, const char *dir, const char *const key[],
		       const char *const val[], unsigned n)
{
	int rc, tries = 0;

	do
		rc = write_all_once(hv, dir, key, val, n);
	while (rc == -LAMINA_EAGAIN && ++tries < 16);
	return rc;
}

static int path_op(struct hv *hv, unsigned type, const char *path)
{
	char ok[4];
	int n = path_request(hv, type, path, NULL, 0, ok, sizeof(ok));

	return n < 0 ? n : 0;
}

int hv_store_mkdir(struct hv *hv, const char *path) { return path_op(hv, LAMINA_STORE_MKDIR, path); }
int hv_store_rm(struct hv *hv, const char *path) { return path_op(hv, LAMINA_STORE_RM, path); }

int hv_store_directory(struct hv *hv, const char *path, char *buf, size_t size)
{
	return path_request(hv, LAMINA_STORE_DIRECTORY, path, NULL, 0, buf, size);
}

/* perms: entries such as "b5" separated by spaces or commas. */
int hv_store_set_perms(struct hv *hv, const char *path, const char *perms)
{
	char wire[1024], ok[4];
	size_t n = 0;

	for (const char *p = perms; *p; p++) {
		if (n + 2 > sizeof(wire))
			return -LAMINA_E2BIG;
		if (*p != ' ' && *p != ',')
			wire[n++] = *p;
		else if (n && wire[n - 1])
			wire[n++] = 0;
	}
	if (n && wire[n - 1])
		wire[n++] = 0;
	int rc = path_request(hv, LAMINA_STORE_SET_PERMS, path, wire, n, ok, sizeof(ok));
	return rc < 0 ? rc : 0;
}

int hv_store_watch(struct hv *hv, const char *path, const char *token, hv_store_watch_fn *fn,
		   void *arg)
{
	struct store *s = store_instance(hv, true);
	struct host_watch *w = calloc(1, sizeof(*w));

	if (!s || !w || !fn || !(w->path = strdup(path)) || !(w->token = strdup(token))) {
		if (w)
			free(w->path);
		free(w);
		return !fn ? -LAMINA_EINVAL : -LAMINA_EIO;
	}
	w->fn = fn;
	w->arg = arg;
	store_lock_host(s);
	int rc = store_db_watch(s->db, 0, path, token, w);
	if (rc == 0) {
		w->next = s->watches;
		s->watches = w;
	}
	store_unlock(s);
	if (rc) {
		free(w->path);
		free(w->token);
		free(w);
	}
	return rc;
}

int hv_store_unwatch(struct hv *hv, const char *path, const char *token)
{
	struct store *s = store_instance(hv, false);
	int rc;

	if (!s)
		return -LAMINA_ENOENT;
	store_lock_host(s);
	rc = store_db_unwatch(s->db, 0, path, token);
	for (struct host_watch **pp = &s->watches; rc == 0 && *pp; pp = &(*pp)->next) {
		struct host_watch *w = *pp;
		if (strcmp(w->path, path) || strcmp(w->token, token))
			continue;
		*pp = w->next;
		free(w->path);
		free(w->token);
		free(w);
		break;
	}
	store_unlock(s);
	return rc;
}
