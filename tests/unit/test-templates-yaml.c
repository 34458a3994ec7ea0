/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The generic YAML layer: locations, duplicate keys, anchors, aliases, << merges, errors. */
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/macro.h"
#include "templates/templates-internal.h"
#include "tests/unit/test.h"

static struct ydoc *parse(const char *text, struct diag *d)
{
	struct ydoc *doc = NULL;

	if (tmpl__yaml_parse("t.yaml", text, strlen(text), d, &doc) < 0)
		return NULL;
	return doc;
}

static const struct ynode *get(const struct ynode *map, const char *key)
{
	const struct ypair *p = tmpl__ynode_pair(map, key);

	return p ? p->value : NULL;
}

#define ASSERT_LOC(l, ln, cl)                                                                      \
	do {                                                                                       \
		ASSERT_STREQ((l).file, "t.yaml");                                                  \
		ASSERT_EQ((l).line, ln);                                                           \
		ASSERT_EQ((l).col, cl);                                                            \
	} while (0)

#define ASSERT_DIAG(d, i, ln, cl, text)                                                            \
	do {                                                                                       \
		ASSERT_TRUE((d).n > (i));                                                          \
		ASSERT_EQ((d).v[i].line, ln);                                                      \
		ASSERT_EQ((d).v[i].col, cl);                                                       \
		ASSERT_STREQ((d).v[i].msg, text);                                                  \
	} while (0)

TEST(locations)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc =
		parse("a: 1\nb:\n  c: x\n  list: [p, 'q']\n", &d);
	const struct ynode *b, *list;

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(d.n, 0);
	ASSERT_EQ(doc->root->kind, YNODE_MAP);
	ASSERT_LOC(doc->root->pairs[0].loc, 1, 1);
	ASSERT_LOC(get(doc->root, "a")->loc, 1, 4);
	ASSERT_STREQ(get(doc->root, "a")->scalar, "1");
	b = get(doc->root, "b");
	ASSERT_EQ(b->kind, YNODE_MAP);
	ASSERT_LOC(tmpl__ynode_pair(b, "c")->loc, 3, 3);
	ASSERT_LOC(get(b, "c")->loc, 3, 6);
	list = get(b, "list");
	ASSERT_EQ(list->kind, YNODE_SEQ);
	ASSERT_EQ(list->n_items, 2);
	ASSERT_LOC(list->items[1]->loc, 4, 13);
	ASSERT_TRUE(list->items[0]->plain);
	ASSERT_FALSE(list->items[1]->plain);
}

TEST(nulls)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc =
		parse("a:\nb: ~\nc: null\nd: 'null'\ne: \"\"\n", &d);

	ASSERT_NOT_NULL(doc);
	ASSERT_TRUE(tmpl__ynode_is_null(get(doc->root, "a")));
	ASSERT_TRUE(tmpl__ynode_is_null(get(doc->root, "b")));
	ASSERT_TRUE(tmpl__ynode_is_null(get(doc->root, "c")));
	ASSERT_FALSE(tmpl__ynode_is_null(get(doc->root, "d")));
	ASSERT_FALSE(tmpl__ynode_is_null(get(doc->root, "e")));
}

TEST(empty_file)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("# nothing\n", &d);

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(doc->root->kind, YNODE_MAP);
	ASSERT_EQ(doc->root->n_pairs, 0);
	ASSERT_LOC(doc->root->loc, 1, 1);
}

TEST(duplicate_keys)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("a: 1\nb: {x: 1, x: 2}\na: 3\n", &d);

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(d.n_errors, 2);
	ASSERT_DIAG(d, 0, 2, 11, "duplicate key 'x' (first at line 2)");
	ASSERT_DIAG(d, 1, 3, 1, "duplicate key 'a' (first at line 1)");
	/* the first one is kept */
	ASSERT_STREQ(get(doc->root, "a")->scalar, "1");
	ASSERT_EQ(doc->root->n_pairs, 2);
}

