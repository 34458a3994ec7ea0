/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libyaml events into a ynode tree. The only file that sees libyaml.
 *
 * libyaml reports syntax errors but leaves three things to us: duplicate keys (it passes
 * them on), `<<` merge keys (a plain key like any other to it) and aliases to anchors that
 * were never defined (only its loader checks those; we read events). Aliases are expanded
 * as copies, counted against YAML_MAX_NODES.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/util.h"
#include "templates-internal.h"

struct anchor {
	char *name;
	struct ynode *node; /* our own copy: the tree's node may be dropped (duplicate key) */
};

struct yparse {
	yaml_parser_t parser;
	const char *file;
	const char *text;
	size_t len;
	struct diag *d;
	struct anchor *anchors;
	size_t n_anchors;
	size_t n_nodes;
};

static void loc_at(const struct yparse *p, yaml_mark_t m, struct src_loc *ret)
{
	*ret = (struct src_loc){p->file, (unsigned) m.line + 1, (unsigned) m.column + 1};
}

/* A reader error (bad UTF-8) has only a byte offset. */
static void loc_at_offset(const struct yparse *p, size_t off, struct src_loc *ret)
{
	unsigned line = 1, col = 1;

	for (size_t i = 0; i < off && i < p->len; i++) {
		if (p->text[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char) p->text[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	*ret = (struct src_loc){p->file, line, col};
}

static int yaml_error(struct yparse *p)
{
	const yaml_parser_t *y = &p->parser;
	struct src_loc loc;

	if (y->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (y->error == YAML_READER_ERROR) {
		loc_at_offset(p, y->problem_offset, &loc);
		return diag_error(p->d, &loc, "%s", y->problem ? y->problem : "cannot read input");
	}
	loc_at(p, y->problem_mark, &loc);
	if (y->problem_mark.index < p->len && p->text[y->problem_mark.index] == '\t')
		return diag_error(p->d, &loc, "%s (a tab: YAML indents with spaces only)",
				  y->problem ? y->problem : "syntax error");
	return diag_error(p->d, &loc, "%s", y->problem ? y->problem : "syntax error");
}

static int next_event(struct yparse *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->parser, ev))
		return yaml_error(p);
	return 0;
}

static int count_nodes(struct yparse *p, size_t n, const struct src_loc *loc)
{
	p->n_nodes += n;
	if (p->n_nodes > YAML_MAX_NODES)
		return diag_error(p->d, loc,
				  "document too large: more than %d nodes with aliases expanded",
				  YAML_MAX_NODES);
	return 0;
}

static const struct anchor *anchor_find(const struct yparse *p, const char *name)
{
	/* the latest definition wins: YAML allows redefining an anchor */
	for (size_t i = p->n_anchors; i > 0; i--)
		if (streq(p->anchors[i - 1].name, name))
			return &p->anchors[i - 1];
	return NULL;
}

static int anchor_add(struct yparse *p, const char *name, const struct ynode *n)
{
	struct anchor *na = realloc(p->anchors, (p->n_anchors + 1) * sizeof(*na));
	struct anchor a = {strdup(name), tmpl__ynode_copy(n)};

	if (na)
		p->anchors = na;
	if (!na || !a.name || !a.node) {
		free(a.name);
		tmpl__ynode_free(a.node);
		return -ENOMEM;
	}
	p->anchors[p->n_anchors++] = a;
	return 0;
}

static int parse_node(struct yparse *p, yaml_event_t *ev, unsigned depth, struct ynode **ret);

/* Add copies of the pairs of src that map does not have yet. */
static int merge_from(struct yparse *p, struct ynode *map, const struct ynode *src)
{
	for (size_t i = 0; i < src->n_pairs; i++) {
		const struct ypair *sp = &src->pairs[i];
		_cleanup_(tmpl__ynode_freep) struct ynode *v = NULL;
		char *key;
		int r;

		if (tmpl__ynode_pair(map, sp->key))
			continue;
		r = count_nodes(p, tmpl__ynode_count(sp->value), &sp->loc);
		if (r < 0)
			return r;
		v = tmpl__ynode_copy(sp->value);
		key = strdup(sp->key);
		if (!v || !key) {
			free(key);
			return -ENOMEM;
		}
		r = tmpl__ynode_map_add(map, key, &sp->loc, TAKE_PTR(v));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Apply `<<: *a` or `<<: [*a, *b]` after the explicit keys, which win. */
static int apply_merge(struct yparse *p, struct ynode *map, const struct ynode *m)
{
	int r;

	if (m->kind == YNODE_MAP)
		return merge_from(p, map, m);
	if (m->kind != YNODE_SEQ) {
		diag_error(p->d, &m->loc,
			   "merge key '<<' expects a mapping or a sequence of mappings, got a %s",
			   tmpl__ynode_kind_name(m->kind));
		return 0;
	}
	for (size_t i = 0; i < m->n_items; i++)
		if (m->items[i]->kind != YNODE_MAP) {
			diag_error(p->d, &m->items[i]->loc,
				   "merge key '<<' expects mappings, got a %s",
				   tmpl__ynode_kind_name(m->items[i]->kind));
			return 0;
		}
	for (size_t i = 0; i < m->n_items; i++) {
		r = merge_from(p, map, m->items[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_mapping(struct yparse *p, unsigned depth, struct ynode *map)
{
	_cleanup_(tmpl__ynode_freep) struct ynode *merge = NULL;
	struct src_loc merge_loc = {0};
	int r;

	for (;;) {
		_cleanup_(tmpl__ynode_freep) struct ynode *key = NULL;
		_cleanup_(tmpl__ynode_freep) struct ynode *value = NULL;
		const struct ypair *prev;
		yaml_event_t ev;

		r = next_event(p, &ev);
		if (r < 0)
			return r;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		r = parse_node(p, &ev, depth + 1, &key);
		if (r < 0)
			return r;
		r = next_event(p, &ev);
		if (r < 0)
			return r;
		r = parse_node(p, &ev, depth + 1, &value);
		if (r < 0)
			return r;

		if (key->kind != YNODE_SCALAR) {
			diag_error(p->d, &key->loc, "a mapping key must be a scalar, not a %s",
				   tmpl__ynode_kind_name(key->kind));
			continue;
		}
		if (key->plain && streq(key->scalar, "<<")) {
			if (merge) {
				diag_error(p->d, &key->loc, "duplicate key '<<' (first at line %u)",
					   merge_loc.line);
				continue;
			}
			merge = TAKE_PTR(value);
			merge_loc = key->loc;
			continue;
		}
		prev = tmpl__ynode_pair(map, key->scalar);
		if (prev) {
			diag_error(p->d, &key->loc, "duplicate key '%s' (first at line %u)",
				   key->scalar, prev->loc.line);
			continue;
		}
		r = tmpl__ynode_map_add(map, TAKE_PTR(key->scalar), &key->loc, TAKE_PTR(value));
		if (r < 0)
			return r;
	}
	if (merge)
		return apply_merge(p, map, merge);
	return 0;
}

static int parse_sequence(struct yparse *p, unsigned depth, struct ynode *seq)
{
	for (;;) {
		struct ynode *item = NULL;
		yaml_event_t ev;
		int r;

		r = next_event(p, &ev);
		if (r < 0)
			return r;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		r = parse_node(p, &ev, depth + 1, &item);
		if (r < 0)
			return r;
		r = tmpl__ynode_seq_add(seq, item);
		if (r < 0)
			return r;
	}
}

/* An alias becomes a copy of its anchor's node; an unknown one an empty scalar. */
static int parse_alias(struct yparse *p, const char *name, const struct src_loc *loc,
		       struct ynode **ret)
{
	const struct anchor *found = anchor_find(p, name);
	struct ynode *n;
	int r;

	if (!found) {
		diag_error(p->d, loc, "alias '*%s' refers to no anchor defined before it", name);
		n = tmpl__ynode_new(YNODE_SCALAR, loc);
		if (n)
			n->scalar = strdup("");
		if (!n || !n->scalar) {
			tmpl__ynode_free(n);
			return -ENOMEM;
		}
		n->plain = true;
		*ret = n;
		return 0;
	}
	r = count_nodes(p, tmpl__ynode_count(found->node), loc);
	if (r < 0)
		return r;
	n = tmpl__ynode_copy(found->node);
	if (!n)
		return -ENOMEM;
	n->loc = *loc; /* errors about the value as a whole cite the alias */
	*ret = n;
	return 0;
}

/* Build the node that starts with ev (consumed). */
static int parse_node(struct yparse *p, yaml_event_t *ev, unsigned depth, struct ynode **ret)
{
	_cleanup_(tmpl__ynode_freep) struct ynode *n = NULL;
	_cleanup_(freep) char *anchor = NULL;
	struct src_loc loc;
	const char *a = NULL;
	int r = 0;

	loc_at(p, ev->start_mark, &loc);
	if (depth > YAML_MAX_DEPTH) {
		yaml_event_delete(ev);
		return diag_error(p->d, &loc, "nesting deeper than %d levels", YAML_MAX_DEPTH);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		a = (const char *) ev->data.scalar.anchor;
		n = tmpl__ynode_new(YNODE_SCALAR, &loc);
		if (n) {
			n->scalar = strndup((const char *) ev->data.scalar.value,
					    ev->data.scalar.length);
			n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		}
		if (n && n->scalar && strlen(n->scalar) != ev->data.scalar.length)
			diag_error(p->d, &loc, "a value must not contain a NUL character");
		break;
	case YAML_SEQUENCE_START_EVENT:
		a = (const char *) ev->data.sequence_start.anchor;
		n = tmpl__ynode_new(YNODE_SEQ, &loc);
		break;
	case YAML_MAPPING_START_EVENT:
		a = (const char *) ev->data.mapping_start.anchor;
		n = tmpl__ynode_new(YNODE_MAP, &loc);
		break;
	case YAML_ALIAS_EVENT:
		r = parse_alias(p, (const char *) ev->data.alias.anchor, &loc, ret);
		yaml_event_delete(ev);
		return r;
	default:
		r = diag_error(p->d, &loc, "unexpected YAML event %d", (int) ev->type);
		break;
	}
	if (a)
		anchor = strdup(a);
	yaml_event_delete(ev);
	if (r < 0)
		return r;
	if (!n || (n->kind == YNODE_SCALAR && !n->scalar) || (a && !anchor))
		return -ENOMEM;
	r = count_nodes(p, 1, &loc);
	if (r < 0)
		return r;
	if (n->kind == YNODE_MAP)
		r = parse_mapping(p, depth, n);
	else if (n->kind == YNODE_SEQ)
		r = parse_sequence(p, depth, n);
	if (r < 0)
		return r;
	if (anchor) {
		r = anchor_add(p, anchor, n);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(n);
	return 0;
}

static int parse_stream(struct yparse *p, struct ynode **ret)
{
	_cleanup_(tmpl__ynode_freep) struct ynode *root = NULL;
	yaml_event_t ev;
	int r;

	r = next_event(p, &ev); /* STREAM-START */
	if (r < 0)
		return r;
	yaml_event_delete(&ev);
	for (;;) {
		struct src_loc loc;

		r = next_event(p, &ev);
		if (r < 0)
			return r;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		loc_at(p, ev.start_mark, &loc);
		yaml_event_delete(&ev); /* DOCUMENT-START */
		if (root)
			return diag_error(p->d, &loc, "more than one YAML document in the file");
		r = next_event(p, &ev);
		if (r < 0)
			return r;
		r = parse_node(p, &ev, 0, &root);
		if (r < 0)
			return r;
	}
	if (!root) {
		struct src_loc loc = {p->file, 1, 1};

		root = tmpl__ynode_new(YNODE_MAP, &loc);
		if (!root)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(root);
	return 0;
}

int tmpl__yaml_parse(const char *file, const char *text, size_t len, struct diag *d,
		     struct ydoc **ret)
{
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = calloc(1, sizeof(*doc));
	struct yparse p = {.text = text, .len = len, .d = d};
	int r;

	if (!doc)
		return -ENOMEM;
	doc->file = strdup(file);
	if (!doc->file)
		return -ENOMEM;
	p.file = doc->file;
	if (!yaml_parser_initialize(&p.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&p.parser, (const unsigned char *) text, len);
	r = parse_stream(&p, &doc->root);
	yaml_parser_delete(&p.parser);
	for (size_t i = 0; i < p.n_anchors; i++) {
		free(p.anchors[i].name);
		tmpl__ynode_free(p.anchors[i].node);
	}
	free(p.anchors);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(doc);
	return 0;
}

int tmpl__yaml_load(const char *path, const char *what, const struct src_loc *at, struct diag *d,
		    struct ydoc **ret)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;
	int r;

	r = read_file(path, &text, &len);
	if (r < 0)
		return diag_error_errno(d, at, r, "cannot open %s '%s'", what, path);
	return tmpl__yaml_parse(path, text, len, d, ret);
}

struct ydoc *tmpl__ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return NULL;
	tmpl__ynode_free(doc->root);
	free(doc->file);
	free(doc);
	return NULL;
}
