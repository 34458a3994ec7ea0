/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-migrate and migrate on the source (migrate-run.h): the guest as this Dom0 sees it, the
 * checks (its own and the target's, read back over ssh), the hooks, the transport (the site's
 * ssh command running `provision migrate-receive NAME` on the target, its stdin and stdout one
 * socket here), the handshake (migrate-proto.c), the inventory. A guest that runs on another
 * Dom0 is handed over there.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/run.h"
#include "common/util.h"
#include "hooks/hooks.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "cluster.h"
#include "migrate-run.h"
#include "migrate.h"
#include "prov.h"
#include "render.h"

#define MB_		    (UINT64_C(1000) * 1000)
#define PROGRESS_EVERY_USEC (2 * 1000000)

/* Whether this Xen logs a PV domain's dirty pages: 1, 0, or -1 when it cannot tell. */
static int pv_log_dirty(const struct hv_ops *hv, void *h, struct diag *d)
{
	struct hv_host_info info = {0};

	if (!hv->host_info || hv->host_info(h, &info, d) < 0)
		return -1;
	return info.pv_log_dirty;
}

int prov_migrate_guest_load(struct prov_ctx *ctx, struct inv *inv, const struct hv_ops *hv,
			    const char *name, const char *to, struct prov_migrate_guest *mg)
{
	struct diag *d = &ctx->diag;
	size_t mark;
	int r;

	*mg = (struct prov_migrate_guest){
		.site = ctx->site, .name = name, .to = to, .hv = hv, .domid = HV_DOMID_NONE};
	mg->p = (struct pipeline){.ctx = ctx, .site = ctx->site, .inv = inv, .name = name};
	mg->backend = inv_backend(inv);
	mg->shared = inv_is_shared(inv);
	r = inv_guest_get(inv, name, d, &mg->p.g);
	if (r == -ENOENT)
		return diag_error(d, NULL, "no guest '%s' in the inventory", name), -ENOENT;
	if (r >= 0)
		r = inv_host_list(inv, d, &mg->hosts, &mg->n_hosts);
	if (r >= 0)
		r = pipeline_load_template(&mg->p);
	if (r >= 0)
		r = pipeline_render(&mg->p, &mg->render);
	if (r < 0)
		return r;
	mg->g = mg->p.g;
	mg->t = mg->p.t;
	/* no Xen here is an answer (a check fails), not an error */
	mark = diag_mark(d);
	r = hv->open(&(struct hv_open_opts){.log = stderr, .verbose = ctx->verbose}, &mg->h, d);
	if (r < 0) {
		_cleanup_(freep) char *why = diag_cause(d, mark);

		diag_truncate(d, mark);
		mg->h = NULL;
		return asprintf(&mg->hv_why, ", %s", why ? why : "no Xen here") < 0 ? -ENOMEM : 0;
	}
	if (hv->domid(mg->h, name, &mg->domid, d) < 0)
		mg->domid = HV_DOMID_NONE;
	if (!hv->free_memory || hv->free_memory(mg->h, &mg->free_mib, d) < 0)
		mg->free_mib = 0;
	mg->pv_log_dirty = pv_log_dirty(hv, mg->h, d);
	diag_truncate(d, mark);
	return 0;
}

void prov_migrate_guest_release(struct prov_migrate_guest *mg)
{
	if (mg->h)
		mg->hv->close(mg->h);
	mg->h = NULL;
	mg->p.inv = NULL; /* borrowed */
	pipeline_release(&mg->p);
	mg->hosts = inv_host_array_free(mg->hosts, mg->n_hosts);
	free(mg->hv_why);
	mg->hv_why = NULL;
}

void prov_migrate_result_release(struct prov_migrate_result *r)
{
	prov_checks_release(&r->checks);
	free(r->from);
	r->from = NULL;
}

/* ---- the target's checks, over ssh --------------------------------------------------------- */

static void remote_line(struct run_child *c, const char *line)
{
	struct prov_checks *checks = c->userdata;

	if (prov_checks_parse_line(checks, line) < 0)
		fprintf(stderr, "%s\n", line); /* not ours: show it */
}

