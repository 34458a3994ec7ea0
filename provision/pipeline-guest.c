/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starting a guest's pipeline: a new guest, a request (again), or a guest to continue.
 * Shared by new-guest, resume and batch (whose -n plans every guest in one process).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "guestcfg.h"
#include "cluster.h"
#include "pipeline.h"
#include "render.h"

int pipeline_guest_init(struct pipeline *p, const struct tmpl_request *req)
{
	int r;

	p->ip = p->o.ip;
	p->mac = p->o.mac;
	p->lun = p->o.lun;
	p->owner = p->o.owner;
	p->ip_loc = p->mac_loc = NULL;
	if (req) {
		p->name = req->name;
		p->request_id = req->request_id;
		if (req->owner)
			p->owner = req->owner;
		/* a request's choices; the command line still wins */
		if (!p->ip && req->ip) {
			p->ip = req->ip;
			p->ip_loc = &req->ip_loc;
		}
		if (!p->mac && req->mac) {
			p->mac = req->mac;
			p->mac_loc = &req->mac_loc;
		}
		p->lun = p->lun ? p->lun : req->lun;
	}
	free(p->who);
	p->who = pipeline_who(p->request_id);
	if (!p->who)
		return -ENOMEM;
	p->t = tmpl_guest_free(p->t);
	r = prov_guest_template(p->ctx, p->name, &p->o, req, &p->t);
	return r < 0 ? r : pipeline_guest_check(p);
}

/* "ip: ..." at the request's value, or "--ip: ..." for the command line's */
_printf_(4, 5) static int input_err(struct pipeline *p, const char *key, const struct src_loc *loc,
				    const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	diag_error(&p->ctx->diag, loc, "%s%s: %s", loc ? "" : "--", key, msg);
	return -EDOM;
}

static int check_ip(struct pipeline *p)
{
	const struct site_vlan *v = tmpl_site_vlan(p->site, p->t->vlan);
	const struct src_loc *at = p->ip_loc;
	char net[16], a[16], b[16];
	uint32_t ip, mask, bcast;

	if (parse_ipv4(p->ip, &ip) < 0)
		return input_err(p, "ip", at, "invalid IPv4 address '%s'", p->ip);
	if (!v || !v->has_subnet)
		return 0; /* the site knows nothing of this VLAN's addresses: --ip is all there is
			   */
	mask = ~UINT32_C(0) << (32 - v->prefix);
	bcast = v->subnet | ~mask;
	format_ipv4(v->subnet, net);
	if ((ip & mask) != v->subnet)
		return input_err(p, "ip", at, "%s is outside VLAN %u's subnet %s/%u", p->ip, v->id,
				 net, v->prefix);
	if (ip == v->subnet || ip == bcast)
		return input_err(p, "ip", at, "%s is the %s address of VLAN %u's subnet %s/%u",
				 p->ip, ip == v->subnet ? "network" : "broadcast", v->id, net,
				 v->prefix);
	if (ip == v->gateway)
		return input_err(p, "ip", at, "%s is the gateway of VLAN %u", p->ip, v->id);
	if (ip < v->range_first || ip > v->range_last)
		return input_err(p, "ip", at, "%s is outside VLAN %u's range %s-%s (%s:%u)", p->ip,
				 v->id, format_ipv4(v->range_first, a),
				 format_ipv4(v->range_last, b), p->site->path, v->loc.line);
	return 0;
}

static int check_mac(struct pipeline *p)
{
	static const uint8_t zero[6], ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const struct site *s = p->site;
	const struct src_loc *at = p->mac_loc;
	char prefix[18] = "";
	uint8_t m[6];

	if (parse_mac(p->mac, m) < 0)
		return input_err(p, "mac", at, "invalid MAC address '%s'", p->mac);
	if (memcmp(m, zero, 6) == 0 || memcmp(m, ones, 6) == 0)
		return input_err(p, "mac", at, "%s is not a guest's address (all %s)", p->mac,
				 m[0] ? "ones" : "zeros");
	if (m[0] & 1)
		return input_err(p, "mac", at, "%s is a multicast address", p->mac);
	for (unsigned i = 0; i < s->mac_prefix_len; i++)
		snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), "%s%02x",
			 i ? ":" : "", s->mac_prefix[i]);
	if (memcmp(m, s->mac_prefix, s->mac_prefix_len) != 0)
		return input_err(p, "mac", at, "%s is outside the site's mac_prefix %s", p->mac,
				 prefix);
	return 0;
}

