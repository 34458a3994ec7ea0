/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where templates are found: the site's template_dirs in order, then the built-in
 * directory (TMPL_BUILTIN_DIR from the build, or $PROVISION_TEMPLATES_DIR). The first
 * NAME.yaml found wins, for lookups and for `template list` alike.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

const char *tmpl__builtin_dir(void)
{
	const char *e = getenv("PROVISION_TEMPLATES_DIR");

	return e && *e ? e : TMPL_BUILTIN_DIR;
}

char **tmpl__search_dirs(const struct site *s)
{
	_cleanup_(strv_freep) char **v = strv_copy(s ? s->template_dirs : NULL);

	if (!v || strv_push(&v, tmpl__builtin_dir()) < 0)
		return NULL;
	return TAKE_PTR(v);
}

bool tmpl__is_path(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') || (n > 5 && streq(name + n - 5, ".yaml"));
}

bool tmpl__name_valid(const char *name)
{
	return *name &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		       strlen(name);
}

char *tmpl__name_of(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 5 && streq(b + n - 5, ".yaml"))
		n -= 5;
	return strndup(b, n);
}

bool tmpl__same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int tmpl__find(const struct site *s, const char *name, const char *skip, char **ret_path)
{
	_cleanup_(strv_freep) char **dirs = tmpl__search_dirs(s);

	if (!dirs)
		return -ENOMEM;
	for (char **dir = dirs; *dir; dir++) {
		_cleanup_(freep) char *p = NULL;

		if (asprintf(&p, "%s/%s.yaml", *dir, name) < 0) {
			p = NULL;
			return -ENOMEM;
		}
		if (access(p, F_OK) < 0 || tmpl__same_file(p, skip))
			continue;
		*ret_path = TAKE_PTR(p);
		return 0;
	}
	return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* NAME.yaml files in dir, sorted. A missing directory is empty. */
static int dir_entries(const char *dir, char ***ret)
{
	_cleanup_(strv_freep) char **v = calloc(1, sizeof(char *));
	DIR *dp;
	struct dirent *de;
	int r = 0;

	if (!v)
		return -ENOMEM;
	dp = opendir(dir);
	if (!dp) {
		if (errno != ENOENT)
			return -errno;
		*ret = TAKE_PTR(v);
		return 0;
	}
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || n <= 5 || !streq(de->d_name + n - 5, ".yaml"))
			continue;
		r = strv_push_take(&v, strndup(de->d_name, n - 5));
		if (r < 0)
			break;
	}
	closedir(dp);
	if (r < 0)
		return r;
	qsort(v, strv_length(v), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(v);
	return 0;
}

char **tmpl__all_names(const struct site *s)
{
	_cleanup_(strv_freep) char **dirs = tmpl__search_dirs(s);
	_cleanup_(strv_freep) char **all = calloc(1, sizeof(char *));

	if (!dirs || !all)
		return NULL;
	for (char **dir = dirs; *dir; dir++) {
		_cleanup_(strv_freep) char **names = NULL;

		if (dir_entries(*dir, &names) < 0)
			continue;
		for (char **n = names; *n; n++)
			if (!strv_contains(all, *n) && strv_push(&all, *n) < 0)
				return NULL;
	}
	return TAKE_PTR(all);
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct tmpl_info *) a)->name, ((const struct tmpl_info *) b)->name);
}

static int list_add(struct tmpl_list *l, const struct site *s, const char *dir, const char *name)
{
	struct diag scratch = DIAG_INIT;
	struct tmpl_guest *t = NULL;
	struct tmpl_info *nv, *e;
	int r;

	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	e = &l->v[l->n];
	*e = (struct tmpl_info){.name = strdup(name)};
	if (!e->name || asprintf(&e->path, "%s/%s.yaml", dir, name) < 0) {
		free(e->name);
		return -ENOMEM;
	}
	l->n++;
	r = tmpl_guest_load(s, e->path, &scratch, &t);
	diag_release(&scratch);
	if (r == -ENOMEM)
		return r;
	e->valid = r == 0;
	if (t && t->description) {
		e->description = strdup(t->description);
		if (!e->description)
			r = -ENOMEM;
	}
	tmpl_guest_free(t);
	return r == -ENOMEM ? r : 0;
}

int tmpl_list_load(const struct site *s, struct diag *d, struct tmpl_list **ret)
{
	_cleanup_(strv_freep) char **dirs = tmpl__search_dirs(s);
	_cleanup_(strv_freep) char **seen = calloc(1, sizeof(char *));
	struct tmpl_list *l = calloc(1, sizeof(*l));
	int r = 0;

	if (!dirs || !seen || !l) {
		tmpl_list_free(l);
		return -ENOMEM;
	}
	for (char **dir = dirs; *dir && r >= 0; dir++) {
		_cleanup_(strv_freep) char **names = NULL;

		r = dir_entries(*dir, &names);
		if (r == -ENOMEM)
			break;
		if (r < 0) {
			diag_add(d, DIAG_WARNING, NULL, "cannot read template directory '%s': %s",
				 *dir, strerror(-r));
			r = 0;
			continue;
		}
		for (char **n = names; *n && r >= 0; n++) {
			if (strv_contains(seen, *n))
				continue; /* hidden by an earlier directory */
			r = strv_push(&seen, *n);
			if (r >= 0)
				r = list_add(l, s, *dir, *n);
		}
	}
	if (r < 0) {
		tmpl_list_free(l);
		return r;
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_info);
	*ret = l;
	return 0;
}

struct tmpl_list *tmpl_list_free(struct tmpl_list *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
		free(l->v[i].description);
	}
	free(l->v);
	free(l);
	return NULL;
}
