/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What every command gets. One file per command: provision/cmd-<name>.c exports its whole
 * command, `const struct cmd prov_cmd_<name>` (name, function, argument counts, flags, help,
 * options; kmod's tools do the same), which main.c lists, and holds no domain logic. The
 * dispatcher parses the declared options (so `help CMD` is generated from them); a command
 * reads them with opt_get()/opt_flag().
 */

#include <stdbool.h>
#include <stdio.h>

#include "common/diag.h"
#include "common/macro.h"

struct prov_events;
struct site;

enum prov_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_CONFLICT = 3, /* conflict or busy: scripts may retry later */
};

enum cmd_flags {
	CMD_DRYRUN = 1 << 0, /* accepts -n/--dry-run */
	CMD_SITE = 1 << 1,   /* loads site.yaml before running */
	CMD_NAME = 1 << 2,   /* argv[1], when given, is a guest NAME: checked before anything */
	CMD_LUNS = 1 << 3,   /* uses the site's LUNs: refused when two are one device */
	CMD_NOJSON = 1 << 4, /* has no --json output (help, a daemon): --json is refused */
	CMD_HIDDEN = 1 << 5, /* not in the main help: run by provision itself (migrate-receive) */
};

struct cmd_option {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	const char *arg;  /* metavar; NULL: a flag without argument */
	const char *help; /* NULL: hidden (help, the manual and the completion leave it out) */
};

struct json;
struct prov_ctx;
struct prov_json;

struct cmd {
	const char *name; /* "render", or two words for a group: "lun list" */
	int (*fn)(struct prov_ctx *ctx, int argc, char **argv);
	int min_args, max_args; /* positional arguments; max -1: any number */
	unsigned flags;
	const char *args; /* usage text for the positional arguments */
	const char *help;
	const struct cmd_option *options; /* terminated by { NULL } */
};

struct opt_value {
	const char *name;
	const char *value; /* NULL for a flag */
};

struct prov_ctx {
	const char *prog;
	const char *site_path;
	bool json, dry_run;
	int verbose;
	const struct cmd *cmd;
	struct opt_value *opts; /* in command-line order; repeated options appear repeatedly */
	size_t n_opts;
	struct site *site;	    /* loaded for CMD_SITE commands */
	struct diag diag;	    /* printed by the dispatcher when the command returns */
	struct prov_events *events; /* PROVISION_EVENTS_FD (events.h); NULL: none */
	struct prov_json *jo;	    /* --json: the result being written (json-out.c) */
};

/*
 * The exit status for a command's result r (provision/exit.c, the only such map): 0 for
 * r >= 0; 3 (a conflict: a script may retry) for -EEXIST, -EBUSY, -ESTALE, -EADDRINUSE,
 * -EALREADY and -EAGAIN; 2 for -EDOM (bad input: a guest name, a template, an option value);
 * 1 for any other error.
 */
int prov_exit_status(int r);

/* Last value given for --name, or NULL. */
const char *opt_get(const struct prov_ctx *ctx, const char *name);
/* Whether --name was given. */
bool opt_flag(const struct prov_ctx *ctx, const char *name);

/* Print "provision: error: ..." plus the usage line and return EXIT_USAGE. */
int usage_error(struct prov_ctx *ctx, const char *fmt, ...) _printf_(2, 3);

/* Print and clear ctx->diag, then return status (convenience for the end of a command). */
int prov_finish(struct prov_ctx *ctx, int status);

/*
 * --json (provision/json-out.c, doc/json.md): every call prints exactly one JSON object on
 * stdout, {"ok": true, ...} or {"ok": false, "error": {"message": M, "exit_status": N}, ...},
 * with "diagnostics": [{"level", "message", "file", "line", "column"}...] when anything was
 * printed on stderr. The dispatcher prints it when the command returns, on every path (a
 * usage error, a refusal, the command's own result), so a command only adds its members:
 *
 *	struct json *j = prov_json(ctx);	NULL without --json: print the human text
 *	if (j) {
 *		json_key_str(j, "name", name);	sizes in bytes, times json_time_usec()
 *		...
 *	}
 *
 * and writes nothing else on stdout (progress goes to stderr). Members it writes are kept on
 * failure too ("ok": false with what was found). The error's message is the first error
 * printed (usage_error(), ctx->diag at prov_finish()), unless prov_json_error() set one.
 */
