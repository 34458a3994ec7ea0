/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hosts, and the inventory as one JSON document (inv_export(), inv_import()); the format is
 * in doc/inventory.md, its reader in import.c.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/json.h"
#include "common/macro.h"
#include "common/util.h"
#include "inventory/inventory-internal.h"

int inv_host_put(struct inv *inv, const struct inv_host *h, struct diag *d)
{
	int r;

	if (!h->name || !*h->name)
		return diag_error(d, NULL, "a host needs a name");
	r = inv->ops->begin(inv->h, true, d);
	if (r < 0)
		return r;
	return inv__tx_end(inv, inv->ops->host_put(inv->h, h, d), d);
}

int inv_host_list(struct inv *inv, struct diag *d, struct inv_host **ret, size_t *ret_n)
{
	return inv->ops->host_list(inv->h, d, ret, ret_n);
}

static void json_key_opt_int(struct json *j, const char *k, bool has, int64_t v)
{
	json_key(j, k);
	if (has)
		json_int(j, v);
	else
		json_null(j);
}

static void write_guest(struct json *j, const struct inv_guest *g, const struct inv_stage *st,
			size_t n_st)
{
	char mac[18], ip[16];
	bool p = g->has_partition;

	json_obj_begin(j);
	json_key_int(j, "id", g->id);
	json_key_str(j, "name", g->name);
	json_key_str(j, "template", g->template_name);
	json_key_uint(j, "vlan", g->vlan);
	json_key_str(j, "request_id", g->request_id);
	json_key_str(j, "owner", g->owner);
	json_key_str(j, "host", g->host);
	json_key_str(j, "lun", p ? g->part.lun : NULL);
	json_key_opt_int(j, "part_start", p, (int64_t) g->part.start);
	json_key_opt_int(j, "part_size", p, (int64_t) g->part.size);
	json_key_str(j, "partuuid", p ? g->part.partuuid : NULL);
	json_key_uint(j, "partno", g->part.partno);
	json_key_str(j, "part_origin", p ? (g->part_new ? "new" : "reused") : NULL);
	json_key_str(j, "mac", format_mac(g->mac, mac));
	json_key_str(j, "ip", g->has_ip ? format_ipv4(g->ip, ip) : NULL);
	json_key_str(j, "spec", g->spec);
	json_key_str(j, "fs_uuid", g->fs_uuid);
	json_key_str(j, "stage", g->stage);
	json_key_str(j, "state", inv_state_to_string(g->state));
	json_key_str(j, "error", g->error);
	json_key_str(j, "failed_stage", g->failed_stage);
	json_key_int(j, "created_usec", g->created_usec);
	json_key_int(j, "updated_usec", g->updated_usec);
	json_key_opt_int(j, "destroyed_usec", g->destroyed_usec != 0, g->destroyed_usec);
	json_key_opt_int(j, "image_id", g->image_id != 0, g->image_id);
	json_key(j, "stages");
	json_arr_begin(j);
	for (size_t i = 0; i < n_st; i++) {
		json_obj_begin(j);
		json_key_str(j, "stage", st[i].stage);
		json_key_int(j, "done_usec", st[i].done_usec);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void write_event(struct json *j, const struct inv_event *e)
{
	json_obj_begin(j);
	json_key_int(j, "id", e->id);
	json_key_int(j, "at_usec", e->at_usec);
	json_key_opt_int(j, "guest_id", e->guest_id != 0, e->guest_id);
	json_key_str(j, "guest", e->guest);
	json_key_str(j, "who", e->who);
	json_key_str(j, "what", e->what);
	json_key_str(j, "result", e->result);
	json_key_str(j, "message", e->message);
	json_obj_end(j);
}

static void write_image(struct json *j, const struct inv_image *im)
{
	json_obj_begin(j);
	json_key_int(j, "id", im->id);
	json_key_str(j, "name", im->name);
	json_key_str(j, "lun", im->lun);
	json_key_uint(j, "start", im->start);
	json_key_uint(j, "size", im->size);
	json_key_str(j, "partuuid", im->partuuid);
	json_key_uint(j, "partno", im->partno);
	json_key_uint(j, "fs_bytes", im->fs_bytes);
	json_key_uint(j, "used_bytes", im->used_bytes);
	json_key_str(j, "checksum", im->checksum);
	json_key_str(j, "source", im->source);
	json_key_opt_int(j, "source_id", im->source_id != 0, im->source_id);
	json_key_str(j, "template", im->template_name);
	json_key_int(j, "created_usec", im->created_usec);
	json_key_int(j, "updated_usec", im->updated_usec);
	json_key_opt_int(j, "deleted_usec", im->deleted_usec != 0, im->deleted_usec);
	json_obj_end(j);
}

static void write_host(struct json *j, const struct inv_host *h)
{
	json_obj_begin(j);
	json_key_str(j, "name", h->name);
	json_key_str(j, "xen_version", h->xen_version);
	json_key_uint(j, "mem_total", h->mem_total);
	json_key_uint(j, "mem_free", h->mem_free);
	json_key_str(j, "bridges", h->bridges);
	json_key_int(j, "seen_usec", h->seen_usec);
	json_obj_end(j);
}

int inv_export(struct inv *inv, struct diag *d, char **ret)
{
	struct inv__dump t = {0};
	struct json j;
	char *text;
	int r;

	r = inv__dump_read(inv, d, &t);
	if (r < 0)
		return r;
	json_init(&j, true);
	json_obj_begin(&j);
	json_key_str(&j, "format", "provision-inventory");
	json_key_int(&j, "version", INV__EXPORT_VERSION);
	json_key(&j, "guests");
	json_arr_begin(&j);
	for (size_t i = 0; i < t.n_guests; i++)
		write_guest(&j, &t.guests[i], t.stages[i], t.n_stages[i]);
	json_arr_end(&j);
	json_key(&j, "events");
	json_arr_begin(&j);
	for (size_t i = 0; i < t.n_events; i++)
		write_event(&j, &t.events[i]);
	json_arr_end(&j);
	json_key(&j, "hosts");
	json_arr_begin(&j);
	for (size_t i = 0; i < t.n_hosts; i++)
		write_host(&j, &t.hosts[i]);
	json_arr_end(&j);
	json_key(&j, "images");
	json_arr_begin(&j);
	for (size_t i = 0; i < t.n_images; i++)
		write_image(&j, &t.images[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	inv__dump_release(&t);
	text = json_finish(&j);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

int inv_import(struct inv *inv, const char *json, size_t len, struct diag *d)
{
	struct inv__dump t = {0};
	int r;

	r = inv__dump_parse(json, len, d, &t);
	if (r < 0)
		return r;
	r = inv__dump_write(inv, &t, d);
	inv__dump_release(&t);
	return r;
}
