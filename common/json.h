/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A small streaming JSON writer for machine-readable output (--json). Commas and nesting are
 * tracked here so callers only say what comes next:
 *
 *	json_obj_begin(&j);
 *	json_key_str(&j, "name", "web1");
 *	json_key(&j, "disks"); json_arr_begin(&j); ... json_arr_end(&j);
 *	json_obj_end(&j);
 *	char *text = json_finish(&j);
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/strbuf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct strbuf sb;
	unsigned depth;
	bool pretty;
	bool first[JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool after_key;
};

void json_init(struct json *j, bool pretty);
void json_release(struct json *j);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/*
 * A time as RFC 3339 in UTC with microseconds, "2026-12-07T09:30:00.000000Z": usec since the
 * epoch (the inventory's times).
 */
void json_time_usec(struct json *j, int64_t usec);
/*
 * The members written so far into src (an object begun with json_obj_begin() and not ended,
 * at the same depth and with the same pretty setting) as members of the object j is writing.
 * How a document puts its own members ("ok") before ones written earlier elsewhere.
 */
void json_obj_append(struct json *j, const struct json *src);
/* The document, with its final newline, written to f; j is released. Returns: 0, -ENOMEM, -EIO. */
int json_print(struct json *j, FILE *f);
/* A value that is already JSON text (e.g. libxl's), inserted as is. */
void json_raw(struct json *j, const char *text);

static inline void json_key_str(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}
static inline void json_key_int(struct json *j, const char *k, int64_t v)
{
	json_key(j, k);
	json_int(j, v);
}
static inline void json_key_uint(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_uint(j, v);
}
static inline void json_key_time_usec(struct json *j, const char *k, int64_t usec)
{
	json_key(j, k);
	json_time_usec(j, usec);
}
static inline void json_key_bool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}

/*
 * Append a string as a quoted JSON string literal: always valid UTF-8, each byte of s that
 * starts no valid UTF-8 sequence written as \ufffd (U+FFFD REPLACEMENT CHARACTER).
 */
void json_quote(struct strbuf *sb, const char *s);

/* The text, with a final newline; NULL on allocation failure. Resets j. */
char *json_finish(struct json *j);

/*
 * Reading JSON (common/json-parse.c): strict RFC 8259 and bounded, for what our own children
 * send (no comments, trailing commas, NaN or bytes after the value; strings valid UTF-8
 * without U+0000; an object's keys distinct; nesting at most JSON_PARSE_DEPTH).
 */
#define JSON_PARSE_DEPTH 32

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	bool b;		      /* JSON_BOOL */
	char *s;	      /* JSON_STRING: the text; JSON_NUMBER: its literal */
	struct json_value *v; /* JSON_ARRAY: the items; JSON_OBJECT: the values */
	char **keys;	      /* JSON_OBJECT: the keys, v[i] is keys[i]'s */
	size_t n;
};

struct diag;

/*
 * Parse text (len bytes, no NUL needed) into *ret (free with json_value_free()).
 * Returns: 0, -EINVAL with "invalid JSON at byte N: expected ..." in d, or -ENOMEM.
 */
int json_parse(const char *text, size_t len, struct json_value **ret, struct diag *d);
/* Accepts NULL. Returns NULL. */
struct json_value *json_value_free(struct json_value *v);
static inline void json_value_freep(struct json_value **v)
{
	json_value_free(*v);
}

/* obj's member key (borrowed), or NULL when obj is not an object or has no such key. */
const struct json_value *json_get(const struct json_value *obj, const char *key);
/* The member's string, or NULL (missing, null or not a string). */
const char *json_get_str(const struct json_value *obj, const char *key);
/* Returns: 1 true, 0 false, -ENOENT missing, -EINVAL not a boolean. */
int json_get_bool(const struct json_value *obj, const char *key);
/* An unsigned integer member. Returns: 0, -ENOENT, -EINVAL (not one), -ERANGE. */
int json_get_u64(const struct json_value *obj, const char *key, uint64_t *ret);
