/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "hooks/hooks.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "events.h"
#include "guestcfg.h"
#include "cluster.h"
#include "pipeline.h"
#include "prov.h"

static const char *const stage_names[_STAGE_MAX] = {
	[STAGE_ALLOCATE] = "allocate", [STAGE_CARVE] = "carve",	    [STAGE_FORMAT] = "format",
	[STAGE_NETWORK] = "network",   [STAGE_CONFIGS] = "configs", [STAGE_INSTALL] = "install",
	[STAGE_BOOT] = "boot",
};

static int (*const stage_fns[_STAGE_MAX])(struct pipeline *p) = {
	[STAGE_ALLOCATE] = stage_allocate, [STAGE_CARVE] = stage_carve,
	[STAGE_FORMAT] = stage_format,	   [STAGE_NETWORK] = stage_network,
	[STAGE_CONFIGS] = stage_configs,   [STAGE_INSTALL] = stage_install,
	[STAGE_BOOT] = stage_boot,
};

DEFINE_STRING_TABLE(stage, enum stage, stage_names)

char *pipeline_who(const char *request_id)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	char *s;
	int k;

	if (request_id)
		k = asprintf(&s, "request:%s", request_id);
	else if (sudo && *sudo)
		k = asprintf(&s, "%s(%u) via sudo", sudo, (unsigned) getuid());
	else
		k = asprintf(&s, "%s(%u)", pw ? pw->pw_name : "?", (unsigned) getuid());
	return k < 0 ? NULL : s;
}

int prov_lock(const struct site *s, const char *name, struct diag *d)
{
	_cleanup_(freep) char *path = NULL;

	if (asprintf(&path, "%s/locks/%s.lock", s->state_dir, name) < 0)
		return -ENOMEM;
	return lock_file(path, true, d);
}

int prov_fai_spool(const struct site *s, char **ret)
{
	return asprintf(ret, "%s/fai-monitor", s->state_dir) < 0 ? -ENOMEM : 0;
}

int pipeline_open(struct pipeline *p)
{
	int r;

	r = prov_inv_open(p->ctx, p->o.dry_run ? INV_OPEN_SCRATCH : INV_OPEN_WRITE, &p->inv);
	if (r < 0 || p->o.dry_run)
		return r;
	return prov_guest_lock(p->inv, p->name, true, &p->ctx->diag, &p->lock);
}

void pipeline_release(struct pipeline *p)
{
	p->lock = inv_lock_release(p->lock); /* before the inventory that holds it */
	p->t = tmpl_guest_free(p->t);
	p->g = inv_guest_free(p->g);
	p->inv = inv_close(p->inv);
	free(p->who);
	free(p->disk_path);
	free(p->failed_stage);
	free(p->host);
	free(p->cause);
	pipeline_render_drop(p);
	free(p->g_request_id);
	free(p->g_owner);
	p->who = p->disk_path = p->failed_stage = p->cause = p->g_request_id = p->g_owner = NULL;
	p->host = NULL;
}

/* The PROVISION_* environment of the hooks (documented in doc/hooks.md). */
static char **hook_env(const struct pipeline *p, enum stage s)
{
	const struct inv_guest *g = p->g;
	const struct site_vlan *v = tmpl_site_vlan(p->site, p->t->vlan);
	_cleanup_(strv_freep) char **env = NULL;
	_cleanup_(freep) char *inst = NULL, *boot = NULL;
	char mac[18], ip[16], num[32];
	struct {
		const char *k, *v;
	} vars[] = {
		{"GUEST", p->name},
		{"TEMPLATE", p->t->name},
		{"STAGE", stage_to_string(s)},
		{"VLAN", (snprintf(num, sizeof(num), "%u", p->t->vlan), num)},
		{"BRIDGE", v ? v->bridge : ""},
		{"IP", g && g->has_ip ? format_ipv4(g->ip, ip) : ""},
		{"MAC", g ? format_mac(g->mac, mac) : ""},
		{"LUN", g && g->has_partition ? g->part.lun : ""},
		{"PARTITION", g && g->part.partuuid ? g->part.partuuid : ""},
		{"DEVICE", p->disk_path ? p->disk_path : ""},
		{"INSTALL_CFG", (inst = guest_cfg_path(p->site->config_dir, p->name, "install"))},
		{"BOOT_CFG", (boot = guest_cfg_path(p->site->config_dir, p->name, "boot"))},
		{"REQUEST_ID", p->request_id ? p->request_id : ""},
		{"OWNER", p->owner ? p->owner : ""},
		{"STATE_DIR", p->site->state_dir},
		{"SITE", p->o.site_path},
	};

	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		char *e;

		if (asprintf(&e, "PROVISION_%s=%s", vars[i].k, vars[i].v ? vars[i].v : "") < 0 ||
		    strv_push_take(&env, e) < 0)
			return NULL;
	}
	return TAKE_PTR(env);
}

