/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What a storage backend implements, and the pure allocation helpers every backend shares.
 * Only inventory/ and its tests include this.
 *
 * A backend is a set of primitive operations on one connection. inventory.c does all the
 * logic (what is free, which MAC, which event) between begin(write) and commit, so a second
 * backend is these functions and its schema, not a second copy of the allocator. The
 * backend's store must enforce the uniqueness rules itself (see doc/inventory.md): the
 * front-end's checks are for good messages, the constraints are the guarantee.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "inventory/inventory.h"

enum inv__key {
	INV__KEY_ID,	  /* any guest, live or destroyed */
	INV__KEY_NAME,	  /* the live guest called s */
	INV__KEY_REQUEST, /* the live guest holding request id s */
};

struct inv_ops {
	const char *name;
	void (*close)(void *h);
	/*
	 * Begin a transaction. write: take the store's writer lock now (SQLite BEGIN IMMEDIATE,
	 * PostgreSQL a transaction-level advisory lock), so what is read inside stays true until
	 * commit. Waits a bounded time, then -EBUSY.
	 */
	int (*begin)(void *h, bool write, struct diag *d);
	int (*commit)(void *h, struct diag *d);
	void (*rollback)(void *h);

	/* -ENOENT without a message when nothing matches. */
	int (*guest_find)(void *h, enum inv__key key, const char *s, int64_t id, struct diag *d,
			  struct inv_guest **ret);
	int (*guest_list)(void *h, unsigned flags, struct diag *d, struct inv_guest **ret,
			  size_t *ret_n);
	/* Insert g (all fields but id) and set g->id. -EEXIST with a message on a conflict. */
	int (*guest_insert)(void *h, struct inv_guest *g, struct diag *d);
	/* Write every field of g but id, name and created_usec to row g->id. */
	int (*guest_update)(void *h, const struct inv_guest *g, struct diag *d);

	/* Insert or refresh (guest_id, stage) with done_usec. */
	int (*stage_put)(void *h, int64_t guest_id, const char *stage, int64_t done_usec,
			 struct diag *d);
	int (*stage_list)(void *h, int64_t guest_id, struct diag *d, struct inv_stage **ret,
			  size_t *ret_n);
	/* Insert e (all fields but id). */
	int (*event_insert)(void *h, const struct inv_event *e, struct diag *d);
	int (*event_list)(void *h, const char *guest, struct diag *d, struct inv_event **ret,
			  size_t *ret_n);
};

struct inv {
	const struct inv_ops *ops;
	void *h;
};

/* inventory/sqlite-schema.c: SQLite schema steps; user_version counts those applied */
extern const char *const inv__sqlite_migrations[];
extern const size_t inv__sqlite_n_migrations;

/* inventory/sqlite.c */
extern const struct inv_ops inv__sqlite_ops;
int inv__sqlite_open(const char *state_dir, struct diag *d, void **ret);
/*
 * A read-only connection to STATE_DIR/inventory.db that creates and upgrades nothing (an
 * older schema: an upgraded in-memory copy; no file: an empty one in memory).
 */
int inv__sqlite_open_readonly(const char *state_dir, struct diag *d, void **ret);
/* An in-memory copy of STATE_DIR/inventory.db (an empty inventory when there is none). */
int inv__sqlite_open_copy(const char *state_dir, struct diag *d, void **ret);
/*
 * Bring the SQLite file at path to version n by applying steps[v..n-1] (SQL scripts) in one
 * transaction, v being its user_version. Exported for the migration tests.
 */
int inv__sqlite_migrate(const char *path, const char *const *steps, size_t n, struct diag *d);

/* inventory/alloc.c: pure helpers */

/*
 * The first address of [first, last] that is not gateway and not in taken (any order).
 * Returns: 0 and *ret, -ENOSPC when every address is taken, -EINVAL when first > last.
 */
int inv__ip_pick(uint32_t first, uint32_t last, uint32_t gateway, const uint32_t *taken,
		 size_t n_taken, uint32_t *ret);

/*
 * Choose where a partition of size bytes goes: the first candidate (in order) that fits
 * without overlapping any of the taken partitions on the same LUN (or, for an existing
 * partition, having its PARTUUID taken). Free segments are used at the first start aligned
 * to align that fits.
 * Returns: the index of the chosen candidate with *ret_start and *ret_size, or -ENOSPC.
 */
int inv__extent_pick(const struct inv_extent *cand, size_t n_cand, uint64_t size, uint64_t align,
		     const struct inv_partition *taken, size_t n_taken, uint64_t *ret_start,
		     uint64_t *ret_size);

/* inventory/inventory.c, shared with change.c */
int64_t inv__now_usec(void); /* CLOCK_REALTIME: events carry wall time */
/* Commit when r >= 0, else roll back. Returns: r, or the commit's error. */
int inv__tx_end(struct inv *inv, int r, struct diag *d);
/* Record an event about g (NULL: none) in the open transaction. */
int inv__event(struct inv *inv, const struct inv_guest *g, const char *who, const char *what,
	       const char *result, const char *message, int64_t at, struct diag *d);
char *inv__lowercase(char *s); /* in place; returns s */
/* "vlan 10, mac ..., ip ..., partition LUN UUID at START+SIZE", for events. Caller frees. */
char *inv__describe(const struct inv_guest *g);

/* Frees the members of g (not g) and zeroes it. */
void inv__guest_release_members(struct inv_guest *g);
