/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The inventory: which partition, MAC, IP and stage belongs to which guest, and what
 * happened to it (events). Backend-neutral: nothing here names SQLite. The embedded backend
 * (inventory/sqlite.c) keeps one file, STATE_DIR/inventory.db; another backend (PostgreSQL,
 * for several Dom0 hosts sharing one inventory) implements the ops table in
 * inventory/inventory-internal.h and gets every function below for free. See doc/inventory.md.
 *
 * Units: sizes and offsets in bytes, IPv4 addresses in host byte order, times in
 * microseconds since the epoch (CLOCK_REALTIME).
 *
 * Guests: a *live* guest holds its resources; `inv_guest_release()` (destroy) marks the row
 * destroyed and keeps it, with the resources it last held, for the audit trail. Uniqueness
 * (name, request_id, MAC, VLAN+IP, LUN+PARTUUID, LUN+start, no overlapping partitions) is
 * enforced by the store among live guests only, so released resources are reusable.
 *
 * Every mutating call is one transaction and records its own event, with `who` (e.g.
 * "alice(1000)" or "request:RT-4711") as the actor. Errors: -EEXIST for a conflict (name,
 * request id, MAC, IP or partition already taken), -ENOSPC when no partition/IP/MAC is free,
 * -ENOENT for an unknown guest, -EBUSY when the store stayed locked too long, -EIO for
 * backend failures; the reason is always in the diag.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

struct inv;

enum inv_state {
	INV_STATE_OK,	     /* progressing or done; stage says how far */
	INV_STATE_FAILED,    /* the last stage attempt failed; error says why */
	INV_STATE_DESTROYED, /* released; the row is kept for the audit trail */
	_INV_STATE_MAX,
	_INV_STATE_INVALID = -22,
};

const char *inv_state_to_string(enum inv_state s);
enum inv_state inv_state_from_string(const char *s);

/*
 * A piece of a LUN. As an allocation candidate: an existing partition (partuuid set: it is
 * taken whole) or a free segment as the disk module sees it (partuuid NULL: the inventory
 * reserves `size` bytes of it at the first aligned start that no live reservation overlaps).
 * lun is a stable identity of the LUN chosen by the caller (the GPT disk GUID; the device
 * path from site.yaml is fine for a single host) and compared as a string.
 */
struct inv_extent {
	const char *lun;
	uint64_t start, size; /* bytes */
	const char *partuuid; /* NULL: free space */
};

/* A partition held by a guest. partuuid NULL: reserved ("pending"), not yet carved. */
struct inv_partition {
	char *lun;
	uint64_t start, size; /* bytes */
	char *partuuid;
	unsigned partno; /* partition number once carved; 0: unknown */
};

struct inv_guest {
	int64_t id; /* never reused, also not after destroy */
	char *name;
	char *template_name;
	unsigned vlan;
	char *request_id; /* NULL: none */
	char *owner;	  /* NULL: none */
	char *host;	  /* Dom0 that runs it; NULL: none yet */
	bool has_partition;
	struct inv_partition part;
	uint8_t mac[6];
	bool has_ip;
	uint32_t ip;
	bool part_new; /* the partition is (to be) carved from free space, not a reused "free" one
			*/
	char *spec;    /* the guest's spec (template YAML with its overrides); NULL: none */
	char *fs_uuid; /* the filesystem UUID the format stage makes (set before it makes it) */
	char *stage;   /* last stage recorded done; NULL: none yet */
	enum inv_state state;
	char *error;	    /* last error (state failed); NULL: none */
	char *failed_stage; /* the stage that failed (state failed); NULL: none */
	int64_t created_usec, updated_usec;
	int64_t destroyed_usec; /* 0: live */
	int64_t image_id;	/* the image it is a clone of (inv_image_get_by_id()); 0: none */
};

/* Accepts NULL. Returns NULL. */
struct inv_guest *inv_guest_free(struct inv_guest *g);
static inline void inv_guest_freep(struct inv_guest **g)
{
	inv_guest_free(*g);
}
/* Frees members of n guests and the array. Accepts NULL. Returns NULL. */
struct inv_guest *inv_guest_array_free(struct inv_guest *v, size_t n);

struct inv_stage {
	char *stage;
	int64_t done_usec;
};
struct inv_stage *inv_stage_array_free(struct inv_stage *v, size_t n);

