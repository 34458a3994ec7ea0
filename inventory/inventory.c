/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backend-neutral inventory: what is free and who gets it, decided between a backend's
 * begin(write) and commit, with an event for every change.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"

/* MAC re-draws before giving up; with 3 free bytes a second draw is already rare. */
#define MAC_ATTEMPTS 1024

int inv__tx_end(struct inv *inv, int r, struct diag *d)
{
	if (r < 0) {
		inv->ops->rollback(inv->h);
		return r;
	}
	return inv->ops->commit(inv->h, d);
}

int inv__event(struct inv *inv, const struct inv_guest *g, const char *who, const char *what,
	       const char *result, const char *message, int64_t at, struct diag *d)
{
	struct inv_event e = {
		.at_usec = at,
		.guest_id = g ? g->id : 0,
		.guest = g ? g->name : NULL,
		.who = (char *) (who ? who : "unknown"),
		.what = (char *) what,
		.result = (char *) result,
		.message = (char *) message,
	};

	return inv->ops->event_insert(inv->h, &e, d);
}

/* PARTUUIDs are stored in lower case (as blkid prints them) so the unique index sees one spelling.
 */
char *inv__lowercase(char *s)
{
	for (char *p = s; p && *p; p++)
		*p = (char) tolower((unsigned char) *p);
	return s;
}

static const char *last_message(const struct diag *d)
{
	return d->n ? d->v[d->n - 1].msg : NULL;
}

static int pick_partition(struct inv *inv, const struct inv_alloc *req, struct inv_guest *g,
			  struct diag *d)
{
	struct inv_partition *taken = NULL;
	size_t n_taken = 0;
	uint64_t start, size;
	char buf[32];
	int i, r;

	/* live guests' partitions and live images' (doc/images.md) */
	r = inv__places_taken(inv, d, &taken, &n_taken);
	if (r < 0)
		return r;
	i = inv__extent_pick(req->candidates, req->n_candidates, req->part_size,
			     req->part_align ?: 1024 * 1024, taken, n_taken, &start, &size);
	inv__places_free(taken, n_taken);
	if (i == -ENOSPC) {
		diag_add(
			d, DIAG_ERROR, NULL,
			"no space for a partition of %s for guest '%s' (%zu candidates, %zu taken)",
			format_size(req->part_size, buf, sizeof(buf)), req->name, req->n_candidates,
			n_taken);
		return -ENOSPC;
	}
	if (i < 0)
		return diag_error(d, NULL, "invalid partition size for guest '%s'", req->name);
	g->has_partition = true;
	g->part.start = start;
	g->part.size = size;
	g->part.lun = strdup(req->candidates[i].lun);
	if (!g->part.lun)
		return -ENOMEM;
	g->part_new = !req->candidates[i].partuuid;
	if (req->candidates[i].partuuid) {
		g->part.partuuid = inv__lowercase(strdup(req->candidates[i].partuuid));
		if (!g->part.partuuid)
			return -ENOMEM;
	}
	return 0;
}

/* A clone: the live, captured image it is made from. */
static int pick_image(struct inv *inv, const struct inv_alloc *req, struct inv_guest *g,
		      struct diag *d)
{
	_cleanup_(inv_image_freep) struct inv_image *im = NULL;
	int r;

	r = inv->ops->image_find(inv->h, INV__KEY_NAME, req->image, 0, d, &im);
	if (r == -ENOENT)
		diag_add(d, DIAG_ERROR, NULL, "no image '%s' in the inventory", req->image);
	if (r < 0)
		return r;
	if (!im->checksum) {
		diag_add(d, DIAG_ERROR, NULL, "image '%s' is not captured yet", req->image);
		return -ENOENT;
	}
	g->image_id = im->id;
	return 0;
}

static const struct inv_guest *mac_owner(const struct inv_guest *live, size_t n,
					 const uint8_t mac[6])
{
	for (size_t j = 0; j < n; j++)
		if (memcmp(live[j].mac, mac, 6) == 0)
			return &live[j];
	return NULL;
}

