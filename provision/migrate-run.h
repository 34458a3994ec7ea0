/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Migration as the commands run it (doc/migrate.md): the guest as both sides see it, the
 * preconditions (migrate-check.c), the source's run around the handshake and the target's
 * (migrate-run.c). Private to provision/.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/diag.h"
#include "cmds.h"
#include "pipeline.h"

struct hv_ops;
struct inv;
struct inv_host;
struct json;

/* ---- checks -------------------------------------------------------------------------------- */

enum prov_check_result {
	CHECK_OK,
	CHECK_FAIL,	 /* exit status 1 */
	CHECK_BAD_INPUT, /* 2: an unknown Dom0, no shared inventory */
	CHECK_BUSY,	 /* 3: the guest is not running, another run holds it, the name is taken */
	_CHECK_MAX,
	_CHECK_INVALID = -22,
};
const char *prov_check_result_to_string(enum prov_check_result r);
enum prov_check_result prov_check_result_from_string(const char *s);

struct prov_check {
	char *name;
	enum prov_check_result result;
	char *found; /* what was found, for the line */
};

struct prov_checks {
	struct prov_check *v;
	size_t n;
};

_printf_(4, 5) void prov_checks_add(struct prov_checks *c, const char *name,
				    enum prov_check_result res, const char *fmt, ...);
void prov_checks_release(struct prov_checks *c);
/* 0 when every check holds; else 2 for bad input, 3 for busy, 1 (in that order). */
int prov_checks_status(const struct prov_checks *c);
/* The first check that does not hold, or NULL. */
const struct prov_check *prov_checks_first_failed(const struct prov_checks *c);
/* "ok    NAME       FOUND" or "FAIL  NAME       FOUND", a line each. */
void prov_checks_print(const struct prov_checks *c, FILE *f);
/* "checks": [{"check", "ok", "result", "found"}...] */
void prov_checks_json(const struct prov_checks *c, struct json *j);
/* One of the target's "check NAME RESULT FOUND" lines into c. Returns: 0, -EINVAL. */
int prov_checks_parse_line(struct prov_checks *c, const char *line);
/* FNV-1a 64 of a file's content (0: unreadable): is config_dir shared? */
uint64_t prov_migrate_file_sum(const char *path);

/* ---- the guest ----------------------------------------------------------------------------- */

/* A guest to move, as one side sees it. */
struct prov_migrate_guest {
	const struct site *site;
	const char *name, *to; /* to: the target (the source's view); NULL on the target */
	struct pipeline p;     /* for its spec and configs: p.g, p.t (p.inv borrowed) */
	struct inv_guest *g;   /* p.g */
	struct tmpl_guest *t;  /* p.t */
	const struct guest_render *render; /* its boot config */
	struct inv_host *hosts;
	size_t n_hosts;
	const char *backend;
	bool shared, busy;
	const struct hv_ops *hv;
	void *h;	/* NULL: no Xen here (hv_why says why) */
	char *hv_why;	/* ", not a Xen dom0 (...)" */
	uint32_t domid; /* the guest's domain here, or HV_DOMID_NONE */
	uint64_t free_mib;
	bool live;	  /* the source's: the move wanted is live (not --offline) */
	int pv_log_dirty; /* this Xen logs a PV domain's dirty pages: 1, 0, -1 unknown */
};

/*
 * Load guest name from inv (borrowed; it must outlive mg) with its spec and boot config, the
 * Dom0s, and what this Dom0's Xen says (its domain, free memory; no Xen is not an error).
 * Returns: 0, -ENOENT (no such live guest: the error in d), or < 0 with d.
 */
int prov_migrate_guest_load(struct prov_ctx *ctx, struct inv *inv, const struct hv_ops *hv,
			    const char *name, const char *to, struct prov_migrate_guest *mg);
void prov_migrate_guest_release(struct prov_migrate_guest *mg);

/* The source's checks: inventory, target, Xen versions, guest running here, lock, devices,
 * config. */
void prov_migrate_check_source(struct prov_migrate_guest *mg, struct prov_checks *c,
			       struct diag *d);
/* The target's: no domain of the name, the partition, the bridge (made with ensure), memory,
 * the boot config the same as the source's (config_sum 0: not compared). */
void prov_migrate_check_target(struct prov_migrate_guest *mg, bool ensure, uint64_t config_sum,
			       struct prov_checks *c, struct diag *d);

/* ---- the runs ------------------------------------------------------------------------------ */

struct prov_migrate_req {
	const char *name, *to;
	bool offline, ensure, dry_run;
	bool check_only; /* check-migrate */
	const struct hv_ops *hv;
	FILE *out; /* the checks and progress lines */
};

struct prov_migrate_result {
	struct prov_checks checks;
	const char *stopped_at; /* NULL: done */
	bool moved, resumed, handed_over;
	char *from;
	uint64_t bytes;
	int64_t usec;
};
void prov_migrate_result_release(struct prov_migrate_result *r);

/*
 * check-migrate, migrate: the checks, then (not check_only, not dry_run) the move, on the
 * guest's Dom0 (handed over there through the site's ssh command when that is another).
 * Returns: the exit status (0, 1, 2, 3), with the reasons in ctx->diag.
 */
int prov_migrate_one(struct prov_ctx *ctx, const struct prov_migrate_req *req,
		     struct prov_migrate_result *ret);

/* migrate-receive: the target's half on stdin/stdout, or with check its check lines. */
int prov_migrate_receive(struct prov_ctx *ctx, const char *name, bool check, bool ensure,
			 uint64_t config_sum);
