/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Changes to a live guest, each one transaction with its event: carved, stage done or
 * failed, host, filesystem UUID, spec, release; and the event log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"

/* Load live guest id for a change inside the current transaction. */
static int load_live(struct inv *inv, int64_t id, struct diag *d, struct inv_guest **ret)
{
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	int r;

	r = inv->ops->guest_find(inv->h, INV__KEY_ID, NULL, id, d, &g);
	if (r == -ENOENT) {
		diag_add(d, DIAG_ERROR, NULL, "no guest #%" PRId64 " in the inventory", id);
		return r;
	}
	if (r < 0)
		return r;
	if (g->state == INV_STATE_DESTROYED) {
		diag_add(d, DIAG_ERROR, NULL, "guest '%s' was destroyed", g->name);
		return -ENOENT;
	}
	*ret = TAKE_PTR(g);
	return 0;
}

enum change {
	CHANGE_CARVED,
	CHANGE_STAGE_DONE,
	CHANGE_STAGE_FAILED,
	CHANGE_HOST,
	CHANGE_FS_UUID,
	CHANGE_SPEC,
	CHANGE_RELEASE,
};

struct change_args {
	enum change what;
	const char *s;	   /* partuuid, stage, host, fs_uuid */
	const char *error; /* stage failed */
	unsigned partno;
};

/* Replace *p by a copy of s (NULL allowed). Returns: 0 or -ENOMEM. */
static int set_str(char **p, const char *s)
{
	char *c = NULL;

	if (s && !(c = strdup(s)))
		return -ENOMEM;
	free(*p);
	*p = c;
	return 0;
}

/* What a change records: its event's what, result and message. */
struct change_text {
	const char *what, *result;
	char *msg;
};

/* Change row g as a asks, in the open transaction; what to record in *t. */
static int change_row(struct inv *inv, struct inv_guest *g, const struct change_args *a,
		      int64_t now, struct change_text *t, struct diag *d)
{
	int r = 0;

	switch (a->what) {
	case CHANGE_CARVED:
		if (!g->has_partition)
			return diag_error(d, NULL, "guest '%s' has no partition", g->name);
		if (g->part.partuuid && strcasecmp(g->part.partuuid, a->s) != 0) {
			diag_add(d, DIAG_ERROR, NULL, "partition of guest '%s' is already '%s'",
				 g->name, g->part.partuuid);
			return -EEXIST;
		}
		r = set_str(&g->part.partuuid, a->s);
		inv__lowercase(g->part.partuuid);
		g->part.partno = a->partno;
		t->what = "carved";
		if (r >= 0 && asprintf(&t->msg, "partition %s (%u) on LUN %s", a->s, a->partno,
				       g->part.lun) < 0)
			r = -ENOMEM;
		break;
	case CHANGE_STAGE_DONE:
		r = inv->ops->stage_put(inv->h, g->id, a->s, now, d);
		if (r < 0)
			return r;
		r = set_str(&g->stage, a->s);
		g->state = INV_STATE_OK;
		if (r >= 0)
			r = set_str(&g->error, NULL);
		if (r >= 0)
			r = set_str(&g->failed_stage, NULL);
		break;
	case CHANGE_STAGE_FAILED:
		g->state = INV_STATE_FAILED;
		r = set_str(&g->error, a->error);
		if (r >= 0)
			r = set_str(&g->failed_stage, a->s);
		if (r >= 0)
			r = set_str(&t->msg, a->error);
		t->result = "failed";
		break;
	case CHANGE_HOST:
		r = set_str(&g->host, a->s);
		if (r >= 0)
			r = set_str(&t->msg, a->s);
		t->what = "host";
		break;
	case CHANGE_FS_UUID:
		if (g->fs_uuid && strcasecmp(g->fs_uuid, a->s) != 0) {
			diag_add(d, DIAG_ERROR, NULL,
				 "guest '%s' already has filesystem UUID %s recorded", g->name,
				 g->fs_uuid);
			return -EEXIST;
		}
		r = set_str(&g->fs_uuid, a->s);
		inv__lowercase(g->fs_uuid);
		t->what = "filesystem";
		if (r >= 0 && asprintf(&t->msg, "ext4 UUID %s", a->s) < 0)
			r = -ENOMEM;
		break;
	case CHANGE_SPEC:
		r = set_str(&g->spec, a->s);
		t->what = "spec";
		break;
	case CHANGE_RELEASE:
		g->state = INV_STATE_DESTROYED;
		g->destroyed_usec = now;
		t->what = "release";
		t->msg = inv__describe(g);
		if (!t->msg)
			r = -ENOMEM;
		break;
	}
	return r;
}

