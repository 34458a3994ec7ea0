/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading an export (doc/inventory.md, "Export and import") strictly: every member known,
 * present and of its type, every value checked, ids unique and every reference resolved,
 * before anything is written. Every problem is reported, each with where it is
 * ("guests[3].mac: ...").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"

struct chk {
	struct diag *d;
	uint64_t version; /* the export's */
	const char *what; /* "guests", "events", ... */
	size_t i;	  /* index in it */
	unsigned errors;
	bool oom;
};

static void _printf_(3, 4) bad(struct chk *c, const char *key, const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	c->errors++;
	diag_add(c->d, DIAG_ERROR, NULL, "invalid inventory export: %s[%zu]%s%s: %s", c->what, c->i,
		 key ? "." : "", key ?: "", msg ?: "invalid");
}

/* Every member of obj is one of known (NULL-terminated). */
static void known_keys(struct chk *c, const struct json_value *obj, const char *const *known)
{
	for (size_t i = 0; i < obj->n; i++) {
		bool ok = false;

		for (const char *const *k = known; *k && !ok; k++)
			ok = streq(*k, obj->keys[i]);
		if (!ok)
			bad(c, obj->keys[i], "unknown member");
	}
}

/* A string member (opt: or null, giving NULL). Copies it to *ret. */
static void get_str(struct chk *c, const struct json_value *obj, const char *key, bool opt,
		    char **ret)
{
	const struct json_value *v = json_get(obj, key);

	*ret = NULL;
	if (!v)
		return bad(c, key, "missing");
	if (v->type == JSON_NULL && opt)
		return;
	if (v->type != JSON_STRING)
		return bad(c, key, opt ? "not a string or null" : "not a string");
	*ret = strdup(v->s);
	if (!*ret)
		c->oom = true;
}

/* A non-negative integer member up to max (opt: or null, *ret_has false). */
static void get_int(struct chk *c, const struct json_value *obj, const char *key, bool opt,
		    uint64_t max, bool *ret_has, uint64_t *ret)
{
	const struct json_value *v = json_get(obj, key);

	*ret = 0;
	if (ret_has)
		*ret_has = false;
	if (!v)
		return bad(c, key, "missing");
	if (v->type == JSON_NULL && opt)
		return;
	if (v->type != JSON_NUMBER || parse_u64(v->s, ret) < 0 || *ret > max)
		return bad(c, key, "not an integer from 0 to %" PRIu64 "%s", max,
			   opt ? " or null" : "");
	if (ret_has)
		*ret_has = true;
}

static const char *const guest_keys[] = {
	"id",	       "name",	   "template",	   "vlan",	   "request_id",   "owner",
	"host",	       "lun",	   "part_start",   "part_size",	   "partuuid",	   "partno",
	"part_origin", "mac",	   "ip",	   "spec",	   "fs_uuid",	   "stage",
	"state",       "error",	   "failed_stage", "created_usec", "updated_usec", "destroyed_usec",
	"stages",      "image_id", NULL,
};

static void parse_partition(struct chk *c, const struct json_value *o, struct inv_guest *g)
{
	_cleanup_(freep) char *origin = NULL;
	bool has_start, has_size;
	uint64_t v;

	get_str(c, o, "lun", true, &g->part.lun);
	get_int(c, o, "part_start", true, INT64_MAX, &has_start, &g->part.start);
	get_int(c, o, "part_size", true, INT64_MAX, &has_size, &g->part.size);
	get_str(c, o, "partuuid", true, &g->part.partuuid);
	get_int(c, o, "partno", false, UINT32_MAX, NULL, &v);
	g->part.partno = (unsigned) v;
	get_str(c, o, "part_origin", true, &origin);
	g->has_partition = g->part.lun != NULL;
	if (g->has_partition != has_start || g->has_partition != has_size ||
	    g->has_partition != (origin != NULL) || (g->has_partition && g->part.size == 0))
		bad(c, NULL, "lun, part_start, part_size and part_origin go together");
	if (g->part.partuuid && !g->part.lun)
		bad(c, "partuuid", "a PARTUUID without a LUN");
	if (origin && !streq(origin, "new") && !streq(origin, "reused"))
		bad(c, "part_origin", "'%s' is neither 'new' nor 'reused'", origin);
	g->part_new = origin && streq(origin, "new");
}

