/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SQLite schema as a list of migrations (plain SQL text; inventory/sqlite.c runs them).
 * doc/inventory.md explains each table and rule.
 */
#include "common/macro.h"
#include "inventory/inventory-internal.h"

/*
 * Schema migrations, applied in order inside one transaction; user_version counts those
 * applied. Never edit a shipped step: append a new one.
 */
const char *const inv__sqlite_migrations[] = {
	/* 1: guests with their resources, stages, events. */
	"CREATE TABLE guests ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL,"
	" template TEXT NOT NULL,"
	" vlan INTEGER NOT NULL CHECK (vlan BETWEEN 0 AND 4094),"
	" request_id TEXT,"
	" owner TEXT,"
	" host TEXT,"
	" lun TEXT,"
	" part_start INTEGER,"
	" part_size INTEGER CHECK (part_size > 0),"
	" partuuid TEXT,"
	" partno INTEGER NOT NULL DEFAULT 0,"
	" mac TEXT NOT NULL,"
	" ip INTEGER,"
	" stage TEXT,"
	" state TEXT NOT NULL CHECK (state IN ('ok', 'failed', 'destroyed')),"
	" error TEXT,"
	" created_usec INTEGER NOT NULL,"
	" updated_usec INTEGER NOT NULL,"
	" destroyed_usec INTEGER,"
	" CHECK ((lun IS NULL) = (part_start IS NULL) AND (lun IS NULL) = (part_size IS NULL)),"
	" CHECK (partuuid IS NULL OR lun IS NOT NULL),"
	" CHECK ((state = 'destroyed') = (destroyed_usec IS NOT NULL))"
	") STRICT;"
	/* Uniqueness among live guests: destroyed rows stay for the audit trail. */
	"CREATE UNIQUE INDEX guests_name ON guests(name) WHERE destroyed_usec IS NULL;"
	"CREATE UNIQUE INDEX guests_request ON guests(request_id) WHERE destroyed_usec IS NULL;"
	"CREATE UNIQUE INDEX guests_mac ON guests(mac) WHERE destroyed_usec IS NULL;"
	"CREATE UNIQUE INDEX guests_ip ON guests(vlan, ip) WHERE destroyed_usec IS NULL;"
	"CREATE UNIQUE INDEX guests_partuuid ON guests(lun, partuuid) WHERE destroyed_usec IS NULL;"
	"CREATE UNIQUE INDEX guests_part_start ON guests(lun, part_start)"
	" WHERE destroyed_usec IS NULL;"
	"CREATE INDEX guests_all_names ON guests(name);"
	/* Two live partitions on one LUN never overlap (PostgreSQL: an exclusion constraint). */
	"CREATE TRIGGER guests_overlap_insert BEFORE INSERT ON guests"
	" WHEN NEW.lun IS NOT NULL AND NEW.destroyed_usec IS NULL BEGIN"
	" SELECT RAISE(ABORT, 'partition overlaps a live partition') WHERE EXISTS ("
	"  SELECT 1 FROM guests g WHERE g.destroyed_usec IS NULL AND g.lun = NEW.lun"
	"  AND g.part_start < NEW.part_start + NEW.part_size"
	"  AND NEW.part_start < g.part_start + g.part_size);"
	" END;"
	"CREATE TRIGGER guests_overlap_update"
	" BEFORE UPDATE OF lun, part_start, part_size, destroyed_usec ON guests"
	" WHEN NEW.lun IS NOT NULL AND NEW.destroyed_usec IS NULL BEGIN"
	" SELECT RAISE(ABORT, 'partition overlaps a live partition') WHERE EXISTS ("
	"  SELECT 1 FROM guests g WHERE g.destroyed_usec IS NULL AND g.lun = NEW.lun"
	"  AND g.id <> NEW.id"
	"  AND g.part_start < NEW.part_start + NEW.part_size"
	"  AND NEW.part_start < g.part_start + g.part_size);"
	" END;"
	/* One row per stage and guest; re-doing a stage replaces it with a new id. */
	"CREATE TABLE stages ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" guest_id INTEGER NOT NULL REFERENCES guests(id),"
	" stage TEXT NOT NULL,"
	" done_usec INTEGER NOT NULL,"
	" UNIQUE (guest_id, stage)"
	") STRICT;"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at_usec INTEGER NOT NULL,"
	" guest_id INTEGER REFERENCES guests(id),"
	" guest TEXT,"
	" who TEXT NOT NULL,"
	" what TEXT NOT NULL,"
	" result TEXT NOT NULL,"
	" message TEXT"
	") STRICT;"
	"CREATE INDEX events_guest ON events(guest);",
	/*
	 * 2: what provision made, recorded with the guest, so that a crash never leaves a guest
	 * whose spec or partition origin is lost, and ownership of a filesystem is proven by
	 * what was recorded before it was made (doc/inventory.md).
	 */
	"ALTER TABLE guests ADD COLUMN spec TEXT;"
	"ALTER TABLE guests ADD COLUMN part_origin TEXT"
	" CHECK (part_origin IS NULL OR part_origin IN ('new', 'reused'));"
	"ALTER TABLE guests ADD COLUMN fs_uuid TEXT;"
	"ALTER TABLE guests ADD COLUMN failed_stage TEXT;",
	/* 3: the Dom0s, as the last run on each that touched Xen found it (inv_host_put()). */
	"CREATE TABLE hosts ("
	" name TEXT PRIMARY KEY,"
	" xen_version TEXT,"
	" mem_total INTEGER NOT NULL DEFAULT 0,"
	" mem_free INTEGER NOT NULL DEFAULT 0,"
	" bridges TEXT,"
	" seen_usec INTEGER NOT NULL"
	") STRICT;",
};

const size_t inv__sqlite_n_migrations = ELEMENTSOF(inv__sqlite_migrations);
