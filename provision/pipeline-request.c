/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A request again (a ticket system's scrip that fires twice, a batch run again): the same
 * request_id is the same guest, and it must be the same request. What it asks for now (its
 * template resolved, its ip, mac, lun and owner) is compared with what made the guest (the
 * saved spec, the inventory row); any difference is a conflict that names the fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "inventory/inventory.h"
#include "templates/templates.h"
#include "pipeline.h"

/* ", KEY WAS, now NOW" into sb when was and now differ (NULL: unset) */
static void field_diff(struct strbuf *sb, const char *key, const char *was, const char *now)
{
	if (streq(was ? was : "", now ? now : ""))
		return;
	strbuf_addf(sb, "%s%s %s, now %s", sb->len ? ", " : "", key, was ? was : "none",
		    now ? now : "none");
}

static bool same_lun(const char *a, const char *b)
{
	struct stat sa, sb;

	if (streq(a, b))
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && stat_same_device(&sa, &sb);
}

/* The choices of the request (ip, mac, lun, owner) against the guest's inventory row. */
static void row_diff(const struct pipeline *p, const struct tmpl_request *req, struct strbuf *sb)
{
	const struct inv_guest *g = p->g;
	char was[18], now[18];
	uint8_t mac[6];
	uint32_t ip;

	if (p->ip && parse_ipv4(p->ip, &ip) == 0 && (!g->has_ip || g->ip != ip))
		field_diff(sb, "ip", g->has_ip ? format_ipv4(g->ip, was) : NULL,
			   format_ipv4(ip, now));
	if (p->mac && parse_mac(p->mac, mac) == 0 && memcmp(mac, g->mac, 6) != 0)
		field_diff(sb, "mac", format_mac(g->mac, was), format_mac(mac, now));
	if (p->lun && (!g->has_partition || !same_lun(p->lun, g->part.lun)))
		field_diff(sb, "lun", g->has_partition ? g->part.lun : NULL, p->lun);
	if (req->owner)
		field_diff(sb, "owner", g->owner, req->owner);
	/* the image by name needs the inventory: a clone or not is what can differ here */
	if (!!p->image != !!g->image_id)
		field_diff(sb, "image", g->image_id ? "an image" : NULL, p->image);
}

/*
 * Whether the request asks for what made p->g: its template (p->t, resolved now) against the
 * guest's saved spec, key by key. Returns: 0 (the same), -EEXIST with the differences in the
 * diag, < 0 when the spec cannot be read.
 */
static int request_compare(struct pipeline *p, const struct tmpl_request *req)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *now = TAKE_PTR(p->t), *was = NULL;
	struct strbuf sb = STRBUF_INIT;
	int r;

	r = pipeline_load_template(p);
	was = TAKE_PTR(p->t);
	p->t = TAKE_PTR(now);
	if (r < 0)
		return r;
	field_diff(&sb, "template", p->g->template_name, p->t->name);
	for (const char *const *k = tmpl_guest_keys; *k; k++) {
		_cleanup_(freep) char *a = NULL, *b = NULL;

		if (tmpl_guest_format(was, *k, &a) < 0 || tmpl_guest_format(p->t, *k, &b) < 0) {
			strbuf_release(&sb);
			return -ENOMEM;
		}
		field_diff(&sb, *k, a, b);
	}
	row_diff(p, req, &sb);
	r = 0;
	if (sb.len) {
		diag_error(&p->ctx->diag, &req->name_loc,
			   "request '%s' differs from the one that made guest '%s': %s",
			   req->request_id, p->name, strbuf_str(&sb));
		r = -EEXIST;
	}
	strbuf_release(&sb);
	return r;
}

/*
 * A request again: the same request_id returns the guest it made (finishing it when it
 * stopped half-way); a different request for a name that exists is refused.
 */
static int request_again(struct pipeline *p, const struct tmpl_request *req)
{
	struct diag *d = &p->ctx->diag;
	int r;

	r = inv_guest_get_by_request(p->inv, req->request_id, d, &p->g);
	if (r == -ENOENT) {
		r = inv_guest_get(p->inv, p->name, d, &p->g);
		if (r == -ENOENT)
			return 0; /* new */
		if (r < 0)
			return r;
		diag_error(d, &req->name_loc, "guest '%s' exists for %s%s%s, not for request '%s'",
			   p->name, p->g->request_id ? "request '" : "no request",
			   p->g->request_id ? p->g->request_id : "", p->g->request_id ? "'" : "",
			   req->request_id);
		return -EEXIST;
	}
	if (r < 0)
		return r;
	if (!streq(p->g->name, p->name)) {
		diag_error(d, &req->name_loc, "request '%s' made guest '%s', not '%s'",
			   req->request_id, p->g->name, p->name);
		return -EEXIST;
	}
	r = request_compare(p, req);
	if (r < 0)
		return r;
	fprintf(p->out, "request '%s': guest '%s' exists (stage %s)\n", req->request_id, p->name,
		p->g->stage ? p->g->stage : "none");
	return 1;
}

int pipeline_request_run(struct pipeline *p, const struct tmpl_request *req)
{
	int r = request_again(p, req);

	if (r < 0)
		return r;
	return r > 0 ? pipeline_guest_continue(p) : pipeline_guest_new(p);
}
