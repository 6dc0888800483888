// SPDX-License-Identifier: MIT
// Control protocol between lamina and laminad: checking, framing and blocking I/O.
#include "proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum shape {
	FIXED, // exactly `size` bytes
	TAIL, // `size` bytes and at least one more
	ARRAY, // a whole number of `size`-byte records
	BYTES, // at least one byte
};

struct str_field {
	uint16_t off, size;
	uint8_t nonempty;
};

struct spec {
	uint16_t type;
	const char *name;
	enum shape shape;
	uint32_t size;
	struct str_field str[4];
};

#define NAMEF { offsetof(struct lp_name, name), LP_NAME_MAX, 1 }
#define NAMED(t, n) { t, n, FIXED, sizeof(struct lp_name), { NAMEF } }

static const struct spec specs[] = {
	{ LP_GET_VERSION, "get-version", FIXED, 0, { { 0 } } },
	{ LP_CREATE, "create", TAIL, sizeof(struct lp_create), { { 0 } } },
	{ LP_LIST, "list", FIXED, 0, { { 0 } } },
	NAMED(LP_INFO, "info"),
	NAMED(LP_DUMPXML, "dumpxml"),
	NAMED(LP_DESTROY, "destroy"),
	NAMED(LP_SHUTDOWN, "shutdown"),
	NAMED(LP_REBOOT, "reboot"),
	NAMED(LP_PAUSE, "pause"),
	NAMED(LP_UNPAUSE, "unpause"),
	{ LP_MEMSET, "mem-set", FIXED, sizeof(struct lp_memset), { NAMEF } },
	{ LP_VCPUSET, "vcpu-set", FIXED, sizeof(struct lp_vcpuset), { NAMEF } },
	{ LP_VCPUPIN, "vcpu-pin", FIXED, sizeof(struct lp_vcpupin), { NAMEF } },
	{ LP_BLOCK_ATTACH, "block-attach", FIXED, sizeof(struct lp_block),
	  { NAMEF, { offsetof(struct lp_block, target), 8, 1 },
	    { offsetof(struct lp_block, source), 4096, 0 } } },
	{ LP_BLOCK_DETACH, "block-detach", FIXED, sizeof(struct lp_block),
	  { NAMEF, { offsetof(struct lp_block, target), 8, 1 },
	    { offsetof(struct lp_block, source), 4096, 0 } } },
	{ LP_NET_ATTACH, "network-attach", FIXED, sizeof(struct lp_net),
	  { NAMEF, { offsetof(struct lp_net, network), 33, 0 } } },
	{ LP_NET_DETACH, "network-detach", FIXED, sizeof(struct lp_net),
	  { NAMEF, { offsetof(struct lp_net, network), 33, 0 } } },
	NAMED(LP_CONSOLE, "console"),
	{ LP_DEFINE, "define", TAIL, sizeof(struct lp_create), { { 0 } } },
	NAMED(LP_START, "start"),
	NAMED(LP_UNDEFINE, "undefine"),
	{ LP_AUTOSTART, "autostart", FIXED, sizeof(struct lp_autostart), { NAMEF } },
	NAMED(LP_TRACE, "trace"),
	{ LP_NETWORK_DEFINE, "net-define", TAIL, sizeof(struct lp_create), { { 0 } } },
	NAMED(LP_NETWORK_UNDEFINE, "net-undefine"),
	NAMED(LP_NETWORK_START, "net-start"),
	NAMED(LP_NETWORK_DESTROY, "net-destroy"),
	{ LP_NETWORK_LIST, "net-list", FIXED, 0, { { 0 } } },
	NAMED(LP_NETWORK_DUMPXML, "net-dumpxml"),
	{ LP_NETWORK_AUTOSTART, "net-autostart", FIXED, sizeof(struct lp_autostart), { NAMEF } },
	{ LP_REPLY_OK, "ok", FIXED, sizeof(struct lp_ok), { { 0 } } },
	{ LP_REPLY_ERROR, "error", TAIL, sizeof(struct lp_error), { { 0 } } },
	{ LP_REPLY_VERSION, "version", FIXED, sizeof(struct lp_version),
	  { { offsetof(struct lp_version, daemon), 32, 1 },
	    { offsetof(struct lp_version, backend), 32, 1 } } },
	{ LP_REPLY_LIST, "domain list", ARRAY, sizeof(struct lp_dom_stats), { NAMEF } },
	{ LP_REPLY_INFO, "domain info", TAIL, sizeof(struct lp_info), { NAMEF } },
	{ LP_REPLY_TEXT, "text", BYTES, 0, { { 0 } } },
	{ LP_REPLY_NETWORK_LIST, "network list", ARRAY, sizeof(struct lp_net_info),
	  { NAMEF, { offsetof(struct lp_net_info, mode), 16, 1 },
	    { offsetof(struct lp_net_info, bridge), 16, 0 },
	    { offsetof(struct lp_net_info, address), 24, 0 } } },
	{ LP_CONSOLE_DATA, "console data", BYTES, 0, { { 0 } } },
	{ LP_TRACE_EVENT, "trace event", FIXED, sizeof(struct lp_trace_event),
	  { { offsetof(struct lp_trace_event, text), 128, 0 } } },
	{ LP_STREAM_END, "end of stream", TAIL, sizeof(struct lp_error), { { 0 } } },
};

