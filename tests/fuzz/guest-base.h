/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * For the template, request and batch harnesses: the round trip of a template through YAML,
 * and a fresh template (the built-in debian, fixed text) to apply a parsed request's
 * parameters to, as new-guest does, with tmpl_guest_set() and then tmpl_guest_check().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/macro.h"
#include "templates/templates.h"
#include "fuzz.h"

static const char guest_base_text[] = "description: Debian PV guest\n"
				      "type: pv\n"
				      "memory: 1G\n"
				      "vcpus: 1\n"
				      "disk: 10G\n"
				      "swap: 2G\n"
				      "kernel: default\n"
				      "root: /dev/xvda1 ro\n"
				      "extra: console=hvc0\n"
				      "install:\n"
				      "  classes: [DEBIAN]\n";

/*
 * t written out as YAML (as new-guest saves a guest's spec) must load back (resume) to the
 * same YAML.
 */
static inline void guest_round_trip(const struct tmpl_guest *t, const struct site *site)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *back = NULL;
	_cleanup_(freep) char *yaml = NULL, *yaml2 = NULL, *path = NULL;
	struct diag d = DIAG_INIT;

	FUZZ_CHECK(tmpl_guest_to_yaml(t, false, &yaml) == 0);
	fuzz_write(fuzz_tmpdir(), "back.yaml", yaml, strlen(yaml));
	if (asprintf(&path, "%s/back.yaml", fuzz_tmpdir()) < 0)
		fuzz_fail("out of memory");
	if (tmpl_guest_load(site, path, &d, &back) < 0) {
		diag_print(&d, stderr, "provision");
		fuzz_fail("the template written out does not load back:\n%s", yaml);
	}
	FUZZ_CHECK(tmpl_guest_to_yaml(back, false, &yaml2) == 0);
	if (strcmp(yaml, yaml2) != 0)
		fuzz_fail("the template loaded back differs:\n%s---\n%s", yaml, yaml2);
	diag_release(&d);
}

/* Apply r's parameters to a fresh template; the errors go to d. */
static inline void guest_base_apply(const struct tmpl_request *r, struct diag *d)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	static char path[4096];
	struct diag base = DIAG_INIT;
	unsigned errors = d->n_errors;
	int k = 0;

	if (!path[0]) {
		fuzz_write(fuzz_tmpdir(), "base.yaml", guest_base_text,
			   sizeof(guest_base_text) - 1);
		snprintf(path, sizeof(path), "%s/base.yaml", fuzz_tmpdir());
	}
	if (tmpl_guest_load(NULL, path, &base, &t) < 0)
		fuzz_fail("the base template does not load");
	diag_release(&base);
	for (size_t i = 0; i < r->n_params; i++) {
		const struct tmpl_request_param *p = &r->params[i];
		int e = tmpl_guest_set(t, p->key, p->value, &p->loc, d);

		FUZZ_CHECK(e == 0 || e == -EINVAL || e == -ENOMEM);
		if (e < 0)
			k = e;
	}
	if (k == 0)
		k = tmpl_guest_check(t, NULL, d);
	FUZZ_CHECK(k == 0 ? d->n_errors == errors : d->n_errors > errors || k == -ENOMEM);
	if (k == 0)
		guest_round_trip(t, NULL);
}
