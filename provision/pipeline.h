/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The pipeline: a guest goes through the stages in order, each recorded in the inventory
 * when done, so that `resume` continues after the last one and `destroy` knows what to undo.
 *
 *   allocate  name, partition place, MAC and IP reserved in one inventory transaction
 *   carve     the partition written into the LUN's GPT as guest:NAME (per-LUN lock)
 *   format    ext4 labelled NAME and /swapfile
 *   network   the VLAN bridge ensured
 *   configs   NAME.install.cfg and NAME.boot.cfg written into config_dir
 *   install   the installer booted, watched and checked
 *   boot      the guest started with its production kernel
 *
 * Every stage checks the world before acting and does nothing when its work is already
 * there, so a stage may run again after a crash. Hooks run around each stage
 * (<hooks_dir>/<stage>.pre.d, .post.d); a stage is recorded done after its post hooks
 * succeeded, so a failing post hook is re-run by `resume` (the stage's work itself is found
 * done and not repeated).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/diag.h"
#include "cmds.h"

struct hv_ops;
struct inv;
struct inv_guest;
struct inv_image;
struct part_entry;
struct part_guard;
struct tmpl_guest;

enum stage {
	STAGE_ALLOCATE,
	STAGE_CARVE,
	STAGE_FORMAT,
	STAGE_NETWORK,
	STAGE_CONFIGS,
	STAGE_INSTALL,
	STAGE_BOOT,
	_STAGE_MAX,
	_STAGE_INVALID = -22,
};

const char *stage_to_string(enum stage s);
enum stage stage_from_string(const char *s);

/*
 * What a command asks of the pipeline, filled in by the command files (provision/cmd-*.c,
 * the only readers of the command line): below them nothing reads an option.
 */
#define PIPELINE_MAX_OVERRIDES 8
struct pipeline_opts {
	const char *template_name; /* --template (name or file); NULL: the request's */
	struct {
		const char *key, *value; /* "memory", "768M": a template key and its new value */
	} overrides[PIPELINE_MAX_OVERRIDES];
	size_t n_overrides;
	const char *ip, *mac, *lun; /* NULL: the request's, else the allocator's choice */
	const char *image;	    /* --image: clone it (NULL: the request's, else install) */
	const char *owner;	    /* NULL: the request's, else none */
	const char *disk_path;	    /* render: the disk the preview names; NULL: the partition */
	enum stage until;	    /* last stage to run (STAGE_BOOT: all) */
	bool dry_run;
	bool force;		  /* take over configs in config_dir that no guest holds */
	int verbose;		  /* libxl's messages, FAI's lines */
	const char *site_path;	  /* for the hooks' environment and the FAI monitor relay */
	const char *host;	  /* new-guest --host: a Dom0's name or "auto"; NULL: this Dom0 */
	const struct hv_ops *hv;  /* the hypervisor (hv_libxl_ops; a test double in tests) */
	const char *relay_daemon; /* the FAI monitor relay an install starts; NULL: this program */
	const struct stage_xen_policy *xen; /* install and boot: NULL, stage_xen_policy_default */
	bool watch; /* boot: start the guest's watcher (watch.h; the commands, not the tests) */
	bool again; /* provision start: network and boot again although recorded done */
};

/*
 * The limits and the clock of the install and boot stages (stage-install.c, stage-boot.c):
 * what they wait for and how long. Tests run the stages on a clock of their own.
 */
struct stage_xen_policy {
	unsigned stop_grace_s;	   /* a failing FAI task, then no word this long: FAI stopped */
	unsigned progress_every_s; /* an install progress line this often */
	unsigned boot_timeout_s;   /* the ready marker within this long */
	int wait_ms;		   /* the hypervisor's wait slice, between the checks */
	int64_t (*clock_usec)(void *userdata); /* monotonic time in microseconds */
	void *clock_userdata;
};
/* 20 s, 15 s, 900 s, 1000 ms, mono_usec() */
extern const struct stage_xen_policy stage_xen_policy_default;

