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
static inline void json_key_bool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}

/* Append a string as a quoted JSON string literal. */
void json_quote(struct strbuf *sb, const char *s);

/* The text, with a final newline; NULL on allocation failure. Resets j. */
char *json_finish(struct json *j);