static void check_remote(struct prov_ctx *ctx, struct prov_migrate_guest *mg, bool ensure,
			 struct prov_checks *c)
{
	_cleanup_(freep) char *cfg = guest_cfg_path(ctx->site->config_dir, mg->name, "boot");
	char sum[32];
	char *args[] = {"migrate-receive",
			(char *) mg->name,
			"--check",
			"--config-sum",
			sum,
			ensure ? "--ensure" : NULL,
			NULL};
	size_t before = c->n, mark = diag_mark(&ctx->diag);
	int r;

	snprintf(sum, sizeof(sum), "%016" PRIx64, cfg ? prov_migrate_file_sum(cfg) : 0);
	r = prov_remote_lines(ctx->site, mg->to, args, remote_line, c, &ctx->diag);
	if (r >= 0 && c->n > before) {
		prov_checks_add(c, "answers", CHECK_OK, "Dom0 '%s' ran the checks", mg->to);
		return;
	}
	{
		_cleanup_(freep) char *why = diag_cause(&ctx->diag, mark);

		diag_truncate(&ctx->diag, mark);
		if (r >= 0)
			prov_checks_add(c, "answers", CHECK_FAIL,
					"Dom0 '%s' did not run the checks (exit status %d)", mg->to,
					r);
		else
			prov_checks_add(c, "answers", CHECK_FAIL, "%s", why ? why : "no answer");
	}
}

/* ---- hooks --------------------------------------------------------------------------------- */

static int run_hooks(struct prov_ctx *ctx, struct prov_migrate_guest *mg, enum hook_when when,
		     const char *mode, FILE *out)
{
	_cleanup_(strv_freep) char **env = NULL;
	char *args[] = {(char *) mg->name, "migrate", (char *) hook_when_to_string(when), NULL};
	const char *vars[][2] = {
		{"GUEST", mg->name},	  {"STAGE", "migrate"}, {"FROM", prov_host_self()},
		{"TO", mg->to},		  {"MODE", mode},	{"STATE_DIR", mg->site->state_dir},
		{"SITE", ctx->site_path},
	};
	struct hook_run run = {.hooks_dir = mg->site->hooks_dir,
			       .stage = "migrate",
			       .when = when,
			       .argv_extra = args,
			       .timeout_s = mg->site->hook_timeout_s};
	struct hook_failure f = {0};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		char *e;

		if (asprintf(&e, "PROVISION_%s=%s", vars[i][0], vars[i][1]) < 0 ||
		    strv_push_take(&env, e) < 0)
			return -ENOMEM;
	}
	run.env = env;
	r = hook_run_all(&run, &ctx->diag, &f);
	if (r != 0)
		(void) inv_event_add(mg->p.inv, mg->g->id, mg->name, "migrate",
				     when == HOOK_PRE ? "hook migrate.pre" : "hook migrate.post",
				     r < 0 ? "failed" : "ok", r < 0 ? f.hook : NULL, &ctx->diag);
	if (r > 0)
		fprintf(out, "  ran %d migrate.%s hook(s)\n", r, hook_when_to_string(when));
	hook_failure_release(&f);
	return r < 0 ? r : 0;
}

/* ---- the move ------------------------------------------------------------------------------ */

struct send_ctx {
	struct prov_ctx *ctx;
	struct prov_migrate_guest *mg;
	FILE *out;
	int64_t start, last;
	uint64_t bytes;
	char *who;
};

static void on_progress(uint64_t bytes, void *userdata)
{
	struct send_ctx *s = userdata;
	int64_t now = mono_usec();

	s->bytes = bytes;
	if (now - s->last < PROGRESS_EVERY_USEC)
		return;
	s->last = now;
	fprintf(s->out, "  migrate: %llds, %" PRIu64 " MB sent\n",
		(long long) ((now - s->start) / 1000000), bytes / MB_);
	fflush(s->out);
}

/* The commit's record: the guest's Dom0 is the target now. */
static int on_commit(void *userdata, struct diag *d)
{
	struct send_ctx *s = userdata;

	return inv_guest_set_host(s->mg->p.inv, s->mg->g->id, s->mg->to, s->who, d);
}

