/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The request parser (tmpl_request_parse, YAML or JSON from a ticket system); a request that
 * parses has its template parameters applied to a template, as new-guest --request does.
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

int fuzz_one(const uint8_t *data, size_t size)
{
	_cleanup_(tmpl_request_freep) struct tmpl_request *r = NULL;
	struct diag d = DIAG_INIT;
	int k;

	k = tmpl_request_parse("fuzz/request.yaml", (const char *) data, size, &d, &r);
	if (k == 0) {
		FUZZ_CHECK(d.n_errors == 0 && r->request_id && r->template_name);
		FUZZ_CHECK(r->name && hostname_label_valid(r->name));
		for (size_t i = 0; i < r->n_params; i++)
			FUZZ_CHECK(r->params[i].key && r->params[i].loc.file == r->file);
		guest_base_apply(r, &d);
	} else {
		FUZZ_CHECK(d.n_errors > 0 || k == -ENOMEM);
	}
	fuzz_diag_print(&d);
	diag_release(&d);
	return 0;
}
