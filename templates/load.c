/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading a guest template: find the file, follow `extends:` to the root of the chain,
 * overlay the files from the root down (child wins per key, nested mappings merged key by
 * key), then check every key of the result. Errors cite the file each value came from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

#define MAX_CHAIN 16

struct chain {
	struct ydoc *docs[MAX_CHAIN]; /* docs[0] is the template asked for */
	size_t n;
	bool complete; /* every file of the chain loaded */
};

static void chain_release(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		tmpl__ydoc_free(c->docs[i]);
	c->n = 0;
}

/* at: the extends: value naming it, NULL for the command line. */
static int unknown_template(const struct site *s, const char *name, struct diag *d,
			    const struct src_loc *at)
{
	_cleanup_(strv_freep) char **names = tmpl__all_names(s);
	const char *best = names ? str_closest(name, (const char *const *) names) : NULL;
	const char *prefix = at ? "extends: " : "";

	if (best)
		return diag_error(d, at, "%sunknown template '%s' (did you mean '%s'?)", prefix,
				  name, best);
	return diag_error(d, at, "%sunknown template '%s'", prefix, name);
}

/* The file `extends: value` in from names. Returns: 0 and a path, -EINVAL (reported). */
static int resolve_parent(const struct site *s, const char *from, const char *value,
			  const struct vctx *c, char **ret)
{
	const char *slash = strrchr(from, '/');
	int r;

	if (tmpl__is_path(value)) {
		/* relative to the file that says it */
		if (value[0] == '/' || !slash)
			*ret = strdup(value);
		else if (asprintf(ret, "%.*s/%s", (int) (slash - from), from, value) < 0)
			*ret = NULL;
		return *ret ? 0 : -ENOMEM;
	}
	if (!tmpl__name_valid(value))
		return tmpl__err(c, "invalid template name '%s'", value);
	/* a template extending its own name means the next one in the search path */
	r = tmpl__find(s, value, from, ret);
	if (r == -ENOENT)
		return unknown_template(s, value, c->d, c->loc);
	return r;
}

static int cycle_error(const struct chain *ch, const char *parent, const struct vctx *c)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	for (size_t i = 0; i < ch->n; i++) {
		_cleanup_(freep) char *n = tmpl__name_of(ch->docs[i]->file);

		strbuf_addf(&sb, "%s -> ", n ? n : "?");
	}
	strbuf_puts(&sb, parent);
	r = tmpl__err(c, "cycle: %s", strbuf_str(&sb));
	strbuf_release(&sb);
	return r;
}

/* Load path and its ancestors into ch. Errors are reported; ch holds what could be read. */
static int chain_load(const struct site *s, char *path, struct diag *d, struct chain *ch)
{
	const struct src_loc *at = NULL;
	_cleanup_(freep) char *p = path;
	int r;

	for (;;) {
		const struct ypair *ext;
		struct ydoc *doc = NULL;
		char *parent = NULL;
		struct vctx c;
		const char *v;

		r = tmpl__yaml_load(p, "template", at, d, &doc);
		if (r < 0)
			return r;
		ch->docs[ch->n++] = doc;
		if (doc->root->kind != YNODE_MAP)
			return diag_error(d, &doc->root->loc,
					  "expected a mapping at the top of the file, got a %s",
					  tmpl__ynode_kind_name(doc->root->kind));
		ext = tmpl__ynode_pair(doc->root, "extends");
		if (!ext || tmpl__ynode_is_null(ext->value))
			break;
		c = (struct vctx){d, "extends", &ext->value->loc};
		v = tmpl__scalar(&c, ext->value);
		if (!v)
			return -EINVAL;
		r = resolve_parent(s, doc->file, v, &c, &parent);
		if (r < 0)
			return r;
		for (size_t i = 0; i < ch->n; i++)
			if (tmpl__same_file(parent, ch->docs[i]->file)) {
				_cleanup_(freep) char *pn = tmpl__name_of(parent);

				free(parent);
				return cycle_error(ch, pn ? pn : v, &c);
			}
		if (ch->n == MAX_CHAIN) {
			free(parent);
			return tmpl__err(&c, "more than %d templates in the extends chain",
					 MAX_CHAIN);
		}
		free(p);
		p = parent;
		at = &ext->value->loc;
	}
	ch->complete = true;
	return 0;
}

static bool is_section(const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < tmpl__n_guest_fields; i++)
		if (strncmp(tmpl__guest_fields[i].key, key, n) == 0 &&
		    tmpl__guest_fields[i].key[n] == '.')
			return true;
	return false;
}

/* The keys allowed in section ("" for the top level): field names and section names. */
static char **section_keys(const char *section)
{
	_cleanup_(strv_freep) char **v = calloc(1, sizeof(char *));
	size_t n = strlen(section);

	if (!v || (!n && strv_push(&v, "extends") < 0))
		return NULL;
	for (size_t i = 0; i < tmpl__n_guest_fields; i++) {
		const char *k = tmpl__guest_fields[i].key;
		_cleanup_(freep) char *first = NULL;

		if (n && (strncmp(k, section, n) != 0 || k[n] != '.'))
			continue;
		if (n)
			k += n + 1;
		first = strndup(k, strcspn(k, "."));
		if (!first)
			return NULL;
		if (!strv_contains(v, first) && strv_push(&v, first) < 0)
			return NULL;
	}
	return TAKE_PTR(v);
}

