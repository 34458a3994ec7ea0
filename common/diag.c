/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/strbuf.h"

static const char *const level_names[] = {
	[DIAG_ERROR] = "error",
	[DIAG_WARNING] = "warning",
	[DIAG_NOTE] = "note",
};

const char *diag_level_to_string(enum diag_level level)
{
	return level >= 0 && level < (int) ELEMENTSOF(level_names) ? level_names[level] : NULL;
}

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	d->n = 0;
	d->n_errors = 0;
}

void diag_truncate(struct diag *d, size_t mark)
{
	while (d->n > mark) {
		struct diag_entry *e = &d->v[--d->n];

		if (e->level == DIAG_ERROR && d->n_errors)
			d->n_errors--;
		free(e->file);
		free(e->msg);
	}
}

void diag_demote(struct diag *d, size_t mark)
{
	for (size_t i = mark; i < d->n; i++)
		if (d->v[i].level == DIAG_ERROR) {
			d->v[i].level = DIAG_WARNING;
			if (d->n_errors)
				d->n_errors--;
		}
}

char *diag_cause(const struct diag *d, size_t mark)
{
	for (size_t i = mark; i < d->n; i++) {
		const struct diag_entry *e = &d->v[i];
		char *s;

		if (e->level != DIAG_ERROR)
			continue;
		if (!e->file)
			return strdup(e->msg);
		if (e->line && e->col)
			return asprintf(&s, "%s:%u:%u: %s", e->file, e->line, e->col, e->msg) < 0
				       ? NULL
				       : s;
		return asprintf(&s, "%s: %s", e->file, e->msg) < 0 ? NULL : s;
	}
	return NULL;
}

void diag_release(struct diag *d)
{
	diag_clear(d);
	free(d->v);
	*d = (struct diag) DIAG_INIT;
}

_printf_(5, 0) static void diag_vadd(struct diag *d, enum diag_level level,
				     const struct src_loc *loc, const char *suffix, const char *fmt,
				     va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	struct diag_entry *e;

	if (level == DIAG_ERROR)
		d->n_errors++; /* counted even if we cannot store the text */
	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 8;
		struct diag_entry *nv = realloc(d->v, na * sizeof(*nv));

		if (!nv)
			return;
		d->v = nv;
		d->alloc = na;
	}
	strbuf_vaddf(&sb, fmt, ap);
	if (suffix)
		strbuf_addf(&sb, ": %s", suffix);
	e = &d->v[d->n];
	*e = (struct diag_entry){.level = level};
	e->msg = strbuf_detach(&sb);
	if (!e->msg)
		return;
	if (loc && loc->file) {
		e->file = strdup(loc->file);
		e->line = loc->line;
		e->col = loc->col;
	}
	d->n++;
}

void diag_add(struct diag *d, enum diag_level level, const struct src_loc *loc, const char *fmt,
	      ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, level, loc, NULL, fmt, ap);
	va_end(ap);
}

int diag_error(struct diag *d, const struct src_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, DIAG_ERROR, loc, NULL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int diag_error_errno(struct diag *d, const struct src_loc *loc, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, DIAG_ERROR, loc, strerror(r < 0 ? -r : r), fmt, ap);
	va_end(ap);
	return r < 0 ? r : -r;
}

void diag_print(const struct diag *d, FILE *f, const char *prog)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_entry *e = &d->v[i];

		if (!e->file)
			fprintf(f, "%s: ", prog);
		else if (e->line && e->col)
			fprintf(f, "%s:%u:%u: ", e->file, e->line, e->col);
		else if (e->line)
			fprintf(f, "%s:%u: ", e->file, e->line);
		else
			fprintf(f, "%s: ", e->file);
		fprintf(f, "%s: %s\n", level_names[e->level], e->msg);
	}
}
