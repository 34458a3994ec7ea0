/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A strict JSON reader (RFC 8259), small and bounded: for what our own children send us
 * (provision batch reads its children's events). No extensions: no comments, no trailing
 * commas, no NaN, no single quotes, no bytes after the value; strings are valid UTF-8 without
 * control characters or U+0000 (values become C strings); an object's keys are distinct;
 * nesting at most JSON_PARSE_DEPTH deep.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/json.h"
#include "common/util.h"

struct parser {
	const char *s;
	size_t len, pos;
	const char *err; /* what was expected, at err_pos */
	size_t err_pos;
	unsigned depth;
};

static int fail(struct parser *p, const char *what)
{
	if (!p->err) {
		p->err = what;
		p->err_pos = p->pos;
	}
	return -EINVAL;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\n\r", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static bool eat(struct parser *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static int hex4(struct parser *p, unsigned *ret)
{
	unsigned v = 0;

	if (p->len - p->pos < 4)
		return fail(p, "four hex digits after \\u");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned) (c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned) (c - 'A' + 10);
		else
			return fail(p, "four hex digits after \\u");
	}
	*ret = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char) cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char) (0xc0 | cp >> 6);
		b[1] = (char) (0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char) (0xe0 | cp >> 12);
		b[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char) (0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char) (0xf0 | cp >> 18);
		b[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char) (0x80 | (cp & 0x3f));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

/* \uXXXX (a surrogate pair as one character), after the backslash and 'u'. */
static int escape_u(struct parser *p, struct strbuf *sb)
{
	unsigned cp, lo;

	if (hex4(p, &cp) < 0)
		return -EINVAL;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(p, "a high surrogate before a low one");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (!eat(p, "\\u") || hex4(p, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(p, "a low surrogate after a high one");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return fail(p, "no \\u0000 (values are C strings)");
	put_utf8(sb, cp);
	return 0;
}

static int string(struct parser *p, char **ret)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
	struct strbuf sb = STRBUF_INIT;

	if (!eat(p, "\""))
		return fail(p, "a string");
	for (;;) {
		unsigned char c;
		const char *e;

		if (p->pos >= p->len) {
			strbuf_release(&sb);
			return fail(p, "the end of the string");
		}
		c = (unsigned char) p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			strbuf_release(&sb);
			return fail(p, "no control character in a string");
		}
		if (c == '\\') {
			p->pos++;
			e = p->pos < p->len && p->s[p->pos] ? strchr(esc_in, p->s[p->pos]) : NULL;
			if (p->pos < p->len && p->s[p->pos] == 'u') {
				p->pos++;
				if (escape_u(p, &sb) < 0) {
					strbuf_release(&sb);
					return -EINVAL;
				}
				continue;
			}
			if (!e) {
				strbuf_release(&sb);
				return fail(p, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
			}
			strbuf_putc(&sb, esc_out[e - esc_in]);
			p->pos++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq_len((const unsigned char *) p->s + p->pos,
						p->len - p->pos);

			if (!n) {
				strbuf_release(&sb);
				return fail(p, "valid UTF-8");
			}
			strbuf_add(&sb, p->s + p->pos, n);
			p->pos += n;
			continue;
		}
		strbuf_putc(&sb, (char) c);
		p->pos++;
	}
	if (sb.oom || !(*ret = strbuf_detach(&sb))) {
		strbuf_release(&sb);
		return -ENOMEM;
	}
	return 0;
}

static size_t digits(struct parser *p)
{
	size_t n = 0;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++, n++;
	return n;
}

/* The number's literal: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(struct parser *p, char **ret)
{
	size_t start = p->pos;

	(void) eat(p, "-");
	if (eat(p, "0")) {
		if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			return fail(p, "no leading zero");
	} else if (!digits(p)) {
		return fail(p, "a value");
	}
	if (eat(p, ".") && !digits(p))
		return fail(p, "digits after '.'");
	if ((eat(p, "e") || eat(p, "E")) && (eat(p, "+") || eat(p, "-") || true) && !digits(p))
		return fail(p, "digits in the exponent");
	*ret = strndup(p->s + start, p->pos - start);
	return *ret ? 0 : -ENOMEM;
}

static int value(struct parser *p, struct json_value *v);

static int push(struct json_value *v, char *key, struct json_value *item)
{
	struct json_value *nv = reallocarray(v->v, v->n + 1, sizeof(*nv));
	char **nk;

	if (!nv)
		return -ENOMEM;
	v->v = nv;
	if (v->type == JSON_OBJECT) {
		nk = reallocarray(v->keys, v->n + 1, sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		v->keys = nk;
		v->keys[v->n] = key;
	}
	v->v[v->n++] = *item;
	return 0;
}

static void value_release(struct json_value *v);

/* The members of an array or object, after its opening bracket. */
static int members(struct parser *p, struct json_value *v)
{
	bool obj = v->type == JSON_OBJECT;
	const char close = obj ? '}' : ']';

	skip_ws(p);
	if (eat(p, obj ? "}" : "]"))
		return 0;
	for (;;) {
		struct json_value item = {0};
		char *key = NULL;
		int r = 0;

		skip_ws(p);
		if (obj) {
			size_t at = p->pos;

			r = string(p, &key);
			if (r >= 0 && json_get(v, key)) {
				p->pos = at; /* the error points at the key named again */
				r = fail(p, "keys named once");
			}
			skip_ws(p);
			if (r >= 0 && !eat(p, ":"))
				r = fail(p, "':'");
			skip_ws(p);
		}
		if (r >= 0)
			r = value(p, &item);
		if (r >= 0)
			r = push(v, key, &item);
		if (r < 0) {
			free(key);
			value_release(&item);
			return r;
		}
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		if (!eat(p, ","))
			return fail(p, obj ? "',' or '}'" : "',' or ']'");
	}
}

static int value(struct parser *p, struct json_value *v)
{
	int r;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "a value");
	*v = (struct json_value){0};
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (++p->depth > JSON_PARSE_DEPTH)
			return fail(p, "less nesting");
		v->type = p->s[p->pos++] == '{' ? JSON_OBJECT : JSON_ARRAY;
		r = members(p, v);
		p->depth--;
		return r;
	case '"':
		v->type = JSON_STRING;
		return string(p, &v->s);
	}
	if (eat(p, "true") || eat(p, "false")) {
		v->type = JSON_BOOL;
		v->b = p->s[p->pos - 1] == 'e' && p->s[p->pos - 2] == 'u';
		return 0;
	}
	if (eat(p, "null"))
		return 0;
	v->type = JSON_NUMBER;
	return number(p, &v->s);
}