/* The transport: the site's ssh running migrate-receive there, on one socket of ours. */
static int transport_start(struct prov_ctx *ctx, struct prov_migrate_guest *mg, struct run_child *c,
			   char ***argv, int *ret_fd)
{
	char *args[] = {"migrate-receive", (char *) mg->name, NULL};
	int sv[2], r;

	r = prov_remote_argv(ctx->site, mg->to, args, argv);
	if (r < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return diag_error_errno(&ctx->diag, NULL, -errno,
					"cannot make the migration stream");
	*c = (struct run_child){
		.argv = *argv,
		.in = {.io = RUN_FD, .fd = sv[1]},
		.out = {.io = RUN_FD, .fd = sv[1]},
		.err = {.io = RUN_INHERIT},
		.die_with_parent = true,
	};
	r = run_start(c);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return diag_error_errno(&ctx->diag, NULL, r, "cannot run '%s' to reach Dom0 '%s'",
					ctx->site->ssh[0], mg->to);
	}
	*ret_fd = sv[0];
	return 0;
}

static int move(struct prov_ctx *ctx, struct prov_migrate_guest *mg,
		const struct prov_migrate_req *req, struct prov_migrate_result *res)
{
	_cleanup_(strv_freep) char **argv = NULL;
	struct send_ctx s = {ctx, mg, req->out, mono_usec(), mono_usec(), 0, NULL};
	struct prov_migrate_send m = {
		.hv = mg->hv,
		.h = mg->h,
		.name = mg->name,
		.to = mg->to,
		.domid = mg->domid,
		.flags = req->offline ? 0 : HV_MIGRATE_LIVE,
		.progress = on_progress,
		.commit = on_commit,
		.userdata = &s,
	};
	struct run_child c = {0};
	int r;

	s.who = pipeline_who(NULL);
	if (!s.who)
		return -ENOMEM;
	r = transport_start(ctx, mg, &c, &argv, &m.fd);
	if (r >= 0) {
		fprintf(req->out, "moving '%s' (domain %u) %s to Dom0 '%s'\n", mg->name, mg->domid,
			req->offline ? "offline" : "live", mg->to);
		fflush(req->out);
		r = prov_migrate_send_run(&m, &ctx->diag);
		close(m.fd);
		(void) run_wait(&c); /* ssh ends with the stream */
	}
	run_child_release(&c);
	res->moved = m.moved;
	res->resumed = m.resumed;
	res->bytes = s.bytes;
	res->usec = mono_usec() - s.start;
	res->stopped_at = m.stopped_at == MIGRATE_STEP_NONE
				  ? NULL
				  : prov_migrate_step_to_string(m.stopped_at);
	(void) inv_event_add(mg->p.inv, mg->g->id, mg->name, s.who, "migrate",
			     m.moved ? "ok" : "failed", mg->to, &ctx->diag);
	free(s.who);
	return r;
}

static void say_where(struct prov_ctx *ctx, struct prov_migrate_guest *mg,
		      const struct prov_migrate_result *res)
{
	if (res->moved)
		return;
	diag_error(&ctx->diag, NULL, "migration of '%s' to Dom0 '%s' stopped at '%s'%s", mg->name,
		   mg->to, res->stopped_at ? res->stopped_at : "start",
		   res->resumed || (res->stopped_at && streq(res->stopped_at, "hello"))
			   ? ": it runs on this Dom0 as before"
			   : "");
}

