/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision check-migrate NAME --to HOST, migrate NAME --to HOST, and the hidden
 * migrate-receive NAME that migrate runs on the target (doc/migrate.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "cluster.h"
#include "migrate-run.h"
#include "prov.h"

static const struct cmd_option check_options[] = {
	{"to", 0, "HOST", "the Dom0 the guest would move to"},
	{"offline", 0, NULL, "check for a move with the guest suspended first (default: live)"},
	{"ensure", 0, NULL, "make the guest's VLAN bridge on the target when it is missing"},
	{NULL},
};

static const struct cmd_option migrate_options[] = {
	{"to", 0, "HOST", "the Dom0 to move the guest to"},
	{"offline", 0, NULL, "suspend the guest first, then copy it (default: live)"},
	{"ensure", 0, NULL, "make the guest's VLAN bridge on the target when it is missing"},
	{NULL},
};

static const struct cmd_option receive_options[] = {
	{"check", 0, NULL, "print the target's checks as 'check NAME RESULT FOUND' lines"},
	{"ensure", 0, NULL, "with --check: make the VLAN bridge when it is missing"},
	{"config-sum", 0, "HEX", "with --check: the source's boot config's FNV-1a 64"},
	{NULL},
};

static void result_json(struct prov_ctx *ctx, const struct prov_migrate_req *req,
			const struct prov_migrate_result *res)
{
	struct json *j = prov_json(ctx);

	if (!j)
		return;
	json_key_str(j, "name", req->name);
	json_key_str(j, "from", res->from);
	json_key_str(j, "to", req->to);
	json_key_bool(j, "handed_over", res->handed_over);
	prov_checks_json(&res->checks, j);
	if (req->check_only)
		return;
	json_key_str(j, "mode", req->offline ? "offline" : "live");
	json_key_bool(j, "dry_run", req->dry_run);
	json_key_bool(j, "moved", res->moved);
	json_key_str(j, "stopped_at", res->stopped_at);
	json_key(j, "bytes_sent");
	json_uint(j, res->bytes);
	json_key(j, "seconds");
	json_uint(j, (uint64_t) (res->usec / 1000000));
}

static int run(struct prov_ctx *ctx, char **argv, bool check_only)
{
	struct prov_migrate_req req = {
		.name = argv[1],
		.to = opt_get(ctx, "to"),
		.offline = opt_flag(ctx, "offline"),
		.ensure = opt_flag(ctx, "ensure"),
		.dry_run = ctx->dry_run,
		.check_only = check_only,
		.hv = &hv_libxl_ops,
		.out = ctx->json ? stderr : stdout,
	};
	struct prov_migrate_result res = {0};
	int status;

	if (!req.to)
		return usage_error(ctx, "'%s' needs --to HOST", ctx->cmd->name);
	status = prov_migrate_one(ctx, &req, &res);
	result_json(ctx, &req, &res);
	prov_migrate_result_release(&res);
	return status;
}

static int cmd_check_migrate(struct prov_ctx *ctx, int argc, char **argv)
{
	return run(ctx, argv, true);
}

static int cmd_migrate(struct prov_ctx *ctx, int argc, char **argv)
{
	return run(ctx, argv, false);
}

static int cmd_migrate_receive(struct prov_ctx *ctx, int argc, char **argv)
{
	const char *sum = opt_get(ctx, "config-sum");
	uint64_t v = 0;

	if (sum && (sscanf(sum, "%" SCNx64, &v) != 1))
		return usage_error(ctx, "--config-sum: not a hex number: '%s'", sum);
	return prov_migrate_receive(ctx, argv[1], opt_flag(ctx, "check"), opt_flag(ctx, "ensure"),
				    v);
}

const struct cmd prov_cmd_check_migrate = {
	.name = "check-migrate",
	.fn = cmd_check_migrate,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_NAME,
	.args = "NAME --to HOST",
	.help = "check, a line each, that a running guest can move to another Dom0",
	.options = check_options,
};

const struct cmd prov_cmd_migrate = {
	.name = "migrate",
	.fn = cmd_migrate,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_NAME | CMD_DRYRUN,
	.args = "NAME --to HOST",
	.help = "move a running guest to another Dom0 (live by default)",
	.options = migrate_options,
};

const struct cmd prov_cmd_migrate_receive = {
	.name = "migrate-receive",
	.fn = cmd_migrate_receive,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_SITE | CMD_NAME | CMD_NOJSON | CMD_HIDDEN,
	.args = "NAME",
	.help = "the target's half of migrate (stdin and stdout: the stream)",
	.options = receive_options,
};
