/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* From the site file to what the network module wants (the module never reads the site). */

#include <stddef.h>

#include "network/network.h"
#include "prov.h"

struct site;

/*
 * The want for VLAN id of the site: its bridge on the site's trunk. Strings borrowed from
 * site. For the pipeline's "network" stage: net_ensure(&want, 1, dry_run, d, &plan).
 * Returns: 0, or -ENOENT with "VLAN N is not in the site file 'PATH'" in d.
 */
int prov_net_want(const struct site *site, unsigned id, struct diag *d, struct net_want *ret);

/*
 * Wants for the VLAN ids in args (each once, in order), or for every VLAN of the site when
 * n_args is 0. A malformed id is a usage error.
 * Returns: 0 and a new array in *ret (caller frees); EXIT_USAGE (> 0) after printing a usage
 * error; < 0 with the reason in ctx->diag.
 */
int prov_net_wants(struct prov_ctx *ctx, char **args, int n_args, struct net_want **ret,
		   size_t *ret_n);