struct inv_event {
	int64_t id;
	int64_t at_usec;
	int64_t guest_id; /* 0: not about one guest */
	char *guest;	  /* guest name at the time; NULL: none */
	char *who;
	char *what;    /* "allocate", "stage carve", "release", "hook network.pre/10-dns" ... */
	char *result;  /* "ok", "failed", "refused" */
	char *message; /* NULL: none */
};
struct inv_event *inv_event_array_free(struct inv_event *v, size_t n);

/*
 * Open (creating or upgrading as needed) the inventory in state_dir, which is created if
 * missing (its parent must exist). Safe to call from many processes at once. A handle
 * belongs to one process and one thread at a time: open it after fork(), not before.
 * Returns: 0 and a handle in *ret, or < 0 with the reason in d (-EPROTONOSUPPORT: the
 * store was written by a newer provision).
 */
int inv_open(const char *state_dir, struct diag *d, struct inv **ret);
/*
 * Open the inventory in state_dir for reading only, for a user who may read it and nothing
 * more: no file is created, written or upgraded (an older schema is read through an
 * upgraded in-memory copy; no inventory yet reads as an empty one). A write through the
 * handle fails, or on such a copy is lost: it never reaches the file. A reader who may not
 * read it gets "cannot read the inventory 'PATH': Permission denied (read-only commands
 * need read access; run as root)".
 * Returns: 0 and a handle in *ret, or < 0 with the reason in d (-EACCES: not readable,
 * -EPROTONOSUPPORT: written by a newer provision).
 */
int inv_open_readonly(const char *state_dir, struct diag *d, struct inv **ret);
/*
 * A private in-memory copy of the inventory in state_dir (an empty one when there is none;
 * nothing is created on disk). Dry runs allocate in it for real, so a plan shows exactly
 * what the allocator would pick, cumulatively for a batch, and nothing is kept.
 * Returns: 0 and a handle in *ret, or < 0 with the reason in d.
 */
int inv_open_scratch(const char *state_dir, struct diag *d, struct inv **ret);
/*
 * Where the inventory is, as site.yaml says: url NULL or "" is the embedded SQLite file in
 * state_dir (one Dom0); otherwise a libpq connection string (a postgresql:// URI or
 * "key=value ..."), the inventory that several Dom0s share. A password never comes from
 * here: libpq reads ~/.pgpass or PGPASSFILE.
 */
enum inv_open_mode {
	INV_OPEN_WRITE,	   /* inv_open() */
	INV_OPEN_READONLY, /* inv_open_readonly() */
	INV_OPEN_SCRATCH,  /* inv_open_scratch(): a private in-memory copy (of PostgreSQL too) */
	INV_OPEN_IMPORT,   /* WRITE for inv_import(): no backend-switch guard (it is the move) */
};
/*
 * Open the inventory at url (see above), in mode. INV_OPEN_SCRATCH of PostgreSQL reads it in
 * one read-only transaction into a private in-memory SQLite inventory and disconnects
 * (inv_backend() still says "postgresql", inv_is_shared() false). A write open of PostgreSQL
 * records its URL (without password) in STATE_DIR/inventory.shared. With PostgreSQL, state_dir
 * still holds what is this Dom0's alone; a state_dir whose SQLite inventory holds live guests
 * is refused ("switched under existing guests": move them with export/import), and so is the
 * reverse (the marker there, and an SQLite file without guests).
 * Errors name the inventory: "cannot reach the inventory at 'URL': ..." (the URL without a
 * password).
 * Returns: 0 and a handle in *ret, or < 0 with the reason in d (-EHOSTUNREACH: no server,
 * -EACCES: refused by it, -EPROTONOSUPPORT: schema newer than this provision, -ESTALE:
 * backend switched under live guests).
 */
int inv_open_at(const char *url, const char *state_dir, enum inv_open_mode mode, struct diag *d,
		struct inv **ret);
/* "sqlite" or "postgresql". */
const char *inv_backend(const struct inv *inv);
/* Whether several Dom0s can share this inventory (and its locks hold across them). */
bool inv_is_shared(const struct inv *inv);
/* Accepts NULL. Returns NULL. */
struct inv *inv_close(struct inv *inv);
static inline void inv_closep(struct inv **inv)
{
	inv_close(*inv);
}