static int validate_map(struct tmpl_guest *t, const struct ynode *map, const char *section,
			struct diag *d)
{
	_cleanup_(strv_freep) char **keys = section_keys(section);
	int r;

	if (!keys)
		return -ENOMEM;
	tmpl__check_keys(d, map, section, (const char *const *) keys);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ypair *p = &map->pairs[i];
		const struct ynode *n = p->value;
		char key[128];
		struct vctx c = {d, key, &n->loc};
		const char *text = NULL;
		int f;

		snprintf(key, sizeof(key), "%s%s%s", section, *section ? "." : "", p->key);
		if ((!*section && streq(p->key, "extends")) || tmpl__ynode_is_null(n))
			continue;
		if (is_section(key)) {
			if (tmpl__expect(&c, n, YNODE_MAP) < 0)
				continue;
			r = validate_map(t, n, key, d);
			if (r < 0)
				return r;
			continue;
		}
		f = tmpl__guest_field(key);
		if (f < 0)
			continue; /* reported by tmpl__check_keys() */
		if (tmpl__guest_fields[f].type != G_CLASSES) {
			text = tmpl__scalar(&c, n);
			if (!text)
				continue;
		}
		r = tmpl__guest_field_set(t, &tmpl__guest_fields[f], &c, text, text ? NULL : n);
		if (r == -ENOMEM)
			return r;
		if (r == 0)
			tmpl__guest_origin(t, (size_t) f, ORIGIN_FILE, &n->loc);
	}
	return 0;
}

/* Overlay the chain from its root down to the template asked for. */
static struct ynode *chain_merge(const struct chain *ch)
{
	static const char *const skip[] = {"extends", NULL};
	_cleanup_(tmpl__ynode_freep) struct ynode *m = tmpl__ynode_copy(ch->docs[ch->n - 1]->root);

	if (!m)
		return NULL;
	for (size_t i = ch->n - 1; i > 0; i--)
		if (tmpl__ynode_overlay(m, ch->docs[i - 1]->root, skip) < 0)
			return NULL;
	return TAKE_PTR(m);
}

/*
 * The template of the chain ch (r: what loading it returned) checked and in *ret; errors
 * counts d's errors before the load began.
 */
static int guest_build(const struct site *s, struct chain *ch, int r, unsigned errors,
		       struct diag *d, struct tmpl_guest **ret)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	_cleanup_(tmpl__ynode_freep) struct ynode *merged = NULL;

	if (r == -ENOMEM || ch->n == 0 || ch->docs[0]->root->kind != YNODE_MAP)
		return r < 0 ? r : -EINVAL;
	t = tmpl__guest_new();
	merged = chain_merge(ch);
	if (!t || !merged)
		return -ENOMEM;
	for (size_t i = 0; i < ch->n; i++)
		if (!tmpl__guest_intern(t, ch->docs[i]->file))
			return -ENOMEM;
	t->name = tmpl__name_of(ch->docs[0]->file);
	t->path = strdup(ch->docs[0]->file);
	if (!t->name || !t->path)
		return -ENOMEM;
	t->loc = (struct src_loc){t->files[0], 1, 1};
	r = validate_map(t, merged, "", d);
	if (r < 0)
		return r;
	/* the checks between keys need the whole chain; they skip keys already refused */
	if (ch->complete)
		(void) tmpl_guest_check(t, s, d);
	if (d->n_errors > errors)
		return -EINVAL;
	*ret = TAKE_PTR(t);
	return 0;
}

int tmpl_guest_load(const struct site *s, const char *name, struct diag *d, struct tmpl_guest **ret)
{
	struct chain ch = {.n = 0};
	unsigned errors = d->n_errors;
	char *path = NULL;
	int r;

	if (!name)
		return diag_error(d, NULL, "no template given");
	if (tmpl__is_path(name)) {
		path = strdup(name);
		if (!path)
			return -ENOMEM;
	} else {
		if (!tmpl__name_valid(name))
			return diag_error(d, NULL, "invalid template name '%s'", name);
		r = tmpl__find(s, name, NULL, &path);
		if (r == -ENOENT)
			return unknown_template(s, name, d, NULL);
		if (r < 0)
			return r;
	}
	r = chain_load(s, path, d, &ch);
	r = guest_build(s, &ch, r, errors, d, ret);
	chain_release(&ch);
	return r;
}

int tmpl_guest_load_text(const struct site *s, const char *label, const char *text, struct diag *d,
			 struct tmpl_guest **ret)
{
	struct chain ch = {.n = 0};
	unsigned errors = d->n_errors;
	struct ydoc *doc = NULL;
	int r;

	r = tmpl__yaml_parse(label, text, strlen(text), d, &doc);
	if (r >= 0) {
		ch.docs[ch.n++] = doc;
		ch.complete = true;
		if (doc->root->kind == YNODE_MAP && tmpl__ynode_pair(doc->root, "extends"))
			r = diag_error(d, &doc->root->loc, "a saved spec cannot extend a template");
	}
	if (r >= 0)
		r = guest_build(s, &ch, r, errors, d, ret);
	chain_release(&ch);
	return r;
}
