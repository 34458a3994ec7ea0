/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "inventory/inventory.h"
#include "partition/partition.h"
#include "templates/templates.h"
#include "cluster.h"
#include "guestcfg.h"
#include "pipeline.h"
#include "prov.h"
#include "render.h"

void guest_render_release(struct guest_render *gr)
{
	free(gr->name);
	free(gr->template_name);
	free(gr->disk_path);
	hv_domcfg_release(&gr->install);
	hv_domcfg_release(&gr->boot);
	free(gr->install_text);
	free(gr->boot_text);
	*gr = (struct guest_render){0};
}

int prov_guest_template(struct prov_ctx *ctx, const char *name, const struct pipeline_opts *o,
			const struct tmpl_request *req, struct tmpl_guest **ret)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	int r;

	r = tmpl_guest_load(ctx->site, req ? req->template_name : o->template_name, &ctx->diag, &t);
	/* an unknown, missing or invalid template is bad input; one we cannot read a failure */
	if (r < 0)
		return r == -EINVAL || r == -ENOENT ? -EDOM : r;
	/* the request's parameters, then the command line's, each checked where it was given */
	for (size_t i = 0; req && i < req->n_params; i++)
		if (tmpl_guest_set(t, req->params[i].key, req->params[i].value, &req->params[i].loc,
				   &ctx->diag) < 0)
			r = -EDOM; /* keep going: report every bad value */
	for (size_t i = 0; i < o->n_overrides; i++)
		if (tmpl_guest_set(t, o->overrides[i].key, o->overrides[i].value, NULL,
				   &ctx->diag) < 0)
			r = -EDOM;
	if (r < 0)
		return r;
	r = tmpl_guest_check(t, ctx->site, &ctx->diag);
	if (r < 0)
		return r == -EINVAL ? -EDOM : r;
	if (!t->vlan) {
		diag_error(&ctx->diag, NULL,
			   "no VLAN for '%s': give --vlan or set vlan: in template '%s'", name,
			   t->name);
		return -EDOM;
	}
	*ret = TAKE_PTR(t);
	return 0;
}

static char *header(const struct guest_render *gr, const char *kind, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb,
		    "%s config of guest '%s' (template %s, VLAN %u), written by provision %s\n",
		    kind, gr->name, gr->template_name, gr->vlan, PROV_VERSION);
	strbuf_addf(&sb, "%s\n", what);
	if (gr->placeholder_disk)
		strbuf_addf(&sb,
			    "PLACEHOLDER DISK: no partition is allocated yet; %s is not a device\n",
			    GUEST_DISK_PLACEHOLDER);
	return strbuf_detach(&sb);
}

int guest_render_build(const struct site *s, const struct tmpl_guest *t,
		       const struct guest_alloc *a, struct guest_render *ret, struct diag *d)
{
	_cleanup_(guest_render_release) struct guest_render gr = {0};
	_cleanup_(freep) char *h_inst = NULL, *h_boot = NULL;
	int r;

	gr.name = strdup(a->name);
	gr.template_name = strdup(t->name);
	gr.disk_path = strdup(a->disk_path);
	if (!gr.name || !gr.template_name || !gr.disk_path)
		return -ENOMEM;
	gr.vlan = a->vlan;
	gr.ip = a->ip;
	memcpy(gr.mac, a->mac, 6);
	gr.placeholder_disk = streq(a->disk_path, GUEST_DISK_PLACEHOLDER);
	r = guest_domcfgs(s, t, a, &gr.install, &gr.boot, d);
	if (r < 0)
		return r;
	h_inst = header(
		&gr, "install",
		"Boots the installer; when it ends the domain is destroyed and provision starts the boot config.");
	h_boot = header(&gr, "boot", "The production guest: `xl create` this file on any Dom0.");
	if (!h_inst || !h_boot)
		return -ENOMEM;
	r = hv_domcfg_to_xl(&gr.install, h_inst, &gr.install_text, d);
	if (r >= 0)
		r = hv_domcfg_to_xl(&gr.boot, h_boot, &gr.boot_text, d);
	if (r < 0)
		return r;
	*ret = gr;
	gr = (struct guest_render){0};
	return 0;
}

/* What the guest holds in the inventory, or would get from the allocator now. */
static int preview_alloc(struct prov_ctx *ctx, const char *name, const struct tmpl_guest *t,
			 struct inv_guest **ret)
{
	const struct site *s = ctx->site;
	const struct site_vlan *v = tmpl_site_vlan(s, t->vlan);
	_cleanup_(inv_closep) struct inv *scratch = NULL;
	struct inv_alloc req;
	int r;

	r = prov_inv_open(ctx, INV_OPEN_SCRATCH, &scratch);
	if (r < 0)
		return r;
	r = inv_guest_get(scratch, name, &ctx->diag, ret);
	if (r != -ENOENT)
		return r;
	req = (struct inv_alloc){
		.name = name,
		.template_name = t->name,
		.vlan = t->vlan,
		.who = "render",
		.mac_prefix_len = s->mac_prefix_len,
	};
	memcpy(req.mac_prefix, s->mac_prefix, 6);
	if (v && v->has_subnet) {
		req.range_first = v->range_first;
		req.range_last = v->range_last;
		req.gateway = v->gateway;
	}
	return inv_guest_allocate(scratch, &req, &ctx->diag, ret);
}