static void parse_stages(struct chk *c, const struct json_value *o, struct inv_stage **ret,
			 size_t *ret_n)
{
	const struct json_value *a = json_get(o, "stages");
	static const char *const keys[] = {"stage", "done_usec", NULL};

	*ret = NULL;
	*ret_n = 0;
	if (!a || a->type != JSON_ARRAY)
		return bad(c, "stages", "missing or not an array");
	*ret = calloc(a->n + 1, sizeof(**ret));
	if (!*ret) {
		c->oom = true;
		return;
	}
	*ret_n = a->n;
	for (size_t i = 0; i < a->n; i++) {
		uint64_t v;

		if (a->v[i].type != JSON_OBJECT) {
			bad(c, "stages", "item %zu is not an object", i);
			continue;
		}
		known_keys(c, &a->v[i], keys);
		get_str(c, &a->v[i], "stage", false, &(*ret)[i].stage);
		get_int(c, &a->v[i], "done_usec", false, INT64_MAX, NULL, &v);
		(*ret)[i].done_usec = (int64_t) v;
	}
}

static void parse_guest(struct chk *c, const struct json_value *o, struct inv_guest *g,
			struct inv_stage **ret_st, size_t *ret_n_st)
{
	_cleanup_(freep) char *mac = NULL, *ip = NULL, *state = NULL;
	bool has_destroyed;
	uint64_t v;

	known_keys(c, o, guest_keys);
	get_int(c, o, "id", false, INT64_MAX, NULL, &v);
	g->id = (int64_t) v;
	if (g->id == 0)
		bad(c, "id", "ids start at 1");
	get_str(c, o, "name", false, &g->name);
	if (g->name && !hostname_label_valid(g->name))
		bad(c, "name", "'%s' is not a valid guest name", g->name);
	get_str(c, o, "template", false, &g->template_name);
	get_int(c, o, "vlan", false, 4094, NULL, &v);
	g->vlan = (unsigned) v;
	get_str(c, o, "request_id", true, &g->request_id);
	get_str(c, o, "owner", true, &g->owner);
	get_str(c, o, "host", true, &g->host);
	parse_partition(c, o, g);
	get_str(c, o, "mac", false, &mac);
	if (mac && parse_mac(mac, g->mac) < 0)
		bad(c, "mac", "'%s' is not a MAC address", mac);
	get_str(c, o, "ip", true, &ip);
	g->has_ip = ip != NULL;
	if (ip && parse_ipv4(ip, &g->ip) < 0)
		bad(c, "ip", "'%s' is not an IPv4 address", ip);
	get_str(c, o, "spec", true, &g->spec);
	get_str(c, o, "fs_uuid", true, &g->fs_uuid);
	get_str(c, o, "stage", true, &g->stage);
	get_str(c, o, "state", false, &state);
	g->state = state ? inv_state_from_string(state) : _INV_STATE_INVALID;
	if (state && (int) g->state < 0)
		bad(c, "state", "'%s' is not ok, failed or destroyed", state);
	get_str(c, o, "error", true, &g->error);
	get_str(c, o, "failed_stage", true, &g->failed_stage);
	get_int(c, o, "created_usec", false, INT64_MAX, NULL, &v);
	g->created_usec = (int64_t) v;
	get_int(c, o, "updated_usec", false, INT64_MAX, NULL, &v);
	g->updated_usec = (int64_t) v;
	get_int(c, o, "destroyed_usec", true, INT64_MAX, &has_destroyed, &v);
	g->destroyed_usec = (int64_t) v;
	if (state && (int) g->state >= 0 &&
	    (g->state == INV_STATE_DESTROYED) != (has_destroyed && v > 0))
		bad(c, "destroyed_usec", "set (above 0) exactly when the state is destroyed");
	if (c->version >= 2) {
		get_int(c, o, "image_id", true, INT64_MAX, NULL, &v);
		g->image_id = (int64_t) v;
	} else if (json_get(o, "image_id")) {
		bad(c, "image_id", "not in a version 1 export");
	}
	parse_stages(c, o, ret_st, ret_n_st);
}

static void parse_image(struct chk *c, const struct json_value *o, struct inv_image *im)
{
	static const char *const keys[] = {
		"id",	    "name",	    "lun",	    "start",	    "size",   "partuuid",
		"partno",   "fs_bytes",	    "used_bytes",   "checksum",	    "source", "source_id",
		"template", "created_usec", "updated_usec", "deleted_usec", NULL,
	};
	uint64_t v;

	known_keys(c, o, keys);
	get_int(c, o, "id", false, INT64_MAX, NULL, &v);
	im->id = (int64_t) v;
	if (im->id == 0)
		bad(c, "id", "ids start at 1");
	get_str(c, o, "name", false, &im->name);
	if (im->name && !hostname_label_valid(im->name))
		bad(c, "name", "'%s' is not a valid image name", im->name);
	get_str(c, o, "lun", false, &im->lun);
	get_int(c, o, "start", false, INT64_MAX, NULL, &im->start);
	get_int(c, o, "size", false, INT64_MAX, NULL, &im->size);
	if (im->size == 0)
		bad(c, "size", "an image partition of 0 bytes");
	get_str(c, o, "partuuid", true, &im->partuuid);
	get_int(c, o, "partno", false, UINT32_MAX, NULL, &v);
	im->partno = (unsigned) v;
	get_int(c, o, "fs_bytes", false, INT64_MAX, NULL, &im->fs_bytes);
	get_int(c, o, "used_bytes", false, INT64_MAX, NULL, &im->used_bytes);
	get_str(c, o, "checksum", true, &im->checksum);
	if (im->checksum &&
	    (strlen(im->checksum) != 64 || strspn(im->checksum, "0123456789abcdef") != 64))
		bad(c, "checksum", "not a SHA-256 in lower-case hex");
	get_str(c, o, "source", true, &im->source);
	get_int(c, o, "source_id", true, INT64_MAX, NULL, &v);
	im->source_id = (int64_t) v;
	get_str(c, o, "template", true, &im->template_name);
	get_int(c, o, "created_usec", false, INT64_MAX, NULL, &v);
	im->created_usec = (int64_t) v;
	get_int(c, o, "updated_usec", false, INT64_MAX, NULL, &v);
	im->updated_usec = (int64_t) v;
	get_int(c, o, "deleted_usec", true, INT64_MAX, NULL, &v);
	im->deleted_usec = (int64_t) v;
}

