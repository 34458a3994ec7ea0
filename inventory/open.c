/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Choosing and opening a backend (inv_open_at()): the SQLite file in state_dir or a shared
 * PostgreSQL database; the scratch copy of either; and the guard against switching backends
 * under live guests. A PostgreSQL inventory leaves a marker, STATE_DIR/inventory.shared,
 * holding its URL without the password: a later run that would use the (empty) SQLite file of
 * that state_dir instead (site.yaml lost its inventory key) is refused rather than starting
 * a second, empty inventory beside the shared one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"

#define MARKER "inventory.shared"

/* Cut [from, to) out of s. */
static void cut(char *s, size_t from, size_t to)
{
	memmove(s + from, s + to, strlen(s + to) + 1);
}

/* Remove every "password=VALUE" parameter (URI query: up to '&'; key=value: up to a blank). */
static void cut_password_params(char *s, bool uri)
{
	char *p = s;

	while ((p = strstr(p, "password="))) {
		size_t at = (size_t) (p - s), end = at + strlen("password=");
		bool start = at == 0 || (uri ? (s[at - 1] == '?' || s[at - 1] == '&')
					     : (s[at - 1] == ' ' || s[at - 1] == '\t'));

		if (!start) {
			p++;
			continue;
		}
		if (!uri && s[end] == '\'') { /* a quoted value: up to the closing quote */
			for (end++; s[end] && s[end] != '\''; end++)
				if (s[end] == '\\' && s[end + 1])
					end++;
			if (s[end])
				end++;
		}
		while (s[end] && (uri ? s[end] != '&' : (s[end] != ' ' && s[end] != '\t')))
			end++;
		if (s[end] == '&' || s[end] == ' ' || s[end] == '\t')
			end++; /* the separator after it */
		else if (at > 0)
			at--; /* the last one: the separator before it */
		cut(s, at, end);
		p = s + at;
	}
}

char *inv__url_redact(const char *url)
{
	char *s = strdup(url ?: ""), *host, *at, *colon;
	bool uri;

	if (!s)
		return NULL;
	uri = strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
	if (uri) {
		host = strstr(s, "://") + 3;
		at = strchr(host, '@');
		colon = strchr(host, ':');
		/* user:password@host: the userinfo ends at the last '@' before the path */
		if (at && (!strchr(host, '/') || at < strchr(host, '/')) && colon && colon < at)
			cut(s, (size_t) (colon - s), (size_t) (at - s));
	}
	cut_password_params(s, uri);
	return s;
}

static char *path_in(const char *state_dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", state_dir, name) < 0 ? NULL : p;
}

/* The live guests in state_dir's SQLite file (0 when there is none), opened read-only. */
static int sqlite_live_guests(const char *state_dir, struct diag *d, size_t *ret)
{
	_cleanup_(freep) char *path = path_in(state_dir, "inventory.db");
	struct inv_guest *v = NULL;
	void *h = NULL;
	size_t n = 0;
	int r;

	if (!path)
		return -ENOMEM;
	*ret = 0;
	if (access(path, F_OK) < 0)
		return errno == ENOENT
			       ? 0
			       : diag_error_errno(d, NULL, -errno, "cannot access '%s'", path);
	r = inv__sqlite_open_readonly(state_dir, d, &h);
	if (r < 0)
		return r;
	r = inv__sqlite_ops.guest_list(h, 0, d, &v, &n);
	inv__sqlite_ops.close(h);
	if (r < 0)
		return r;
	inv_guest_array_free(v, n);
	*ret = n;
	return 0;
}