static int run_hooks(struct pipeline *p, enum stage s, enum hook_when when)
{
	_cleanup_(strv_freep) char **env = hook_env(p, s);
	char *args[] = {(char *) p->name, (char *) stage_to_string(s),
			(char *) hook_when_to_string(when), NULL};
	struct hook_run run = {
		.hooks_dir = p->site->hooks_dir,
		.stage = stage_to_string(s),
		.when = when,
		.argv_extra = args,
		.env = env,
		.timeout_s = p->site->hook_timeout_s,
	};
	struct hook_failure f = {0};
	char what[64];
	int r;

	if (!env)
		return -ENOMEM;
	if (p->o.dry_run) {
		_cleanup_(strv_freep) char **hooks = NULL;

		r = hook_list(&run, &p->ctx->diag, &hooks);
		for (char **h = hooks; r >= 0 && *h; h++)
			fprintf(p->out, "  would run hook %s\n", *h);
		return r;
	}
	r = hook_run_all(&run, &p->ctx->diag, &f);
	snprintf(what, sizeof(what), "hook %s.%s", stage_to_string(s), hook_when_to_string(when));
	if (r > 0 || r < 0)
		(void) inv_event_add(p->inv, p->g ? p->g->id : 0, p->name, p->who, what,
				     r < 0 ? "failed" : "ok", r < 0 ? f.hook : NULL, &p->ctx->diag);
	hook_failure_release(&f);
	return r < 0 ? r : 0;
}

static bool stage_done(const struct pipeline *p, enum stage s)
{
	enum stage last;

	if (!p->g || !p->g->stage)
		return false;
	last = stage_from_string(p->g->stage);
	return last >= 0 && s <= last;
}

static int refresh(struct pipeline *p)
{
	struct inv_guest *g = NULL;
	int r;

	r = inv_guest_get(p->inv, p->name, &p->ctx->diag, &g);
	if (r < 0)
		return r;
	inv_guest_free(p->g);
	p->g = g;
	return 0;
}

/* PROVISION_TEST_CRASH_AFTER=STAGE: die right after that stage is recorded (crash tests). */
static void maybe_crash(enum stage s)
{
	const char *c = getenv("PROVISION_TEST_CRASH_AFTER");

	if (c && streq(c, stage_to_string(s)))
		_exit(99);
}

/* The stage failed with r: its cause (diag_cause() of what it said) recorded and kept for --json.
 */
static int fail_stage(struct pipeline *p, enum stage s, size_t mark, int r)
{
	free(p->failed_stage);
	free(p->cause);
	p->failed_stage = strdup(stage_to_string(s));
	p->cause = diag_cause(&p->ctx->diag, mark);
	if (!p->cause)
		p->cause = strdup(strerror(-r));
	/* p->g as the row now is: --json reports its state */
	if (!p->o.dry_run && p->g && p->cause &&
	    inv_stage_failed(p->inv, p->g->id, stage_to_string(s), p->cause, p->who,
			     &p->ctx->diag) >= 0)
		p->g->state = INV_STATE_FAILED;
	diag_error(&p->ctx->diag, NULL, "stage '%s' of guest '%s' failed", stage_to_string(s),
		   p->name);
	pipeline_event_stage(p, s, PIPELINE_STAGE_FAILED);
	if (p->g && !p->o.dry_run)
		diag_add(&p->ctx->diag, DIAG_NOTE, NULL,
			 "'provision resume %s' continues, 'provision destroy %s' undoes", p->name,
			 p->name);
	return r;
}

/*
 * The stages from network on are the Dom0's that runs the guest (its bridge, its Xen): with a
 * shared inventory, a guest placed on another Dom0 is handed over there.
 */
static bool runs_elsewhere(const struct pipeline *p, enum stage s)
{
	return s >= STAGE_NETWORK && !p->o.dry_run && p->g && p->g->host &&
	       !streq(p->g->host, prov_host_self()) && inv_is_shared(p->inv);
}

/*
 * `provision resume NAME --until STAGE` on the guest's Dom0, through the site's ssh command,
 * with the guest's lock let go for that run to take; then the guest as that run left it.
 */
