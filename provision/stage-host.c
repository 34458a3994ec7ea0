/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stages that touch the Dom0 rather than the LUN: network (the VLAN bridge) and configs
 * (both xl configs into config_dir); and the guest's saved spec, so that `resume` builds the
 * same guest (template plus the command line's overrides) as `new-guest` started.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "inventory/inventory.h"
#include "network/network.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "guestcfg.h"
#include "cluster.h"
#include "net-site.h"
#include "pipeline.h"
#include "prov.h"
#include "render.h"

int stage_network(struct pipeline *p)
{
	struct net_want want;
	struct net_plan plan = {0};
	int lock, r;

	r = prov_net_want(p->site, p->t->vlan, &p->ctx->diag, &want);
	if (r < 0)
		return r;
	/* one ensure at a time on this host: two creating the same bridge would collide */
	lock = p->o.dry_run ? 0 : prov_lock(p->site, "network", &p->ctx->diag);
	if (lock < 0)
		return lock;
	r = net_ensure(&want, 1, p->o.dry_run, &p->ctx->diag, &plan);
	if (lock > 0)
		close(lock);
	if (r >= 0 && plan.n_actions == 0)
		fprintf(p->out, "  bridge '%s' for VLAN %u: nothing to do\n", want.bridge,
			want.vlan);
	for (size_t i = 0; r >= 0 && i < plan.n_actions; i++) {
		_cleanup_(freep) char *line =
			net_action_describe(&plan.actions[i], p->o.dry_run ? NET_WOULD : NET_DONE);

		if (line)
			fprintf(p->out, "  %s\n", line);
	}
	net_plan_release(&plan);
	if (r >= 0 && !p->o.dry_run)
		prov_host_note(p->inv, p->site, p->o.hv, NULL, &p->ctx->diag); /* its bridges now */
	return r;
}

static int render_build(struct pipeline *p, struct guest_render *ret)
{
	_cleanup_(freep) char *disk = NULL;
	struct guest_alloc a = {
		.name = p->name,
		.vlan = p->t->vlan,
		.ip = p->g->has_ip ? p->g->ip : 0,
		.disk_path = p->disk_path,
	};
	int r;

	memcpy(a.mac, p->g->mac, 6);
	if (!a.disk_path && p->g->part.partno) {
		/* resumed after format: the stable name of the carved partition */
		r = part_alias_path(p->g->part.lun, p->g->part.partno, &disk);
		if (r < 0)
			return r;
		a.disk_path = disk;
	}
	if (!a.disk_path)
		a.disk_path = GUEST_DISK_PLACEHOLDER;
	return guest_render_build(p->site, p->t, &a, ret, &p->ctx->diag);
}

int pipeline_render(struct pipeline *p, const struct guest_render **ret)
{
	int r;

	if (!p->render) {
		p->render = calloc(1, sizeof(*p->render));
		if (!p->render)
			return -ENOMEM;
		r = render_build(p, p->render);
		if (r < 0) {
			p->render = pipeline_render_drop(p);
			return r;
		}
	}
	*ret = p->render;
	return 0;
}

struct guest_render *pipeline_render_drop(struct pipeline *p)
{
	if (p->render)
		guest_render_release(p->render);
	free(p->render);
	p->render = NULL;
	p->configs_written = false;
	return NULL;
}

int pipeline_configs_write(struct pipeline *p)
{
	const struct guest_render *gr;
	int r;

	if (p->configs_written)
		return 0;
	r = pipeline_render(p, &gr);
	if (r < 0)
		return r;
	/* a run of this guest killed while writing them left its temporary files */
	r = guest_cfg_leftovers_remove(p->site->config_dir, p->name, p->o.dry_run, p->out,
				       &p->ctx->diag);
	if (r < 0)
		return r;
	/* The inventory holds the name: configs under it are this guest's, overwrite them. */
	r = guest_render_write(gr, p->site, NULL, true, p->o.dry_run, p->out, &p->ctx->diag);
	fflush(p->out);
	p->configs_written = r >= 0 && !p->o.dry_run;
	return r;
}

int stage_configs(struct pipeline *p)
{
	const struct guest_render *gr;
	int r;

	r = pipeline_configs_write(p);
	if (r >= 0)
		r = pipeline_render(p, &gr);
	if (r >= 0 && gr->placeholder_disk)
		diag_add(&p->ctx->diag, DIAG_WARNING, NULL,
			 "guest '%s' has no partition yet: its configs name a placeholder disk",
			 p->name);
	return r;
}

/* Where provision before inventory version 2 kept the spec (guests allocated then still use it). */
static char *legacy_spec_path(const struct pipeline *p)
{
	char *s;

	if (asprintf(&s, "%s/guests/%s/template.yaml", p->site->state_dir, p->name) < 0)
		return NULL;
	return s;
}

int prov_spec_text(const struct pipeline *p, char **ret)
{
	_cleanup_(freep) char *body = NULL;
	int r;

	r = tmpl_guest_to_yaml(p->t, false, &body);
	if (r < 0)
		return r;
	if (asprintf(ret,
		     "# guest '%s': template '%s' with the overrides it was created with.\n"
		     "# provision resume builds the guest from this spec.\n%s",
		     p->name, p->t->name, body) < 0)
		return -ENOMEM;
	return 0;
}

int pipeline_load_template(struct pipeline *p)
{
	_cleanup_(freep) char *label = NULL, *path = NULL;
	int r;

	if (p->g && p->g->spec) {
		if (asprintf(&label, "spec of guest '%s'", p->name) < 0)
			return -ENOMEM;
		r = tmpl_guest_load_text(p->site, label, p->g->spec, &p->ctx->diag, &p->t);
	} else {
		path = legacy_spec_path(p);
		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) < 0)
			return diag_error_errno(
				&p->ctx->diag, NULL, -errno,
				"guest '%s' has no spec in the inventory and none in '%s'", p->name,
				path);
		r = tmpl_guest_load(p->site, path, &p->ctx->diag, &p->t);
	}
	if (r < 0)
		return r;
	pipeline_render_drop(p); /* made of the spec */
	/* keep the template's own name for configs, not the spec's */
	if (p->g && p->g->template_name) {
		char *n = strdup(p->g->template_name);

		if (!n)
			return -ENOMEM;
		free(p->t->name);
		p->t->name = n;
	}
	return 0;
}
