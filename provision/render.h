/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Rendering a guest's configs, shared by `render` (a preview) and the pipeline's configs
 * stage (the real thing).
 */

#include <stdbool.h>
#include <stdio.h>

#include "common/diag.h"
#include "hypervisor/hypervisor.h"
#include "cmds.h"
#include "guestcfg.h"

struct tmpl_guest;

/*
 * The options that choose and shape a guest, shared by render and new-guest (the keys that
 * prov_guest_template() applies, and --ip/--mac for the allocation).
 */
#define GUEST_OPTIONS                                                                              \
	{"template", 't', "NAME|FILE", "the template (required)"},                                 \
		{"vlan", 0, "N", "the VLAN of the guest's vif (default: the template's)"},         \
		{"memory", 0, "SIZE", "override the template's memory (512M, 2G)"},                \
		{"vcpus", 0, "N", "override the template's vcpus"},                                \
		{"disk", 0, "SIZE", "override the template's disk size"},                          \
		{"swap", 0, "SIZE", "override the template's swap file size"},                     \
		{"ip", 0, "ADDR", "this IPv4 address instead of the first free one"},              \
	{                                                                                          \
		"mac", 0, "MAC", "this MAC address instead of the one drawn from the name"         \
	}

struct guest_render {
	char *name;
	char *template_name;
	unsigned vlan;
	uint32_t ip;
	uint8_t mac[6];
	char *disk_path;
	bool placeholder_disk; /* no partition yet: the disk is GUEST_DISK_PLACEHOLDER */
	struct hv_domcfg install, boot;
	char *install_text, *boot_text; /* xl config files */
};

void guest_render_release(struct guest_render *gr);

/*
 * The guest's template: the request's template or --template (a name or a file), then the
 * request's parameters, then the command line's overrides (--vlan, --memory, --vcpus,
 * --disk, --swap), checked against the site. req may be NULL. name is valid (checked where
 * it came in: the dispatcher, the request or batch file); it names the guest in messages.
 * Returns: 0, or < 0 with the reasons in ctx->diag: -EDOM for bad input (an unknown or
 * invalid template, a bad override, no VLAN: exit status 2), else a failure to read.
 */
struct pipeline_opts;
struct tmpl_request;
int prov_guest_template(struct prov_ctx *ctx, const char *name, const struct pipeline_opts *o,
			const struct tmpl_request *req, struct tmpl_guest **ret);

/* Build both configs and their xl texts for what was allocated. */
int guest_render_build(const struct site *s, const struct tmpl_guest *t,
		       const struct guest_alloc *a, struct guest_render *ret, struct diag *d);

/*
 * Render a preview: a guest in the inventory with what it holds, a new one with what the
 * allocator would pick now (a scratch copy of the inventory: nothing is kept), --ip, --mac
 * and --disk-path overriding.
 */
int guest_render_preview(struct prov_ctx *ctx, const char *name, const struct tmpl_guest *t,
			 const struct pipeline_opts *o, struct guest_render *ret);

/*
 * Write NAME.install.cfg and NAME.boot.cfg into dir (NULL: the site's config_dir), each
 * atomically. An existing file with the same content is left alone; one with other content
 * is refused (-EEXIST, nothing written) unless force. dry_run: say what would be written.
 * What was done goes to out, a line per file. Returns: 0, or < 0 with the reason in d.
 */
int guest_render_write(const struct guest_render *gr, const struct site *s, const char *dir,
		       bool force, bool dry_run, FILE *out, struct diag *d);

/*
 * Print both xl configs to f, each after a comment line naming the file new-guest would
 * write in config_dir: "# ==> DIR/NAME.install.cfg (a preview: new-guest writes it) <==".
 */
void guest_render_print(const struct guest_render *gr, const char *config_dir, FILE *f);

/*
 * The --json members (prov_json()): "name", ..., "install" and "boot" (libxl domain configs,
 * libxl's own JSON). Returns: 0, or < 0 with the reason in ctx->diag.
 */
int guest_render_print_json(const struct guest_render *gr, struct prov_ctx *ctx);
