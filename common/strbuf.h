/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"

/*
 * A growable NUL-terminated string. An allocation failure is sticky: the buffer stops
 * growing, sb->oom is set and strbuf_detach() returns NULL, so callers check once at the end.
 */
struct strbuf {
	char *buf;
	size_t len, alloc;
	bool oom;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		0                                                                                  \
	}

void strbuf_release(struct strbuf *sb);
static inline void strbuf_releasep(struct strbuf *sb)
{
	strbuf_release(sb);
}
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) _printf_(2, 0);
/* Returns the current contents ("" when empty); valid until the next change. */
const char *strbuf_str(const struct strbuf *sb);
/* Hands the buffer to the caller (never NULL unless out of memory) and resets sb. */
char *strbuf_detach(struct strbuf *sb);
