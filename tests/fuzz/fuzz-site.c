/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The site file parser (tmpl_site_parse, as tmpl_site_load after reading the file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "templates/templates.h"
#include "fuzz.h"

static void site_check(const struct site *s)
{
	FUZZ_CHECK(s->config_dir && s->state_dir && s->hooks_dir && s->template_dirs && s->luns);
	FUZZ_CHECK(s->config_dir[0] == '/' && s->state_dir[0] == '/');
	FUZZ_CHECK(s->luns[0] && s->n_partition_sizes > 0);
	FUZZ_CHECK(s->mac_prefix_len >= 1 && s->mac_prefix_len <= 5);
	for (size_t i = 0; i < s->n_vlans; i++) {
		const struct site_vlan *v = &s->vlans[i];

		FUZZ_CHECK(v->id >= 1 && v->id <= 4094 && v->bridge);
		FUZZ_CHECK(tmpl_site_vlan(s, v->id) == v); /* no two with one id */
		if (v->has_subnet) {
			FUZZ_CHECK(v->prefix <= 32);
			FUZZ_CHECK(v->range_first <= v->range_last);
		}
	}
	for (size_t i = 0; i < s->n_kernels; i++)
		FUZZ_CHECK(tmpl_site_kernel(s, s->kernels[i].name) == &s->kernels[i]);
}

int fuzz_one(const uint8_t *data, size_t size)
{
	struct diag d = DIAG_INIT;
	struct site *s = NULL;
	int r;

	r = tmpl_site_parse("fuzz/site.yaml", (const char *) data, size, &d, &s);
	if (r == 0) {
		FUZZ_CHECK(d.n_errors == 0);
		site_check(s);
	} else {
		FUZZ_CHECK(d.n_errors > 0 || r == -ENOMEM);
	}
	fuzz_diag_print(&d);
	tmpl_site_free(s);
	diag_release(&d);
	return 0;
}