static void parse_event(struct chk *c, const struct json_value *o, struct inv_event *e)
{
	static const char *const keys[] = {"id",   "at_usec", "guest_id", "guest", "who",
					   "what", "result",  "message",  NULL};
	uint64_t v;

	known_keys(c, o, keys);
	get_int(c, o, "id", false, INT64_MAX, NULL, &v);
	e->id = (int64_t) v;
	if (e->id == 0)
		bad(c, "id", "ids start at 1");
	get_int(c, o, "at_usec", false, INT64_MAX, NULL, &v);
	e->at_usec = (int64_t) v;
	get_int(c, o, "guest_id", true, INT64_MAX, NULL, &v);
	e->guest_id = (int64_t) v;
	get_str(c, o, "guest", true, &e->guest);
	get_str(c, o, "who", false, &e->who);
	get_str(c, o, "what", false, &e->what);
	get_str(c, o, "result", false, &e->result);
	get_str(c, o, "message", true, &e->message);
}

static void parse_host(struct chk *c, const struct json_value *o, struct inv_host *h)
{
	static const char *const keys[] = {"name",    "xen_version", "mem_total", "mem_free",
					   "bridges", "seen_usec",   NULL};
	uint64_t v;

	known_keys(c, o, keys);
	get_str(c, o, "name", false, &h->name);
	get_str(c, o, "xen_version", true, &h->xen_version);
	get_int(c, o, "mem_total", false, INT64_MAX, NULL, &h->mem_total);
	get_int(c, o, "mem_free", false, INT64_MAX, NULL, &h->mem_free);
	get_str(c, o, "bridges", true, &h->bridges);
	get_int(c, o, "seen_usec", false, INT64_MAX, NULL, &v);
	h->seen_usec = (int64_t) v;
}

/* The array member key of root, with *ret_n items of sz bytes allocated in *ret. */
static const struct json_value *array_of(struct chk *c, const struct json_value *root,
					 const char *key, size_t sz, void **ret, size_t *ret_n)
{
	const struct json_value *a = json_get(root, key);

	*ret = NULL;
	*ret_n = 0;
	if (!a || a->type != JSON_ARRAY) {
		c->errors++;
		diag_add(c->d, DIAG_ERROR, NULL,
			 "invalid inventory export: '%s' is missing or not an array", key);
		return NULL;
	}
	*ret = calloc(a->n + 1, sz);
	if (!*ret) {
		c->oom = true;
		return NULL;
	}
	*ret_n = a->n;
	c->what = key;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type != JSON_OBJECT) {
			c->i = i;
			bad(c, NULL, "not an object");
		}
	return a;
}

static bool guest_in(const struct inv__dump *t, int64_t id)
{
	for (size_t j = 0; j < t->n_guests; j++)
		if (t->guests[j].id == id)
			return true;
	return false;
}

/* Image ids unique; a guest's image_id an image of the export, an image's source_id a guest. */
static void check_image_references(struct chk *c, const struct inv__dump *t)
{
	c->what = "images";
	for (size_t i = 0; i < t->n_images; i++) {
		c->i = i;
		for (size_t j = 0; j < i; j++)
			if (t->images[i].id && t->images[i].id == t->images[j].id)
				bad(c, "id", "%" PRId64 " is also the id of images[%zu]",
				    t->images[i].id, j);
		if (t->images[i].source_id && !guest_in(t, t->images[i].source_id))
			bad(c, "source_id", "no guest has id %" PRId64, t->images[i].source_id);
	}
	c->what = "guests";
	for (size_t i = 0; i < t->n_guests; i++) {
		bool found = t->guests[i].image_id == 0;

		c->i = i;
		for (size_t j = 0; j < t->n_images && !found; j++)
			found = t->images[j].id == t->guests[i].image_id;
		if (!found)
			bad(c, "image_id", "no image has id %" PRId64, t->guests[i].image_id);
	}
}