/* What to reserve for a new guest: everything is taken in one transaction or nothing. */
struct inv_alloc {
	const char *name; /* hostname label, checked */
	const char *template_name;
	unsigned vlan;
	const char *request_id, *owner, *host; /* NULL: none */
	const char *who;		       /* actor recorded in the event */
	const char *spec; /* the guest's spec, kept with the reservation (resume builds from it) */

	/* Partition: part_size 0 takes none. Candidates are tried in the caller's order. */
	uint64_t part_size;  /* bytes */
	uint64_t part_align; /* start alignment in bytes for free segments; 0: 1 MiB */
	const struct inv_extent *candidates;
	size_t n_candidates;

	/* MAC: explicit when has_mac, else prefix + bytes drawn from the name (inv_mac_draw). */
	bool has_mac;
	uint8_t mac[6];
	uint8_t mac_prefix[6];
	unsigned mac_prefix_len; /* 1..5 */

	/*
	 * IP: explicit when has_ip; else, when range_last != 0, the first free address of
	 * [range_first, range_last] on the VLAN that is not the gateway; else none.
	 */
	bool has_ip;
	uint32_t ip;
	uint32_t range_first, range_last, gateway;

	/*
	 * A clone: the live, captured image of this name it is made from (NULL: none). Checked
	 * in the transaction (-ENOENT: no such image) and recorded as the guest's image_id,
	 * which keeps the image from being deleted while the guest lives.
	 */
	const char *image;
};

/*
 * Reserve name, partition, MAC and IP for a new guest (state ok, no stage yet) and record
 * an "allocate" event, all in one transaction. A concurrent allocation never gets any of
 * the same resources. Idempotent requests: on -EEXIST look the request up with
 * inv_guest_get_by_request(): a concurrent identical request may have won.
 * Returns: 0 and the new guest in *ret (may be NULL), or -EEXIST, -ENOSPC, -EINVAL, -EBUSY,
 * -EIO with the reason in d.
 */
int inv_guest_allocate(struct inv *inv, const struct inv_alloc *req, struct diag *d,
		       struct inv_guest **ret);

/*
 * Look up the live guest called name / holding request_id.
 * Returns: 0 and a new copy in *ret, -ENOENT (nothing added to d), or < 0 with d.
 */
int inv_guest_get(struct inv *inv, const char *name, struct diag *d, struct inv_guest **ret);
int inv_guest_get_by_request(struct inv *inv, const char *request_id, struct diag *d,
			     struct inv_guest **ret);

enum inv_list_flags {
	INV_LIST_DESTROYED = 1 << 0, /* also destroyed guests (audit) */
};
/* All live guests (and destroyed ones with INV_LIST_DESTROYED), by name, then id. */
int inv_guest_list(struct inv *inv, unsigned flags, struct diag *d, struct inv_guest **ret,
		   size_t *ret_n);

/*
 * The pending partition of guest id was carved: record its PARTUUID and number.
 * Returns: 0, -EEXIST when another live guest holds that PARTUUID on the LUN, -ENOENT.
 */
int inv_partition_carved(struct inv *inv, int64_t id, const char *partuuid, unsigned partno,
			 const char *who, struct diag *d);

/*
 * Stage `stage` of guest id is done: record (or, when re-run on resume, refresh) its
 * stage row, make it the guest's stage, state ok, clear the error, record an event.
 */
int inv_stage_done(struct inv *inv, int64_t id, const char *stage, const char *who, struct diag *d);
/* Stage `stage` failed with error: state failed, error recorded, event "stage S" failed. */
int inv_stage_failed(struct inv *inv, int64_t id, const char *stage, const char *error,
		     const char *who, struct diag *d);
/* The stages done by guest id, in the order they were (last) done. */
int inv_stage_list(struct inv *inv, int64_t id, struct diag *d, struct inv_stage **ret,
		   size_t *ret_n);

/*
 * The filesystem guest id's format stage is about to make will have UUID fs_uuid: recorded
 * before mke2fs runs, so that a filesystem with this UUID on the guest's partition is proof
 * that provision made it (destroy wipes nothing else). Refused (-EEXIST) when another UUID
 * is already recorded.
 */
int inv_fs_uuid_set(struct inv *inv, int64_t id, const char *fs_uuid, const char *who,
		    struct diag *d);

/* Replace the spec of guest id (resume --spec: the admin's corrected template). */
int inv_spec_set(struct inv *inv, int64_t id, const char *spec, const char *who, struct diag *d);