static int pick_mac(const struct inv_alloc *req, const struct inv_guest *live, size_t n,
		    struct inv_guest *g, struct diag *d)
{
	const struct inv_guest *o;
	char buf[18];

	if (req->has_mac) {
		o = mac_owner(live, n, req->mac);
		if (o) {
			diag_add(d, DIAG_ERROR, NULL,
				 "MAC address '%s' already belongs to guest '%s'",
				 format_mac(req->mac, buf), o->name);
			return -EEXIST;
		}
		memcpy(g->mac, req->mac, 6);
		return 0;
	}
	if (req->mac_prefix_len < 1 || req->mac_prefix_len > 5)
		return diag_error(d, NULL, "invalid MAC prefix length %u", req->mac_prefix_len);
	for (unsigned a = 0; a < MAC_ATTEMPTS; a++) {
		inv_mac_draw(req->mac_prefix, req->mac_prefix_len, req->name, a, g->mac);
		if (!mac_owner(live, n, g->mac))
			return 0;
	}
	diag_add(d, DIAG_ERROR, NULL, "no free MAC address for guest '%s' after %u draws",
		 req->name, MAC_ATTEMPTS);
	return -ENOSPC;
}

static int pick_ip(const struct inv_alloc *req, const struct inv_guest *live, size_t n,
		   struct inv_guest *g, struct diag *d)
{
	_cleanup_(freep) uint32_t *taken = calloc(n + 1, sizeof(*taken));
	size_t n_taken = 0;
	char a[16], b[16];
	int r;

	if (!taken)
		return -ENOMEM;
	for (size_t j = 0; j < n; j++) {
		if (!live[j].has_ip || live[j].vlan != req->vlan)
			continue;
		if (req->has_ip && live[j].ip == req->ip) {
			diag_add(d, DIAG_ERROR, NULL,
				 "IP address '%s' on VLAN %u already belongs to guest '%s'",
				 format_ipv4(req->ip, a), req->vlan, live[j].name);
			return -EEXIST;
		}
		taken[n_taken++] = live[j].ip;
	}
	if (req->has_ip) {
		g->has_ip = true;
		g->ip = req->ip;
		return 0;
	}
	if (req->range_last == 0)
		return 0; /* a VLAN without addresses to hand out */
	r = inv__ip_pick(req->range_first, req->range_last, req->gateway, taken, n_taken, &g->ip);
	if (r == -ENOSPC) {
		diag_add(d, DIAG_ERROR, NULL, "no free IP address in %s-%s on VLAN %u",
			 format_ipv4(req->range_first, a), format_ipv4(req->range_last, b),
			 req->vlan);
		return r;
	}
	if (r < 0)
		return diag_error(d, NULL, "invalid IP range %s-%s on VLAN %u",
				  format_ipv4(req->range_first, a), format_ipv4(req->range_last, b),
				  req->vlan);
	g->has_ip = true;
	return 0;
}

char *inv__describe(const struct inv_guest *g)
{
	char mac[18], ip[16], *s = NULL;

	if (asprintf(&s, "vlan %u, mac %s, ip %s, partition %s%s%s at %" PRIu64 "+%" PRIu64,
		     g->vlan, format_mac(g->mac, mac), g->has_ip ? format_ipv4(g->ip, ip) : "none",
		     g->has_partition ? g->part.lun : "none", g->part.partuuid ? " " : "",
		     g->part.partuuid ?: "", g->part.start, g->part.size) < 0)
		return NULL;
	return s;
}

static int allocate(struct inv *inv, const struct inv_alloc *req, int64_t now, struct inv_guest *g,
		    struct diag *d)
{
	_cleanup_(inv_guest_freep) struct inv_guest *o = NULL;
	struct inv_guest *live = NULL;
	_cleanup_(freep) char *msg = NULL;
	size_t n = 0;
	int r;