int guest_render_preview(struct prov_ctx *ctx, const char *name, const struct tmpl_guest *t,
			 const struct pipeline_opts *o, struct guest_render *ret)
{
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	_cleanup_(freep) char *disk = NULL;
	struct guest_alloc a = {.name = name, .vlan = t->vlan};
	const char *ip = o->ip, *mac = o->mac;
	const struct site_vlan *v;
	int r;

	r = preview_alloc(ctx, name, t, &g);
	if (r < 0)
		return r;
	memcpy(a.mac, g->mac, 6);
	a.ip = g->has_ip ? g->ip : 0;
	/* bad input (-EDOM, exit status 2), as new-guest would find it */
	if (ip && parse_ipv4(ip, &a.ip) < 0) {
		diag_error(&ctx->diag, NULL, "--ip: invalid IPv4 address '%s'", ip);
		return -EDOM;
	}
	if (mac && parse_mac(mac, a.mac) < 0) {
		diag_error(&ctx->diag, NULL, "--mac: invalid MAC address '%s'", mac);
		return -EDOM;
	}
	v = tmpl_site_vlan(ctx->site, t->vlan);
	if (t->type == TMPL_GUEST_PV && (!v || !v->has_subnet || !a.ip)) {
		diag_error(&ctx->diag, NULL,
			   "VLAN %u has no subnet: cannot give the installer of '%s' an address",
			   t->vlan, name);
		return -EDOM;
	}
	if (o->disk_path)
		a.disk_path = o->disk_path;
	else if (g->has_partition && g->part.partno) {
		r = part_alias_path(g->part.lun, g->part.partno, &disk);
		if (r < 0)
			return r;
		a.disk_path = disk;
	} else
		a.disk_path = GUEST_DISK_PLACEHOLDER;
	return guest_render_build(ctx->site, t, &a, ret, &ctx->diag);
}

static int check_target(const char *path, const char *text, bool force, bool *ret_same,
			struct diag *d)
{
	_cleanup_(freep) char *old = NULL;
	int r;

	r = read_file(path, &old, NULL);
	if (r == -ENOENT) {
		*ret_same = false;
		return 0;
	}
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot read '%s'", path);
	*ret_same = streq(old, text);
	if (!*ret_same && !force)
		return diag_error_errno(
			d, NULL, -EEXIST,
			"'%s' exists with other content (another guest's config?); --force overwrites it",
			path);
	return 0;
}

int guest_render_write(const struct guest_render *gr, const struct site *s, const char *dir,
		       bool force, bool dry_run, FILE *out, struct diag *d)
{
	const char *kinds[2] = {"install", "boot"}, *texts[2] = {gr->install_text, gr->boot_text};
	char *paths[2] = {NULL, NULL};
	bool same[2];
	int r = 0;

	for (int i = 0; i < 2; i++) {
		paths[i] = guest_cfg_path(dir ? dir : s->config_dir, gr->name, kinds[i]);
		if (!paths[i])
			r = -ENOMEM;
	}
	/* Both checked before either is written: a refusal changes nothing. */
	for (int i = 0; r >= 0 && i < 2; i++)
		r = check_target(paths[i], texts[i], force, &same[i], d);
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (same[i]) {
			fprintf(out, "unchanged %s\n", paths[i]);
			continue;
		}
		if (dry_run) {
			fprintf(out, "would write %s\n", paths[i]);
			continue;
		}
		r = write_file_atomic(paths[i], texts[i], strlen(texts[i]), 0644, true);
		if (r < 0)
			diag_error_errno(d, NULL, r, "cannot write '%s'", paths[i]);
		else
			fprintf(out, "wrote %s\n", paths[i]);
	}
	free(paths[0]);
	free(paths[1]);
	return r;
}

void guest_render_print(const struct guest_render *gr, const char *config_dir, FILE *f)
{
	const char *kinds[2] = {"install", "boot"}, *texts[2] = {gr->install_text, gr->boot_text};

	for (int i = 0; i < 2; i++) {
		_cleanup_(freep) char *path = guest_cfg_path(config_dir, gr->name, kinds[i]);

		/* a comment to xl: each part is still a config file as it is */
		fprintf(f, "%s# ==> %s (a preview: new-guest writes it) <==\n", i ? "\n" : "",
			path ? path : kinds[i]);
		fputs(texts[i], f);
	}
}

int guest_render_print_json(const struct guest_render *gr, struct prov_ctx *ctx)
{
	_cleanup_(freep) char *inst = NULL, *boot = NULL;
	struct json *j = prov_json(ctx);
	char mac[18], ip[16];
	int r;

	r = hv_domcfg_to_json(&gr->install, &inst, &ctx->diag);
	if (r >= 0)
		r = hv_domcfg_to_json(&gr->boot, &boot, &ctx->diag);
	if (r < 0 || !j)
		return r;
	json_key_str(j, "name", gr->name);
	json_key_str(j, "template", gr->template_name);
	json_key_uint(j, "vlan", gr->vlan);
	json_key_str(j, "ip", gr->ip ? format_ipv4(gr->ip, ip) : NULL);
	json_key_str(j, "mac", format_mac(gr->mac, mac));
	json_key_str(j, "disk", gr->disk_path);
	json_key_bool(j, "placeholder_disk", gr->placeholder_disk);
	json_key(j, "install");
	json_raw(j, inst);
	json_key(j, "boot");
	json_raw(j, boot);
	return 0;
}
