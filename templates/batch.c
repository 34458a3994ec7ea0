/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Batch files: many guests of one template, each turned into a request ("BATCH:GUEST") so
 * that running a batch again finds what it made before (see doc/batch.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

static const char *const batch_keys[] = {"name",      "template", "vlan",    "owner", "names",
					 "overrides", "image",	  "install", NULL};

/* The column of pattern[off], given where the pattern starts. */
static struct src_loc loc_at(const struct src_loc *loc, size_t off)
{
	if (!loc)
		return (struct src_loc){0};
	return (struct src_loc){loc->file, loc->line, loc->col ? loc->col + (unsigned) off : 0};
}

static int pattern_err(struct diag *d, const struct src_loc *loc, const char *pattern, size_t off,
		       const char *what)
{
	struct src_loc l = loc_at(loc, off);

	return diag_error(d, loc ? &l : NULL, "names: '%s': %s", pattern, what);
}

/* A decimal number of 1 to 9 digits at s. Returns: its length, or 0. */
static size_t number_at(const char *s, unsigned *ret)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 9)
		return 0;
	*ret = (unsigned) strtoul(s, NULL, 10);
	return n;
}

int tmpl_names_expand(const char *pattern, const struct src_loc *loc, struct diag *d, char ***ret)
{
	_cleanup_(strv_freep) char **v = NULL;
	const char *open = strchr(pattern, '{'), *close, *s;
	unsigned a, b, width = 0;
	size_t na, nb;

	if (!open) {
		if (strchr(pattern, '}'))
			return pattern_err(d, loc, pattern,
					   (size_t) (strchr(pattern, '}') - pattern),
					   "'}' without '{'");
		if (strv_push(&v, pattern) < 0)
			return -ENOMEM;
		*ret = TAKE_PTR(v);
		return 0;
	}
	s = open + 1;
	na = number_at(s, &a);
	if (!na || strncmp(s + na, "..", 2) != 0)
		return pattern_err(d, loc, pattern, (size_t) (s + na - pattern),
				   "expected {FIRST..LAST} of numbers");
	s += na + 2;
	nb = number_at(s, &b);
	if (!nb || s[nb] != '}')
		return pattern_err(d, loc, pattern, (size_t) (s + nb - pattern),
				   "expected {FIRST..LAST} of numbers");
	close = s + nb;
	if (strpbrk(close + 1, "{}"))
		return pattern_err(d, loc, pattern, (size_t) (strpbrk(close + 1, "{}") - pattern),
				   "only one {FIRST..LAST} group is allowed");
	if (a > b)
		return pattern_err(d, loc, pattern, (size_t) (open - pattern),
				   "the range goes down (FIRST must not be larger than LAST)");
	if (b - a >= TMPL_BATCH_MAX)
		return pattern_err(d, loc, pattern, (size_t) (open - pattern),
				   "too many names (the most is 1000)");
	if ((na > 1 && open[1] == '0') || (nb > 1 && s[0] == '0'))
		width = (unsigned) (na > nb ? na : nb);
	for (unsigned i = a; i <= b; i++) {
		char *name;

		if (asprintf(&name, "%.*s%0*u%s", (int) (open - pattern), pattern, (int) width, i,
			     close + 1) < 0 ||
		    strv_push_take(&v, name) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

struct tmpl_batch *tmpl_batch_free(struct tmpl_batch *b)
{
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->n_guests; i++)
		tmpl_request_free(b->guests[i]);
	free(b->guests);
	tmpl_request_free(b->base);
	free(b->file);
	free(b->name);
	free(b->template_name);
	free(b->owner);
	free(b->image);
	free(b);
	return NULL;
}

/* The scalar at key of root into *ret (checked as text for a config). NULL node: unset. */
static int scalar_key(const struct ynode *root, const char *key, struct diag *d, char **ret,
		      struct src_loc *ret_loc)
{
	const struct ypair *p = tmpl__ynode_pair(root, key);
	struct vctx c;
	const char *s;

	if (!p)
		return 0;
	c = (struct vctx){d, key, &p->value->loc};
	s = tmpl__scalar(&c, p->value);
	if (!s)
		return -EINVAL;
	if (ret_loc)
		*ret_loc = p->value->loc;
	return tmpl__parse_str(&c, s, ret);
}

/* Where a scalar's text starts: after the quote of a quoted scalar. */
static struct src_loc text_loc(const struct ynode *n)
{
	struct src_loc l = n->loc;

	if (!n->plain && l.col)
		l.col++;
	return l;
}

struct gname {
	char *name;
	struct src_loc loc;
};

static int names_read(const struct ynode *n, struct diag *d, struct gname **ret, size_t *ret_n)
{
	_cleanup_(strv_freep) char **v = NULL;
	struct gname *g;
	size_t k = 0;
	int r = 0;

	if (n->kind == YNODE_SCALAR) {
		struct src_loc l = text_loc(n);

		r = tmpl_names_expand(n->scalar, &l, d, &v);
		if (r < 0)
			return r;
		k = strv_length(v);
	} else if (n->kind == YNODE_SEQ) {
		k = n->n_items;
	} else {
		return diag_error(
			d, &n->loc,
			"names: a pattern (\"lab{01..20}\") or a list of names is needed, not a mapping");
	}
	if (k == 0)
		return diag_error(d, &n->loc, "names: the batch has no guests");
	if (k > TMPL_BATCH_MAX)
		return diag_error(d, &n->loc, "names: more than %d guests", TMPL_BATCH_MAX);
	g = calloc(k, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		const struct ynode *it = n->kind == YNODE_SEQ ? n->items[i] : n;

		if (it->kind != YNODE_SCALAR) {
			r = diag_error(d, &it->loc, "names: a list of names is needed");
			continue;
		}
		g[i].loc = it->loc;
		g[i].name = strdup(v ? v[i] : it->scalar);
		if (!g[i].name) {
			r = -ENOMEM;
			break;
		}
		if (tmpl_guest_name_check(g[i].name, "names", &g[i].loc, d) < 0) {
			r = -EINVAL;
			if (v)
				break; /* a pattern: its other names are wrong the same way */
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (g[j].name && streq(g[j].name, g[i].name)) {
				r = diag_error(d, &g[i].loc, "names: '%s' is named twice",
					       g[i].name);
				break;
			}
	}
	*ret = g;
	*ret_n = k;
	return r;
}

static void gnames_free(struct gname *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].name);
	free(g);
}

/* A guest's request: the batch's settings, then the guest's overrides (map may be NULL). */
static int guest_request(struct tmpl_batch *b, const struct ydoc *doc, const struct gname *g,
			 const struct ynode *map, struct diag *d, struct tmpl_request **ret)
{
	_cleanup_(tmpl_request_freep) struct tmpl_request *r = calloc(1, sizeof(*r));
	const struct ypair *vlan = tmpl__ynode_pair(doc->root, "vlan");
	int k = 0;

	if (!r || !(r->file = strdup(b->file)) || !(r->name = strdup(g->name)) ||
	    !(r->template_name = strdup(b->template_name)) ||
	    (b->owner && !(r->owner = strdup(b->owner))) ||
	    asprintf(&r->request_id, "%s:%s", b->name, g->name) < 0)
		return -ENOMEM;
	r->name_loc = g->loc;
	/* install: once: the first guest is installed, the others are clones of it */
	if (b->image && (!b->install_once || b->guests[0] != NULL)) {
		r->image = strdup(b->image);
		if (!r->image)
			return -ENOMEM;
		r->image_loc = b->image_loc;
	}
	if (vlan && tmpl__request_param_add(r, "vlan", &vlan->loc, vlan->value, d) == -ENOMEM)
		return -ENOMEM;
	if (map) {
		/* a guest's own choices, as in a request; the rest are template parameters */
		static const char *const choices[] = {"ip", "mac", "lun", NULL};
		char **field[] = {&r->ip, &r->mac, &r->lun};
		struct src_loc *loc[] = {&r->ip_loc, &r->mac_loc, &r->lun_loc};

		for (size_t i = 0; i < ELEMENTSOF(field); i++) {
			int e = scalar_key(map, choices[i], d, field[i], loc[i]);

			if (e == -ENOMEM)
				return e;
			if (e < 0)
				k = e;
		}
		if (tmpl__request_params_add(r, map, choices, d) < 0)
			k = -EINVAL;
	}
	if (k < 0)
		return k;
	tmpl__request_own_locs(r);
	*ret = TAKE_PTR(r);
	return 0;
}

/* overrides: every key a guest of the batch, every value a mapping. */
static int overrides_check(const struct ynode *ov, const struct gname *g, size_t n, struct diag *d)
{
	_cleanup_(freep) const char **names = calloc(n + 1, sizeof(*names));
	int r = 0;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		names[i] = g[i].name;
	if (ov->kind != YNODE_MAP)
		return diag_error(
			d, &ov->loc,
			"overrides: a mapping of guest names to template parameters is needed");
	for (size_t i = 0; i < ov->n_pairs; i++) {
		const struct ypair *p = &ov->pairs[i];
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			found = streq(names[j], p->key);
		if (!found) {
			const char *best = str_closest(p->key, names);

			if (best)
				r = diag_error(
					d, &p->loc,
					"overrides: '%s' is not a guest of the batch (did you mean '%s'?)",
					p->key, best);
			else
				r = diag_error(d, &p->loc,
					       "overrides: '%s' is not a guest of the batch",
					       p->key);
		}
		if (p->value->kind != YNODE_MAP)
			r = diag_error(d, &p->value->loc,
				       "overrides: %s: a mapping of template parameters is needed",
				       p->key);
	}
	return r;
}

static int batch_name(const char *file, const struct ynode *root, struct diag *d, char **ret)
{
	struct src_loc loc = {0};
	int r;

	r = scalar_key(root, "name", d, ret, &loc);
	if (r < 0)
		return r;
	if (!*ret) {
		*ret = tmpl__name_of(file);
		if (!*ret)
			return -ENOMEM;
		loc = root->loc;
	}
	if (!tmpl__name_valid(*ret))
		return diag_error(
			d, &loc,
			"name: invalid batch name '%s' (letters, digits, '_', '.' and '-'; the default is the file's name)",
			*ret);
	return 0;
}

/* image: NAME, or install: once (whose image is named after the batch). */
static int batch_install(struct tmpl_batch *b, const struct ynode *root, struct diag *d)
{
	_cleanup_(freep) char *install = NULL;
	struct src_loc iloc = {0};
	int r;

	r = scalar_key(root, "image", d, &b->image, &b->image_loc);
	if (r < 0)
		return r;
	r = scalar_key(root, "install", d, &install, &iloc);
	if (r < 0)
		return r;
	if (b->image && !hostname_label_valid(b->image))
		return diag_error(d, &b->image_loc,
				  "image: '%s' is not an image name (a host name label)", b->image);
	if (!install)
		return 0;
	if (!streq(install, "once"))
		return diag_error(
			d, &iloc,
			"install: '%s': the only value is 'once' (install the first guest, clone the others from it)",
			install);
	if (b->image)
		return diag_error(
			d, &iloc,
			"install: once makes its own image (named after the batch): drop 'image: %s', or this key",
			b->image);
	if (!b->name || !hostname_label_valid(b->name))
		return diag_error(
			d, &iloc,
			"install: once names its image after the batch, and '%s' is not an image name (a host name label): set 'name:'",
			b->name ? b->name : "");
	b->install_once = true;
	b->image = strdup(b->name);
	b->image_loc = iloc;
	return b->image ? 0 : -ENOMEM;
}

static int batch_read(struct tmpl_batch *b, const struct ydoc *doc, struct diag *d)
{
	const struct ynode *root = doc->root;
	const struct ypair *names = tmpl__ynode_pair(root, "names");
	const struct ypair *ov = tmpl__ynode_pair(root, "overrides");
	struct gname *g = NULL;
	size_t n = 0;
	int r = 0, k;

	if (root->kind != YNODE_MAP)
		return diag_error(d, &root->loc, "a batch file is a mapping of keys to values");
	if (tmpl__check_keys(d, root, "", batch_keys) < 0)
		r = -EINVAL;
	if (batch_name(b->file, root, d, &b->name) == -ENOMEM ||
	    scalar_key(root, "template", d, &b->template_name, &b->template_loc) == -ENOMEM ||
	    scalar_key(root, "owner", d, &b->owner, NULL) == -ENOMEM)
		return -ENOMEM;
	if (!b->template_name)
		r = diag_error(d, &root->loc, "missing required key 'template'");
	k = batch_install(b, root, d);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		r = k;
	if (!names)
		return diag_error(d, &root->loc, "missing required key 'names'");
	k = names_read(names->value, d, &g, &n);
	if (k < 0) {
		gnames_free(g, n);
		return k;
	}
	if (ov && overrides_check(ov->value, g, n, d) < 0)
		r = -EINVAL;
	b->guests = calloc(n, sizeof(*b->guests));
	if (!b->guests)
		r = -ENOMEM;
	else
		b->n_guests = n;
	for (size_t i = 0; b->name && b->template_name && r != -ENOMEM && i < n; i++) {
		const struct ypair *o = ov && ov->value->kind == YNODE_MAP
						? tmpl__ynode_pair(ov->value, g[i].name)
						: NULL;

		k = guest_request(b, doc, &g[i], o && o->value->kind == YNODE_MAP ? o->value : NULL,
				  d, &b->guests[i]);
		if (k < 0)
			r = k == -ENOMEM ? k : -EINVAL;
	}
	/* the batch's own settings: guest_request() without overrides, for the first name */
	if (r >= 0)
		r = guest_request(b, doc, &g[0], NULL, d, &b->base);
	gnames_free(g, n);
	return r;
}

int tmpl_batch_parse(const char *file, const char *text, size_t len, struct diag *d,
		     struct tmpl_batch **ret)
{
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = NULL;
	_cleanup_(tmpl_batch_freep) struct tmpl_batch *b = NULL;
	unsigned errors = d->n_errors;
	int r;

	r = tmpl__yaml_parse(file, text, len, d, &doc);
	if (r < 0)
		return r;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->file = strdup(file)))
		return -ENOMEM;
	r = batch_read(b, doc, d);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || d->n_errors > errors)
		return -EINVAL;
	b->template_loc.file = b->image_loc.file = b->file;
	*ret = TAKE_PTR(b);
	return 0;
}

