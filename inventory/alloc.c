/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure parts of the inventory: MAC drawing, first free IP, partition placement, freeing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "inventory/inventory-internal.h"

static const char *const state_names[_INV_STATE_MAX] = {
	[INV_STATE_OK] = "ok",
	[INV_STATE_FAILED] = "failed",
	[INV_STATE_DESTROYED] = "destroyed",
};

DEFINE_STRING_TABLE(inv_state, enum inv_state, state_names)

/*
 * FNV-1a over name, a NUL and the attempt (4 bytes, little endian), then the splitmix64
 * finaliser so every output bit depends on every input bit. Documented in doc/inventory.md:
 * changing it changes every guest's MAC.
 */
static uint64_t mac_hash(const char *name, unsigned attempt)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *) name;; p++) {
		h = (h ^ *p) * 0x100000001b3ULL;
		if (!*p)
			break;
	}
	for (unsigned i = 0; i < 4; i++)
		h = (h ^ ((attempt >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void inv_mac_draw(const uint8_t prefix[6], unsigned prefix_len, const char *name, unsigned attempt,
		  uint8_t ret[6])
{
	uint64_t h = mac_hash(name, attempt);

	if (prefix_len > 6)
		prefix_len = 6;
	for (unsigned i = 0; i < 6; i++) {
		if (i < prefix_len) {
			ret[i] = prefix[i];
		} else {
			ret[i] = h >> 56;
			h <<= 8;
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

	return (x > y) - (x < y);
}

int inv__ip_pick(uint32_t first, uint32_t last, uint32_t gateway, const uint32_t *taken,
		 size_t n_taken, uint32_t *ret)
{
	_cleanup_(freep) uint32_t *t = NULL;
	size_t j = 0;

	if (first > last)
		return -EINVAL;
	if (n_taken) {
		t = malloc(n_taken * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memcpy(t, taken, n_taken * sizeof(*t));
		qsort(t, n_taken, sizeof(*t), cmp_u32);
	}
	for (uint64_t a = first; a <= last; a++) {
		while (j < n_taken && t[j] < a)
			j++;
		if (a == gateway || (j < n_taken && t[j] == a))
			continue;
		*ret = (uint32_t) a;
		return 0;
	}
	return -ENOSPC;
}

static bool overlaps(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 < s2 + l2 && s2 < s1 + l1;
}

/* A taken partition on lun overlapping [start, start + size), or NULL. */
static const struct inv_partition *find_overlap(const struct inv_partition *taken, size_t n_taken,
						const char *lun, uint64_t start, uint64_t size)
{
	for (size_t i = 0; i < n_taken; i++)
		if (streq(taken[i].lun, lun) &&
		    overlaps(taken[i].start, taken[i].size, start, size))
			return &taken[i];
	return NULL;
}

static bool partuuid_taken(const struct inv_partition *taken, size_t n_taken, const char *lun,
			   const char *partuuid)
{
	for (size_t i = 0; i < n_taken; i++)
		if (taken[i].partuuid && streq(taken[i].lun, lun) &&
		    strcasecmp(taken[i].partuuid, partuuid) == 0)
			return true;
	return false;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	uint64_t r = x % a;

	return r ? x + (a - r) : x;
}

int inv__extent_pick(const struct inv_extent *cand, size_t n_cand, uint64_t size, uint64_t align,
		     const struct inv_partition *taken, size_t n_taken, uint64_t *ret_start,
		     uint64_t *ret_size)
{
	if (size == 0)
		return -EINVAL;
	if (align == 0)
		align = 1;
	for (size_t i = 0; i < n_cand; i++) {
		const struct inv_extent *c = &cand[i];
		uint64_t end = c->start + c->size, s;

		if (!c->lun || end < c->start || c->size < size)
			continue;
		if (c->partuuid) {
			/* An existing partition is taken whole or not at all. */
			if (partuuid_taken(taken, n_taken, c->lun, c->partuuid) ||
			    find_overlap(taken, n_taken, c->lun, c->start, c->size))
				continue;
			*ret_start = c->start;
			*ret_size = c->size;
			return (int) i;
		}
		s = align_up(c->start, align);
		while (s >= c->start && s <= end && end - s >= size) {
			const struct inv_partition *o =
				find_overlap(taken, n_taken, c->lun, s, size);

			if (!o) {
				*ret_start = s;
				*ret_size = size;
				return (int) i;
			}
			s = align_up(o->start + o->size, align);
		}
	}
	return -ENOSPC;
}

void inv__guest_release_members(struct inv_guest *g)
{
	free(g->name);
	free(g->template_name);
	free(g->request_id);
	free(g->owner);
	free(g->host);
	free(g->part.lun);
	free(g->part.partuuid);
	free(g->stage);
	free(g->error);
	free(g->spec);
	free(g->fs_uuid);
	free(g->failed_stage);
	*g = (struct inv_guest){0};
}

struct inv_guest *inv_guest_free(struct inv_guest *g)
{
	if (!g)
		return NULL;
	inv__guest_release_members(g);
	free(g);
	return NULL;
}

struct inv_guest *inv_guest_array_free(struct inv_guest *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		inv__guest_release_members(&v[i]);
	free(v);
	return NULL;
}

struct inv_stage *inv_stage_array_free(struct inv_stage *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].stage);
	free(v);
	return NULL;
}

struct inv_event *inv_event_array_free(struct inv_event *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].guest);
		free(v[i].who);
		free(v[i].what);
		free(v[i].result);
		free(v[i].message);
	}
	free(v);
	return NULL;
}

struct inv_host *inv_host_array_free(struct inv_host *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].xen_version);
		free(v[i].bridges);
	}
	free(v);
	return NULL;
}
