/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/json.h: the strict reader, and the writer's output read back. */
#include <stdio.h>
#include <stdlib.h>

#include "common/diag.h"
#include "common/json.h"
#include "common/macro.h"
#include "common/strbuf.h"
#include "tests/unit/test.h"

static struct json_value *parse_ok(const char *text)
{
	struct json_value *v = NULL;
	struct diag d = DIAG_INIT;

	if (json_parse(text, strlen(text), &v, &d) < 0)
		TEST__FAIL("'%s': %s", text, d.n ? d.v[0].msg : "?");
	diag_release(&d);
	return v;
}

TEST(values)
{
	struct json_value *v =
		parse_ok(" {\"event\":\"stage\", \"n\": 42, \"ok\": true, \"no\": false,"
			 "\"x\": null, \"a\": [1, -0.5e+3, \"s\", [], {}]}\r\n");
	const struct json_value *a;
	uint64_t n;

	ASSERT_EQ(v->type, JSON_OBJECT);
	ASSERT_STREQ(json_get_str(v, "event"), "stage");
	ASSERT_OK(json_get_u64(v, "n", &n));
	ASSERT_EQ(n, 42);
	ASSERT_EQ(json_get_bool(v, "ok"), 1);
	ASSERT_EQ(json_get_bool(v, "no"), 0);
	ASSERT_ERR(json_get_bool(v, "event"), EINVAL);
	ASSERT_ERR(json_get_bool(v, "missing"), ENOENT);
	ASSERT_EQ(json_get(v, "x")->type, JSON_NULL);
	ASSERT_NULL(json_get_str(v, "x"));
	a = json_get(v, "a");
	ASSERT_EQ(a->type, JSON_ARRAY);
	ASSERT_EQ(a->n, 5);
	ASSERT_STREQ(a->v[1].s, "-0.5e+3");
	ASSERT_STREQ(a->v[2].s, "s");
	ASSERT_EQ(a->v[3].type, JSON_ARRAY);
	ASSERT_EQ(a->v[4].type, JSON_OBJECT);
	ASSERT_NULL(json_get(a, "x")); /* not an object */
	json_value_free(v);
}

TEST(strings)
{
	struct json_value *v = parse_ok("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\","
					"\"\\ud83d\\ude00\", \"h\xc3\xa9\"]");

	ASSERT_STREQ(v->v[0].s, "a\"b\\c/d\b\f\n\r\t");
	ASSERT_STREQ(v->v[1].s, "\xc3\xa9\xe2\x82\xac");
	ASSERT_STREQ(v->v[2].s, "\xf0\x9f\x98\x80");
	ASSERT_STREQ(v->v[3].s, "h\xc3\xa9");
	json_value_free(v);
}

TEST(writer_read_back)
{
	struct json j;
	struct json_value *v;
	char *s;

	json_init(&j, true);
	json_obj_begin(&j);
	json_key_str(&j, "cause", "hook 'x' said \"no\"\n\ttab \x01");
	json_key_uint(&j, "start", 18446744073709551615ULL);
	json_obj_end(&j);
	s = json_finish(&j);
	v = parse_ok(s);
	ASSERT_STREQ(json_get_str(v, "cause"), "hook 'x' said \"no\"\n\ttab \x01");
	json_value_free(v);
	free(s);
}

/* bytes that are not UTF-8 (a file name in Latin-1, a cut sequence) become U+FFFD, one each */
TEST(writer_invalid_utf8)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"caf\xe9.yaml", "\"caf\\ufffd.yaml\""},
		{"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		 "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
		{"\xc3", "\"\\ufffd\""},				  /* cut short */
		{"\xc0\xaf", "\"\\ufffd\\ufffd\""},			  /* overlong '/' */
		{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},		  /* a surrogate */
		{"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* > U+10FFFF */
		{"\x80x\xff", "\"\\ufffdx\\ufffd\""},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		struct json_value *v;

		json_quote(&sb, cases[i].in);
		ASSERT_STREQ(strbuf_str(&sb), cases[i].out);
		v = parse_ok(strbuf_str(&sb)); /* the strict reader takes it: valid UTF-8 */
		json_value_free(v);
		strbuf_release(&sb);
	}
}

