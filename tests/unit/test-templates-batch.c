/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Batch files: name patterns, the requests made from a batch, and every error's place. */
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/util.h"
#include "templates/templates.h"
#include "tests/unit/test.h"

static char *joined(const char *pattern)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(strv_freep) char **v = NULL;
	size_t len = 1;
	char *s;

	if (tmpl_names_expand(pattern, NULL, &d, &v) < 0)
		return NULL;
	for (char **p = v; *p; p++)
		len += strlen(*p) + 1;
	s = calloc(1, len);
	for (char **p = v; s && *p; p++) {
		if (p != v)
			strcat(s, " ");
		strcat(s, *p);
	}
	return s;
}

#define ASSERT_EXPANDS(pattern, want)                                                              \
	do {                                                                                       \
		_cleanup_(freep) char *_s = joined(pattern);                                       \
		ASSERT_STREQ(_s, want);                                                            \
	} while (0)

TEST(expand)
{
	ASSERT_EXPANDS("lab{01..05}", "lab01 lab02 lab03 lab04 lab05");
	ASSERT_EXPANDS("lab{1..3}", "lab1 lab2 lab3");
	ASSERT_EXPANDS("pc{8..11}-a", "pc8-a pc9-a pc10-a pc11-a");
	ASSERT_EXPANDS("{098..101}x", "098x 099x 100x 101x");
	ASSERT_EXPANDS("x{1..010}", "x001 x002 x003 x004 x005 x006 x007 x008 x009 x010");
	ASSERT_EXPANDS("x{0..1}", "x0 x1"); /* a lone 0 is no padding */
	ASSERT_EXPANDS("web1", "web1");
	ASSERT_EXPANDS("lab{7..7}", "lab7");
}

TEST(expand_count)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(strv_freep) char **v = NULL;

	ASSERT_OK(tmpl_names_expand("lab{01..20}", NULL, &d, &v));
	ASSERT_EQ(strv_length(v), 20);
	ASSERT_STREQ(v[0], "lab01");
	ASSERT_STREQ(v[19], "lab20");
	v = strv_free(v);
	ASSERT_OK(tmpl_names_expand("n{1..1000}", NULL, &d, &v));
	ASSERT_EQ(strv_length(v), 1000);
	ASSERT_EQ(d.n, 0);
}

/* pattern, the column of the error when the pattern starts at column 10, its message */
static const struct {
	const char *pattern;
	unsigned col;
	const char *msg;
} bad_patterns[] = {
	{"lab{1..}", 17, "names: 'lab{1..}': expected {FIRST..LAST} of numbers"},
	{"lab{a..3}", 14, "names: 'lab{a..3}': expected {FIRST..LAST} of numbers"},
	{"lab{1-3}", 15, "names: 'lab{1-3}': expected {FIRST..LAST} of numbers"},
	{"lab{1..3", 18, "names: 'lab{1..3': expected {FIRST..LAST} of numbers"},
	{"lab1}", 14, "names: 'lab1}': '}' without '{'"},
	{"l{1..2}x{1..2}", 18, "names: 'l{1..2}x{1..2}': only one {FIRST..LAST} group is allowed"},
	{"lab{5..1}", 13,
	 "names: 'lab{5..1}': the range goes down (FIRST must not be larger than "
	 "LAST)"},
	{"n{1..1001}", 11, "names: 'n{1..1001}': too many names (the most is 1000)"},
	{"n{1..1234567890}", 15, "names: 'n{1..1234567890}': expected {FIRST..LAST} of numbers"},
};

TEST(expand_errors)
{
	for (size_t i = 0; i < ELEMENTSOF(bad_patterns); i++) {
		_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
		char **v = NULL;
		struct src_loc at = {"b.yaml", 3, 10};

		ASSERT_ERR(tmpl_names_expand(bad_patterns[i].pattern, &at, &d, &v), EINVAL);
		ASSERT_TRUE(v == NULL);
		ASSERT_EQ(d.n, 1);
		ASSERT_STREQ(d.v[0].file, "b.yaml");
		ASSERT_EQ(d.v[0].line, 3);
		ASSERT_EQ(d.v[0].col, bad_patterns[i].col);
		ASSERT_STREQ(d.v[0].msg, bad_patterns[i].msg);
	}
}

static struct tmpl_batch *parse(const char *file, const char *text, struct diag *d)
{
	struct tmpl_batch *b = NULL;

	if (tmpl_batch_parse(file, text, strlen(text), d, &b) < 0)
		return NULL;
	return b;
}

static const char *param(const struct tmpl_request *r, const char *key)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (streq(r->params[i].key, key))
			return r->params[i].value;
	return NULL;
}

TEST(requests)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_batch_freep) struct tmpl_batch *b =
		parse("/x/course-a.yaml",
		      "template: lab\nvlan: 10\nowner: t@example.org\n"
		      "names: \"lab{01..03}\"\n"
		      "overrides:\n  lab02: {memory: 1G, install: {extra: X=1}}\n",
		      &d);
	const struct tmpl_request *r;

	ASSERT_NOT_NULL(b);
	ASSERT_EQ(d.n, 0);
	ASSERT_STREQ(b->name, "course-a");
	ASSERT_EQ(b->n_guests, 3);
	r = b->guests[1];
	ASSERT_STREQ(r->name, "lab02");
	ASSERT_STREQ(r->request_id, "course-a:lab02");
	ASSERT_STREQ(r->template_name, "lab");
	ASSERT_STREQ(r->owner, "t@example.org");
	ASSERT_EQ(r->n_params, 3);
	ASSERT_STREQ(param(r, "vlan"), "10");
	ASSERT_STREQ(param(r, "memory"), "1G");
	ASSERT_STREQ(param(r, "install.extra"), "X=1");
	/* an override keeps its place in the batch file, for the errors of tmpl_guest_set() */
	ASSERT_STREQ(r->params[1].loc.file, "/x/course-a.yaml");
	ASSERT_EQ(r->params[1].loc.line, 6);
	ASSERT_EQ(r->params[1].loc.col, 19);
	ASSERT_EQ(b->guests[0]->n_params, 1);
	ASSERT_STREQ(b->guests[2]->request_id, "course-a:lab03");
	ASSERT_EQ(b->base->n_params, 1);
}

