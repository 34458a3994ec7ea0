/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `provision migrate-receive NAME` on the target (migrate-run.h): started by the source through
 * the site's ssh command, its stdin and stdout the migration stream, its stderr the source's.
 * With --check it prints the target's checks as "check NAME RESULT FOUND" lines instead. It
 * runs under the source's lock on the guest (it takes none: the source holds it for the whole
 * move); it refuses to receive a guest whose lock nobody holds, which no migrate would do.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "cluster.h"
#include "migrate-run.h"
#include "migrate.h"
#include "prov.h"
#include "render.h"
#include "watch.h"

/* The source could not hear that the guest runs here: the inventory says so at least. */
static int orphan(void *userdata, struct diag *d)
{
	struct prov_migrate_guest *mg = userdata;
	_cleanup_(freep) char *who = pipeline_who(NULL);

	return inv_guest_set_host(mg->p.inv, mg->g->id, prov_host_self(), who, d);
}

/* Why this Dom0 does not take the guest, from its checks and the lock; NULL: it does. */
static char *refusal(struct prov_ctx *ctx, struct prov_migrate_guest *mg, struct inv *inv)
{
	_cleanup_(prov_checks_release) struct prov_checks c = {0};
	struct inv_lock *lock = NULL;
	const struct prov_check *f;
	char *s = NULL;

	if (prov_guest_lock(inv, mg->name, false, &ctx->diag, &lock) >= 0) {
		inv_lock_release(lock);
		return strdup(
			"no migrate holds the guest's lock: not started by 'provision migrate'");
	}
	prov_migrate_check_target(mg, false, 0, &c, &ctx->diag);
	f = prov_checks_first_failed(&c);
	if (f && asprintf(&s, "%s: %s", f->name, f->found) < 0)
		return strdup("out of memory");
	return s;
}

int prov_migrate_receive(struct prov_ctx *ctx, const char *name, bool check, bool ensure,
			 uint64_t config_sum)
{
	_cleanup_(inv_closep) struct inv *inv = NULL;
	_cleanup_(freep) char *refuse = NULL;
	struct prov_migrate_guest mg;
	struct prov_migrate_recv m = {.rfd = 0, .wfd = 1};
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = prov_inv_open(ctx, check ? INV_OPEN_READONLY : INV_OPEN_WRITE, &inv);
	if (r < 0)
		return prov_exit_status(r);
	r = prov_migrate_guest_load(ctx, inv, &hv_libxl_ops, name, NULL, &mg);
	if (r < 0) {
		prov_migrate_guest_release(&mg);
		return r == -ENOENT ? EXIT_USAGE : prov_exit_status(r);
	}
	if (check) {
		_cleanup_(prov_checks_release) struct prov_checks c = {0};

		prov_migrate_check_target(&mg, ensure, config_sum, &c, &ctx->diag);
		for (size_t i = 0; i < c.n; i++)
			printf("check %s %s %s\n", c.v[i].name,
			       prov_check_result_to_string(c.v[i].result), c.v[i].found);
		prov_migrate_guest_release(&mg);
		return prov_checks_status(&c);
	}
	refuse = refusal(ctx, &mg, inv);
	m = (struct prov_migrate_recv){.hv = mg.hv,
				       .h = mg.h,
				       .cfg = &mg.render->boot,
				       .rfd = 0,
				       .wfd = 1,
				       .refuse = refuse,
				       .orphan = orphan,
				       .userdata = &mg};
	r = prov_migrate_recv_run(&m, &ctx->diag);
	if (r >= 0) {
		prov_host_note(inv, ctx->site, mg.hv, mg.h, &ctx->diag); /* its memory now */
		prov_watch_spawn(ctx->site, ctx->site_path, name, &ctx->diag);
	}
	prov_migrate_guest_release(&mg);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
