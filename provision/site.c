/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "templates/templates.h"
#include "prov.h"

int prov_site_load(struct prov_ctx *ctx)
{
	return tmpl_site_load(ctx->site_path, &ctx->diag, &ctx->site);
}

void prov_site_free(struct site *site)
{
	tmpl_site_free(site);
}