int tmpl_batch_load(const char *path, struct diag *d, struct tmpl_batch **ret)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;
	int r;

	r = read_file(path, &text, &len);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot open batch file '%s'", path);
	return tmpl_batch_parse(path, text, len, d, ret);
}

static int flatten(const struct ynode *n, const char *prefix, char ***v)
{
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct ynode *val = n->pairs[i].value;
		_cleanup_(freep) char *key = NULL;
		int r;

		if (asprintf(&key, "%s%s%s", prefix, *prefix ? "." : "", n->pairs[i].key) < 0) {
			key = NULL;
			return -ENOMEM;
		}
		if (val->kind == YNODE_MAP)
			r = flatten(val, key, v);
		else if (val->kind == YNODE_SCALAR && !tmpl__ynode_is_null(val))
			r = strv_push(v, key) < 0 || strv_push(v, val->scalar) < 0 ? -ENOMEM : 0;
		else
			r = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int tmpl_doc_flatten(const char *file, const char *text, size_t len, struct diag *d, char ***ret)
{
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = NULL;
	_cleanup_(strv_freep) char **v = strv_copy(NULL);
	int r;

	if (!v)
		return -ENOMEM;
	r = tmpl__yaml_parse(file, text, len, d, &doc);
	if (r < 0)
		return r;
	if (doc->root->kind != YNODE_MAP)
		return diag_error(d, &doc->root->loc, "a mapping is needed");
	r = flatten(doc->root, "", &v);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	return 0;
}

const char *tmpl_flat_get(char *const *flat, const char *key)
{
	for (; flat && flat[0] && flat[1]; flat += 2)
		if (streq(flat[0], key))
			return flat[1];
	return NULL;
}