struct pipeline {
	struct prov_ctx *ctx; /* its diag and site only: options come in o */
	struct pipeline_opts o;
	const struct site *site;
	struct inv *inv;       /* the real inventory, or a scratch copy for -n */
	struct inv_lock *lock; /* the guest's, for a real run (pipeline_open()) */
	char *host;	       /* allocate: the Dom0 chosen to run the guest */
	struct tmpl_guest *t;
	struct inv_guest *g; /* the guest's inventory row, refreshed after every stage */
	const char *name;
	const char *request_id, *owner; /* NULL: none */
	const char *ip, *mac, *lun;	/* allocate: o's or the request's; NULL: any */
	const char *image; /* allocate: the image to clone (o's or the request's); NULL: install */
	const struct src_loc *ip_loc, *mac_loc; /* in the request; NULL: the command line */
	char *who; /* actor for the events: "alice(1000)" or "request:RT-1" */
	FILE *out; /* progress: stdout, or stderr when --json keeps stdout for the result */
	/* what the stages found or made, for later stages and the report */
	char *disk_path; /* what the configs use for the guest's disk */
	char *failed_stage;
	char *cause; /* why it failed: diag_cause() of the failed stage's messages */
	struct guest_render *render;  /* the configs, rendered once (pipeline_render()) */
	bool configs_written;	      /* into config_dir, in this run */
	char *g_request_id, *g_owner; /* p->g's, kept when continuing a guest */
};

/* The actor for events: "request:ID" when request_id, else "user(uid)". Caller frees. */
char *pipeline_who(const char *request_id);

/*
 * Run the stages of p->g (allocating it first when p->g is NULL) from the first one not
 * done up to p->until. Progress goes to p->out; errors to ctx->diag with the stage, the cause
 * and the command that continues or undoes.
 * Returns: 0, or < 0 (the failed stage is in p->failed_stage).
 */
int pipeline_run(struct pipeline *p);

/* The result of a run as the members of the --json object (prov_json()); nothing without. */
void pipeline_print_json(struct pipeline *p, int r);

void pipeline_release(struct pipeline *p);

/* provision/pipeline-guest.c: how new-guest, resume and batch start a guest's pipeline. */
struct tmpl_request;
/*
 * provision/cmd-opts.c: the guest commands' options (--template, the overrides, --ip, --mac,
 * --lun, --owner, --until, --force, -n, -v) as pipeline options, with the libxl hypervisor.
 * Returns: 0, or EXIT_USAGE (printed: an unknown stage).
 */
int cmd_pipeline_opts(struct prov_ctx *ctx, struct pipeline_opts *ret);
/*
 * The guest's name, request id and owner from req (NULL: p->name as set), the actor, and its
 * template with the request's parameters and the command line's overrides, each checked
 * where it was written; then pipeline_guest_check(). p->ctx, p->site and p->until must be
 * set; p->name (or req->name) is a valid guest name.
 * Returns: 0, or < 0 with the reasons in ctx->diag (-EDOM: pipeline_guest_check() refused).
 */
int pipeline_guest_init(struct pipeline *p, const struct tmpl_request *req);
/*
 * A new guest's inputs against the site, before anything is reserved or made: --ip (or the
 * request's ip) inside its VLAN's subnet and range, not the network, broadcast or gateway
 * address; --mac a unicast address, not all zeros, under the site's mac_prefix; config_dir
 * there when the run goes as far as configs. p->t is the guest's template.
 * Returns: 0, or -EDOM with every problem in ctx->diag (a bad input: exit status 2).
 */
int pipeline_guest_check(struct pipeline *p);
/* A new guest (p->inv open, no guest of that name): refuse foreign configs, run the stages. */
int pipeline_guest_new(struct pipeline *p);
/* Continue p->g from its saved spec up to p->until (resume, a repeated request). */
int pipeline_guest_continue(struct pipeline *p);
/*
 * Run request req (after pipeline_guest_init()): the guest the same request_id made is
 * continued (and reported on p->out), a guest of that name made otherwise is refused
 * (-EEXIST), else a new guest is made. Returns: 0, or < 0 as pipeline_run().
 */
int pipeline_request_run(struct pipeline *p, const struct tmpl_request *req);

/*
 * Take state_dir/locks/NAME.lock exclusively (waiting for it); closing the returned fd
 * releases it. Returns: the fd (> 0), or < 0 with the reason in d.
 */
int prov_lock(const struct site *s, const char *name, struct diag *d);
/*
 * The FAI monitor relay's spool: state_dir/fai-monitor (netboot/relay.h), in *ret.
 * Returns: 0 or -ENOMEM.
 */
int prov_fai_spool(const struct site *s, char **ret);
/* How long a relay an install started waits for the next install before it leaves. */
#define FAI_RELAY_LINGER_S 30