TEST(anchors_aliases)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc =
		parse("x-size: &s 20G\nx-list: &l [a, b]\ndisk: *s\nclasses: *l\n", &d);
	const struct ynode *n;

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(d.n, 0);
	n = get(doc->root, "disk");
	ASSERT_STREQ(n->scalar, "20G");
	ASSERT_LOC(n->loc, 3, 7); /* the alias itself; what it copies keeps its own places */
	n = get(doc->root, "classes");
	ASSERT_EQ(n->kind, YNODE_SEQ);
	ASSERT_EQ(n->n_items, 2);
	ASSERT_STREQ(n->items[1]->scalar, "b");
}

TEST(unknown_alias)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("a: *nowhere\nb: 1\n", &d);

	ASSERT_NOT_NULL(doc);
	ASSERT_DIAG(d, 0, 1, 4, "alias '*nowhere' refers to no anchor defined before it");
	ASSERT_STREQ(get(doc->root, "b")->scalar, "1");
}

TEST(merge_single)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("base: &b {x: 1, y: 2, z: {q: 1}}\n"
							     "m:\n"
							     "  y: 3\n"
							     "  <<: *b\n"
							     "  w: 4\n",
							     &d);
	const struct ynode *m;

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(d.n, 0);
	m = get(doc->root, "m");
	ASSERT_EQ(m->n_pairs, 4); /* y w, then merged x z; no "<<" key */
	ASSERT_NULL(tmpl__ynode_pair(m, "<<"));
	ASSERT_STREQ(m->pairs[0].key, "y");
	ASSERT_STREQ(m->pairs[1].key, "w");
	ASSERT_STREQ(get(m, "y")->scalar, "3"); /* explicit wins, even before the << */
	ASSERT_STREQ(get(m, "x")->scalar, "1");
	ASSERT_LOC(tmpl__ynode_pair(m, "x")->loc, 1, 11); /* cites the anchored text */
	ASSERT_EQ(get(m, "z")->kind, YNODE_MAP);
}

TEST(merge_sequence)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("a: &a {x: a1, y: a2}\n"
							     "b: &b {x: b1, z: b3}\n"
							     "m: {<<: [*a, *b], z: m3}\n",
							     &d);
	const struct ynode *m;

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(d.n, 0);
	m = get(doc->root, "m");
	ASSERT_STREQ(get(m, "x")->scalar, "a1"); /* earlier mapping in the list wins */
	ASSERT_STREQ(get(m, "y")->scalar, "a2");
	ASSERT_STREQ(get(m, "z")->scalar, "m3");
	ASSERT_EQ(m->n_pairs, 3);
}

TEST(merge_nested_anchor)
{
	/* an anchored mapping that itself merges: its merge is applied before it is copied */
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("a: &a {x: 1}\n"
							     "b: &b {<<: *a, y: 2}\n"
							     "c: {<<: *b}\n",
							     &d);
	const struct ynode *c;

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(d.n, 0);
	c = get(doc->root, "c");
	ASSERT_STREQ(get(c, "x")->scalar, "1");
	ASSERT_STREQ(get(c, "y")->scalar, "2");
}

TEST(merge_errors)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("s: &s 5\n"
							     "a: {<<: *s}\n"
							     "b: {<<: [{x: 1}, [1]]}\n"
							     "c: {<<: {x: 1}, <<: {y: 1}}\n"
							     "d: {'<<': 1}\n",
							     &d);

	ASSERT_NOT_NULL(doc);
	ASSERT_EQ(d.n_errors, 3);
	ASSERT_DIAG(d, 0, 2, 9,
		    "merge key '<<' expects a mapping or a sequence of mappings, got a scalar");
	ASSERT_DIAG(d, 1, 3, 18, "merge key '<<' expects mappings, got a sequence");
	ASSERT_DIAG(d, 2, 4, 17, "duplicate key '<<' (first at line 4)");
	/* a quoted '<<' is an ordinary key */
	ASSERT_STREQ(get(get(doc->root, "d"), "<<")->scalar, "1");
	ASSERT_STREQ(get(get(doc->root, "c"), "x")->scalar, "1");
}

TEST(nonscalar_key)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = parse("? [a, b]\n: 1\nc: 2\n", &d);

	ASSERT_NOT_NULL(doc);
	ASSERT_DIAG(d, 0, 1, 3, "a mapping key must be a scalar, not a sequence");
	ASSERT_EQ(doc->root->n_pairs, 1);
}

