/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision help [COMMAND]: the help generated from the commands' declarations, and how a
 * command line finds its command ("did you mean" on a miss).
 */
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "cmds.h"
#include "prov.h"

static int cmd_help(struct prov_ctx *ctx, int argc, char **argv);

/* Hidden (no help text): what the build generates the manual and the completion from. */
static const struct cmd_option help_options[] = {
	{"man", 0, NULL, NULL},
	{"completion", 0, NULL, NULL},
	{NULL},
};

const struct cmd prov_cmd_help = {
	.name = "help",
	.fn = cmd_help,
	.min_args = 0,
	.max_args = 2,
	.flags = CMD_NOJSON,
	.args = "[COMMAND]",
	.help = "show help for provision or one command",
	.options = help_options,
};

const struct cmd_option prov_global_options[] = {
	{"site", 0, "FILE", "site file (default $PROVISION_SITE, else " PROV_DEFAULT_SITE ")"},
	{"json", 0, NULL, "machine-readable output"},
	{"dry-run", 'n', NULL, "print what would be done, change nothing (where supported)"},
	{"verbose", 'v', NULL, "more output"},
	{"help", 'h', NULL, "show help"},
	{"version", 0, NULL, "show the version"},
	{NULL},
};

bool prov_cmd_takes_global(const struct cmd *c, const struct cmd_option *o)
{
	if (streq(o->name, "dry-run"))
		return c->flags & CMD_DRYRUN;
	if (streq(o->name, "json"))
		return !(c->flags & CMD_NOJSON);
	return true;
}

/* c's options, or with c NULL every global option; for c only the globals it takes */
static void print_options(FILE *f, const struct cmd_option *o, const struct cmd *c)
{
	for (; o && o->name; o++) {
		char left[64];

		if (!o->help)
			continue; /* hidden */
		if (c && !prov_cmd_takes_global(c, o))
			continue;
		/* "-n, --dry-run" or "    --site FILE": long names line up */
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

static bool has_visible(const struct cmd_option *o)
{
	for (; o && o->name; o++)
		if (o->help)
			return true;
	return false;
}

void prov_print_cmd_help(FILE *f, const struct cmd *c)
{
	fprintf(f, "usage: provision %s%s%s%s%s\n\n%s\n", c->name,
		has_visible(c->options) ? " [OPTIONS]" : "", c->flags & CMD_DRYRUN ? " [-n]" : "",
		c->args && *c->args ? " " : "", c->args ? c->args : "", c->help);
	if (has_visible(c->options)) {
		fputs("\noptions:\n", f);
		print_options(f, c->options, NULL);
	}
	fputs("\nglobal options:\n", f);
	print_options(f, prov_global_options, c);
}

void prov_print_main_help(FILE *f)
{
	fputs("usage: provision [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
	      "Turn a request into an installed, running Xen guest.\n\ncommands:\n",
	      f);
	for (const struct cmd *const *cp = prov_cmds, *c; (c = *cp); cp++)
		if (!(c->flags & CMD_HIDDEN))
			fprintf(f, "  %-18s %s\n", c->name, c->help);
	fputs("\nglobal options:\n", f);
	print_options(f, prov_global_options, NULL);
	fputs("\nexit status: 0 done, 1 failed, 2 usage error or bad input, 3 conflict or busy\n"
	      "'provision help COMMAND' shows a command's options.\n",
	      f);
}

/* Commands matching argv: two words first ("lun list"), then one. */
const struct cmd *prov_cmd_find(int argc, char **argv, int *ret_words)
{
	if (argc >= 2) {
		char two[128];

		snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		for (const struct cmd *const *cp = prov_cmds, *c; (c = *cp); cp++)
			if (streq(c->name, two)) {
				*ret_words = 2;
				return c;
			}
	}
	for (const struct cmd *const *cp = prov_cmds, *c; (c = *cp); cp++)
		if (streq(c->name, argv[0])) {
			*ret_words = 1;
			return c;
		}
	return NULL;
}

static bool is_group(const char *word)
{
	size_t n = strlen(word);

	for (const struct cmd *const *cp = prov_cmds, *c; (c = *cp); cp++)
		if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ')
			return true;
	return false;
}

int prov_unknown_command(struct prov_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) const char **names = NULL;
	struct strbuf want = STRBUF_INIT;
	const char *best;
	size_t n = 0;
	int r;

	for (const struct cmd *const *cp = prov_cmds, *c; (c = *cp); cp++)
		n++;
	names = calloc(n + 1, sizeof(char *));
	if (!names)
		return EXIT_FAIL;
	n = 0;
	if (is_group(argv[0])) {
		/* "lun lst": suggest among the group's subcommands */
		size_t len = strlen(argv[0]);

		for (const struct cmd *const *cp = prov_cmds, *c; (c = *cp); cp++)
			if (strncmp(c->name, argv[0], len) == 0 && c->name[len] == ' ')
				names[n++] = c->name;
		if (argc < 2) {
			strbuf_addf(&want, "'%s' needs a subcommand:", argv[0]);
			for (size_t i = 0; i < n; i++)
				strbuf_addf(&want, " %s", names[i] + len + 1);
			r = usage_error(ctx, "%s", strbuf_str(&want));
			strbuf_release(&want);
			return r;
		}
		strbuf_addf(&want, "%s %s", argv[0], argv[1]);
	} else {
		for (const struct cmd *const *cp = prov_cmds, *c; (c = *cp); cp++)
			names[n++] = c->name;
		strbuf_puts(&want, argv[0]);
	}
	best = str_closest(strbuf_str(&want), names);
	if (best)
		r = usage_error(ctx, "unknown command '%s', did you mean '%s'?", strbuf_str(&want),
				best);
	else
		r = usage_error(ctx, "unknown command '%s'", strbuf_str(&want));
	strbuf_release(&want);
	return r;
}

static int cmd_help(struct prov_ctx *ctx, int argc, char **argv)
{
	const struct cmd *c;
	int words;

	if (opt_flag(ctx, "man") || opt_flag(ctx, "completion")) {
		if (argc > 1)
			return usage_error(ctx, "--man and --completion take no COMMAND");
		if (opt_flag(ctx, "man"))
			prov_print_man(stdout);
		else
			prov_print_completion(stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		prov_print_main_help(stdout);
		return EXIT_OK;
	}
	c = prov_cmd_find(argc - 1, argv + 1, &words);
	if (!c || words != argc - 1) {
		ctx->cmd = NULL;
		return prov_unknown_command(ctx, argc - 1, argv + 1);
	}
	prov_print_cmd_help(stdout, c);
	return EXIT_OK;
}
