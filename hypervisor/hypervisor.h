/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A Xen domain as provision means it, independent of libxl: what render writes as an xl
 * config file, converts to a libxl_domain_config (hypervisor/libxl.c, the only file that
 * includes <libxl.h>), and later hands to libxl_domain_create_new.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

enum hv_type {
	HV_TYPE_PV,
	HV_TYPE_HVM,
	_HV_TYPE_MAX,
	_HV_TYPE_INVALID = -22,
};

/* What to do when the guest powers off, reboots or crashes (xl's on_poweroff & co). */
enum hv_action {
	HV_ACTION_DESTROY,
	HV_ACTION_RESTART,
	HV_ACTION_PRESERVE,
	HV_ACTION_RENAME_RESTART,
	HV_ACTION_COREDUMP_DESTROY,
	HV_ACTION_COREDUMP_RESTART,
	HV_ACTION_SOFT_RESET,
	_HV_ACTION_MAX,
	_HV_ACTION_INVALID = -22,
};

struct hv_disk {
	char *target; /* "/dev/fc/fc-p1d1p13" or an image path */
	char *vdev;   /* "xvda1" (PV), "hda" (HVM) */
	bool writable;
	bool cdrom; /* HVM cdrom (read-only, devtype=cdrom) */
};

struct hv_nic {
	uint8_t mac[6];
	char *bridge;
	char *model; /* HVM emulated model ("rtl8139"), NULL for PV */
	bool ioemu;  /* HVM: type=ioemu (emulated NIC) */
};

struct hv_domcfg {
	char *name;
	enum hv_type type;
	uint64_t memory_mib;
	uint64_t maxmem_mib; /* 0: same as memory */
	unsigned vcpus;
	char *cpus; /* pinning list "0-3,6", or NULL */
	/* PV (and HVM direct kernel boot when set) */
	char *kernel;
	char *ramdisk; /* NULL: none */
	char *cmdline; /* whole kernel command line, "root=/dev/xvda1 ro console=hvc0" */
	/* HVM */
	char *firmware; /* NULL: default hvmloader */
	char *boot;	/* "dc" */
	bool vnc;
	struct hv_disk *disks;
	size_t n_disks;
	struct hv_nic *nics;
	size_t n_nics;
	enum hv_action on_poweroff, on_reboot, on_crash;
};

void hv_domcfg_release(struct hv_domcfg *c); /* frees members, leaves c zeroed; idempotent */
static inline void hv_domcfg_releasep(struct hv_domcfg *c)
{
	hv_domcfg_release(c);
}

const char *hv_type_to_string(enum hv_type t);
enum hv_type hv_type_from_string(const char *s);
const char *hv_action_to_string(enum hv_action a); /* xl spelling: "destroy", "rename-restart" */
enum hv_action hv_action_from_string(const char *s);

/* Limits enforced by hv_domcfg_check(). */
#define HV_CPUS_MAX	  4096 /* CPU numbers in a pinning list are below this */
#define HV_VCPUS_MAX	  512
#define HV_MEMORY_MAX_MIB (16ULL << 20) /* 16 TiB */
#define HV_CMDLINE_MAX	  1023 /* Xen's guest command line buffer is 1024 bytes with the NUL */

/*
 * Check that c describes a domain xl and libxl accept and that every string can be written
 * into an xl config file: name, memory, vcpus, the pinning list, PV kernel, absolute paths,
 * HVM-only settings only on HVM guests, disk vdevs and NIC bridges, the command line length.
 * Every problem is appended to d, naming the domain and the field.
 * Returns: 0 when valid, -EINVAL otherwise.
 */
int hv_domcfg_check(const struct hv_domcfg *c, struct diag *d);

/*
 * Render c as an xl config file in modern syntax (type = "pv", disk specs with
 * format/vdev/access/target, vif specs with mac/bridge[/type/model], on_* actions).
 * header_comment (may be NULL) is written first, each line prefixed with "# ".
 * c is checked with hv_domcfg_check() first, so nothing invalid or unrepresentable is written.
 * Strings are double-quoted; backslash, double quote and \a \b \f \n \r \t \v are escaped as
 * xl's parser decodes them; other control characters (xl's numeric escapes are broken in
 * 4.17) cannot be represented and are refused.
 * Returns: 0 and a NUL-terminated text in *ret (caller frees), -EINVAL with the reasons in d,
 * -ENOMEM.
 */
int hv_domcfg_to_xl(const struct hv_domcfg *c, const char *header_comment, char **ret,
		    struct diag *d);

/*
 * Build c as a libxl_domain_config (libxl's own types, hypervisor/libxl.c) and print it with
 * libxl_domain_config_to_json(). Needs no hypervisor. c is checked first.
 * Returns: 0 and the JSON text in *ret (caller frees), -EINVAL with reasons in d, -ENOMEM.
 */
int hv_domcfg_to_json(const struct hv_domcfg *c, char **ret, struct diag *d);