/*
 * Open the site's inventory for p (a private copy for a dry run) and, for a real run, take
 * the guest's lock in it, held until pipeline_release(): one new-guest, resume or destroy
 * of a guest at a time, on every Dom0 that shares the inventory. Returns: 0, or < 0 with d.
 */
int pipeline_open(struct pipeline *p);

/* The stages, in stage-*.c. Each returns 0 (done or nothing to do), or < 0 with d. */
int stage_allocate(struct pipeline *p);
int stage_carve(struct pipeline *p);
int stage_format(struct pipeline *p);
int stage_network(struct pipeline *p);
int stage_configs(struct pipeline *p);
int stage_install(struct pipeline *p);
int stage_boot(struct pipeline *p);

/*
 * The guest's two configs from its inventory row and spec, rendered once per run (configs,
 * install and boot use the same): *ret is borrowed from p. pipeline_render_drop() forgets
 * them when what they are made of changes (the disk's path, the spec). Returns: 0, or < 0.
 */
struct guest_render;
int pipeline_render(struct pipeline *p, const struct guest_render **ret);
struct guest_render *pipeline_render_drop(struct pipeline *p);
/*
 * The configs written into config_dir (the admin's truth: `xl create` of them starts what
 * provision starts), once per run: before the first domain is made in a run that did not
 * run the configs stage, so a spec corrected for `resume --spec` is in them too.
 */
int pipeline_configs_write(struct pipeline *p);

/*
 * The partition guard of the disk stages (stage-disk.c): the site's LUNs, and a partition
 * belongs to a guest only when the inventory says so (by PARTUUID, or by place for a
 * reservation not carved yet). g borrows o, which the caller releases after g's last use.
 */
struct pipeline_owners {
	struct inv_guest *v;
	size_t n;
	/*
	 * Every image, live and deleted: a partition image:NAME belongs to "image:NAME" when a
	 * live image holds it (by PARTUUID, or by place while pending), or when a deleted one
	 * did and no live image holds it (what a delete cut short left, to be removed).
	 */
	struct inv_image *images;
	size_t n_images;
};
int pipeline_guard_init(struct pipeline *p, struct pipeline_owners *o, struct part_guard *g,
			struct diag *d);
void pipeline_owners_release(struct pipeline_owners *o);
/* The image of o that holds partition e of lun (see struct pipeline_owners), or NULL. */
const struct inv_image *pipeline_image_holder(const struct pipeline_owners *o, const char *lun,
					      const struct part_entry *e);
/*
 * With an inventory of one Dom0 (SQLite): refuse a LUN that holds a guest:NAME partition the
 * inventory does not know, i.e. that another Dom0 with its own inventory made: its next
 * partition table write could lose ours or theirs. Read under the LUN's lock.
 * Returns: 0, or -EBUSY with the partition and the fix (a shared inventory) in d.
 */
struct part_lun;
int pipeline_foreign_check(const struct pipeline_owners *o, const struct part_lun *l,
			   struct diag *d);

/*
 * Remove state_dir/guests/NAME (console and FAI logs): destroy does once the guest is
 * released, a new guest of the name before it is allocated (an earlier destroy may have been
 * killed in between). The caller holds the guest's lock. Returns: 0, or < 0 with d.
 */
int pipeline_state_remove(struct pipeline *p);

/*
 * The lock on a LUN's partition table, held while its label is read, planned and written
 * (stage-disk.c): with SQLite state_dir/locks/lun-DEV-INO.lock, with a shared inventory in it,
 * by the LUN's site path. Returns: 0 and the lock, or < 0 with d.
 */
struct inv_lock;
int pipeline_lun_lock(struct inv *inv, const char *lun, struct diag *d, struct inv_lock **ret);

/*
 * The image guest g is a clone of, live (inventory row image_id), in *ret.
 * Returns: 0, -ENOENT (not a clone; nothing in d), -ESTALE (its image was deleted), < 0 with d.
 */
int pipeline_clone_image(struct pipeline *p, struct inv_image **ret);

/* Undo for destroy, tolerant of any partial state. */
int stage_disk_release(struct pipeline *p);
int stage_domain_stop(struct pipeline *p);

/*
 * The guest's spec: its template with the overrides it was created with, as YAML, kept in
 * the inventory with the allocation (one transaction: a crash never leaves a guest without
 * it) and loaded by resume, destroy and a repeated request.
 */
int prov_spec_text(const struct pipeline *p, char **ret);
int pipeline_load_template(struct pipeline *p);
