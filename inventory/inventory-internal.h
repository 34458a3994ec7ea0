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
	/* Events about guest (NULL: every event), oldest (lowest id) first. */
	int (*event_list)(void *h, const char *guest, struct diag *d, struct inv_event **ret,
			  size_t *ret_n);

	/* Insert or refresh host h->name. */
	int (*host_put)(void *h, const struct inv_host *host, struct diag *d);
	int (*host_list)(void *h, struct diag *d, struct inv_host **ret, size_t *ret_n);

	/*
	 * Import (inv_import(), the scratch copy): insert g / e with their ids as given, then
	 * ids_sync() so that later inserts continue after the largest id (NULL: the store does
	 * that by itself, like SQLite's AUTOINCREMENT).
	 */
	int (*guest_put)(void *h, const struct inv_guest *g, struct diag *d);
	int (*event_put)(void *h, const struct inv_event *e, struct diag *d);
	int (*ids_sync)(void *h, struct diag *d);

	/*
	 * Session locks that hold across hosts (PostgreSQL advisory locks). wait false:
	 * -EWOULDBLOCK without a message when another session holds key. NULL: the front-end
	 * uses flock(2) files in state_dir (one host).
	 */
	int (*lock)(void *h, const char *key, bool wait, struct diag *d);
	void (*unlock)(void *h, const char *key);

	/*
	 * Images (inventory/image.c), as the guests' operations: find by INV__KEY_ID or
	 * INV__KEY_NAME (a live image; -ENOENT without a message), list (INV_LIST_DESTROYED:
	 * deleted ones too), insert (sets im->id; -EEXIST with a message on a conflict), update
	 * every field but id, name and created_usec, put with the id as given (copies).
	 */
	int (*image_find)(void *h, enum inv__key key, const char *s, int64_t id, struct diag *d,
			  struct inv_image **ret);
	int (*image_list)(void *h, unsigned flags, struct diag *d, struct inv_image **ret,
			  size_t *ret_n);
	int (*image_insert)(void *h, struct inv_image *im, struct diag *d);
	int (*image_update)(void *h, const struct inv_image *im, struct diag *d);
	int (*image_put)(void *h, const struct inv_image *im, struct diag *d);
};

struct inv {
	const struct inv_ops *ops;
	void *h;
	char *state_dir;     /* for the flock(2) locks; NULL: none */
	bool shared;	     /* the store is shared by several hosts (inv_is_shared()) */
	const char *backend; /* inv_backend(): the store's kind, also for a scratch copy of it */
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

/*
 * A private in-memory SQLite inventory with the current schema and nothing in it (the target
 * of a scratch copy of another backend).
 */
int inv__sqlite_open_memory(struct diag *d, void **ret);

/* inventory/pg-open.c */
extern const struct inv_ops inv__pg_ops;
/*
 * Connect to the PostgreSQL inventory at url. readonly: every transaction is read-only and
 * nothing is created or upgraded (a store at an older schema is refused). Otherwise the
 * schema is created or upgraded first.
 */
int inv__pg_open(const char *url, bool readonly, struct diag *d, void **ret);
/* Bring the database at url to version n by applying steps[v..n-1] (the migration tests). */
int inv__pg_migrate(const char *url, const char *const *steps, size_t n, struct diag *d);
/* inventory/pg-schema.c: PostgreSQL schema steps; schema_version holds how many are applied */
extern const char *const inv__pg_migrations[];
extern const size_t inv__pg_n_migrations;

/*
 * inventory/open.c: url without its password (user:PASSWORD@ in a URI, password=... in a
 * URI query or a key=value string), for messages and the state_dir marker. Caller frees.
 */
char *inv__url_redact(const char *url);

/* inventory/dump.c: the whole content of an inventory, for export, import and copies. */
struct inv__dump {
	struct inv_guest *guests;
	size_t n_guests;
	struct inv_stage **stages; /* stages[i]: of guests[i] */
	size_t *n_stages;
	struct inv_event *events;
	size_t n_events;
	struct inv_host *hosts;
	size_t n_hosts;
	struct inv_image *images; /* live and deleted; written before the guests */
	size_t n_images;
};
void inv__dump_release(struct inv__dump *dump);
/* Read everything from inv in one transaction. */
int inv__dump_read(struct inv *inv, struct diag *d, struct inv__dump *ret);
/* Write dump into inv, which must be empty (-ENOTEMPTY), in one transaction, ids kept. */
int inv__dump_write(struct inv *inv, const struct inv__dump *dump, struct diag *d);
/*
 * The export's format version: 2 added "images" and the guests' "image_id" (golden images).
 * The reader takes 1 and 2.
 */
#define INV__EXPORT_VERSION 2
/* inventory/import.c: parse and check an export. Every problem goes to d. */
int inv__dump_parse(const char *json, size_t len, struct diag *d, struct inv__dump *ret);

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
/*
 * inventory/image.c: the places live guests and live images hold (the allocator's "taken"),
 * in the open transaction; free with inv__places_free().
 */
int inv__places_taken(struct inv *inv, struct diag *d, struct inv_partition **ret, size_t *ret_n);
void inv__places_free(struct inv_partition *v, size_t n);
/* Frees the members of im (not im) and zeroes it. */
void inv__image_release_members(struct inv_image *im);
