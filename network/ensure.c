/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read, plan, apply: what `net ensure` and the pipeline's "network" stage call. */
#include <errno.h>

#include "network/network.h"

/* FIXME: two runs at once may race: the second fails with "Object exists"; run it again. */

int net_ensure(const struct net_want *want, size_t n_want, bool dry_run, struct diag *d,
	       struct net_plan *ret)
{
	struct net_snapshot snap = {0};
	struct net_plan p = {0};
	int r;

	r = net_snapshot_read(d, &snap);
	if (r < 0)
		return r;
	r = net_plan_make(want, n_want, &snap, &p);
	net_snapshot_release(&snap);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot plan the network links");
	if (p.n_conflicts > 0) {
		for (size_t i = 0; i < p.n_conflicts; i++)
			diag_error(d, NULL, "%s", p.conflicts[i].message);
		net_plan_release(&p);
		return -EBUSY;
	}
	if (!dry_run) {
		r = net_plan_apply(&p, d);
		if (r < 0) {
			net_plan_release(&p);
			return r;
		}
	}
	*ret = p;
	return 0;
}
