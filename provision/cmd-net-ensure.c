/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision net ensure VLAN... [-n]: create or repair the VLAN bridges; say what was done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"
#include "network/network.h"
#include "cmds.h"
#include "net-site.h"
#include "prov.h"

static int cmd_net_ensure(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) struct net_want *w = NULL;
	enum net_tense tense = ctx->dry_run ? NET_WOULD : NET_DONE;
	struct json *j = prov_json(ctx);
	struct net_plan p = {0};
	size_t n = 0;
	int r;

	r = prov_net_wants(ctx, argv + 1, argc - 1, &w, &n);
	if (r != 0)
		return r > 0	      ? r
		       : r == -ENOMEM ? EXIT_FAIL
				      : EXIT_USAGE; /* a VLAN not in the site */
	r = net_ensure(w, n, ctx->dry_run, &ctx->diag, &p);
	if (r < 0)
		return prov_exit_status(r);
	if (j) {
		json_key_bool(j, "dry_run", ctx->dry_run);
		json_key(j, "actions");
		json_arr_begin(j);
	}
	for (size_t i = 0; i < p.n_actions; i++) {
		_cleanup_(freep) char *s = net_action_describe(&p.actions[i], tense);

		if (!j) {
			if (s)
				puts(s);
			continue;
		}
		json_obj_begin(j);
		json_key_str(j, "action", net_action_type_to_string(p.actions[i].type));
		json_key_str(j, "link", p.actions[i].link);
		json_key_str(j, "message", s);
		json_obj_end(j);
	}
	if (j)
		json_arr_end(j);
	else if (p.n_actions == 0)
		puts("nothing to do");
	net_plan_release(&p);
	return EXIT_OK;
}

const struct cmd prov_cmd_net_ensure = {
	.name = "net ensure",
	.fn = cmd_net_ensure,
	.min_args = 1,
	.max_args = -1,
	.flags = CMD_SITE | CMD_DRYRUN,
	.args = "VLAN...",
	.help = "create or repair VLAN bridges: VLAN link, bridge, forward delay 0, up",
	.options = NULL,
};