static int hand_over(struct pipeline *p, enum stage s)
{
	struct diag *d = &p->ctx->diag;
	char *args[] = {"resume",
			(char *) p->name,
			"--until",
			(char *) stage_to_string(p->o.until),
			p->o.verbose ? "-v" : NULL,
			NULL};
	_cleanup_(freep) char *host = strdup(p->g->host);
	int r, status;

	if (!host)
		return -ENOMEM;
	fprintf(p->out, "stages %s to %s of '%s' run on Dom0 '%s'\n", stage_to_string(s),
		stage_to_string(p->o.until), p->name, host);
	fflush(p->out);
	p->lock = inv_lock_release(p->lock);
	status = prov_remote_run(p->site, host, args, p->out != stdout, d);
	r = prov_guest_lock(p->inv, p->name, true, d, &p->lock);
	if (r >= 0)
		r = refresh(p);
	if (r < 0 || status < 0)
		return r < 0 ? r : status;
	if (status == 0)
		return 0;
	free(p->failed_stage);
	p->failed_stage = p->g->failed_stage ? strdup(p->g->failed_stage) : NULL;
	free(p->cause);
	p->cause = p->g->error ? strdup(p->g->error) : NULL;
	diag_error(d, NULL, "stage '%s' of guest '%s' failed on Dom0 '%s' (exit status %d)",
		   p->failed_stage ? p->failed_stage : stage_to_string(s), p->name, host, status);
	diag_add(d, DIAG_NOTE, NULL,
		 "'provision resume %s' continues it, 'provision destroy %s --yes' removes it",
		 p->name, p->name);
	return status == EXIT_CONFLICT ? -EBUSY : status == EXIT_USAGE ? -EDOM : -EREMOTEIO;
}

int pipeline_run(struct pipeline *p)
{
	int r;

	for (enum stage s = STAGE_ALLOCATE; s <= p->o.until; s++) {
		size_t mark = diag_mark(&p->ctx->diag);
		bool done = stage_done(p, s);

		if (done && !(p->o.again && (s == STAGE_NETWORK || s == STAGE_BOOT)))
			continue;
		if (runs_elsewhere(p, s))
			return hand_over(p, s);
		pipeline_event_stage(p, s, PIPELINE_STAGE_STARTED);
		r = run_hooks(p, s, HOOK_PRE);
		if (r >= 0)
			r = stage_fns[s](p);
		if (r >= 0)
			r = run_hooks(p, s, HOOK_POST);
		if (r < 0)
			return fail_stage(p, s, mark, r);
		/* the network again (start) is recorded already: the guest's stage stays boot */
		if (p->o.dry_run || (done && s != STAGE_BOOT)) {
			pipeline_event_stage(p, s, PIPELINE_STAGE_DONE);
			continue;
		}
		r = inv_stage_done(p->inv, p->g->id, stage_to_string(s), p->who, &p->ctx->diag);
		if (r >= 0)
			r = refresh(p);
		if (r < 0)
			return fail_stage(p, s, mark, r);
		pipeline_event_stage(p, s, PIPELINE_STAGE_DONE);
		maybe_crash(s);
	}
	return 0;
}

void pipeline_print_json(struct pipeline *p, int r)
{
	struct json *j = prov_json(p->ctx);
	const struct inv_guest *g = p->g;
	_cleanup_(freep) char *inst = NULL, *boot = NULL;
	char mac[18], ip[16];

	if (!j)
		return;
	json_key_str(j, "name", p->name);
	json_key_bool(j, "dry_run", p->o.dry_run);
	json_key_str(j, "stage", g ? g->stage : NULL);
	json_key_str(j, "state", g ? inv_state_to_string(g->state) : NULL);
	/* the stage that failed; null: none, or the run was refused before any stage */
	json_key_str(j, "failed_stage", r < 0 ? p->failed_stage : NULL);
	json_key_str(j, "template", p->t ? p->t->name : NULL);
	json_key(j, "vlan");
	if (p->t)
		json_uint(j, p->t->vlan);
	else
		json_null(j);
	json_key_str(j, "ip", g && g->has_ip ? format_ipv4(g->ip, ip) : NULL);
	json_key_str(j, "mac", g ? format_mac(g->mac, mac) : NULL);
	json_key_str(j, "lun", g && g->has_partition ? g->part.lun : NULL);
	json_key_str(j, "partuuid", g ? g->part.partuuid : NULL);
	json_key_str(j, "disk", p->disk_path);
	json_key_str(j, "request_id", p->request_id);
	json_key(j, "configs");
	json_obj_begin(j);
	json_key_str(j, "install",
		     (inst = guest_cfg_path(p->site->config_dir, p->name, "install")));
	json_key_str(j, "boot", (boot = guest_cfg_path(p->site->config_dir, p->name, "boot")));
	json_obj_end(j);
	/* the cause the result event gives too (events.h) */
	if (r < 0)
		prov_json_error(p->ctx, "%s", pipeline_cause(p, r));
}
