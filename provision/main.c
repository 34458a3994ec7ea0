/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision: turn a request into an installed, running Xen guest.
 *
 * The dispatcher: global options, the command table, option parsing for every command,
 * argument counts, help generated from the table, "did you mean" for typos.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "templates/templates.h"
#include "cmds.h"
#include "events.h"
#include "prov.h"

/* Every command, as its file exports it, in help order. */
const struct cmd *const prov_cmds[] = {
	&prov_cmd_help,
	&prov_cmd_new_guest,
	&prov_cmd_batch,
	&prov_cmd_resume,
	&prov_cmd_start,
	&prov_cmd_destroy,
	&prov_cmd_list,
	&prov_cmd_show,
	&prov_cmd_render,
	&prov_cmd_net_check,
	&prov_cmd_net_ensure,
	&prov_cmd_lun_list,
	&prov_cmd_lun_init,
	&prov_cmd_lun_carve,
	&prov_cmd_disk_prepare,
	&prov_cmd_disk_release,
	&prov_cmd_fai_monitor,
	&prov_cmd_template_list,
	&prov_cmd_template_show,
	&prov_cmd_template_check,
	&prov_cmd_hosts,
	&prov_cmd_check_migrate,
	&prov_cmd_migrate,
	&prov_cmd_evacuate,
	&prov_cmd_rebalance,
	&prov_cmd_migrate_receive,
	&prov_cmd_watch,
	&prov_cmd_inventory_export,
	&prov_cmd_inventory_import,
	&prov_cmd_image_capture,
	&prov_cmd_image_list,
	&prov_cmd_image_show,
	&prov_cmd_image_delete,
	NULL,
};

/*
 * Take the global options out of argv wherever they stand (before "--"), so that
 * `provision render web1 --json` and `provision --json render web1` mean the same.
 */
static int parse_globals(struct prov_ctx *ctx, int *argc, char **argv, bool *help, bool *version)
{
	int i, o = 1;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (streq(a, "--")) {
			break;
		} else if (streq(a, "--site")) {
			if (i + 1 >= *argc)
				return usage_error(ctx, "option '--site' needs a FILE");
			ctx->site_path = argv[++i];
		} else if (strncmp(a, "--site=", 7) == 0) {
			ctx->site_path = a + 7;
		} else if (streq(a, "--json")) {
			ctx->json = true;
		} else if (streq(a, "--dry-run")) {
			ctx->dry_run = true;
		} else if (streq(a, "--verbose")) {
			ctx->verbose++;
		} else if (streq(a, "--help")) {
			*help = true;
		} else if (streq(a, "--version")) {
			*version = true;
		} else if (a[0] == '-' && a[1] && strspn(a + 1, "nvh") == strlen(a + 1)) {
			for (const char *p = a + 1; *p; p++) {
				if (*p == 'n')
					ctx->dry_run = true;
				else if (*p == 'v')
					ctx->verbose++;
				else
					*help = true;
			}
		} else {
			argv[o++] = argv[i];
		}
	}
	for (; i < *argc; i++)
		argv[o++] = argv[i];
	argv[o] = NULL;
	*argc = o;
	return 0;
}

static int parse_cmd_options(struct prov_ctx *ctx, int *argc, char **argv)
{
	const struct cmd *c = ctx->cmd;
	_cleanup_(freep) struct option *lopts = NULL;
	struct strbuf shorts = STRBUF_INIT;
	size_t n = 0;
	int r = 0, opt, idx;

	for (const struct cmd_option *o = c->options; o && o->name; o++)
		n++;
	lopts = calloc(n + 1, sizeof(*lopts));
	ctx->opts = calloc((size_t) *argc + 1, sizeof(*ctx->opts));
	if (!lopts || !ctx->opts)
		return EXIT_FAIL;
	strbuf_putc(&shorts, ':'); /* report a missing argument as ':' */
	for (size_t i = 0; i < n; i++) {
		const struct cmd_option *o = &c->options[i];

		lopts[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
					   256 + (int) i};
		if (o->short_name) {
			strbuf_putc(&shorts, o->short_name);
			if (o->arg)
				strbuf_putc(&shorts, ':');
		}
	}
	/* options may follow positional arguments: getopt permutes them to the front */
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(*argc, argv, strbuf_str(&shorts), lopts, &idx)) != -1) {
		const struct cmd_option *o = NULL;

		if (opt >= 256) {
			o = &c->options[opt - 256];
		} else if (opt == '?' || opt == ':') {
			const char *bad = argv[optind - 1];

			if (opt == ':') {
				r = usage_error(ctx, "option '%s' needs an argument", bad);
				goto out;
			}
			if (strncmp(bad, "--", 2) == 0) {
				_cleanup_(freep) const char **names = calloc(n + 1, sizeof(char *));
				char name[64];
				const char *best;

				snprintf(name, sizeof(name), "%.*s", (int) strcspn(bad + 2, "="),
					 bad + 2);
				for (size_t i = 0; names && i < n; i++)
					names[i] = c->options[i].name;
				best = names ? str_closest(name, names) : NULL;
				if (best)
					r = usage_error(
						ctx, "unknown option '--%s', did you mean '--%s'?",
						name, best);
				else
					r = usage_error(ctx, "unknown option '--%s'", name);
			} else {
				r = usage_error(ctx, "unknown option '-%c'", optopt);
			}
			goto out;
		} else {
			for (size_t i = 0; i < n; i++)
				if (c->options[i].short_name == opt)
					o = &c->options[i];
		}
		ctx->opts[ctx->n_opts++] = (struct opt_value){o->name, o->arg ? optarg : NULL};
	}
	/* leave only the positional arguments, argv[0] being the command */
	for (int i = optind, k = 1; i <= *argc; i++, k++)
		argv[k] = argv[i];
	*argc -= optind - 1;
