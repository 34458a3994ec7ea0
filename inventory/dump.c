/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whole content of an inventory through the ops table, whatever the backend: read in one
 * transaction, written into an empty inventory in one transaction with the ids kept. Export,
 * import and the scratch copy of a PostgreSQL inventory are built on it.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/macro.h"
#include "inventory/inventory-internal.h"

void inv__dump_release(struct inv__dump *dump)
{
	for (size_t i = 0; dump->stages && i < dump->n_guests; i++)
		inv_stage_array_free(dump->stages[i], dump->n_stages[i]);
	free(dump->stages);
	free(dump->n_stages);
	inv_guest_array_free(dump->guests, dump->n_guests);
	inv_event_array_free(dump->events, dump->n_events);
	inv_host_array_free(dump->hosts, dump->n_hosts);
	inv_image_array_free(dump->images, dump->n_images);
	*dump = (struct inv__dump){0};
}

static int read_all(struct inv *inv, struct diag *d, struct inv__dump *t)
{
	int r;

	r = inv->ops->guest_list(inv->h, INV_LIST_DESTROYED, d, &t->guests, &t->n_guests);
	if (r < 0)
		return r;
	t->stages = calloc(t->n_guests + 1, sizeof(*t->stages));
	t->n_stages = calloc(t->n_guests + 1, sizeof(*t->n_stages));
	if (!t->stages || !t->n_stages)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_guests; i++) {
		r = inv->ops->stage_list(inv->h, t->guests[i].id, d, &t->stages[i],
					 &t->n_stages[i]);
		if (r < 0)
			return r;
	}
	r = inv->ops->event_list(inv->h, NULL, d, &t->events, &t->n_events);
	if (r < 0)
		return r;
	r = inv->ops->image_list(inv->h, INV_LIST_DESTROYED, d, &t->images, &t->n_images);
	if (r < 0)
		return r;
	return inv->ops->host_list(inv->h, d, &t->hosts, &t->n_hosts);
}

int inv__dump_read(struct inv *inv, struct diag *d, struct inv__dump *ret)
{
	struct inv__dump t = {0};
	int r;

	r = inv->ops->begin(inv->h, false, d);
	if (r < 0)
		return r;
	r = read_all(inv, d, &t);
	inv->ops->rollback(inv->h); /* read only: nothing to commit */
	if (r < 0) {
		inv__dump_release(&t);
		return r;
	}
	*ret = t;
	return 0;
}

/* -ENOTEMPTY unless inv has no guest, event, host or image. In the open transaction. */
static int check_empty(struct inv *inv, struct diag *d)
{
	struct inv__dump t = {0};
	int r;

	r = inv->ops->guest_list(inv->h, INV_LIST_DESTROYED, d, &t.guests, &t.n_guests);
	if (r >= 0)
		r = inv->ops->event_list(inv->h, NULL, d, &t.events, &t.n_events);
	if (r >= 0)
		r = inv->ops->host_list(inv->h, d, &t.hosts, &t.n_hosts);
	if (r >= 0)
		r = inv->ops->image_list(inv->h, INV_LIST_DESTROYED, d, &t.images, &t.n_images);
	if (r >= 0 && (t.n_guests || t.n_events || t.n_hosts || t.n_images)) {
		diag_add(
			d, DIAG_ERROR, NULL,
			"the target inventory is not empty (%zu guests, %zu events, %zu hosts, %zu images): import only into a new one",
			t.n_guests, t.n_events, t.n_hosts, t.n_images);
		r = -ENOTEMPTY;
	}
	inv__dump_release(&t);
	return r;
}

static int write_all_rows(struct inv *inv, const struct inv__dump *dump, struct diag *d)
{
	int r;

	r = check_empty(inv, d);
	/*
	 * images first (clones refer to them), without their source guest (which refers to
	 * a guest not written yet), set once the guests are there
	 */
	for (size_t i = 0; r >= 0 && i < dump->n_images; i++) {
		struct inv_image im = dump->images[i];

		im.source_id = 0;
		r = inv->ops->image_put(inv->h, &im, d);
	}
	for (size_t i = 0; r >= 0 && i < dump->n_guests; i++)
		r = inv->ops->guest_put(inv->h, &dump->guests[i], d);
	for (size_t i = 0; r >= 0 && i < dump->n_images; i++)
		if (dump->images[i].source_id)
			r = inv->ops->image_update(inv->h, &dump->images[i], d);
	for (size_t i = 0; r >= 0 && i < dump->n_guests; i++)
		for (size_t j = 0; r >= 0 && j < dump->n_stages[i]; j++)
			r = inv->ops->stage_put(inv->h, dump->guests[i].id,
						dump->stages[i][j].stage,
						dump->stages[i][j].done_usec, d);
	for (size_t i = 0; r >= 0 && i < dump->n_events; i++)
		r = inv->ops->event_put(inv->h, &dump->events[i], d);
	for (size_t i = 0; r >= 0 && i < dump->n_hosts; i++)
		r = inv->ops->host_put(inv->h, &dump->hosts[i], d);
	if (r >= 0 && inv->ops->ids_sync)
		r = inv->ops->ids_sync(inv->h, d);
	return r;
}

int inv__dump_write(struct inv *inv, const struct inv__dump *dump, struct diag *d)
{
	int r;

	r = inv->ops->begin(inv->h, true, d);
	if (r < 0)
		return r;
	return inv__tx_end(inv, write_all_rows(inv, dump, d), d);
}