static int apply(struct inv *inv, int64_t id, const struct change_args *a, const char *who,
		 int64_t now, struct diag *d)
{
	_cleanup_(inv_guest_freep) struct inv_guest *g = NULL;
	_cleanup_(freep) char *buf = NULL;
	struct change_text t = {.result = "ok"};
	int r;

	r = load_live(inv, id, d, &g);
	if (r >= 0)
		r = change_row(inv, g, a, now, &t, d);
	if (r >= 0 && !t.what) {
		if (asprintf(&buf, "stage %s", a->s) < 0)
			r = -ENOMEM;
		t.what = buf;
	}
	if (r >= 0) {
		g->updated_usec = now;
		r = inv->ops->guest_update(inv->h, g, d);
	}
	if (r >= 0)
		r = inv__event(inv, g, who, t.what, t.result, t.msg, now, d);
	free(t.msg);
	return r;
}

static int change(struct inv *inv, int64_t id, const struct change_args *a, const char *who,
		  struct diag *d)
{
	int r;

	r = inv->ops->begin(inv->h, true, d);
	if (r < 0)
		return r;
	return inv__tx_end(inv, apply(inv, id, a, who, realtime_usec(), d), d);
}

int inv_partition_carved(struct inv *inv, int64_t id, const char *partuuid, unsigned partno,
			 const char *who, struct diag *d)
{
	if (!partuuid || !*partuuid)
		return diag_error(d, NULL, "no PARTUUID for the carved partition");
	return change(inv, id, &(struct change_args){CHANGE_CARVED, partuuid, NULL, partno}, who,
		      d);
}

int inv_stage_done(struct inv *inv, int64_t id, const char *stage, const char *who, struct diag *d)
{
	if (!stage || !*stage)
		return diag_error(d, NULL, "no stage name");
	return change(inv, id, &(struct change_args){CHANGE_STAGE_DONE, stage, NULL, 0}, who, d);
}

int inv_stage_failed(struct inv *inv, int64_t id, const char *stage, const char *error,
		     const char *who, struct diag *d)
{
	if (!stage || !*stage || !error)
		return diag_error(d, NULL, "no stage name or error");
	return change(inv, id, &(struct change_args){CHANGE_STAGE_FAILED, stage, error, 0}, who, d);
}

int inv_stage_list(struct inv *inv, int64_t id, struct diag *d, struct inv_stage **ret,
		   size_t *ret_n)
{
	return inv->ops->stage_list(inv->h, id, d, ret, ret_n);
}

int inv_guest_set_host(struct inv *inv, int64_t id, const char *host, const char *who,
		       struct diag *d)
{
	return change(inv, id, &(struct change_args){CHANGE_HOST, host, NULL, 0}, who, d);
}

int inv_fs_uuid_set(struct inv *inv, int64_t id, const char *fs_uuid, const char *who,
		    struct diag *d)
{
	if (!fs_uuid || !*fs_uuid)
		return diag_error(d, NULL, "no filesystem UUID");
	return change(inv, id, &(struct change_args){CHANGE_FS_UUID, fs_uuid, NULL, 0}, who, d);
}

int inv_spec_set(struct inv *inv, int64_t id, const char *spec, const char *who, struct diag *d)
{
	if (!spec)
		return diag_error(d, NULL, "no spec");
	return change(inv, id, &(struct change_args){CHANGE_SPEC, spec, NULL, 0}, who, d);
}

int inv_guest_release(struct inv *inv, int64_t id, const char *who, struct diag *d)
{
	return change(inv, id, &(struct change_args){CHANGE_RELEASE, NULL, NULL, 0}, who, d);
}

int inv_event_add(struct inv *inv, int64_t guest_id, const char *guest, const char *who,
		  const char *what, const char *result, const char *message, struct diag *d)
{
	struct inv_guest g = {.id = guest_id, .name = (char *) guest};
	int r;

	if (!what || !result)
		return diag_error(d, NULL, "an event needs what and result");
	r = inv->ops->begin(inv->h, true, d);
	if (r < 0)
		return r;
	return inv__tx_end(inv,
			   inv__event(inv, guest || guest_id ? &g : NULL, who, what, result,
				      message, realtime_usec(), d),
			   d);
}

int inv_event_list(struct inv *inv, const char *name, struct diag *d, struct inv_event **ret,
		   size_t *ret_n)
{
	return inv->ops->event_list(inv->h, name, d, ret, ret_n);
}
