/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "common/util.h"
#include "templates/templates.h"
#include "net-site.h"

int prov_net_want(const struct site *site, unsigned id, struct diag *d, struct net_want *ret)
{
	const struct site_vlan *v;

	if (!site->trunk)
		return diag_error(d, NULL, "the site file '%s' names no trunk", site->path);
	v = tmpl_site_vlan(site, id);
	if (v) {
		*ret = (struct net_want){.trunk = site->trunk,
					 .vlan = v->id,
					 .bridge = v->bridge,
					 .native = v->native};
		return 0;
	}
	diag_error(d, NULL, "VLAN %u is not in the site file '%s'", id, site->path);
	return -ENOENT;
}

int prov_net_wants(struct prov_ctx *ctx, char **args, int n_args, struct net_want **ret,
		   size_t *ret_n)
{
	const struct site *site = ctx->site;
	size_t n = n_args > 0 ? (size_t) n_args : site->n_vlans, k = 0;
	_cleanup_(freep) struct net_want *w = calloc(n ? n : 1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		bool seen = false;

		if (n_args == 0)
			id = site->vlans[i].id;
		else if (parse_u64(args[i], &id) < 0 || id < 1 || id > 4094)
			return usage_error(ctx, "invalid VLAN '%s': want a number from 1 to 4094",
					   args[i]);
		for (size_t j = 0; j < k; j++)
			seen = seen || w[j].vlan == id;
		if (seen)
			continue;
		r = prov_net_want(site, (unsigned) id, &ctx->diag, &w[k]);
		if (r < 0)
			return r;
		k++;
	}
	*ret = TAKE_PTR(w);
	*ret_n = k;
	return 0;
}