/* Opening PostgreSQL at url (redacted) while state_dir's SQLite file holds live guests. */
static int check_switch_to_pg(const char *url, const char *state_dir, struct diag *d)
{
	size_t n;
	int r;

	r = sqlite_live_guests(state_dir, d, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	diag_add(
		d, DIAG_ERROR, NULL,
		"the inventory is now at '%s' but '%s/inventory.db' still holds %zu live guests: move them with 'provision inventory export' and 'provision inventory import'",
		url, state_dir, n);
	return -ESTALE;
}

int inv_sqlite_retire(const char *state_dir, const char *json, size_t len, bool apply,
		      struct diag *d)
{
	static const char *const files[] = {"inventory.db", "inventory.db-wal", "inventory.db-shm"};
	_cleanup_(freep) char *mine = NULL;
	struct inv *inv = NULL;
	size_t n;
	int r;

	r = sqlite_live_guests(state_dir, d, &n);
	if (r < 0 || n == 0)
		return r;
	r = inv_open_at(NULL, state_dir, INV_OPEN_READONLY, d, &inv);
	if (r >= 0)
		r = inv_export(inv, d, &mine);
	inv_close(inv);
	if (r < 0)
		return r;
	while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == ' '))
		len--;
	if (strlen(mine) < len || memcmp(mine, json, len) != 0 ||
	    strspn(mine + len, "\n ") != strlen(mine + len)) {
		diag_add(
			d, DIAG_ERROR, NULL,
			"'%s/inventory.db' holds %zu live guests and is not what is imported: import its own export ('provision inventory export' with the site file that has no 'inventory:')",
			state_dir, n);
		return -ESTALE;
	}
	for (size_t i = 0; apply && i < ELEMENTSOF(files); i++) {
		_cleanup_(freep) char *from = path_in(state_dir, files[i]), *to = NULL;

		if (!from || asprintf(&to, "%s.moved", from) < 0)
			return -ENOMEM;
		if (rename(from, to) < 0 && errno != ENOENT)
			return diag_error_errno(d, NULL, -errno, "cannot rename '%s' to '%s'", from,
						to);
	}
	return 0;
}

/* Opening the SQLite file of a state_dir that a PostgreSQL inventory was used from. */
static int check_switch_to_sqlite(const char *state_dir, struct diag *d)
{
	_cleanup_(freep) char *marker = path_in(state_dir, MARKER), *url = NULL;
	size_t len = 0, n;
	int r;

	if (!marker)
		return -ENOMEM;
	r = read_file(marker, &url, &len);
	/* a reader who may not read state_dir hears so from the SQLite open, in its words */
	if (r == -ENOENT || r == -EACCES)
		return 0;
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot read '%s'", marker);
	r = sqlite_live_guests(state_dir, d, &n);
	if (r < 0)
		return r;
	if (n > 0)
		return 0; /* this file is an inventory in use; the marker is the stale part */
	url[strcspn(url, "\n")] = '\0';
	diag_add(
		d, DIAG_ERROR, NULL,
		"the inventory is at '%s' (see '%s') but this run uses '%s/inventory.db', which holds no guests: name the shared inventory in site.yaml, or move the guests back with 'provision inventory export' and 'provision inventory import' and remove '%s'",
		url, marker, state_dir, marker);
	return -ESTALE;
}

/* Record in state_dir that url (redacted) is its inventory, unless it already says so. */
static int marker_write(const char *url, const char *state_dir, struct diag *d)
{
	_cleanup_(freep) char *marker = path_in(state_dir, MARKER), *old = NULL, *text = NULL;
	size_t len = 0;
	int r;

	if (!marker || asprintf(&text, "%s\n", url) < 0)
		return -ENOMEM;
	if (read_file(marker, &old, &len) >= 0 && streq(old, text))
		return 0;
	if (mkdir(state_dir, 0750) < 0 && errno != EEXIST)
		return diag_error_errno(d, NULL, -errno, "cannot create state directory '%s'",
					state_dir);
	r = write_file_atomic(marker, text, strlen(text), 0644, true);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot write '%s'", marker);
	return 0;
}

/* A private in-memory SQLite copy of the PostgreSQL inventory at url (read-only there). */
static int pg_scratch(const char *url, struct diag *d, void **ret)
{
	struct inv src = {.ops = &inv__pg_ops}, dst = {.ops = &inv__sqlite_ops};
	struct inv__dump dump = {0};
	int r;

	r = inv__pg_open(url, true, d, &src.h);
	if (r < 0)
		return r;
	r = inv__dump_read(&src, d, &dump);
	src.ops->close(src.h);
	if (r >= 0)
		r = inv__sqlite_open_memory(d, &dst.h);
	if (r >= 0) {
		r = inv__dump_write(&dst, &dump, d);
		if (r < 0)
			dst.ops->close(dst.h);
	}
	inv__dump_release(&dump);
	if (r < 0)
		return r;
	*ret = dst.h;
	return 0;
}