out:
	strbuf_release(&shorts);
	return r;
}

/* What the table's flags ask for before a command runs. Returns: 0, or the exit status. */
static int cmd_setup(struct prov_ctx *ctx, int argc, char **argv)
{
	unsigned flags = ctx->cmd->flags;
	int r;

	/* before anything is made: the name becomes lock, spec and config file names */
	if ((flags & CMD_NAME) && argc > 1 &&
	    tmpl_guest_name_check(argv[1], NULL, NULL, &ctx->diag) < 0)
		return EXIT_USAGE;
	if (flags & CMD_SITE) {
		r = prov_site_load(ctx);
		/* a wrong site file is bad input; one that cannot be read a failure */
		if (r < 0)
			return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if ((flags & CMD_LUNS) && ctx->site && tmpl_site_luns_check(ctx->site, &ctx->diag) < 0)
		return EXIT_USAGE;
	return 0;
}

/* --json anywhere before "--": known first, so that every usage error is answered in JSON */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && !streq(argv[i], "--"); i++)
		if (streq(argv[i], "--json"))
			return true;
	return false;
}

/* What the table's flags refuse before anything else. Returns: 0, or the exit status. */
static int cmd_refuse(struct prov_ctx *ctx, const struct cmd *c)
{
	if (ctx->dry_run && !(c->flags & CMD_DRYRUN))
		return usage_error(ctx, "'%s' does not take -n/--dry-run: it changes nothing",
				   c->name);
	if (ctx->json && (c->flags & CMD_NOJSON))
		return usage_error(ctx, "'%s' has no --json output", c->name);
	return 0;
}

int main(int argc, char **argv)
{
	struct prov_ctx ctx = {.prog = "provision", .diag = DIAG_INIT};
	bool help = false, version = false;
	const struct cmd *c;
	int r, words;

	ctx.json = wants_json(argc, argv);
	if (prov_json_open(&ctx) < 0)
		return EXIT_FAIL;
	r = prov_events_open(&ctx);
	if (r)
		goto out;
	r = parse_globals(&ctx, &argc, argv, &help, &version);
	if (r)
		goto out;
	if (!ctx.site_path)
		ctx.site_path = getenv("PROVISION_SITE");
	if (!ctx.site_path || !*ctx.site_path)
		ctx.site_path = PROV_DEFAULT_SITE;

	if (help || version)
		prov_json_close(&ctx); /* they print text */
	if (argc < 2) {
		if (version) {
			printf("provision %s\n", PROV_VERSION);
			return EXIT_OK;
		}
		if (help || !ctx.json) {
			prov_print_main_help(help ? stdout : stderr);
			return help ? EXIT_OK : EXIT_USAGE;
		}
		r = usage_error(&ctx, "no command given");
		goto out;
	}
	c = prov_cmd_find(argc - 1, argv + 1, &words);
	if (!c) {
		r = prov_unknown_command(&ctx, argc - 1, argv + 1);
		goto out;
	}
	ctx.cmd = c;
	if (help) {
		prov_print_cmd_help(stdout, c);
		return EXIT_OK;
	}
	if (version) {
		printf("provision %s\n", PROV_VERSION);
		return EXIT_OK;
	}
	/* argv becomes: "provision lun list" -> { "lun list", args... } */
	argv += words;
	argc -= words;
	argv[0] = (char *) c->name;
	r = parse_cmd_options(&ctx, &argc, argv);
	if (r)
		goto out;
	r = cmd_refuse(&ctx, c);
	if (r)
		goto out;
	if (argc - 1 < c->min_args || (c->max_args >= 0 && argc - 1 > c->max_args)) {
		if (argc - 1 < c->min_args)
			r = usage_error(&ctx, "'%s' needs %s", c->name, c->args);
		else
			r = usage_error(&ctx, "too many arguments for '%s'", c->name);
		goto out;
	}
	r = cmd_setup(&ctx, argc, argv);
	if (r) {
		r = prov_finish(&ctx, r);
		goto out;
	}
	r = c->fn(&ctx, argc, argv);
	r = prov_finish(&ctx, r);
out:
	r = prov_json_end(&ctx, r);
	prov_events_close(&ctx, r);
	prov_site_free(ctx.site);
	free(ctx.opts);
	diag_release(&ctx.diag);
	return r;
}
