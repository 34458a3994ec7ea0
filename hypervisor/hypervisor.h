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
	char *target;	/* "/dev/fc/fc-p1d1p13" or an image path */
	char *vdev;	/* "xvda1" (PV), "hda" (HVM) */
	bool writable;
	bool cdrom;	/* HVM cdrom (read-only, devtype=cdrom) */
};

struct hv_nic {
	uint8_t mac[6];
	char *bridge;
	char *model;	/* HVM emulated model ("rtl8139"), NULL for PV */
	bool ioemu;	/* HVM: type=ioemu (emulated NIC) */
};

struct hv_domcfg {
	char *name;
	enum hv_type type;
	uint64_t memory_mib;
	uint64_t maxmem_mib;	/* 0: same as memory */
	unsigned vcpus;
	char *cpus;	/* pinning list "0-3,6", or NULL */
	/* PV (and HVM direct kernel boot when set) */
	char *kernel;
	char *ramdisk;	/* NULL: none */
	char *cmdline;	/* whole kernel command line, "root=/dev/xvda1 ro console=hvc0" */
	/* HVM */
	char *firmware;	/* NULL: default hvmloader */
	char *boot;	/* "dc" */
	bool vnc;
	struct hv_disk *disks;
	size_t n_disks;
	struct hv_nic *nics;
	size_t n_nics;
	enum hv_action on_poweroff, on_reboot, on_crash;
};

void hv_domcfg_release(struct hv_domcfg *c); /* frees members, leaves c zeroed; idempotent */

const char *hv_type_to_string(enum hv_type t);
enum hv_type hv_type_from_string(const char *s);
const char *hv_action_to_string(enum hv_action a); /* xl spelling: "destroy", "rename-restart" */
enum hv_action hv_action_from_string(const char *s);