static int open_sqlite(const char *state_dir, enum inv_open_mode mode, struct diag *d, void **ret)
{
	int r;

	r = check_switch_to_sqlite(state_dir, d);
	if (r < 0)
		return r;
	switch (mode) {
	case INV_OPEN_WRITE:
	case INV_OPEN_IMPORT:
		return inv__sqlite_open(state_dir, d, ret);
	case INV_OPEN_READONLY:
		return inv__sqlite_open_readonly(state_dir, d, ret);
	case INV_OPEN_SCRATCH:
		return inv__sqlite_open_copy(state_dir, d, ret);
	}
	return -EINVAL;
}

/*
 * PostgreSQL at url in mode; *ret_sqlite: the handle is SQLite's (a scratch copy, or the empty
 * inventory a reader sees in a database no provision has written to yet, like a missing file).
 */
static int open_pg(const char *url, const char *state_dir, enum inv_open_mode mode, struct diag *d,
		   void **ret, bool *ret_sqlite)
{
	_cleanup_(freep) char *shown = inv__url_redact(url);
	int r;

	if (!shown)
		return -ENOMEM;
	/* an import is the move the guard asks for (the command retires the SQLite file) */
	r = mode == INV_OPEN_IMPORT ? 0 : check_switch_to_pg(shown, state_dir, d);
	if (r < 0)
		return r;
	*ret_sqlite = mode == INV_OPEN_SCRATCH;
	if (mode == INV_OPEN_SCRATCH)
		return pg_scratch(url, d, ret);
	r = inv__pg_open(url, mode == INV_OPEN_READONLY, d, ret);
	if (r == -ENODATA && mode == INV_OPEN_READONLY) {
		*ret_sqlite = true;
		return inv__sqlite_open_memory(d, ret);
	}
	if (r < 0 || mode == INV_OPEN_READONLY)
		return r;
	r = marker_write(shown, state_dir, d);
	if (r < 0)
		inv__pg_ops.close(*ret);
	return r;
}

int inv_open_at(const char *url, const char *state_dir, enum inv_open_mode mode, struct diag *d,
		struct inv **ret)
{
	_cleanup_(freep) struct inv *inv = NULL;
	bool pg = url && *url, sqlite = !pg;
	int r;

	if (!state_dir || !*state_dir)
		return diag_error(d, NULL, "no state directory for the inventory");
	if ((unsigned) mode > INV_OPEN_IMPORT)
		return -EINVAL;
	inv = calloc(1, sizeof(*inv));
	if (!inv)
		return -ENOMEM;
	inv->state_dir = strdup(state_dir);
	if (!inv->state_dir)
		return -ENOMEM;
	r = pg ? open_pg(url, state_dir, mode, d, &inv->h, &sqlite)
	       : open_sqlite(state_dir, mode, d, &inv->h);
	if (r < 0) {
		free(inv->state_dir);
		return r;
	}
	/* a scratch copy is SQLite in memory, whatever it copies; its locks are flock(2) */
	inv->ops = sqlite ? &inv__sqlite_ops : &inv__pg_ops;
	inv->shared = !sqlite;
	inv->backend = pg ? "postgresql" : "sqlite";
	*ret = TAKE_PTR(inv);
	return 0;
}

int inv_open(const char *state_dir, struct diag *d, struct inv **ret)
{
	return inv_open_at(NULL, state_dir, INV_OPEN_WRITE, d, ret);
}

int inv_open_readonly(const char *state_dir, struct diag *d, struct inv **ret)
{
	return inv_open_at(NULL, state_dir, INV_OPEN_READONLY, d, ret);
}

int inv_open_scratch(const char *state_dir, struct diag *d, struct inv **ret)
{
	return inv_open_at(NULL, state_dir, INV_OPEN_SCRATCH, d, ret);
}

const char *inv_backend(const struct inv *inv)
{
	return inv->backend;
}

bool inv_is_shared(const struct inv *inv)
{
	return inv->shared;
}

struct inv *inv_close(struct inv *inv)
{
	if (!inv)
		return NULL;
	inv->ops->close(inv->h);
	free(inv->state_dir);
	free(inv);
	return NULL;
}