int pipeline_guest_check(struct pipeline *p)
{
	const struct site_vlan *v = tmpl_site_vlan(p->site, p->t->vlan);
	const char *dir = p->site->config_dir;
	struct stat st;
	int r = 0;

	if (p->ip && check_ip(p) == -EDOM)
		r = -EDOM;
	if (p->mac && check_mac(p) == -EDOM)
		r = -EDOM;
	if (p->o.host && !streq(p->o.host, "auto") && !streq(p->o.host, prov_host_self()) &&
	    !p->site->inventory) {
		diag_error(
			&p->ctx->diag, NULL,
			"--host '%s': a guest runs on another Dom0 only with a shared inventory ('inventory:' in the site file '%s'); this site's inventory is this Dom0's alone",
			p->o.host, p->site->path);
		r = -EDOM;
	}
	/* the configs stage writes there: find out now, not after the disk work */
	if (p->o.until < STAGE_CONFIGS)
		return r;
	if (p->t->type == TMPL_GUEST_PV && (!v || !v->has_subnet)) {
		/* as guest_domcfgs() would find at the configs stage */
		diag_error(&p->ctx->diag, NULL,
			   "VLAN %u has no subnet: cannot give the installer of '%s' an address",
			   p->t->vlan, p->name);
		r = -EDOM;
	}
	if (stat(dir, &st) < 0) {
		diag_error_errno(&p->ctx->diag, NULL, -errno,
				 "cannot use config_dir '%s' of the site file '%s'", dir,
				 p->site->path);
		r = -EDOM;
	} else if (!S_ISDIR(st.st_mode)) {
		diag_error(&p->ctx->diag, NULL,
			   "cannot use config_dir '%s' of the site file '%s': not a directory", dir,
			   p->site->path);
		r = -EDOM;
	}
	return r;
}

/* Configs of this name that no guest of the inventory holds: a hand-made guest, say. */
static int refuse_foreign_configs(struct pipeline *p)
{
	for (int i = 0; i < 2; i++) {
		_cleanup_(freep) char *path =
			guest_cfg_path(p->site->config_dir, p->name, i ? "boot" : "install");

		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) == 0 && !p->o.force)
			return diag_error_errno(
				&p->ctx->diag, NULL, -EEXIST,
				"'%s' exists but no guest '%s' is in the inventory (made by hand?); --force takes it over",
				path, p->name);
	}
	return 0;
}

/* Continue the existing guest p->g from its saved spec (a repeated request, or resume). */
int pipeline_guest_continue(struct pipeline *p)
{
	int r;

	/* copies: p->g is replaced after every stage */
	free(p->g_request_id);
	free(p->g_owner);
	p->g_request_id = p->g->request_id ? strdup(p->g->request_id) : NULL;
	p->g_owner = p->g->owner ? strdup(p->g->owner) : NULL;
	if ((p->g->request_id && !p->g_request_id) || (p->g->owner && !p->g_owner))
		return -ENOMEM;
	p->request_id = p->g_request_id;
	p->owner = p->g_owner;
	free(p->who);
	p->who = pipeline_who(p->request_id);
	if (!p->who)
		return -ENOMEM;
	p->t = tmpl_guest_free(p->t);
	r = pipeline_load_template(p);
	if (r >= 0)
		r = pipeline_run(p);
	return r;
}

int pipeline_guest_new(struct pipeline *p)
{
	int r = refuse_foreign_configs(p);

	return r < 0 ? r : pipeline_run(p);
}