static void value_release(struct json_value *v)
{
	for (size_t i = 0; i < v->n; i++) {
		value_release(&v->v[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->v);
	free(v->keys);
	free(v->s);
	*v = (struct json_value){0};
}

struct json_value *json_value_free(struct json_value *v)
{
	if (v) {
		value_release(v);
		free(v);
	}
	return NULL;
}

int json_parse(const char *text, size_t len, struct json_value **ret, struct diag *d)
{
	struct parser p = {.s = text, .len = len};
	struct json_value *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	r = value(&p, v);
	skip_ws(&p);
	if (r >= 0 && p.pos < p.len)
		r = fail(&p, "the end after the value");
	if (r < 0) {
		if (r == -EINVAL)
			diag_error(d, NULL, "invalid JSON at byte %zu: expected %s", p.err_pos + 1,
				   p.err);
		json_value_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (streq(obj->keys[i], key))
			return &obj->v[i];
	return NULL;
}

const char *json_get_str(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->s : NULL;
}

int json_get_bool(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);

	if (!v)
		return -ENOENT;
	return v->type == JSON_BOOL ? v->b : -EINVAL;
}

int json_get_u64(const struct json_value *obj, const char *key, uint64_t *ret)
{
	const struct json_value *v = json_get(obj, key);

	if (!v)
		return -ENOENT;
	if (v->type != JSON_NUMBER)
		return -EINVAL;
	return parse_u64(v->s, ret);
}