/* On the guest's own Dom0. */
static int migrate_here(struct prov_ctx *ctx, struct inv *inv, struct prov_migrate_guest *mg,
			const struct prov_migrate_req *req, struct prov_migrate_result *res)
{
	_cleanup_(inv_lock_releasep) struct inv_lock *lock = NULL;
	int r, status;

	r = prov_guest_lock(inv, mg->name, false, &ctx->diag, &lock);
	if (r == -EWOULDBLOCK)
		mg->busy = true;
	else if (r < 0)
		return prov_exit_status(r);
	if (req->check_only || req->dry_run)
		lock = inv_lock_release(lock);
	mg->live = !req->offline;
	prov_migrate_check_source(mg, &res->checks, &ctx->diag);
	/* the target's own lines too, whatever failed here, when there is a target to ask */
	for (size_t i = 0; i < res->checks.n; i++)
		if (streq(res->checks.v[i].name, "target") && res->checks.v[i].result == CHECK_OK &&
		    mg->shared) {
			check_remote(ctx, mg, req->ensure, &res->checks);
			break;
		}
	if (!prov_json(ctx))
		prov_checks_print(&res->checks, req->out);
	status = prov_checks_status(&res->checks);
	if (status != EXIT_OK) {
		const struct prov_check *f = prov_checks_first_failed(&res->checks);

		diag_error(&ctx->diag, NULL, "'%s' cannot move to Dom0 '%s': %s: %s", mg->name,
			   mg->to, f->name, f->found);
		return status;
	}
	if (req->check_only)
		return EXIT_OK;
	if (req->dry_run) {
		fprintf(req->out, "would move '%s' (domain %u, %" PRIu64 " MiB) %s to Dom0 '%s'\n",
			mg->name, mg->domid, mg->render->boot.memory_mib,
			req->offline ? "offline" : "live", mg->to);
		return EXIT_OK;
	}
	r = run_hooks(ctx, mg, HOOK_PRE, req->offline ? "offline" : "live", req->out);
	if (r < 0) {
		res->stopped_at = "pre hook";
		diag_error(
			&ctx->diag, NULL,
			"migration of '%s' stopped at its pre hook: it runs on this Dom0 as before",
			mg->name);
		return prov_exit_status(r);
	}
	r = move(ctx, mg, req, res);
	if (r < 0) {
		say_where(ctx, mg, res);
		return res->moved ? EXIT_FAIL : prov_exit_status(r == -EBUSY ? -EIO : r);
	}
	fprintf(req->out, "moved '%s' to Dom0 '%s': %" PRIu64 " MB in %llds\n", mg->name, mg->to,
		res->bytes / MB_, (long long) (res->usec / 1000000));
	prov_host_note(inv, ctx->site, mg->hv, mg->h, &ctx->diag); /* its memory now */
	r = run_hooks(ctx, mg, HOOK_POST, req->offline ? "offline" : "live", req->out);
	if (r < 0) {
		diag_error(&ctx->diag, NULL,
			   "'%s' moved to Dom0 '%s', but its migrate post hook failed", mg->name,
			   mg->to);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The guest runs on another Dom0: the same command there. */
static int hand_over(struct prov_ctx *ctx, const struct prov_migrate_req *req, const char *host,
		     struct prov_migrate_result *res)
{
	char *args[8] = {req->check_only ? "check-migrate" : "migrate", (char *) req->name, "--to",
			 (char *) req->to};
	size_t n = 4;
	int r;

	if (req->offline)
		args[n++] = "--offline";
	if (req->ensure)
		args[n++] = "--ensure";
	if (req->dry_run)
		args[n++] = "-n"; /* migrate -n: the plan there */
	fprintf(req->out, "'%s' runs on Dom0 '%s': %s there\n", req->name, host, args[0]);
	fflush(req->out);
	res->handed_over = true;
	r = prov_remote_run(ctx->site, host, args, req->out != stdout, &ctx->diag);
	if (r < 0)
		return EXIT_FAIL;
	if (r != EXIT_OK)
		diag_error(&ctx->diag, NULL, "%s of '%s' failed on Dom0 '%s' (exit status %d)",
			   args[0], req->name, host, r);
	return r > EXIT_CONFLICT ? EXIT_FAIL : r;
}

int prov_migrate_one(struct prov_ctx *ctx, const struct prov_migrate_req *req,
		     struct prov_migrate_result *res)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	struct prov_migrate_guest mg;
	int r, status;

	/* a transport that dies is an EPIPE to handle, not the end of us (xl does the same) */
	signal(SIGPIPE, SIG_IGN);
	r = prov_inv_open(ctx, req->check_only || req->dry_run ? INV_OPEN_READONLY : INV_OPEN_WRITE,
			  &inv);
	if (r < 0)
		return prov_exit_status(r);
	r = prov_migrate_guest_load(ctx, inv, req->hv, req->name, req->to, &mg);
	if (r >= 0) {
		res->from = strdup(mg.g->host ? mg.g->host : prov_host_self());
		if (!res->from)
			r = -ENOMEM;
	}
	if (r < 0) {
		prov_migrate_guest_release(&mg);
		return r == -ENOENT ? EXIT_USAGE : prov_exit_status(r);
	}
	if (mg.g->host && !streq(mg.g->host, prov_host_self()) && inv_is_shared(inv) &&
	    !streq(mg.g->host, req->to)) {
		_cleanup_(freep) char *host = strdup(mg.g->host);

		prov_migrate_guest_release(&mg);
		return host ? hand_over(ctx, req, host, res) : EXIT_FAIL;
	}
	status = migrate_here(ctx, inv, &mg, req, res);
	prov_migrate_guest_release(&mg);
	return status;
}