/* Set the Dom0 that runs guest id (after migration, or when it is first booted). */
int inv_guest_set_host(struct inv *inv, int64_t id, const char *host, const char *who,
		       struct diag *d);

/*
 * Destroy: the guest's name, partition, MAC and IP become free for others; the row stays
 * (state destroyed) with what it last held, and a "release" event is recorded. The caller
 * releases only after the world is cleaned up (partition wiped, configs removed).
 * Returns: 0, -ENOENT (already released or never existed).
 */
int inv_guest_release(struct inv *inv, int64_t id, const char *who, struct diag *d);

/*
 * Record an event (hooks, refusals, anything the pipeline wants in `show`). guest_id 0 and
 * guest NULL for events that concern no guest.
 */
int inv_event_add(struct inv *inv, int64_t guest_id, const char *guest, const char *who,
		  const char *what, const char *result, const char *message, struct diag *d);
/* Events about every guest ever called name (all incarnations; NULL: every event), oldest
 * first. */
int inv_event_list(struct inv *inv, const char *name, struct diag *d, struct inv_event **ret,
		   size_t *ret_n);

/*
 * Locks that serialise work on a guest or a LUN: with SQLite a flock on
 * STATE_DIR/locks/KEY.lock (one Dom0), with PostgreSQL a session advisory lock keyed by a
 * 64-bit hash of key, held on the inventory's own connection, so that it holds across Dom0s
 * and vanishes when the holder dies. key is a short printable name without '/' ("guest-web1",
 * "lun-..."). Blocks until taken. Taking a key this process already holds is a programmer
 * error.
 * Returns: 0 and the lock in *ret, or < 0 with the reason in d.
 */
struct inv_lock;
int inv_lock_take(struct inv *inv, const char *key, struct diag *d, struct inv_lock **ret);
/* The same without waiting: -EWOULDBLOCK (nothing in d) when another holds it. */
int inv_lock_try(struct inv *inv, const char *key, struct diag *d, struct inv_lock **ret);
/* Release (accepts NULL). The inventory must still be open. Returns NULL. */
struct inv_lock *inv_lock_release(struct inv_lock *l);
static inline void inv_lock_releasep(struct inv_lock **l)
{
	inv_lock_release(*l);
}

/* A Dom0, as the last run on it that touched Xen found it. */
struct inv_host {
	char *name;		      /* uname -n, or PROVISION_HOST */
	char *xen_version;	      /* "4.17.3" */
	uint64_t mem_total, mem_free; /* bytes */
	char *bridges;		      /* the site's VLAN bridges it has, space-separated */
	int64_t seen_usec;
};
struct inv_host *inv_host_array_free(struct inv_host *v, size_t n);
/* Insert or refresh host h->name (seen_usec as given). */
int inv_host_put(struct inv *inv, const struct inv_host *h, struct diag *d);
/* All hosts, by name. */
int inv_host_list(struct inv *inv, struct diag *d, struct inv_host **ret, size_t *ret_n);

/*
 * The whole inventory as one JSON object (schema documented in doc/inventory.md): every
 * guest, live and destroyed, with ids, its stages, every event, every host. Read in one
 * transaction. Caller frees *ret.
 */
int inv_export(struct inv *inv, struct diag *d, char **ret);
/*
 * Load an export into this inventory, which must be empty (-ENOTEMPTY otherwise), checked
 * first and written in one transaction with the ids kept, so that nothing is half-imported.
 * Returns: 0, or < 0 with every problem in d (-EINVAL: not a valid export).
 */
int inv_import(struct inv *inv, const char *json, size_t len, struct diag *d);
/*
 * The move of a one-Dom0 site to a shared inventory: STATE_DIR/inventory.db, when it holds
 * live guests, must be what is imported (its export, byte for byte), else -ESTALE with the
 * reason in d: importing someone else's export would leave this Dom0's guests behind. With
 * apply, after the import, the file (and its -wal, -shm) is renamed inventory.db.moved, kept
 * as it was, so that the backend-switch guard sees the move done.
 * Returns: 0, or < 0 with d.
 */
int inv_sqlite_retire(const char *state_dir, const char *json, size_t len, bool apply,
		      struct diag *d);

/* ---- golden images (doc/images.md) ---- */

