/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by the command files: the site file and configuration constants. */

#include "cmds.h"
#include "config.h"

/*
 * Load ctx->site_path into ctx->site. Errors go to ctx->diag as FILE:LINE:COL.
 * Returns: 0 on success, < 0 on error.
 */
int prov_site_load(struct prov_ctx *ctx);
void prov_site_free(struct site *site);
