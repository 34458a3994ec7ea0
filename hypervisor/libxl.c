/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The libxl edge, part one: hv_domcfg -> libxl_domain_config, and its JSON. The lifecycle
 * (context, create, wait, destroy) is libxl-run.c; only these two files include <libxl.h>.
 * libxl's ERROR_* codes are translated to -errno in them and never leave them.
 *
 * Without a hypervisor there is no libxl_ctx (libxl_ctx_alloc fails: "cannot open libxc
 * handle"), so everything here must work with ctx NULL. Measured with libxl 4.17:
 *   works:    libxl_domain_config_init/_dispose, libxl_domain_build_info_init_type,
 *             libxl_device_disk_init, libxl_device_nic_init, libxl_bitmap_init/_dispose,
 *             libxl_bios_type_from_string, libxl_defbool_set,
 *             libxl_domain_config_to_json(NULL, ...)
 *   crashes:  libxl_bitmap_alloc(NULL, ...) (SIGSEGV inside its gc), hence also
 *             libxl_cpu_bitmap_alloc; libxl_domain_config_from_json and _copy.
 * libxl_bitmap is a public struct { size in bytes, malloc'ed map } that
 * libxl_bitmap_dispose() frees with free(), so bitmaps are allocated here with calloc().
 * FIXME: the pinning bitmaps are sized to the highest CPU listed, not to the host's CPU
 * count (libxl_get_max_cpus needs a ctx); libxl accepts that for creation, but a caller
 * holding a real ctx may want to re-size them.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>

#include "common/macro.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/libxl-internal.h"

int hv__xlrc_to_errno(int xlrc)
{
	switch (xlrc) {
	case 0:
		return 0;
	case ERROR_NOMEM:
		return -ENOMEM;
	case ERROR_INVAL:
		return -EINVAL;
	case ERROR_NI:
		return -EOPNOTSUPP;
	case ERROR_NOTFOUND:
	case ERROR_DOMAIN_NOTFOUND:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static int bitmap_alloc(libxl_bitmap *b, unsigned nbits)
{
	unsigned bytes = (nbits + 7) / 8;

	b->map = calloc(bytes ? bytes : 1, 1);
	if (!b->map)
		return -ENOMEM;
	b->size = bytes ? bytes : 1;
	return 0;
}

static void bitmap_set(libxl_bitmap *b, unsigned bit)
{
	b->map[bit / 8] |= (uint8_t) (1u << (bit % 8));
}

static const libxl_action_on_shutdown action_map[_HV_ACTION_MAX] = {
	[HV_ACTION_DESTROY] = LIBXL_ACTION_ON_SHUTDOWN_DESTROY,
	[HV_ACTION_RESTART] = LIBXL_ACTION_ON_SHUTDOWN_RESTART,
	[HV_ACTION_PRESERVE] = LIBXL_ACTION_ON_SHUTDOWN_PRESERVE,
	[HV_ACTION_RENAME_RESTART] = LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME,
	[HV_ACTION_COREDUMP_DESTROY] = LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY,
	[HV_ACTION_COREDUMP_RESTART] = LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART,
	[HV_ACTION_SOFT_RESET] = LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET,
};

/* strdup that accepts NULL; sets *oom on failure. */
static char *dup_str(const char *s, bool *oom)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		*oom = true;
	return r;
}

/* vcpus online from the start, and the same hard affinity for each, as xl does for "cpus". */
static int build_vcpus(const struct hv_domcfg *c, libxl_domain_build_info *b)
{
	struct hv__cpuset set;
	int r;

	b->max_vcpus = (int) c->vcpus;
	r = bitmap_alloc(&b->avail_vcpus, c->vcpus);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < c->vcpus; i++)
		bitmap_set(&b->avail_vcpus, i);

	if (!c->cpus)
		return 0;
	r = hv__cpuset_parse(c->cpus, &set);
	if (r < 0)
		return r;
	b->vcpu_hard_affinity = calloc(c->vcpus, sizeof(libxl_bitmap));
	if (!b->vcpu_hard_affinity)
		return -ENOMEM;
	b->num_vcpu_hard_affinity = (int) c->vcpus; /* dispose frees these from now on */
	for (unsigned v = 0; v < c->vcpus; v++) {
		libxl_bitmap *m = &b->vcpu_hard_affinity[v];

		libxl_bitmap_init(m);
		r = bitmap_alloc(m, set.max);
		if (r < 0)
			return r;
		for (unsigned cpu = 0; cpu < set.max; cpu++)
			if (hv__cpuset_test(&set, cpu))
				bitmap_set(m, cpu);
	}
	return 0;
}

static int build_hvm(const struct hv_domcfg *c, libxl_domain_build_info *b, bool *oom,
		     struct diag *d)
{
	if (c->firmware) {
		/* xl's "firmware" key: "bios" keeps the default, "uefi" is OVMF, the other
		 * names are libxl BIOS types, anything else is a firmware path. */
		if (streq(c->firmware, "uefi"))
			b->u.hvm.bios = LIBXL_BIOS_TYPE_OVMF;
		else if (c->firmware[0] == '/')
			b->u.hvm.firmware = dup_str(c->firmware, oom);
		else if (!streq(c->firmware, "bios")) {
			int xlrc = libxl_bios_type_from_string(c->firmware, &b->u.hvm.bios);

			if (xlrc)
				return diag_error_errno(d, NULL, hv__xlrc_to_errno(xlrc),
							"domain '%s': libxl rejects firmware '%s'",
							c->name, c->firmware);
		}
	}
	b->u.hvm.boot = dup_str(c->boot, oom);
	/* xl's serial="pty": qemu's first serial port, which libxl then calls the primary
	 * console (libxl_primary_console_get_tty gives its pty) */
	b->u.hvm.serial = dup_str(c->serial, oom);
	libxl_defbool_set(&b->u.hvm.vnc.enable, c->vnc);
	return 0;
}

int hv__libxl_config_build(const struct hv_domcfg *c, libxl_domain_config *dc, struct diag *d)
{
	libxl_domain_type type =
		c->type == HV_TYPE_HVM ? LIBXL_DOMAIN_TYPE_HVM : LIBXL_DOMAIN_TYPE_PV;
	libxl_domain_build_info *b = &dc->b_info;
	bool oom = false;
	int r;

	dc->c_info.type = type;
	dc->c_info.name = dup_str(c->name, &oom);
	libxl_domain_build_info_init_type(b, type);

	b->target_memkb = c->memory_mib * 1024;
	b->max_memkb = (c->maxmem_mib ? c->maxmem_mib : c->memory_mib) * 1024;
	r = build_vcpus(c, b);
	if (r < 0)
		return r;
	/* Top-level in libxl 4.17 for PV and HVM direct kernel boot (LIBXL_HAVE_BUILDINFO_KERNEL).
	 */
	b->kernel = dup_str(c->kernel, &oom);
	b->ramdisk = dup_str(c->ramdisk, &oom);
	b->cmdline = dup_str(c->cmdline, &oom);
	if (type == LIBXL_DOMAIN_TYPE_HVM) {
		r = build_hvm(c, b, &oom, d);
		if (r < 0)
			return r;
	}

	if (c->n_disks) {
		dc->disks = calloc(c->n_disks, sizeof(*dc->disks));
		if (!dc->disks)
			return -ENOMEM;
		dc->num_disks = (int) c->n_disks;
	}
	for (size_t i = 0; i < c->n_disks; i++) {
		libxl_device_disk *k = &dc->disks[i];

		libxl_device_disk_init(k);
		k->pdev_path = dup_str(c->disks[i].target, &oom);
		k->vdev = dup_str(c->disks[i].vdev, &oom);
		k->format = LIBXL_DISK_FORMAT_RAW;
		k->readwrite = c->disks[i].writable;
		k->is_cdrom = c->disks[i].cdrom;
		k->removable = c->disks[i].cdrom; /* as xlu_disk_parse sets it for devtype=cdrom */
	}

	if (c->n_nics) {
		dc->nics = calloc(c->n_nics, sizeof(*dc->nics));
		if (!dc->nics)
			return -ENOMEM;
		dc->num_nics = (int) c->n_nics;
	}
	for (size_t i = 0; i < c->n_nics; i++) {
		libxl_device_nic *n = &dc->nics[i];

		libxl_device_nic_init(n);
		n->devid = (libxl_devid) i; /* xl numbers vifs in order */
		memcpy(n->mac, c->nics[i].mac, sizeof(n->mac));
		n->bridge = dup_str(c->nics[i].bridge, &oom);
		n->model = dup_str(c->nics[i].model, &oom);
		if (c->nics[i].ioemu)
			n->nictype = LIBXL_NIC_TYPE_VIF_IOEMU;
	}

	dc->on_poweroff = action_map[c->on_poweroff];
	dc->on_reboot = action_map[c->on_reboot];
	dc->on_crash = action_map[c->on_crash];
	/* xl's defaults for the actions hv_domcfg does not carry. */
	dc->on_watchdog = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	dc->on_soft_reset = LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET;
	return oom ? -ENOMEM : 0;
}

static void domain_config_disposep(libxl_domain_config **dc)
{
	if (*dc)
		libxl_domain_config_dispose(*dc);
}

int hv_domcfg_to_json(const struct hv_domcfg *c, char **ret, struct diag *d)
{
	libxl_domain_config config;
	_cleanup_(domain_config_disposep) libxl_domain_config *dc = NULL;
	char *json;
	int r;

	r = hv_domcfg_check(c, d);
	if (r < 0)
		return r;
	libxl_domain_config_init(&config);
	dc = &config;
	r = hv__libxl_config_build(c, dc, d);
	if (r == -ENOMEM)
		return diag_error_errno(d, NULL, r, "cannot build libxl config for domain '%s'",
					c->name);
	if (r < 0)
		return r;
	json = libxl_domain_config_to_json(NULL, dc);
	if (!json)
		return diag_error(d, NULL, "libxl cannot print the config of domain '%s' as JSON",
				  c->name);
	*ret = json;
	return 0;
}
