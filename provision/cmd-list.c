/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision list  and  provision show NAME: what the inventory knows. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "guestcfg.h"
#include "prov.h"

static const struct cmd_option list_options[] = {
	{"all", 'a', NULL, "also destroyed guests (the audit trail)"},
	{NULL},
};

static char *when(int64_t usec, char buf[static 32])
{
	time_t t = (time_t) (usec / 1000000);
	struct tm tm;

	strftime(buf, 32, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
	return buf;
}

static char *partition_text(const struct inv_guest *g, char buf[static 256])
{
	char sz[32];

	if (!g->has_partition)
		snprintf(buf, 256, "-");
	else if (g->part.partno)
		snprintf(buf, 256, "%s#%u", g->part.lun, g->part.partno);
	else
		snprintf(buf, 256, "%s@%" PRIu64 "+%s (pending)", g->part.lun, g->part.start,
			 format_size(g->part.size, sz, sizeof(sz)));
	return buf;
}

static void guest_json(struct json *j, const struct inv_guest *g)
{
	char mac[18], ip[16];

	json_obj_begin(j);
	json_key_str(j, "name", g->name);
	json_key_str(j, "template", g->template_name);
	json_key_uint(j, "vlan", g->vlan);
	json_key_str(j, "ip", g->has_ip ? format_ipv4(g->ip, ip) : NULL);
	json_key_str(j, "mac", format_mac(g->mac, mac));
	json_key(j, "partition");
	if (g->has_partition) {
		json_obj_begin(j);
		json_key_str(j, "lun", g->part.lun);
		json_key_uint(j, "number", g->part.partno);
		json_key_str(j, "partuuid", g->part.partuuid);
		json_key_uint(j, "start", g->part.start);
		json_key_uint(j, "size", g->part.size);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key_str(j, "stage", g->stage);
	json_key_str(j, "state", inv_state_to_string(g->state));
	json_key_str(j, "error", g->error);
	json_key_str(j, "failed_stage", g->failed_stage);
	json_key_str(j, "host", g->host);
	json_key_str(j, "request_id", g->request_id);
	json_key_str(j, "owner", g->owner);
	json_key_time_usec(j, "created", g->created_usec);
	json_obj_end(j);
}

static int cmd_list(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct inv_guest *v = NULL;
	size_t n = 0;
	int r;

	r = prov_inv_open(ctx, INV_OPEN_READONLY, &inv);
	if (r >= 0)
		r = inv_guest_list(inv, opt_flag(ctx, "all") ? INV_LIST_DESTROYED : 0, &ctx->diag,
				   &v, &n);
	if (r < 0)
		return prov_exit_status(r);
	if (prov_json(ctx)) {
		struct json *j = prov_json(ctx);

		json_key(j, "guests");
		json_arr_begin(j);
		for (size_t i = 0; i < n; i++)
			guest_json(j, &v[i]);
		json_arr_end(j);
	} else {
		printf("%-16s %-10s %-5s %-15s %-17s %-28s %-8s %-9s %s\n", "NAME", "TEMPLATE",
		       "VLAN", "IP", "MAC", "PARTITION", "STAGE", "STATE", "HOST");
		for (size_t i = 0; i < n; i++) {
			char mac[18], ip[16], part[256];

			printf("%-16s %-10s %-5u %-15s %-17s %-28s %-8s %-9s %s\n", v[i].name,
			       v[i].template_name, v[i].vlan,
			       v[i].has_ip ? format_ipv4(v[i].ip, ip) : "-",
			       format_mac(v[i].mac, mac), partition_text(&v[i], part),
			       v[i].stage ? v[i].stage : "-", inv_state_to_string(v[i].state),
			       v[i].host ? v[i].host : "-");
		}
	}
	inv_guest_array_free(v, n);
	return EXIT_OK;
}

/*
 * What the guest's install waits for, from its spec (the template as installed): FAI's
 * verdict, or the guest's own installer powering it off. Caller frees; NULL: no spec.
 */
static char *install_waits_for(const struct site *s, const struct inv_guest *g)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	struct diag d = DIAG_INIT;
	char buf[32], *text = NULL;
	int r;

	if (!g->spec)
		return NULL;
	r = tmpl_guest_load_text(NULL, g->name, g->spec, &d, &t);
	diag_release(&d);
	if (r < 0)
		return NULL;
	format_duration(tmpl_install_timeout_s(t, s), buf, sizeof(buf));
	if (t->install_method == TMPL_INSTALL_CDROM)
		r = asprintf(
			&text,
			"the guest's own installer from its CD '%s' powering it off (within %s)",
			t->hvm.cdrom ? t->hvm.cdrom : "?", buf);
	else
		r = asprintf(
			&text,
			"FAI (its monitor on port %u: every task below %u, then a halt; within %s)",
			s->fai.monitor_port, s->fai.fail_code, buf);
	return r < 0 ? NULL : text;
}

static void show_json(struct json *j, const struct site *s, const struct inv_guest *g,
		      const struct inv_stage *st, size_t n_st, const struct inv_event *ev,
		      size_t n_ev)
{
	_cleanup_(freep) char *waits = install_waits_for(s, g);

	json_key(j, "guest");
	guest_json(j, g);
	json_key_str(j, "install_waits_for", waits);
	json_key(j, "stages");
	json_arr_begin(j);
	for (size_t i = 0; i < n_st; i++) {
		json_obj_begin(j);
		json_key_str(j, "stage", st[i].stage);
		json_key_time_usec(j, "done", st[i].done_usec);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "events");
	json_arr_begin(j);
	for (size_t i = 0; i < n_ev; i++) {
		json_obj_begin(j);
		json_key_time_usec(j, "at", ev[i].at_usec);
		json_key_str(j, "who", ev[i].who);
		json_key_str(j, "what", ev[i].what);
		json_key_str(j, "result", ev[i].result);
		json_key_str(j, "message", ev[i].message);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void show_text(const struct site *s, const struct inv_guest *g, const struct inv_stage *st,
		      size_t n_st, const struct inv_event *ev, size_t n_ev)
{
	_cleanup_(freep) char *waits = install_waits_for(s, g);
	char t[32];
	char mac[18], ip[16], part[256];

	printf("guest:     %s\ntemplate:  %s\nVLAN:      %u\nIP:        %s\nMAC:       %s\n"
	       "partition: %s%s%s\n",
	       g->name, g->template_name, g->vlan, g->has_ip ? format_ipv4(g->ip, ip) : "-",
	       format_mac(g->mac, mac), partition_text(g, part),
	       g->part.partuuid ? " PARTUUID " : "", g->part.partuuid ? g->part.partuuid : "");
	/* a failure names the stage that failed, then the last one done */
	if (g->state == INV_STATE_FAILED && g->failed_stage)
		printf("stage:     %s (failed; done up to %s)\n", g->failed_stage,
		       g->stage ? g->stage : "none");
	else
		printf("stage:     %s (%s)\n", g->stage ? g->stage : "none",
		       inv_state_to_string(g->state));
	if (g->error)
		printf("error:     %s\n", g->error);
	if (waits)
		printf("install:   waits for %s\n", waits);
	printf("\nstages:\n");
	for (size_t i = 0; i < n_st; i++)
		printf("  %-9s %s\n", st[i].stage, when(st[i].done_usec, t));
	printf("\nevents:\n");
	for (size_t i = 0; i < n_ev; i++)
		printf("  %s  %-22s %-18s %-8s %s\n", when(ev[i].at_usec, t), ev[i].who, ev[i].what,
		       ev[i].result, ev[i].message ? ev[i].message : "");
}

static const struct cmd_option show_options[] = {
	{"spec", 0, NULL, "print only the guest's spec (to correct it for 'resume --spec')"},
	{NULL},
};

static int cmd_show(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	struct inv_stage *st = NULL;
	struct inv_event *ev = NULL;
	size_t n_st = 0, n_ev = 0;
	int r;

	r = prov_inv_open(ctx, INV_OPEN_READONLY, &inv);
	if (r >= 0) {
		r = inv_guest_get(inv, argv[1], &ctx->diag, &g);
		if (r == -ENOENT)
			diag_error(&ctx->diag, NULL, "no guest '%s' in the inventory", argv[1]);
	}
	if (r >= 0 && opt_flag(ctx, "spec")) {
		if (g->spec && prov_json(ctx)) {
			json_key_str(prov_json(ctx), "name", g->name);
			json_key_str(prov_json(ctx), "spec", g->spec);
		} else if (g->spec) {
			fputs(g->spec, stdout);
		} else
			r = diag_error(
				&ctx->diag, NULL,
				"guest '%s' keeps no spec in the inventory (made before inventory version 2: see %s/guests/%s/template.yaml)",
				g->name, ctx->site->state_dir, g->name);
		goto out;
	}
	if (r >= 0)
		r = inv_stage_list(inv, g->id, &ctx->diag, &st, &n_st);
	if (r >= 0)
		r = inv_event_list(inv, argv[1], &ctx->diag, &ev, &n_ev);
	if (r < 0)
		goto out;
	if (prov_json(ctx))
		show_json(prov_json(ctx), ctx->site, g, st, n_st, ev, n_ev);
	else
		show_text(ctx->site, g, st, n_st, ev, n_ev);
out:
	inv_stage_array_free(st, n_st);
	inv_event_array_free(ev, n_ev);
	return prov_exit_status(r);
}

const struct cmd prov_cmd_list = {
	.name = "list",
	.fn = cmd_list,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE,
	.args = "",
	.help = "list the guests of the inventory",
	.options = list_options,
};

const struct cmd prov_cmd_show = {
	.name = "show",
	.fn = cmd_show,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_NAME,
	.args = "NAME",
	.help = "show a guest, its stages and its events",
	.options = show_options,
};