/* Ids unique, every event's guest_id a guest of the export. */
static void check_references(struct chk *c, const struct inv__dump *t)
{
	for (size_t i = 0; i < t->n_guests; i++)
		for (size_t j = 0; j < i; j++)
			if (t->guests[i].id && t->guests[i].id == t->guests[j].id) {
				c->what = "guests";
				c->i = i;
				bad(c, "id", "%" PRId64 " is also the id of guests[%zu]",
				    t->guests[i].id, j);
			}
	for (size_t i = 0; i < t->n_events; i++) {
		bool found = t->events[i].guest_id == 0;

		c->what = "events";
		c->i = i;
		for (size_t j = 0; j < i; j++)
			if (t->events[i].id && t->events[i].id == t->events[j].id)
				bad(c, "id", "%" PRId64 " is also the id of events[%zu]",
				    t->events[i].id, j);
		if (!found && !guest_in(t, t->events[i].guest_id))
			bad(c, "guest_id", "no guest has id %" PRId64, t->events[i].guest_id);
	}
	check_image_references(c, t);
}

static int parse_root(struct chk *c, const struct json_value *root, struct inv__dump *t)
{
	static const char *const keys[] = {"format", "version", "guests", "events",
					   "hosts",  "images",	NULL};
	const struct json_value *a;
	const char *format = json_get_str(root, "format");
	uint64_t version = 0;

	if (root->type != JSON_OBJECT || !format || !streq(format, "provision-inventory"))
		return diag_error(
			c->d, NULL,
			"not an inventory export: no \"format\": \"provision-inventory\"");
	if (json_get_u64(root, "version", &version) < 0 || version < 1 ||
	    version > INV__EXPORT_VERSION)
		return diag_error(
			c->d, NULL,
			"inventory export version is not 1 or 2: this provision reads only those");
	c->version = version;
	for (size_t i = 0; i < root->n; i++)
		if (!strv_contains((char *const *) keys, root->keys[i]) ||
		    (version < 2 && streq(root->keys[i], "images")))
			diag_add(c->d, DIAG_ERROR, NULL,
				 "invalid inventory export: unknown member '%s'", root->keys[i]),
				c->errors++;
	a = array_of(c, root, "guests", sizeof(*t->guests), (void **) &t->guests, &t->n_guests);
	t->stages = calloc(t->n_guests + 1, sizeof(*t->stages));
	t->n_stages = calloc(t->n_guests + 1, sizeof(*t->n_stages));
	if (!t->stages || !t->n_stages)
		return -ENOMEM;
	for (size_t i = 0; a && i < a->n; i++)
		if (a->v[i].type == JSON_OBJECT) {
			c->what = "guests";
			c->i = i;
			parse_guest(c, &a->v[i], &t->guests[i], &t->stages[i], &t->n_stages[i]);
		}
	a = array_of(c, root, "events", sizeof(*t->events), (void **) &t->events, &t->n_events);
	for (size_t i = 0; a && i < a->n; i++)
		if (a->v[i].type == JSON_OBJECT) {
			c->what = "events";
			c->i = i;
			parse_event(c, &a->v[i], &t->events[i]);
		}
	a = array_of(c, root, "hosts", sizeof(*t->hosts), (void **) &t->hosts, &t->n_hosts);
	for (size_t i = 0; a && i < a->n; i++)
		if (a->v[i].type == JSON_OBJECT) {
			c->what = "hosts";
			c->i = i;
			parse_host(c, &a->v[i], &t->hosts[i]);
		}
	a = version < 2 ? NULL
			: array_of(c, root, "images", sizeof(*t->images), (void **) &t->images,
				   &t->n_images);
	for (size_t i = 0; a && i < a->n; i++)
		if (a->v[i].type == JSON_OBJECT) {
			c->what = "images";
			c->i = i;
			parse_image(c, &a->v[i], &t->images[i]);
		}
	check_references(c, t);
	return c->oom ? -ENOMEM : c->errors ? -EINVAL : 0;
}

int inv__dump_parse(const char *json, size_t len, struct diag *d, struct inv__dump *ret)
{
	_cleanup_(json_value_freep) struct json_value *root = NULL;
	struct inv__dump t = {0};
	struct chk c = {.d = d};
	int r;

	r = json_parse(json, len, &root, d);
	if (r < 0) {
		if (r == -EINVAL)
			diag_add(d, DIAG_ERROR, NULL, "not an inventory export: not valid JSON");
		return r;
	}
	r = parse_root(&c, root, &t);
	if (r < 0) {
		inv__dump_release(&t);
		return r;
	}
	*ret = t;
	return 0;
}
