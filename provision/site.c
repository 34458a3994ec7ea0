/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "prov.h"

/* FIXME: the site loader arrives with the templates module (issue 2); no command uses it yet. */
int prov_site_load(struct prov_ctx *ctx)
{
	return diag_error(&ctx->diag, NULL, "cannot load '%s': site files are not supported yet",
			  ctx->site_path);
}

void prov_site_free(struct site *site)
{
	free(site);
}
