/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * site.yaml's keys for several Dom0s sharing one site: `inventory:` (where the shared
 * inventory is: a libpq connection string; absent: SQLite in state_dir, one Dom0) and `ssh:`
 * (the command that runs provision on another Dom0). Part of the site loader (site.c);
 * doc/site.yaml.md documents them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

/* What xl migrate runs by default, without a prompt: a Dom0 that cannot log in fails. */
static const char *const default_ssh[] = {"ssh", "-o", "BatchMode=yes", NULL};

/*
 * A password written into the connection string: "postgresql://user:secret@host/db" or
 * "... password=secret ...". It would be in a file every Dom0 reads, and in our messages.
 */
static bool url_has_password(const char *url)
{
	const char *p, *at, *slash;

	if (strstr(url, "password=") || strstr(url, "password ="))
		return true;
	p = strstr(url, "://");
	if (!p)
		return false;
	p += 3;
	at = strchr(p, '@');
	slash = strchr(p, '/');
	if (!at || (slash && slash < at))
		return false;
	return memchr(p, ':', (size_t) (at - p)) != NULL;
}

static void load_inventory(struct diag *d, const struct ynode *root, struct site *s)
{
	struct tmpl__fld f;

	if (!tmpl__fld_get(&f, d, root, "", "inventory", true))
		return;
	if (!*f.s) {
		tmpl__err(&f.c, "expected a PostgreSQL connection string, got an empty one");
		return;
	}
	if (strncmp(f.s, "postgresql://", 13) != 0 && strncmp(f.s, "postgres://", 11) != 0 &&
	    !strchr(f.s, '=')) {
		tmpl__err(
			&f.c,
			"'%s' is not a PostgreSQL connection string (postgresql://USER@HOST/DB or 'host=... dbname=...'); leave the key out for the embedded SQLite inventory",
			f.s);
		return;
	}
	if (url_has_password(f.s)) {
		tmpl__err(
			&f.c,
			"a password does not belong in the site file (every Dom0 reads it): put it in ~/.pgpass or the file PGPASSFILE names");
		return;
	}
	tmpl__parse_str(&f.c, f.s, &s->inventory);
}

static int load_ssh(struct diag *d, const struct ynode *root, struct site *s)
{
	struct tmpl__fld f;
	int r;

	if (tmpl__fld_get(&f, d, root, "", "ssh", false)) {
		/* "ssh -p 2222" or [ssh, -p, "2222"]: argv words, never a shell string */
		if (f.n->kind == YNODE_SCALAR) {
			f.s = tmpl__scalar(&f.c, f.n);
			r = f.s ? tmpl__parse_list(&f.c, NULL, f.s, NULL, &s->ssh) : -EINVAL;
		} else {
			r = tmpl__parse_list(&f.c, f.n, NULL, NULL, &s->ssh);
		}
		if (r == -ENOMEM)
			return r;
		if (r >= 0 && strv_length(s->ssh) == 0)
			tmpl__err(&f.c, "expected a command, e.g. [ssh, -o, BatchMode=yes]");
		if (r >= 0 && strv_length(s->ssh) > 0)
			return 0;
		s->ssh = strv_free(s->ssh);
	}
	for (size_t i = 0; default_ssh[i]; i++) {
		r = strv_push(&s->ssh, default_ssh[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int tmpl__site_load_cluster(struct diag *d, const struct ynode *root, struct site *s)
{
	load_inventory(d, root, s);
	return load_ssh(d, root, s);
}
