/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf) STRBUF_INIT;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static bool grow(struct strbuf *sb, size_t extra)
{
	size_t want;
	char *nb;

	if (sb->oom)
		return false;
	want = sb->len + extra + 1;
	if (want <= sb->alloc)
		return true;
	if (want < 64)
		want = 64;
	if (want < sb->alloc * 2)
		want = sb->alloc * 2;
	nb = realloc(sb->buf, want);
	if (!nb) {
		sb->oom = true;
		return false;
	}
	sb->buf = nb;
	sb->alloc = want;
	return true;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (!grow(sb, len))
		return;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = 0;
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !grow(sb, (size_t) n))
		return;
	vsnprintf(sb->buf + sb->len, (size_t) n + 1, fmt, ap);
	sb->len += (size_t) n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

const char *strbuf_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *strbuf_detach(struct strbuf *sb)
{
	char *r;

	if (sb->oom) {
		strbuf_release(sb);
		return NULL;
	}
	r = sb->buf ? sb->buf : strdup("");
	*sb = (struct strbuf) STRBUF_INIT;
	return r;
}