TEST(writer_time_and_append)
{
	struct json j, body;
	char *s;

	json_init(&body, false);
	json_obj_begin(&body);
	json_key_time_usec(&body, "at", INT64_C(1796635800123456));
	json_key_time_usec(&body, "epoch", 0);
	json_init(&j, false);
	json_obj_begin(&j);
	json_key_bool(&j, "ok", true);
	json_obj_append(&j, &body);
	json_obj_end(&j);
	s = json_finish(&j);
	ASSERT_STREQ(s, "{\"ok\":true,\"at\":\"2026-12-07T09:30:00.123456Z\","
			"\"epoch\":\"1970-01-01T00:00:00.000000Z\"}\n");
	free(s);
	json_release(&body);
}

TEST(refused)
{
	static const struct {
		const char *text;
		const char *err;
	} t[] = {
		{"", "invalid JSON at byte 1: expected a value"},
		{"{\"a\":1,}", "invalid JSON at byte 8: expected a string"},
		{"[1,]", "invalid JSON at byte 4: expected a value"},
		{"{\"a\":1} x", "invalid JSON at byte 9: expected the end after the value"},
		{"{'a':1}", "invalid JSON at byte 2: expected a string"},
		{"{\"a\" 1}", "invalid JSON at byte 6: expected ':'"},
		{"{\"a\":1,\"a\":2}", "invalid JSON at byte 8: expected keys named once"},
		{"[01]", "invalid JSON at byte 3: expected no leading zero"},
		{"[1.]", "invalid JSON at byte 4: expected digits after '.'"},
		{"[1e]", "invalid JSON at byte 4: expected digits in the exponent"},
		{"[NaN]", "invalid JSON at byte 2: expected a value"},
		{"[tru]", "invalid JSON at byte 2: expected a value"},
		{"[\"a\tb\"]", "invalid JSON at byte 4: expected no control character in a string"},
		{"[\"\\x\"]",
		 "invalid JSON at byte 4: expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r "
		 "\\t \\u)"},
		{"[\"\\u00zz\"]", "invalid JSON at byte 8: expected four hex digits after \\u"},
		{"[\"\\u0000\"]",
		 "invalid JSON at byte 9: expected no \\u0000 (values are C strings)"},
		{"[\"\\ude00\"]",
		 "invalid JSON at byte 9: expected a high surrogate before a low one"},
		{"[\"\\ud83dx\"]",
		 "invalid JSON at byte 9: expected a low surrogate after a high one"},
		{"[\"\xc3\"]", "invalid JSON at byte 3: expected valid UTF-8"},
		{"[\"\xc0\xaf\"]", "invalid JSON at byte 3: expected valid UTF-8"}, /* overlong */
		{"[\"\xed\xa0\x80\"]",
		 "invalid JSON at byte 3: expected valid UTF-8"}, /* surrogate */
		{"[\"abc", "invalid JSON at byte 6: expected the end of the string"},
		{"{\"a\":1", "invalid JSON at byte 7: expected ',' or '}'"},
		{"\xef\xbb\xbf{}", "invalid JSON at byte 1: expected a value"}, /* no BOM */
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct json_value *v = NULL;
		struct diag d = DIAG_INIT;
		int r = json_parse(t[i].text, strlen(t[i].text), &v, &d);

		if (r != -EINVAL || v != NULL || d.n != 1)
			TEST__FAIL("'%s': r = %d, %zu messages", t[i].text, r, d.n);
		ASSERT_STREQ(d.v[0].msg, t[i].err);
		diag_release(&d);
	}
}

TEST(bounded)
{
	char deep[2 * JSON_PARSE_DEPTH + 8], *p = deep;
	struct json_value *v = NULL;
	struct diag d = DIAG_INIT;

	for (int i = 0; i < JSON_PARSE_DEPTH; i++)
		*p++ = '[';
	for (int i = 0; i < JSON_PARSE_DEPTH; i++)
		*p++ = ']';
	*p = 0;
	v = parse_ok(deep); /* as deep as allowed */
	json_value_free(v);
	v = NULL;
	memmove(deep + 1, deep, strlen(deep) + 1);
	deep[0] = '[';
	strcat(deep, "]");
	ASSERT_ERR(json_parse(deep, strlen(deep), &v, &d), EINVAL);
	ASSERT_STREQ(d.v[0].msg, "invalid JSON at byte 33: expected less nesting");
	diag_release(&d);
	/* only len bytes are read: what follows does not count */
	v = NULL;
	ASSERT_OK(json_parse("{}garbage", 2, &v, &d));
	json_value_free(v);
}

TEST_MAIN()
