/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests from a ticket system: YAML or JSON (JSON is YAML to libyaml), the same checks and
 * FILE:LINE:COL errors as templates. The request's own keys are read here; every other key is
 * a template parameter, checked later by tmpl_guest_set() at the location kept for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

static const char *const request_keys[] = {"request_id", "name", "template", "owner", "ip",
					   "mac",	 "lun",	 "image",    NULL};

struct tmpl_request *tmpl_request_free(struct tmpl_request *r)
{
	if (!r)
		return NULL;
	free(r->file);
	free(r->request_id);
	free(r->name);
	free(r->template_name);
	free(r->owner);
	free(r->ip);
	free(r->mac);
	free(r->lun);
	free(r->image);
	for (size_t i = 0; i < r->n_params; i++) {
		free(r->params[i].key);
		free(r->params[i].value);
	}
	free(r->params);
	free(r);
	return NULL;
}

/* "a, b" for a sequence of scalars (tmpl_guest_set() takes lists comma-separated). */
static char *value_text(const struct vctx *c, const struct ynode *n)
{
	struct strbuf sb = STRBUF_INIT;

	if (n->kind == YNODE_SCALAR)
		return strdup(n->scalar);
	if (n->kind != YNODE_SEQ) {
		tmpl__err(c, "a value or a list is needed, not a mapping");
		return NULL;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		if (n->items[i]->kind != YNODE_SCALAR) {
			tmpl__err(&(struct vctx){c->d, c->key, &n->items[i]->loc},
				  "a list of values is needed");
			strbuf_release(&sb);
			return NULL;
		}
		strbuf_addf(&sb, "%s%s", i ? "," : "", n->items[i]->scalar);
	}
	return strbuf_detach(&sb);
}

int tmpl__request_param_add(struct tmpl_request *r, const char *key, const struct src_loc *key_loc,
			    const struct ynode *n, struct diag *d)
{
	struct tmpl_request_param *v;
	char *value;

	value = value_text(&(struct vctx){d, key, &n->loc}, n);
	if (!value)
		return -EINVAL;
	v = realloc(r->params, (r->n_params + 1) * sizeof(*v));
	if (!v) {
		free(value);
		return -ENOMEM;
	}
	r->params = v;
	v[r->n_params] = (struct tmpl_request_param){strdup(key), value, n->loc, *key_loc};
	if (!v[r->n_params].key)
		return -ENOMEM;
	r->n_params++;
	return 0;
}

/* "did you mean" for an unknown parameter key: among the template keys and own_keys. */
static void unknown_key(const struct tmpl_request_param *v, const char *const *own_keys,
			struct diag *d)
{
	_cleanup_(strv_freep) char **all = strv_copy((char *const *) own_keys);
	const char *best;

	for (const char *const *t = tmpl_guest_keys; all && *t; t++)
		(void) strv_push(&all, *t);
	best = all ? str_closest(v->key, (const char *const *) all) : NULL;
	if (best)
		diag_error(d, &v->key_loc, "unknown key '%s' (did you mean '%s'?)", v->key, best);
	else
		diag_error(d, &v->key_loc, "unknown key '%s'", v->key);
}

int tmpl__request_params_add(struct tmpl_request *r, const struct ynode *map,
			     const char *const *own_keys, struct diag *d)
{
	size_t first = r->n_params;
	int k = 0;

	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ypair *p = &map->pairs[i];
		bool own = false;

		for (const char *const *o = own_keys; o && *o && !own; o++)
			own = streq(*o, p->key);
		if (own)
			continue;
		if (p->value->kind != YNODE_MAP) {
			if (tmpl__request_param_add(r, p->key, &p->loc, p->value, d) == -ENOMEM)
				return -ENOMEM;
			continue;
		}
		/* install: {extra: ...}, hvm: {cdrom: ...} are the keys install.extra, ... */
		for (size_t j = 0; j < p->value->n_pairs; j++) {
			const struct ypair *q = &p->value->pairs[j];
			char key[128];

			snprintf(key, sizeof(key), "%s.%s", p->key, q->key);
			if (tmpl__request_param_add(r, key, &q->loc, q->value, d) == -ENOMEM)
				return -ENOMEM;
		}
	}
	/* unknown keys: neither the caller's nor a template's */
	for (size_t i = first; i < r->n_params; i++) {
		bool known = false;

		for (const char *const *t = tmpl_guest_keys; *t && !known; t++)
			known = streq(*t, r->params[i].key);
		if (!known) {
			unknown_key(&r->params[i], own_keys, d);
			k = -EINVAL;
		}
	}
	return k;
}

