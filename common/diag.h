/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Diagnostics: modules never print, they append here and the CLI prints.
 * With a source location:    templates/web.yaml:12:5: error: unknown key 'dsik'
 * Without:                   provision: error: cannot open '/dev/sdz': No such file
 */

#include <stdio.h>

#include "common/macro.h"

struct src_loc {
	const char *file;   /* borrowed; NULL when the message is not about a file */
	unsigned line, col; /* 1-based; 0 means unknown */
};

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,
};

struct diag_entry {
	enum diag_level level;
	char *file;
	unsigned line, col;
	char *msg;
};

struct diag {
	struct diag_entry *v;
	size_t n, alloc;
	unsigned n_errors;
};

#define DIAG_INIT                                                                                  \
	{                                                                                          \
		0                                                                                  \
	}

/* "error", "warning", "note" (as diag_print() writes them). */
const char *diag_level_to_string(enum diag_level level);

void diag_release(struct diag *d);
static inline void diag_releasep(struct diag *d)
{
	diag_release(d);
}

/* Append a message. loc may be NULL. */
void diag_add(struct diag *d, enum diag_level level, const struct src_loc *loc, const char *fmt,
	      ...) _printf_(4, 5);

/* Append an error and return -EINVAL, for "return diag_error(...)". */
int diag_error(struct diag *d, const struct src_loc *loc, const char *fmt, ...) _printf_(3, 4);
/* Append an error ending in ": strerror(-r)" and return r (which must be < 0). */
int diag_error_errno(struct diag *d, const struct src_loc *loc, int r, const char *fmt, ...)
	_printf_(4, 5);

/* Print every entry in order: "FILE:LINE:COL: error: msg" or "PROG: error: msg". */
void diag_print(const struct diag *d, FILE *f, const char *prog);
/* Drop every entry (after printing them). */
void diag_clear(struct diag *d);

/*
 * Where d stands now, to drop or demote later only what came after: a caller that handles an
 * error it asked for (-ENOENT: "nothing there") drops that error, and keeps what was there
 * before (warnings of earlier steps).
 */
static inline size_t diag_mark(const struct diag *d)
{
	return d->n;
}
/* Drop the entries added since mark. */
void diag_truncate(struct diag *d, size_t mark);
/* Make the errors added since mark warnings (a failure the caller carries on past). */
void diag_demote(struct diag *d, size_t mark);
/*
 * The cause of a failure: the first error added since mark (the root; later errors say what
 * it broke), as "FILE:LINE:COL: message" when it has a place. NULL: none. Caller frees.
 * One rule for the inventory's record, --json and batch.
 */
char *diag_cause(const struct diag *d, size_t mark);