/* The object the command writes its members into, or NULL without --json. Borrowed. */
struct json *prov_json(struct prov_ctx *ctx);
/* The error's message when the command fails: for a failure no error message tells. */
void prov_json_error(struct prov_ctx *ctx, const char *fmt, ...) _printf_(2, 3);
/* diag's entries from from on, as an array of {"level", "message", "file", "line", "column"}. */
void prov_json_diag(struct json *j, const struct diag *d, size_t from);
/* The dispatcher's: start the object when --json was given. Returns: 0 or -ENOMEM. */
int prov_json_open(struct prov_ctx *ctx);
/* A message printed on stderr (usage_error()), ctx->diag's (prov_finish()), for "diagnostics". */
void prov_json_note(struct prov_ctx *ctx, enum diag_level level, const char *msg);
void prov_json_note_diag(struct prov_ctx *ctx);
/* The dispatcher's: print the object for exit status status. Returns: status (1 if unwritable). */
int prov_json_end(struct prov_ctx *ctx, int status);
/* Drop the object unprinted (--help, --version print text). */
void prov_json_close(struct prov_ctx *ctx);

/* provision/cmd-help.c: the global options, help, and finding a command by its words. */
extern const struct cmd prov_cmd_help;
extern const struct cmd_option prov_global_options[];
void prov_print_main_help(FILE *f);
void prov_print_cmd_help(FILE *f, const struct cmd *c);
/* Whether c takes global option o: -n/--dry-run only with CMD_DRYRUN, --json not with CMD_NOJSON.
 */
bool prov_cmd_takes_global(const struct cmd *c, const struct cmd_option *o);
/* The command named by argv's first two words ("lun list"), else its first; NULL: none. */
const struct cmd *prov_cmd_find(int argc, char **argv, int *ret_words);
/* "unknown command 'lst', did you mean 'list'?"; returns EXIT_USAGE. */
int prov_unknown_command(struct prov_ctx *ctx, int argc, char **argv);
/*
 * provision/help-ref.c: the table as provision(8)'s COMMANDS section (scdoc) and as the bash
 * completion's data, for the build (`help --man`, `help --completion`). An option whose help
 * is NULL is hidden: neither help, the manual nor the completion show it.
 */
void prov_print_man(FILE *f);
void prov_print_completion(FILE *f);

/* Every command, NULL-terminated (main.c); exported for `help` and tests. */
extern const struct cmd *const prov_cmds[];

/* Each command file exports its whole command: name, function, arguments, flags, help, options. */
extern const struct cmd prov_cmd_new_guest;
extern const struct cmd prov_cmd_batch;
extern const struct cmd prov_cmd_resume;
extern const struct cmd prov_cmd_destroy;
extern const struct cmd prov_cmd_list;
extern const struct cmd prov_cmd_show;
extern const struct cmd prov_cmd_render;
extern const struct cmd prov_cmd_net_check;
extern const struct cmd prov_cmd_net_ensure;
extern const struct cmd prov_cmd_lun_list;
extern const struct cmd prov_cmd_lun_init;
extern const struct cmd prov_cmd_lun_carve;
extern const struct cmd prov_cmd_disk_prepare;
extern const struct cmd prov_cmd_disk_release;
extern const struct cmd prov_cmd_fai_monitor;
extern const struct cmd prov_cmd_template_list;
extern const struct cmd prov_cmd_template_show;
extern const struct cmd prov_cmd_template_check;
extern const struct cmd prov_cmd_hosts;
extern const struct cmd prov_cmd_inventory_export;
extern const struct cmd prov_cmd_inventory_import;
extern const struct cmd prov_cmd_image_capture;
extern const struct cmd prov_cmd_image_list;
extern const struct cmd prov_cmd_image_show;
extern const struct cmd prov_cmd_image_delete;
extern const struct cmd prov_cmd_check_migrate;
extern const struct cmd prov_cmd_migrate;
extern const struct cmd prov_cmd_migrate_receive;
extern const struct cmd prov_cmd_watch;
extern const struct cmd prov_cmd_start;
extern const struct cmd prov_cmd_evacuate;
extern const struct cmd prov_cmd_rebalance;
