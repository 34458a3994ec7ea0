/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/util.h"

void json_init(struct json *j, bool pretty)
{
	*j = (struct json){.pretty = pretty};
	j->first[0] = true;
}

void json_release(struct json *j)
{
	strbuf_release(&j->sb);
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	strbuf_putc(&j->sb, '\n');
	for (unsigned i = 0; i < j->depth; i++)
		strbuf_puts(&j->sb, "  ");
}

/* Separator before a value or key at the current level. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		strbuf_putc(&j->sb, ',');
	j->first[j->depth] = false;
	if (j->depth > 0)
		indent(j);
}

static void open(struct json *j, char c)
{
	sep(j);
	strbuf_putc(&j->sb, c);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	strbuf_putc(&j->sb, c);
}

void json_obj_begin(struct json *j)
{
	open(j, '{');
}

void json_obj_end(struct json *j)
{
	close_(j, '}');
}

void json_arr_begin(struct json *j)
{
	open(j, '[');
}

void json_arr_end(struct json *j)
{
	close_(j, ']');
}

void json_quote(struct strbuf *sb, const char *s)
{
	size_t left = strlen(s);

	strbuf_putc(sb, '"');
	while (left > 0) {
		unsigned char c = (unsigned char) *s;
		size_t n = 1;

		if (c == '"') {
			strbuf_puts(sb, "\\\"");
		} else if (c == '\\') {
			strbuf_puts(sb, "\\\\");
		} else if (c == '\n') {
			strbuf_puts(sb, "\\n");
		} else if (c == '\t') {
			strbuf_puts(sb, "\\t");
		} else if (c == '\r') {
			strbuf_puts(sb, "\\r");
		} else if (c < 0x20) {
			strbuf_addf(sb, "\\u%04x", c);
		} else if (c < 0x80) {
			strbuf_putc(sb, (char) c);
		} else {
			/* a byte that starts no valid UTF-8 sequence becomes U+FFFD, one per byte
			 */
			n = utf8_seq_len((const unsigned char *) s, left);
			if (n) {
				strbuf_add(sb, s, n);
			} else {
				strbuf_puts(sb, "\\ufffd");
				n = 1;
			}
		}
		s += n;
		left -= n;
	}
	strbuf_putc(sb, '"');
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	json_quote(&j->sb, key);
	strbuf_puts(&j->sb, j->pretty ? ": " : ":");
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	if (s)
		json_quote(&j->sb, s);
	else
		strbuf_puts(&j->sb, "null");
}

void json_int(struct json *j, int64_t v)
{
	sep(j);
	strbuf_addf(&j->sb, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
	sep(j);
	strbuf_addf(&j->sb, "%" PRIu64, v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	strbuf_puts(&j->sb, v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	strbuf_puts(&j->sb, "null");
}

void json_raw(struct json *j, const char *text)
{
	size_t n = strlen(text);

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	sep(j);
	strbuf_add(&j->sb, text, n);
}

void json_time_usec(struct json *j, int64_t usec)
{
	time_t t = (time_t) (usec / 1000000);
	int64_t frac = usec % 1000000;
	char buf[64];
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		t--;
	}
	if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		json_null(j);
		return;
	}
	sep(j);
	strbuf_addf(&j->sb, "\"%s.%06" PRId64 "Z\"", buf, frac);
}

void json_obj_append(struct json *j, const struct json *src)
{
	const char *body = strbuf_str(&src->sb);

	/* src holds "{" and its members so far: they go on after j's members */
	assert(body[0] == '{' && j->depth == src->depth && !j->after_key);
	if (!body[1])
		return;
	if (!j->first[j->depth])
		strbuf_putc(&j->sb, ',');
	j->first[j->depth] = false;
	strbuf_puts(&j->sb, body + 1);
}

char *json_finish(struct json *j)
{
	strbuf_putc(&j->sb, '\n');
	return strbuf_detach(&j->sb);
}

int json_print(struct json *j, FILE *f)
{
	char *text = json_finish(j);
	int r;

	if (!text)
		return -ENOMEM;
	r = fputs(text, f) < 0 ? -EIO : 0;
	free(text);
	return r;
}