	r = inv->ops->guest_find(inv->h, INV__KEY_NAME, req->name, 0, d, &o);
	if (r >= 0) {
		diag_add(d, DIAG_ERROR, NULL, "guest '%s' already exists", req->name);
		return -EEXIST;
	}
	if (r != -ENOENT)
		return r;
	if (req->request_id) {
		r = inv->ops->guest_find(inv->h, INV__KEY_REQUEST, req->request_id, 0, d, &o);
		if (r >= 0) {
			diag_add(d, DIAG_ERROR, NULL, "request '%s' already belongs to guest '%s'",
				 req->request_id, o->name);
			return -EEXIST;
		}
		if (r != -ENOENT)
			return r;
	}
	r = inv->ops->guest_list(inv->h, 0, d, &live, &n);
	if (r < 0)
		return r;
	if (req->part_size)
		r = pick_partition(inv, req, g, d);
	if (r >= 0 && req->image)
		r = pick_image(inv, req, g, d);
	if (r >= 0)
		r = pick_mac(req, live, n, g, d);
	if (r >= 0)
		r = pick_ip(req, live, n, g, d);
	inv_guest_array_free(live, n);
	if (r < 0)
		return r;
	g->state = INV_STATE_OK;
	g->created_usec = g->updated_usec = now;
	r = inv->ops->guest_insert(inv->h, g, d);
	if (r < 0)
		return r;
	msg = inv__describe(g);
	if (!msg)
		return -ENOMEM;
	return inv__event(inv, g, req->who, "allocate", "ok", msg, now, d);
}

static int strdup_opt(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return !s || *ret ? 0 : -ENOMEM;
}

int inv_guest_allocate(struct inv *inv, const struct inv_alloc *req, struct diag *d,
		       struct inv_guest **ret)
{
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	int64_t now = realtime_usec();
	int r;

	if (!req->name || !hostname_label_valid(req->name))
		return diag_error(d, NULL, "invalid guest name '%s'", req->name ?: "");
	if (!req->template_name || req->vlan > 4094)
		return diag_error(d, NULL, "invalid template or VLAN for guest '%s'", req->name);
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->vlan = req->vlan;
	if (strdup_opt(req->name, &g->name) < 0 ||
	    strdup_opt(req->template_name, &g->template_name) < 0 ||
	    strdup_opt(req->request_id, &g->request_id) < 0 ||
	    strdup_opt(req->owner, &g->owner) < 0 || strdup_opt(req->host, &g->host) < 0 ||
	    strdup_opt(req->spec, &g->spec) < 0)
		return -ENOMEM;

	r = inv->ops->begin(inv->h, true, d);
	if (r < 0)
		return r;
	r = inv__tx_end(inv, allocate(inv, req, now, g, d), d);
	if (r == -EEXIST || r == -ENOSPC) {
		/* The refusal is part of the audit trail too (its own transaction). */
		struct inv_guest named = {.name = (char *) req->name};

		if (inv->ops->begin(inv->h, true, d) >= 0)
			(void) inv__tx_end(inv,
					   inv__event(inv, &named, req->who, "allocate", "refused",
						      last_message(d), now, d),
					   d);
	}
	if (r < 0)
		return r;
	if (ret)
		*ret = TAKE_PTR(g);
	return 0;
}

int inv_guest_get(struct inv *inv, const char *name, struct diag *d, struct inv_guest **ret)
{
	return inv->ops->guest_find(inv->h, INV__KEY_NAME, name, 0, d, ret);
}

int inv_guest_get_by_request(struct inv *inv, const char *request_id, struct diag *d,
			     struct inv_guest **ret)
{
	return inv->ops->guest_find(inv->h, INV__KEY_REQUEST, request_id, 0, d, ret);
}

int inv_guest_list(struct inv *inv, unsigned flags, struct diag *d, struct inv_guest **ret,
		   size_t *ret_n)
{
	return inv->ops->guest_list(inv->h, flags, d, ret, ret_n);
}
