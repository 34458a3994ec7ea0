/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision hosts: the Dom0s of the site, as each one's last run that touched Xen or its
 * network found it. provision inventory export|import: move an inventory to another backend.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "prov.h"

#define MIB (UINT64_C(1) << 20)

/* RFC 3339, UTC */
static char *when(int64_t usec, char buf[static 32])
{
	time_t t = (time_t) (usec / 1000000);
	struct tm tm;

	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return buf;
}

static void hosts_json(struct json *j, const struct inv_host *v, size_t n)
{
	json_key(j, "hosts");
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		_cleanup_(freep) char *copy = strdup(v[i].bridges ? v[i].bridges : "");
		char *save = NULL;

		json_obj_begin(j);
		json_key_str(j, "name", v[i].name);
		json_key_bool(j, "self", streq(v[i].name, prov_host_self()));
		json_key_str(j, "xen_version", v[i].xen_version);
		json_key(j, "memory_total");
		json_uint(j, v[i].mem_total);
		json_key(j, "memory_free");
		json_uint(j, v[i].mem_free);
		json_key(j, "bridges");
		json_arr_begin(j);
		for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w;
		     w = strtok_r(NULL, " ", &save))
			json_str(j, w);
		json_arr_end(j);
		json_key_time_usec(j, "last_seen", v[i].seen_usec);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void hosts_text(const struct inv_host *v, size_t n)
{
	printf("%-16s %-10s %10s %10s %-20s %s\n", "HOST", "XEN", "MEMORY", "FREE", "LAST SEEN",
	       "BRIDGES");
	for (size_t i = 0; i < n; i++) {
		char t[32], total[32], free_[32];

		snprintf(total, sizeof(total), "%" PRIu64 "M", v[i].mem_total / MIB);
		snprintf(free_, sizeof(free_), "%" PRIu64 "M", v[i].mem_free / MIB);
		printf("%-16s %-10s %10s %10s %-20s %s\n", v[i].name,
		       v[i].xen_version ? v[i].xen_version : "-", v[i].xen_version ? total : "-",
		       v[i].xen_version ? free_ : "-", when(v[i].seen_usec, t),
		       v[i].bridges && *v[i].bridges ? v[i].bridges : "-");
	}
}

static int cmd_hosts(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct inv_host *v = NULL;
	size_t n = 0;
	int r;

	r = prov_inv_open(ctx, INV_OPEN_READONLY, &inv);
	if (r >= 0)
		r = inv_host_list(inv, &ctx->diag, &v, &n);
	if (r < 0)
		return prov_exit_status(r);
	if (prov_json(ctx))
		hosts_json(prov_json(ctx), v, n);
	else
		hosts_text(v, n);
	inv_host_array_free(v, n);
	return EXIT_OK;
}

static int cmd_inventory_export(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	_cleanup_(freep) char *text = NULL;
	int r;

	r = prov_inv_open(ctx, INV_OPEN_READONLY, &inv);
	if (r >= 0)
		r = inv_export(inv, &ctx->diag, &text);
	if (r < 0)
		return prov_exit_status(r);
	if (prov_json(ctx)) {
		json_key(prov_json(ctx), "inventory");
		json_raw(prov_json(ctx), text);
		return EXIT_OK;
	}
	if (fputs(text, stdout) < 0 || fflush(stdout) != 0) {
		diag_error_errno(&ctx->diag, NULL, -errno, "cannot write the export");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int cmd_inventory_import(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	_cleanup_(freep) char *text = NULL;
	size_t len = 0;
	int r;

	r = read_file(streq(argv[1], "-") ? "/dev/stdin" : argv[1], &text, &len);
	if (r < 0) {
		diag_error_errno(&ctx->diag, NULL, r, "cannot read '%s'", argv[1]);
		return EXIT_USAGE;
	}
	/* the move of this Dom0's own SQLite inventory: checked first, retired after */
	if (ctx->site->inventory)
		r = inv_sqlite_retire(ctx->site->state_dir, text, len, false, &ctx->diag);
	if (r >= 0)
		r = prov_inv_open(ctx, INV_OPEN_IMPORT, &inv);
	if (r >= 0)
		r = inv_import(inv, text, len, &ctx->diag);
	if (r >= 0 && ctx->site->inventory)
		r = inv_sqlite_retire(ctx->site->state_dir, text, len, true, &ctx->diag);
	if (r == -EINVAL)
		return EXIT_USAGE;
	if (r == -ENOTEMPTY)
		return EXIT_CONFLICT;
	if (r >= 0 && prov_json(ctx))
		json_key_str(prov_json(ctx), "backend", inv_backend(inv));
	else if (r >= 0)
		printf("imported '%s' into the %s inventory\n", argv[1], inv_backend(inv));
	return prov_exit_status(r);
}

const struct cmd prov_cmd_hosts = {
	.name = "hosts",
	.fn = cmd_hosts,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE,
	.args = "",
	.help = "list the site's Dom0s: Xen version, memory, bridges, last seen",
	.options = NULL,
};

const struct cmd prov_cmd_inventory_export = {
	.name = "inventory export",
	.fn = cmd_inventory_export,
	.min_args = 0,
	.max_args = 0,
	.flags = CMD_SITE,
	.args = "",
	.help = "print the whole inventory (guests with their history, hosts) as JSON",
	.options = NULL,
};

const struct cmd prov_cmd_inventory_import = {
	.name = "inventory import",
	.fn = cmd_inventory_import,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE,
	.args = "FILE|-",
	.help = "load an export into the site's inventory, which must be empty",
	.options = NULL,
};