/*
 * An image: a guest's filesystem captured into partition image:NAME on a LUN, which guests
 * are cloned from. Like guests, a deleted image keeps its row (deleted_usec set); names,
 * PARTUUIDs and places are unique among live images. An image is *pending* (checksum NULL)
 * from inv_image_add() until inv_image_captured(): it holds its name and place, but nothing
 * can be cloned from it yet.
 */
struct inv_image {
	int64_t id; /* never reused */
	char *name;
	char *lun;
	uint64_t start, size; /* the image partition, bytes */
	char *partuuid;	      /* NULL: reserved, not carved yet */
	unsigned partno;      /* 0: unknown */
	uint64_t fs_bytes;    /* the image's ext4 */
	uint64_t used_bytes;  /* its used blocks: what a clone copies */
	char *checksum;	      /* SHA-256 in hex (doc/images.md); NULL: pending */
	char *source;	      /* the guest it was captured from */
	int64_t source_id;    /* that guest's id */
	char *template_name;  /* the source guest's template; NULL: unknown */
	int64_t created_usec, updated_usec;
	int64_t deleted_usec; /* 0: live */
};
/* Frees members of n images and the array. Accepts NULL. Returns NULL. */
struct inv_image *inv_image_array_free(struct inv_image *v, size_t n);
/* Accepts NULL. Returns NULL. */
struct inv_image *inv_image_free(struct inv_image *im);
static inline void inv_image_freep(struct inv_image **im)
{
	inv_image_free(*im);
}

/* What to reserve for a new image: its name and a place on a LUN, in one transaction. */
struct inv_image_req {
	const char *name;   /* hostname label, checked */
	int64_t source_id;  /* the live guest captured */
	const char *who;    /* actor recorded in the event */
	uint64_t part_size; /* bytes, a multiple of 1 MiB */
	/* where: tried in order, as inv_alloc's; live guests' and images' places are taken */
	const struct inv_extent *candidates;
	size_t n_candidates;
};

/*
 * Reserve a pending image: name and place (LUN, start, size) among the candidates, with an
 * "image add" event. The source guest must be live.
 * Returns: 0 and the new image in *ret (may be NULL); -EEXIST (a live image has the name),
 * -ENOSPC (no candidate fits), -ENOENT (no such live guest), -EINVAL; with d.
 */
int inv_image_add(struct inv *inv, const struct inv_image_req *req, struct diag *d,
		  struct inv_image **ret);
/* The pending image's partition was carved: its PARTUUID and number. */
int inv_image_carved(struct inv *inv, int64_t id, const char *partuuid, unsigned partno,
		     const char *who, struct diag *d);
/*
 * The capture finished: the image's checksum and sizes; from now on guests can be cloned
 * from it. Event "image capture".
 */
int inv_image_captured(struct inv *inv, int64_t id, const char *checksum, uint64_t fs_bytes,
		       uint64_t used_bytes, const char *who, struct diag *d);
/*
 * Look up the live image called name / any image by id.
 * Returns: 0 and a new copy in *ret, -ENOENT (nothing added to d), or < 0 with d.
 */
int inv_image_get(struct inv *inv, const char *name, struct diag *d, struct inv_image **ret);
int inv_image_get_by_id(struct inv *inv, int64_t id, struct diag *d, struct inv_image **ret);
/* Live images (and deleted ones with INV_LIST_DESTROYED), by name, then id. */
int inv_image_list(struct inv *inv, unsigned flags, struct diag *d, struct inv_image **ret,
		   size_t *ret_n);
/* The live guests cloned from image id, by name. */
int inv_image_clones(struct inv *inv, int64_t id, struct diag *d, struct inv_guest **ret,
		     size_t *ret_n);
/*
 * Delete image id: the row stays (deleted_usec), its name and place become free; event
 * "image delete". Refused while a live guest is a clone of it: -EBUSY, the clones named in
 * d (the stores refuse it too, by trigger). The caller wipes the partition first.
 * Returns: 0, -EBUSY, -ENOENT (no such live image).
 */
int inv_image_delete(struct inv *inv, int64_t id, const char *who, struct diag *d);

/*
 * The MAC for name: prefix (prefix_len bytes) then bytes of a hash of name and attempt
 * (attempt 0 first, then 1, 2, ... on collision). Stable across runs, hosts and backends.
 */
void inv_mac_draw(const uint8_t prefix[6], unsigned prefix_len, const char *name, unsigned attempt,
		  uint8_t ret[6]);