TEST(syntax_error)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct ydoc *doc = NULL;
	const char *text = "a: 1\nb: [1, 2\nc: 3\n";

	ASSERT_ERR(tmpl__yaml_parse("t.yaml", text, strlen(text), &d, &doc), EINVAL);
	ASSERT_NULL(doc);
	ASSERT_EQ(d.n_errors, 1);
	ASSERT_STREQ(d.v[0].file, "t.yaml");
	ASSERT_EQ(d.v[0].line, 3);
	ASSERT_EQ(d.v[0].col, 2);
	ASSERT_STREQ(d.v[0].msg, "did not find expected ',' or ']'");
}

TEST(tab_indent)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct ydoc *doc = NULL;
	const char *text = "hvm:\n\tboot: dc\n";

	ASSERT_ERR(tmpl__yaml_parse("t.yaml", text, strlen(text), &d, &doc), EINVAL);
	ASSERT_DIAG(
		d, 0, 2, 1,
		"found character that cannot start any token (a tab: YAML indents with spaces only)");
}

TEST(bad_utf8)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct ydoc *doc = NULL;
	const char *text = "a: 1\nb: x\xff\n";

	ASSERT_ERR(tmpl__yaml_parse("t.yaml", text, strlen(text), &d, &doc), EINVAL);
	ASSERT_DIAG(d, 0, 2, 5, "invalid leading UTF-8 octet");
}

TEST(two_documents)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct ydoc *doc = NULL;
	const char *text = "a: 1\n---\nb: 2\n";

	ASSERT_ERR(tmpl__yaml_parse("t.yaml", text, strlen(text), &d, &doc), EINVAL);
	ASSERT_DIAG(d, 0, 2, 1, "more than one YAML document in the file");
}

TEST(alias_bomb)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct ydoc *doc = NULL;
	const char *text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";

	ASSERT_ERR(tmpl__yaml_parse("t.yaml", text, strlen(text), &d, &doc), EINVAL);
	ASSERT_NULL(doc);
	ASSERT_EQ(d.n_errors, 1);
	ASSERT_TRUE(strstr(d.v[0].msg, "document too large") != NULL);
}

TEST(deep_nesting)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct ydoc *doc = NULL;
	char text[512];
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		text[n++] = '[';
	for (int i = 0; i < 100; i++)
		text[n++] = ']';
	text[n] = 0;
	ASSERT_ERR(tmpl__yaml_parse("t.yaml", text, n, &d, &doc), EINVAL);
	ASSERT_TRUE(strstr(d.v[0].msg, "nesting deeper than") != NULL);
}

TEST(overlay)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl__ydoc_freep) struct ydoc *base =
		parse("extends: x\nmemory: 1G\nhvm: {boot: dc, vnc: true}\nlist: [a, b]\n", &d);
	_cleanup_(tmpl__ydoc_freep) struct ydoc *over =
		parse("extends: y\nhvm: {boot: c}\nlist: [c]\ndisk: 5G\n", &d);
	static const char *const skip[] = {"extends", NULL};
	const struct ynode *hvm;

	ASSERT_NOT_NULL(base);
	ASSERT_NOT_NULL(over);
	ASSERT_OK(tmpl__ynode_overlay(base->root, over->root, skip));
	ASSERT_STREQ(get(base->root, "extends")->scalar, "x");
	ASSERT_STREQ(get(base->root, "memory")->scalar, "1G");
	hvm = get(base->root, "hvm");
	ASSERT_STREQ(get(hvm, "boot")->scalar, "c");
	ASSERT_STREQ(get(hvm, "vnc")->scalar, "true");
	ASSERT_EQ(get(base->root, "list")->n_items, 1); /* sequences are replaced, not joined */
	ASSERT_STREQ(get(base->root, "disk")->scalar, "5G");
	ASSERT_LOC(tmpl__ynode_pair(base->root, "disk")->loc, 4, 1);
}

TEST(load_missing)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct ydoc *doc = NULL;

	ASSERT_ERR(tmpl__yaml_load("/nonexistent/x.yaml", "template", NULL, &d, &doc), ENOENT);
	ASSERT_STREQ(d.v[0].msg,
		     "cannot open template '/nonexistent/x.yaml': No such file or directory");
	ASSERT_NULL(d.v[0].file);
}

TEST_MAIN()
