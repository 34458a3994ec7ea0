/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision net check [VLAN...]: the VLAN bridges as they are vs what the site wants. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"
#include "network/network.h"
#include "cmds.h"
#include "net-site.h"
#include "prov.h"

static void print_text(const struct net_want *w, const struct net_plan *p)
{
	bool ok = p->n_actions == 0 && p->n_conflicts == 0;

	if (ok)
		printf("VLAN %u: ok (bridge '%s' on '%s'%s)\n", w->vlan, w->bridge, w->trunk,
		       w->native ? ", native" : "");
	for (size_t i = 0; i < p->n_conflicts; i++)
		printf("VLAN %u: %s\n", w->vlan, p->conflicts[i].message);
	for (size_t i = 0; i < p->n_actions; i++) {
		_cleanup_(freep) char *s = net_action_describe(&p->actions[i], NET_PROBLEM);

		if (s)
			printf("VLAN %u: %s\n", w->vlan, s);
	}
}

static void print_json(struct json *j, const struct net_want *w, const struct net_plan *p)
{
	json_obj_begin(j);
	json_key_uint(j, "vlan", w->vlan);
	json_key_str(j, "bridge", w->bridge);
	json_key_str(j, "trunk", w->trunk);
	json_key_bool(j, "native", w->native);
	json_key_bool(j, "ok", p->n_actions == 0 && p->n_conflicts == 0);
	json_key(j, "problems");
	json_arr_begin(j);
	for (size_t i = 0; i < p->n_actions; i++) {
		_cleanup_(freep) char *s = net_action_describe(&p->actions[i], NET_PROBLEM);

		if (s)
			json_str(j, s);
	}
	json_arr_end(j);
	json_key(j, "conflicts");
	json_arr_begin(j);
	for (size_t i = 0; i < p->n_conflicts; i++) {
		json_obj_begin(j);
		json_key_str(j, "type", net_conflict_type_to_string(p->conflicts[i].type));
		json_key_str(j, "link", p->conflicts[i].link);
		json_key_str(j, "message", p->conflicts[i].message);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "repair");
	json_arr_begin(j);
	for (size_t i = 0; i < p->n_actions; i++) {
		json_obj_begin(j);
		json_key_str(j, "action", net_action_type_to_string(p->actions[i].type));
		json_key_str(j, "link", p->actions[i].link);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static int cmd_net_check(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) struct net_want *w = NULL;
	struct net_snapshot snap = {0};
	struct json *j = prov_json(ctx);
	size_t n = 0, n_bad = 0;
	int r;

	r = prov_net_wants(ctx, argv + 1, argc - 1, &w, &n);
	if (r != 0)
		return r > 0	      ? r
		       : r == -ENOMEM ? EXIT_FAIL
				      : EXIT_USAGE; /* a VLAN not in the site */
	r = net_snapshot_read(&ctx->diag, &snap);
	if (r < 0)
		return EXIT_FAIL;
	if (j) {
		json_key(j, "vlans");
		json_arr_begin(j);
	}
	/* one plan per VLAN, so that each finding is told with its VLAN */
	for (size_t i = 0; i < n; i++) {
		struct net_plan p;

		r = net_plan_make(&w[i], 1, &snap, &p);
		if (r < 0) {
			diag_error_errno(&ctx->diag, NULL, r, "cannot check VLAN %u", w[i].vlan);
			break;
		}
		n_bad += p.n_actions || p.n_conflicts;
		if (j)
			print_json(j, &w[i], &p);
		else
			print_text(&w[i], &p);
		net_plan_release(&p);
	}
	net_snapshot_release(&snap);
	if (j)
		json_arr_end(j);
	if (r < 0)
		return EXIT_FAIL;
	if (n_bad)
		prov_json_error(ctx, "%zu of %zu VLAN bridges differ from the site file", n_bad, n);
	return n_bad ? EXIT_FAIL : EXIT_OK;
}

const struct cmd prov_cmd_net_check = {
	.name = "net check",
	.fn = cmd_net_check,
	.min_args = 0,
	.max_args = -1,
	.flags = CMD_SITE,
	.args = "[VLAN...]",
	.help = "compare the VLAN bridges with the site file (exit 1: something differs)",
	.options = NULL,
};
