/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Several Dom0s, one site (provision/cluster.c): which Dom0 this is, the site's inventory
 * (shared by the Dom0s with PostgreSQL), the Dom0s it knows and where a guest goes, and
 * running provision on another Dom0 through the site's ssh command.
 */

#include <stdbool.h>
#include <stdint.h>

#include "inventory/inventory.h"
#include "cmds.h"

struct hv_ops;
struct site;

/* This Dom0's name: $PROVISION_HOST, else uname -n. Borrowed, valid for the process. */
const char *prov_host_self(void);

/*
 * The lock of guest name in inv: one new-guest, resume, destroy, image capture or migrate of
 * it at a time, on every Dom0 that shares the inventory. wait: until it is free; else
 * -EWOULDBLOCK (nothing in d) while another holds it. Returns: 0, or < 0.
 */
int prov_guest_lock(struct inv *inv, const char *name, bool wait, struct diag *d,
		    struct inv_lock **ret);

/* The site's inventory (inventory: in site.yaml, else SQLite in state_dir) in mode. */
int prov_inv_open(struct prov_ctx *ctx, enum inv_open_mode mode, struct inv **ret);

/*
 * Record this Dom0 in the inventory as it is now: its Xen version and memory (through hv,
 * on the open connection h, or a connection of its own when h is NULL; left empty when this
 * is not a Xen dom0) and which of the site's VLAN bridges it has.
 * Returns: 0, or < 0 with d.
 */
int prov_host_register(struct inv *inv, const struct site *s, const struct hv_ops *hv, void *h,
		       struct diag *d);
/* The same as bookkeeping: a failure is a warning ("..., ignoring"), never the stage's. */
void prov_host_note(struct inv *inv, const struct site *s, const struct hv_ops *hv, void *h,
		    struct diag *d);

/*
 * Where a new guest of mem_mib runs: want is a host name (it must be registered, or be this
 * Dom0), "auto" (the registered Dom0 with the most free memory; ties: the one with the VLAN's
 * bridge, then this Dom0, then by name), or NULL (this Dom0). Caller frees *ret.
 * Returns: 0, or < 0 with d (-EDOM: an unknown host, exit status 2; -ENOSPC: none has room).
 */
int prov_host_pick(struct inv *inv, const struct site *s, const char *want, unsigned vlan,
		   uint64_t mem_mib, struct diag *d, char **ret);

/*
 * A plan's guest of mem_mib placed on host: its memory is no longer free there, in inv (a
 * batch plan's private copy), so that the next guest goes where there is most left.
 */
int prov_host_reserve(struct inv *inv, const char *host, uint64_t mem_mib, struct diag *d);

/*
 * Run `provision ARGS...` on Dom0 host through the site's ssh command (SSH... HOST provision
 * --site SITE ARGS...), its output passed through (its stdout to our stderr with out_to_err).
 * Returns: its exit status (0..255), or < 0 with d when it could not be run or died of a signal.
 */
int prov_remote_run(const struct site *s, const char *host, char *const *args, bool out_to_err,
		    struct diag *d);
/* The same with its stdout read here, a line at a time, by on_line (c->userdata: userdata). */
struct run_child;
int prov_remote_lines(const struct site *s, const char *host, char *const *args,
		      void (*on_line)(struct run_child *c, const char *line), void *userdata,
		      struct diag *d);
/* The argv of that: the site's ssh command, host, provision --site SITE, args. */
int prov_remote_argv(const struct site *s, const char *host, char *const *args, char ***ret);
