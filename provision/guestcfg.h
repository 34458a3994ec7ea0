/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A guest's two domain configs, built from the site, its template and what was allocated
 * for it. This is where the modules meet: templates/ gives the wanted guest, netboot/ the
 * installer's command line, hypervisor/ the neutral struct both configs are written from.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/diag.h"
#include "hypervisor/hypervisor.h"

struct site;
struct tmpl_guest;

/* What the allocator gave the guest (or would give it: render previews). */
struct guest_alloc {
	const char *name;
	unsigned vlan;
	uint32_t ip; /* host byte order; 0: none (a native VLAN without subnet) */
	uint8_t mac[6];
	const char *disk_path; /* the partition's device path */
};

/* The placeholder render shows before a partition is allocated; never a real device. */
#define GUEST_DISK_PLACEHOLDER "/dev/provision/UNALLOCATED"

/*
 * Build the install config (installer kernel + NFS root + FAI parameters, on_reboot destroy,
 * so that the end of the install stops the domain) and the boot config (production kernel,
 * root on the guest's partition). Both carry the same name, memory, disk and vif, so each
 * works on its own with `xl create`.
 * Returns: 0, or -EINVAL with every problem in d. On error nothing is returned.
 */
int guest_domcfgs(const struct site *s, const struct tmpl_guest *t, const struct guest_alloc *a,
		  struct hv_domcfg *ret_install, struct hv_domcfg *ret_boot, struct diag *d);

/* DIR/NAME.KIND.cfg ("/etc/xen/provision/web1.install.cfg"). Caller frees; NULL on OOM. */
char *guest_cfg_path(const char *dir, const char *name, const char *kind);

/*
 * Remove what a killed write of guest name's two configs left in dir: the temporary files of
 * write_file_atomic() for NAME.install.cfg and NAME.boot.cfg (NAME.boot.cfg.tmp.XXXXXX),
 * nothing else. The configs stage runs it before writing, destroy with the configs. Only
 * under the guest's lock: no other run of this guest is writing them. A line per file on
 * out ("would remove" when dry_run, which removes nothing).
 * Returns: 0, or < 0 with the reason in d.
 */
int guest_cfg_leftovers_remove(const char *dir, const char *name, bool dry_run, FILE *out,
			       struct diag *d);
