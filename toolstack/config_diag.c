// SPDX-License-Identifier: MIT
// Config error messages: "FILE:LINE:COL: message" lines, located in the source.
#include "config_int.h"

#include <libxml/entities.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CERR_MAX_LINES 8

void cerr_add(struct config_err *err, const char *label, long line, long col,
	      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	if (err->count++ >= CERR_MAX_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = snprintf(err->msg + err->len, sizeof(err->msg) - err->len,
			     "%s%s:%ld:%ld: %s", err->len ? "\n" : "", label, line,
			     col > 0 ? col : 1, msg);
	else
		n = snprintf(err->msg + err->len, sizeof(err->msg) - err->len,
			     "%s%s: %s", err->len ? "\n" : "", label, msg);
	if (n > 0)
		err->len += (size_t)n;
	if (err->len >= sizeof(err->msg))
		err->len = sizeof(err->msg) - 1;
}

static const char *line_start(const struct cfg_ctx *c, long line, const char **end)
{
	const char *p = c->src, *stop = c->src + c->srclen;

	for (long l = 1; l < line && p < stop; l++) {
		p = memchr(p, '\n', (size_t)(stop - p));
		if (!p)
			return NULL;
		p++;
	}
	*end = memchr(p, '\n', (size_t)(stop - p));
	if (!*end)
		*end = stop;
	return p;
}

static const char *find_on_line(const char *p, const char *end, const char *pre,
				const char *word)
{
	size_t pl = strlen(pre), wl = strlen(word);

	for (; p + pl + wl < end; p++) {
		if (memcmp(p, pre, pl) || memcmp(p + pl, word, wl))
			continue;
		char next = p[pl + wl];
		if (next == ' ' || next == '>' || next == '/' || next == '=' ||
		    next == '\t' || next == '\r')
			return p + pl;
	}
	return NULL;
}

long cfg_node_col(const struct cfg_ctx *c, xmlNodePtr node, const char *attr)
{
	const char *ls, *le, *tag, *at;

	ls = line_start(c, xmlGetLineNo(node), &le);
	if (!ls)
		return 1;
	tag = find_on_line(ls, le, "<", (const char *)node->name);
	if (!tag)
		return 1;
	at = attr ? find_on_line(tag, le, " ", attr) : NULL;
	return (at ? at : tag - 1) - ls + 1;
}

void cfg_error(struct cfg_ctx *c, xmlNodePtr node, const char *attr,
	       const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cerr_add(c->err, c->label, xmlGetLineNo(node), cfg_node_col(c, node, attr),
		 "%s", msg);
}

void cfg_note(struct cfg_ctx *c, xmlNodePtr node, const char *attr, const char *fmt, ...)
{
	struct config_err *e = c->err;
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(e->notes + e->notes_len, sizeof(e->notes) - e->notes_len, "%s%s:%ld:%ld: note: %s",
		     e->notes_len ? "\n" : "", c->label, (long)xmlGetLineNo(node),
		     cfg_node_col(c, node, attr), msg);
	if (n > 0)
		e->notes_len += (size_t)n;
	if (e->notes_len >= sizeof(e->notes))
		e->notes_len = sizeof(e->notes) - 1;
}

static void parse_error(void *data, xmlErrorPtr e)
{
	struct cfg_ctx *c = data;
	char msg[512];
	size_t n;

	if (c->err->count || !e->message)
		return; // later parser errors are fallout of the first
	snprintf(msg, sizeof(msg), "%s", e->message);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	cerr_add(c->err, c->label, e->line > 0 ? e->line : 1, e->int2, "%s", msg);
}

// Line and column of the first `needle` in the source (1,1 if absent).
static void src_pos(const struct cfg_ctx *c, const char *needle, long *line, long *col)
{
	const char *hit = memmem(c->src, c->srclen, needle, strlen(needle)), *p = c->src;

	*line = 1, *col = 1;
	for (; hit && p < hit; p++, (*col)++)
		if (*p == '\n')
			(*line)++, *col = 0;
}

// A domain file is self-contained: an entity declared in a DOCTYPE would
// read another file (external) or be expanded out of sight (internal, and
// libxml2 leaves a reference to it empty), and an external DTD is not
// ours; each is refused, naming it.
static int refuse_dtd(struct cfg_ctx *c)
{
	xmlDtdPtr dtd = c->doc->intSubset;
	char needle[128];
	long line, col;

	if (dtd && (dtd->SystemID || dtd->ExternalID)) {
		src_pos(c, "<!DOCTYPE", &line, &col);
		cerr_add(c->err, c->label, line, col,
			 "external DTD '%s' refused: a domain file may not load other files",
			 dtd->SystemID ? (const char *)dtd->SystemID : (const char *)dtd->ExternalID);
	}
	for (xmlNodePtr n = dtd ? dtd->children : NULL; n; n = n->next) {
		xmlEntityPtr e = (xmlEntityPtr)n;
		if (n->type != XML_ENTITY_DECL)
			continue;
		snprintf(needle, sizeof(needle), "<!ENTITY %s", (const char *)e->name);
		if (!memmem(c->src, c->srclen, needle, strlen(needle)))
			snprintf(needle, sizeof(needle), "<!ENTITY");
		src_pos(c, needle, &line, &col);
		if (e->SystemID || e->ExternalID)
			cerr_add(c->err, c->label, line, col,
				 "external entity '%s' (\"%s\") refused: a domain file may not "
				 "read other files", e->name,
				 e->SystemID ? (const char *)e->SystemID : (const char *)e->ExternalID);
		else
			cerr_add(c->err, c->label, line, col,
				 "entity '%s' refused: domain files do not use entity declarations",
				 e->name);
	}
	return c->err->count ? -1 : 0;
}

/* Only blanks in src[0, srclen)? The buffer need not be NUL-terminated. */
static bool all_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]) || !s[i])
			return false;
	return true;
}

int cfg_parse_xml(struct cfg_ctx *c)
{
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
		   XML_PARSE_BIG_LINES | XML_PARSE_NOBLANKS;

	if (all_blank(c->src, c->srclen)) {
		cerr_add(c->err, c->label, 0, 0, "the document is empty");
		return -1;
	}
	if (c->srclen > (size_t)INT32_MAX) {
		cerr_add(c->err, c->label, 0, 0, "document too large");
		return -1;
	}
	xmlSetStructuredErrorFunc(c, parse_error);
	c->doc = xmlReadMemory(c->src, (int)c->srclen, c->label, NULL, opts);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!c->doc && !c->err->count)
		cerr_add(c->err, c->label, 0, 0, "not a well-formed XML document");
	if (c->doc && refuse_dtd(c))
		return -1;
	return c->doc ? 0 : -1;
}