static const struct spec *spec_of(uint16_t type)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (specs[i].type == type)
			return &specs[i];
	return NULL;
}

const char *lp_type_name(uint16_t type)
{
	const struct spec *s = spec_of(type);

	return s ? s->name : "unknown";
}

const char *lp_state_name(uint32_t state)
{
	static const char *const names[] = { "?", "running", "paused", "shutting-down",
					     "shutoff", "crashed" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static int fail(struct lp_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct lp_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int lp_check_header(const struct lp_hdr *h, struct lp_err *e)
{
	if (h->magic != LP_MAGIC)
		return fail(e, EPROTO, "not a Lamina control message (magic 0x%08x)", h->magic);
	if (h->version != LP_VERSION && h->type != LP_REPLY_ERROR)
		return fail(e, EPROTO, "protocol version mismatch: peer speaks version %u, "
			    "this program speaks version %u", h->version, LP_VERSION);
	if (h->len > LP_MAX_PAYLOAD)
		return fail(e, EMSGSIZE, "message of %u bytes is larger than the limit of %u",
			    h->len, LP_MAX_PAYLOAD);
	if (h->reserved)
		return fail(e, EPROTO, "reserved header field is not zero");
	if (!spec_of(h->type))
		return fail(e, EPROTO, "unknown message type %u", h->type);
	return 0;
}

static int check_size(const struct spec *s, uint32_t len, struct lp_err *e)
{
	int ok;

	switch (s->shape) {
	case FIXED:
		ok = len == s->size;
		break;
	case TAIL:
		ok = len > s->size;
		break;
	case ARRAY:
		ok = len % s->size == 0;
		break;
	default:
		ok = len > 0;
	}
	if (!ok)
		return fail(e, EBADMSG, "%s message has a bad length (%u bytes)", s->name, len);
	return 0;
}

static int check_strings(const struct spec *s, const uint8_t *p, struct lp_err *e)
{
	for (int i = 0; i < 4 && s->str[i].size; i++) {
		const uint8_t *f = p + s->str[i].off;
		if (!memchr(f, 0, s->str[i].size))
			return fail(e, EBADMSG, "%s message has an unterminated string", s->name);
		if (s->str[i].nonempty && !f[0])
			return fail(e, EBADMSG, "%s message has an empty string", s->name);
	}
	return 0;
}

// The devices of an info reply: a count in range, every string terminated.
static int check_devs(const struct lp_info *in, struct lp_err *e)
{
	if (in->ndevs > LP_MAX_DEVS)
		return fail(e, EBADMSG, "domain info message lists %u devices (at most %d)",
			    in->ndevs, LP_MAX_DEVS);
	for (uint32_t i = 0; i < in->ndevs; i++) {
		const struct lp_dev *d = &in->devs[i];
		if (!memchr(d->type, 0, sizeof(d->type)) || !memchr(d->key, 0, sizeof(d->key)) ||
		    !memchr(d->state, 0, sizeof(d->state)) || !memchr(d->note, 0, sizeof(d->note)) ||
		    !memchr(d->source, 0, sizeof(d->source)))
			return fail(e, EBADMSG, "domain info message: device %u has an "
				    "unterminated string", i);
	}
	return 0;
}

// The notes of a network list (its other strings are in the spec).
static int check_nets(const struct lp_net_info *n, uint32_t len, struct lp_err *e)
{
	for (uint32_t i = 0; i < len / sizeof(*n); i++)
		if (!memchr(n[i].note, 0, sizeof(n[i].note)))
			return fail(e, EBADMSG, "network list message: network %u has an "
				    "unterminated note", i);
	return 0;
}

int lp_check_payload(uint16_t type, const void *payload, uint32_t len, struct lp_err *e)
{
	const struct spec *s = spec_of(type);

	if (!s)
		return fail(e, EPROTO, "unknown message type %u", type);
	if (check_size(s, len, e))
		return -1;
	for (uint32_t off = 0; off + s->size <= len && s->size; off += s->size) {
		if (check_strings(s, (const uint8_t *)payload + off, e))
			return -1;
		if (s->shape != ARRAY)
			break;
	}
	if (type == LP_REPLY_INFO)
		return check_devs(payload, e);
	if (type == LP_REPLY_NETWORK_LIST)
		return check_nets(payload, len, e);
	return 0;
}

void lp_header(struct lp_hdr *h, uint16_t type, uint32_t len)
{
	*h = (struct lp_hdr){ .magic = LP_MAGIC, .version = LP_VERSION, .type = type,
			      .len = len };
}

long lp_parse(const void *buf, size_t avail, struct lp_err *e)
{
	struct lp_hdr h;

	if (avail < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	if (lp_check_header(&h, e))
		return -1;
	return avail - sizeof(h) >= h.len ? (long)(sizeof(h) + h.len) : 0;
}
