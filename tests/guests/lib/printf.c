// SPDX-License-Identifier: MIT
// printf.c: a small vsnprintf for guests: %d %i %u %x %p %s %c %%, l/ll, width, 0 and - flags.
#include "rt.h"

struct out { char *buf; size_t n, len; };

static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

static void emit_num(struct out *o, uint64_t v, unsigned base, int neg, int width, char pad)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[i++] = '-';
	for (int w = i; w < width; w++)
		emit(o, pad);
	while (i)
		emit(o, tmp[--i]);
}

static void emit_str(struct out *o, const char *s, int width, int left)
{
	int len = (int)rt_strlen(s ? s : "(null)");

	for (int w = len; !left && w < width; w++)
		emit(o, ' ');
	for (const char *p = s ? s : "(null)"; *p; p++)
		emit(o, *p);
	for (int w = len; left && w < width; w++)
		emit(o, ' ');
}

static uint64_t take(va_list *ap, int lng, int sgn, int *neg)
{
	int64_t s = lng ? va_arg(*ap, int64_t) : (sgn ? va_arg(*ap, int) : (int)va_arg(*ap, unsigned));

	if (!sgn)
		return lng ? (uint64_t)s : (uint32_t)s;
	*neg = s < 0;
	return s < 0 ? -(uint64_t)s : (uint64_t)s;
}

int rt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	va_list aq;

	va_copy(aq, ap);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&o, *fmt);
			continue;
		}
		int left = 0, width = 0, lng = 0, neg = 0;
		char pad = ' ';
		if (*++fmt == '-') { left = 1; fmt++; }
		if (*fmt == '0') { pad = '0'; fmt++; }
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') { lng = 1; fmt++; }
		switch (*fmt) {
		case 'd': case 'i': { uint64_t v = take(&aq, lng, 1, &neg); emit_num(&o, v, 10, neg, width, pad); break; }
		case 'u': emit_num(&o, take(&aq, lng, 0, &neg), 10, 0, width, pad); break;
		case 'x': emit_num(&o, take(&aq, lng, 0, &neg), 16, 0, width, pad); break;
		case 'p': emit(&o, '0'); emit(&o, 'x');
			  emit_num(&o, (uint64_t)va_arg(aq, void *), 16, 0, width, pad); break;
		case 's': emit_str(&o, va_arg(aq, const char *), width, left); break;
		case 'c': emit(&o, (char)va_arg(aq, int)); break;
		case '%': emit(&o, '%'); break;
		default: emit(&o, '%'); emit(&o, *fmt); break;
		}
	}
	va_end(aq);
	if (n)
		buf[o.len < n ? o.len : n - 1] = 0;
	return (int)o.len;
}
