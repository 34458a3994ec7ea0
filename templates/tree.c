/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The YAML node tree: construction, copies, lookups and the `extends:` overlay. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "templates-internal.h"

struct ynode *tmpl__ynode_new(enum ynode_kind kind, const struct src_loc *loc)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	if (loc)
		n->loc = *loc;
	return n;
}

struct ynode *tmpl__ynode_free(struct ynode *n)
{
	if (!n)
		return NULL;
	free(n->scalar);
	for (size_t i = 0; i < n->n_pairs; i++) {
		free(n->pairs[i].key);
		tmpl__ynode_free(n->pairs[i].value);
	}
	free(n->pairs);
	for (size_t i = 0; i < n->n_items; i++)
		tmpl__ynode_free(n->items[i]);
	free(n->items);
	free(n);
	return NULL;
}

int tmpl__ynode_map_add(struct ynode *map, char *key, const struct src_loc *loc,
			struct ynode *value)
{
	struct ypair *np = realloc(map->pairs, (map->n_pairs + 1) * sizeof(*np));

	if (!np) {
		free(key);
		tmpl__ynode_free(value);
		return -ENOMEM;
	}
	map->pairs = np;
	map->pairs[map->n_pairs++] = (struct ypair){key, *loc, value};
	return 0;
}

int tmpl__ynode_seq_add(struct ynode *seq, struct ynode *item)
{
	struct ynode **ni = realloc(seq->items, (seq->n_items + 1) * sizeof(*ni));

	if (!ni) {
		tmpl__ynode_free(item);
		return -ENOMEM;
	}
	seq->items = ni;
	seq->items[seq->n_items++] = item;
	return 0;
}

struct ynode *tmpl__ynode_copy(const struct ynode *n)
{
	_cleanup_(tmpl__ynode_freep) struct ynode *c = tmpl__ynode_new(n->kind, &n->loc);

	if (!c)
		return NULL;
	c->plain = n->plain;
	if (n->scalar) {
		c->scalar = strdup(n->scalar);
		if (!c->scalar)
			return NULL;
	}
	for (size_t i = 0; i < n->n_pairs; i++) {
		struct ynode *v = tmpl__ynode_copy(n->pairs[i].value);
		char *k = strdup(n->pairs[i].key);

		if (!v || !k) {
			free(k);
			tmpl__ynode_free(v);
			return NULL;
		}
		if (tmpl__ynode_map_add(c, k, &n->pairs[i].loc, v) < 0)
			return NULL;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		struct ynode *v = tmpl__ynode_copy(n->items[i]);

		if (!v || tmpl__ynode_seq_add(c, v) < 0)
			return NULL;
	}
	return TAKE_PTR(c);
}

size_t tmpl__ynode_count(const struct ynode *n)
{
	size_t k = 1;

	for (size_t i = 0; i < n->n_pairs; i++)
		k += tmpl__ynode_count(n->pairs[i].value);
	for (size_t i = 0; i < n->n_items; i++)
		k += tmpl__ynode_count(n->items[i]);
	return k;
}

const struct ypair *tmpl__ynode_pair(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (streq(map->pairs[i].key, key))
			return &map->pairs[i];
	return NULL;
}

bool tmpl__yaml_null(const char *s)
{
	return streq(s, "") || streq(s, "~") || streq(s, "null") || streq(s, "Null") ||
	       streq(s, "NULL");
}

bool tmpl__ynode_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain && tmpl__yaml_null(n->scalar);
}

const char *tmpl__ynode_kind_name(enum ynode_kind k)
{
	switch (k) {
	case YNODE_SCALAR:
		return "scalar";
	case YNODE_MAP:
		return "mapping";
	case YNODE_SEQ:
		return "sequence";
	}
	return "node";
}

static bool in_list(const char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (streq(*l, s))
			return true;
	return false;
}

int tmpl__ynode_overlay(struct ynode *base, const struct ynode *over, const char *const *skip)
{
	for (size_t i = 0; i < over->n_pairs; i++) {
		const struct ypair *op = &over->pairs[i];
		struct ynode *v;
		char *k;
		size_t j;
		int r;

		if (in_list(skip, op->key))
			continue;
		for (j = 0; j < base->n_pairs; j++)
			if (streq(base->pairs[j].key, op->key))
				break;
		if (j < base->n_pairs && base->pairs[j].value->kind == YNODE_MAP &&
		    op->value->kind == YNODE_MAP) {
			r = tmpl__ynode_overlay(base->pairs[j].value, op->value, NULL);
			if (r < 0)
				return r;
			continue;
		}
		v = tmpl__ynode_copy(op->value);
		if (!v)
			return -ENOMEM;
		if (j < base->n_pairs) {
			tmpl__ynode_free(base->pairs[j].value);
			base->pairs[j].value = v;
			base->pairs[j].loc = op->loc;
			continue;
		}
		k = strdup(op->key);
		if (!k) {
			tmpl__ynode_free(v);
			return -ENOMEM;
		}
		r = tmpl__ynode_map_add(base, k, &op->loc, v);
		if (r < 0)
			return r;
	}
	return 0;
}