TEST(list_and_name)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_batch_freep) struct tmpl_batch *b =
		parse("b.yaml", "name: week-1\ntemplate: lab\nnames: [pc1, pc7]\n", &d);

	ASSERT_NOT_NULL(b);
	ASSERT_STREQ(b->name, "week-1");
	ASSERT_EQ(b->n_guests, 2);
	ASSERT_STREQ(b->guests[1]->request_id, "week-1:pc7");
	ASSERT_EQ(b->guests[1]->name_loc.col, 14);
	ASSERT_EQ(b->guests[1]->n_params, 0);
	ASSERT_TRUE(b->owner == NULL);
}

/* text, then every error "LINE:COL: message" it must give, in order */
static const struct {
	const char *text;
	const char *errors[4];
} bad_files[] = {
	{"template: lab\nnames: \"lab{1..x}\"\n",
	 {"2:16: names: 'lab{1..x}': expected {FIRST..LAST} of numbers"}},
	{"template: lab\nnames: Lab{1..3}\n",
	 {"2:8: names: invalid guest name 'Lab1' (1 to 63 of a-z, 0-9 and '-', not starting or "
	  "ending with '-')"}},
	{"template: lab\nnames: [a1, b_2, a1]\n",
	 {"2:13: names: invalid guest name 'b_2' (1 to 63 of a-z, 0-9 and '-', not starting or "
	  "ending with '-')",
	  "2:18: names: 'a1' is named twice"}},
	{"tempalte: lab\nnames: [a]\n",
	 {"1:1: unknown key 'tempalte' (did you mean 'template'?)",
	  "1:1: missing required key 'template'"}},
	{"template: lab\nnames: [a1, a2]\noverrides:\n  a3: {memory: 1G}\n  a2: {memroy: 1G}\n",
	 {"4:3: overrides: 'a3' is not a guest of the batch (did you mean 'a1'?)",
	  "5:8: unknown key 'memroy' (did you mean 'memory'?)"}},
	{"template: lab\nnames: [a1]\noverrides:\n  a1: 2G\n",
	 {"4:7: overrides: a1: a mapping of template parameters is needed"}},
	{"template: lab\nnames: {a: 1}\n",
	 {"2:8: names: a pattern (\"lab{01..20}\") or a list of names is needed, not a mapping"}},
	{"template: lab\nnames: []\n", {"2:8: names: the batch has no guests"}},
	{"template: lab\n", {"1:1: missing required key 'names'"}},
	{"template: lab\nnames: [a]\n  vlan: 10\n", {"3:3: did not find expected key"}},
	{"name: \"my batch\"\ntemplate: lab\nnames: [a]\n",
	 {"1:7: name: invalid batch name 'my batch' (letters, digits, '_', '.' and '-'; the "
	  "default is the file's name)"}},
};

TEST(errors)
{
	for (size_t i = 0; i < ELEMENTSOF(bad_files); i++) {
		_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
		struct tmpl_batch *b = parse("b.yaml", bad_files[i].text, &d);
		size_t n = 0;

		ASSERT_TRUE(b == NULL);
		for (; n < ELEMENTSOF(bad_files[i].errors) && bad_files[i].errors[n]; n++) {
			char got[512];

			ASSERT_TRUE(d.n > n);
			snprintf(got, sizeof(got), "%u:%u: %s", d.v[n].line, d.v[n].col,
				 d.v[n].msg);
			ASSERT_STREQ(got, bad_files[i].errors[n]);
		}
		ASSERT_EQ(d.n, n);
	}
}

/* the one-object results of new-guest --json, read back by the batch */
TEST(flatten)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(strv_freep) char **v = NULL;
	const char *json =
		"{\"guest\": \"lab1\", \"ok\": false, \"ip\": null, \"n\": 3,\n"
		" \"configs\": {\"boot\": \"/c/lab1.boot.cfg\"}, \"list\": [1, 2],\n"
		" \"error\": {\"stage\": \"carve\", \"cause\": \"a \\\"quoted\\\" \\u00e9\"}}\n";

	ASSERT_OK(tmpl_doc_flatten("r", json, strlen(json), &d, &v));
	ASSERT_EQ(strv_length(v), 12);
	ASSERT_STREQ(tmpl_flat_get(v, "guest"), "lab1");
	ASSERT_STREQ(tmpl_flat_get(v, "ok"), "false");
	ASSERT_TRUE(tmpl_flat_get(v, "ip") == NULL);
	ASSERT_TRUE(tmpl_flat_get(v, "list") == NULL);
	ASSERT_STREQ(tmpl_flat_get(v, "configs.boot"), "/c/lab1.boot.cfg");
	ASSERT_STREQ(tmpl_flat_get(v, "error.stage"), "carve");
	ASSERT_STREQ(tmpl_flat_get(v, "error.cause"), "a \"quoted\" \xc3\xa9");
	v = strv_free(v);
	ASSERT_ERR(tmpl_doc_flatten("r", "[1]", 3, &d, &v), EINVAL);
	ASSERT_ERR(tmpl_doc_flatten("r", "{\"a\": ", 7, &d, &v), EINVAL);
}

TEST_MAIN()
