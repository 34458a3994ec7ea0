/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The batch file parser (tmpl_batch_parse): each guest of a batch that parses is a request
 * whose parameters are applied to a template, as `provision batch` does. The same text also
 * goes through tmpl_doc_flatten() (batch reads new-guest --json results with it) and its
 * first line through tmpl_names_expand() (the names: pattern).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/util.h"
#include "templates/templates.h"
#include "fuzz.h"
#include "guest-base.h"

static void batch_check(const struct tmpl_batch *b, struct diag *d)
{
	FUZZ_CHECK(b->name && b->template_name && b->base);
	FUZZ_CHECK(b->n_guests >= 1 && b->n_guests <= TMPL_BATCH_MAX);
	for (size_t i = 0; i < b->n_guests; i++) {
		const struct tmpl_request *g = b->guests[i];

		FUZZ_CHECK(g && g->name && hostname_label_valid(g->name) && g->request_id);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(b->guests[j]->name, g->name) != 0);
		guest_base_apply(g, d);
	}
}

static void flatten_check(const uint8_t *data, size_t size)
{
	_cleanup_(strv_freep) char **flat = NULL;
	struct diag d = DIAG_INIT;

	if (tmpl_doc_flatten("fuzz/result.json", (const char *) data, size, &d, &flat) == 0) {
		FUZZ_CHECK(strv_length(flat) % 2 == 0);
		for (size_t i = 0; flat[i]; i += 2)
			FUZZ_CHECK(tmpl_flat_get(flat, flat[i]) != NULL);
	}
	diag_release(&d);
}

static void expand_check(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *line = fuzz_strndup(data, size);
	_cleanup_(strv_freep) char **names = NULL;
	struct src_loc loc = {"fuzz/names", 1, 1};
	struct diag d = DIAG_INIT;

	line[strcspn(line, "\n")] = 0;
	if (tmpl_names_expand(line, &loc, &d, &names) == 0)
		FUZZ_CHECK(names[0] && strv_length(names) <= TMPL_BATCH_MAX);
	else
		FUZZ_CHECK(d.n_errors > 0);
	fuzz_diag_print(&d);
	diag_release(&d);
}

int fuzz_one(const uint8_t *data, size_t size)
{
	_cleanup_(tmpl_batch_freep) struct tmpl_batch *b = NULL;
	struct diag d = DIAG_INIT;
	int k;

	k = tmpl_batch_parse("fuzz/lab.yaml", (const char *) data, size, &d, &b);
	if (k == 0) {
		FUZZ_CHECK(d.n_errors == 0);
		batch_check(b, &d);
	} else {
		FUZZ_CHECK(d.n_errors > 0 || k == -ENOMEM);
	}
	fuzz_diag_print(&d);
	diag_release(&d);
	flatten_check(data, size);
	expand_check(data, size);
	return 0;
}