void tmpl__request_own_locs(struct tmpl_request *r)
{
	/* the locations point into the file name, which the request owns from now on */
	for (size_t i = 0; i < r->n_params; i++)
		r->params[i].loc.file = r->params[i].key_loc.file = r->file;
	r->name_loc.file = r->file;
	r->ip_loc.file = r->mac_loc.file = r->lun_loc.file = r->image_loc.file = r->file;
}

static int scalar_field(const struct ypair *p, struct diag *d, char **ret)
{
	struct vctx c = {d, p->key, &p->value->loc};
	const char *s = tmpl__scalar(&c, p->value);

	if (!s)
		return -EINVAL;
	return tmpl__parse_str(&c, s, ret);
}

int tmpl_request_parse(const char *file, const char *text, size_t len, struct diag *d,
		       struct tmpl_request **ret)
{
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = NULL;
	struct tmpl_request *r;
	unsigned errors = d->n_errors;
	int k;

	k = tmpl__yaml_parse(file, text, len, d, &doc);
	if (k < 0)
		return k;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->file = strdup(file))) {
		free(r);
		return -ENOMEM;
	}
	if (doc->root->kind != YNODE_MAP) {
		tmpl_request_free(r);
		return diag_error(d, &doc->root->loc, "a request is a mapping of keys to values");
	}
	for (size_t i = 0; i < doc->root->n_pairs; i++) {
		const struct ypair *p = &doc->root->pairs[i];
		char **field = streq(p->key, "request_id") ? &r->request_id
			       : streq(p->key, "name")	   ? &r->name
			       : streq(p->key, "template") ? &r->template_name
			       : streq(p->key, "owner")	   ? &r->owner
			       : streq(p->key, "ip")	   ? &r->ip
			       : streq(p->key, "mac")	   ? &r->mac
			       : streq(p->key, "lun")	   ? &r->lun
			       : streq(p->key, "image")	   ? &r->image
							   : NULL;

		if (!field)
			continue;
		(void) scalar_field(p, d, field);
		if (field == &r->name)
			r->name_loc = p->value->loc;
		else if (field == &r->ip)
			r->ip_loc = p->value->loc;
		else if (field == &r->mac)
			r->mac_loc = p->value->loc;
		else if (field == &r->lun)
			r->lun_loc = p->value->loc;
		else if (field == &r->image)
			r->image_loc = p->value->loc;
	}
	if (tmpl__request_params_add(r, doc->root, request_keys, d) == -ENOMEM)
		goto oom;
	if (!r->request_id)
		diag_error(d, &doc->root->loc, "missing required key 'request_id'");
	if (!r->name)
		diag_error(d, &doc->root->loc, "missing required key 'name'");
	else
		(void) tmpl_guest_name_check(r->name, "name", &r->name_loc, d);
	if (!r->template_name)
		diag_error(d, &doc->root->loc, "missing required key 'template'");
	if (r->image && !hostname_label_valid(r->image))
		diag_error(d, &r->image_loc, "image: '%s' is not an image name (a host name label)",
			   r->image);
	if (d->n_errors > errors) {
		tmpl_request_free(r);
		return -EINVAL;
	}
	tmpl__request_own_locs(r);
	*ret = r;
	return 0;
oom:
	tmpl_request_free(r);
	return -ENOMEM;
}

int tmpl_request_load(const char *path, struct diag *d, struct tmpl_request **ret)
{
	_cleanup_(freep) char *text = NULL;
	size_t len = 0;
	int r;

	if (streq(path, "-")) {
		struct strbuf sb = STRBUF_INIT;
		char buf[4096];
		ssize_t n;

		while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
			strbuf_add(&sb, buf, (size_t) n);
		len = sb.len;
		text = strbuf_detach(&sb);
		if (n < 0 || !text)
			return diag_error_errno(d, NULL, n < 0 ? -errno : -ENOMEM,
						"cannot read the request from standard input");
		path = "<stdin>";
	} else {
		r = read_file(path, &text, &len);
		if (r < 0)
			return diag_error_errno(d, NULL, r, "cannot open request '%s'", path);
	}
	return tmpl_request_parse(path, text, len, d, ret);
}
