/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Sample domains shared by test-hypervisor-xlcfg.c and the xl cross-check dumper
 * (tests/xlshim/dump-samples.c): the seed's boot and install pair from issue 2, the FAI 6
 * install the lab proved, an HVM guest as in the seed, and one with awkward strings.
 */

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "netboot/netboot.h"

#define SEED_MAC	 "00:16:3e:05:30:71"
#define SEED_KERNEL	 "/boot/xenu-linux-2.6.16.33-xenu"
#define SEED_KERNEL_INST "/boot/xenu-linux-2.6.16.33-xenuboot"

static inline uint32_t sample_ip(const char *s)
{
	uint32_t a = 0;

	if (parse_ipv4(s, &a) < 0)
		abort();
	return a;
}

static inline char *sample_dup(const char *s)
{
	char *r = s ? strdup(s) : NULL;

	if (s && !r)
		abort();
	return r;
}

static inline void sample_disk(struct hv_domcfg *c, const char *target, const char *vdev,
			       bool writable, bool cdrom)
{
	c->disks = realloc(c->disks, (c->n_disks + 1) * sizeof(*c->disks));
	if (!c->disks)
		abort();
	c->disks[c->n_disks++] =
		(struct hv_disk){sample_dup(target), sample_dup(vdev), writable, cdrom};
}

static inline void sample_nic(struct hv_domcfg *c, const char *mac, const char *bridge,
			      const char *model, bool ioemu)
{
	struct hv_nic n = {
		.bridge = sample_dup(bridge), .model = sample_dup(model), .ioemu = ioemu};

	if (parse_mac(mac, n.mac) < 0)
		abort();
	c->nics = realloc(c->nics, (c->n_nics + 1) * sizeof(*c->nics));
	if (!c->nics)
		abort();
	c->nics[c->n_nics++] = n;
}

/* The seed's boot config: kernel, memory 128, name xenik, vif, disk, root=/dev/xvda1 ro. */
static inline void sample_seed_boot(struct hv_domcfg *c)
{
	*c = (struct hv_domcfg){
		.name = sample_dup("xenik"),
		.type = HV_TYPE_PV,
		.memory_mib = 128,
		.vcpus = 1,
		.kernel = sample_dup(SEED_KERNEL),
		.cmdline = sample_dup("root=/dev/xvda1 ro"),
		.on_poweroff = HV_ACTION_DESTROY,
		.on_reboot = HV_ACTION_RESTART,
		.on_crash = HV_ACTION_DESTROY,
	};
	sample_disk(c, "/dev/fc/fc-p1d1p13", "xvda1", true, false);
	sample_nic(c, SEED_MAC, "br53", NULL, false);
}

static char *const seed_flags[] = {"verbose", "debug", "createvt", NULL};

/* The seed's install: kernel NFS root, its ip= string, FAI_LOCATION and FLAGS as in 2007. */
static inline struct nb_install sample_seed_install_params(void)
{
	return (struct nb_install){
		.client = sample_ip("147.228.53.71"),
		.prefix = 24,
		.gateway = sample_ip("147.228.53.1"),
		.hostname = "xenik",
		.root_form = NB_ROOT_KERNEL,
		.server = sample_ip("147.228.53.154"),
		.nfsroot = "/srv/fai/nfsroot",
		.flags = seed_flags,
		.config_src = "nfs://147.228.53.154/srv/fai/config",
		.legacy_location = "147.228.53.154:/usr/local/share/fai.dev",
	};
}

static inline int sample_seed_install(struct hv_domcfg *c, struct diag *d)
{
	struct nb_install p = sample_seed_install_params();
	int r;

	sample_seed_boot(c);
	free(c->kernel);
	c->kernel = sample_dup(SEED_KERNEL_INST);
	free(c->cmdline);
	c->cmdline = NULL;
	c->on_reboot = HV_ACTION_DESTROY; /* the end of the install stops the domain */
	r = nb_cmdline_build(&p, &c->cmdline, d);
	return r;
}

static char *const lab_flags[] = {"verbose", "createvt", "halt", NULL};

/* FAI 6 as proven in the lab: dracut NFS root + rootovl, initrd, console, monserver. */
static inline int sample_fai6_install(struct hv_domcfg *c, struct diag *d)
{
	struct nb_install p = {
		.client = sample_ip("10.53.0.2"),
		.prefix = 24,
		.gateway = sample_ip("10.53.0.1"),
		.hostname = "guest53",
		.root_form = NB_ROOT_DRACUT,
		.server = sample_ip("10.53.0.1"),
		.nfsroot = "/srv/fai/nfsroot",
		.flags = lab_flags,
		.config_src = "nfs://10.53.0.1/srv/fai/config",
		.monserver = true,
		.console = "hvc0",
		.net_ifnames0 = true,
	};

	*c = (struct hv_domcfg){
		.name = sample_dup("guest53"),
		.type = HV_TYPE_PV,
		.memory_mib = 1024,
		.maxmem_mib = 1536, /* PV pinning and maxmem, which the seed pair lacks */
		.vcpus = 2,
		.cpus = sample_dup("1,3"),
		.kernel = sample_dup("/srv/fai/boot/vmlinux"),
		.ramdisk = sample_dup("/srv/fai/boot/initrd.img-6.1.0-56-amd64"),
		.on_poweroff = HV_ACTION_DESTROY,
		.on_reboot = HV_ACTION_DESTROY,
		.on_crash = HV_ACTION_DESTROY,
	};
	sample_disk(c, "/dev/vdb1", "xvda1", true, false);
	sample_nic(c, SEED_MAC, "br53", NULL, false);
	return nb_cmdline_build(&p, &c->cmdline, d);
}

/* HVM as in the seed: hvmloader, boot "dc", an emulated NIC, a cdrom; pinning, maxmem. */
static inline void sample_hvm(struct hv_domcfg *c)
{
	*c = (struct hv_domcfg){
		.name = sample_dup("winhvm"),
		.type = HV_TYPE_HVM,
		.memory_mib = 512,
		.maxmem_mib = 1024,
		.vcpus = 2,
		.cpus = sample_dup("0-1,3"),
		.firmware = sample_dup("/usr/lib/xen-4.17/boot/hvmloader"),
		.boot = sample_dup("dc"),
		.serial = sample_dup("pty"),
		.vnc = true,
		.on_poweroff = HV_ACTION_PRESERVE,
		.on_reboot = HV_ACTION_RENAME_RESTART,
		.on_crash = HV_ACTION_COREDUMP_RESTART,
	};
	sample_disk(c, "/dev/fc/fc-p1d1p14", "hda", true, false);
	sample_disk(c, "/srv/iso/debian-12.iso", "hdc", false, true);
	sample_nic(c, "00:16:3e:05:30:72", "br53", "rtl8139", true);
}

/* Strings that need escaping, a read-only second disk, two NICs, uefi, many vcpus. */
static inline void sample_awkward(struct hv_domcfg *c)
{
	*c = (struct hv_domcfg){
		.name = sample_dup("odd.guest_1"),
		.type = HV_TYPE_HVM,
		.memory_mib = 2048,
		.vcpus = 4,
		.cpus = sample_dup("2-5"),
		.kernel = sample_dup("/srv/boot/my kernel\\v2"),
		.cmdline = sample_dup("root=/dev/xvda1 ro init=\"/bin/sh -c 'echo hi'\" x=a\\b"),
		.firmware = sample_dup("uefi"),
		.boot = sample_dup("c"),
		.on_poweroff = HV_ACTION_DESTROY,
		.on_reboot = HV_ACTION_SOFT_RESET,
		.on_crash = HV_ACTION_COREDUMP_DESTROY,
	};
	sample_disk(c, "/srv/images/with space, comma=1.img", "xvda", true, false);
	sample_disk(c, "/srv/images/\"quoted\"\\back.img", "xvdb", false, false);
	sample_nic(c, "00:16:3e:00:00:01", "br1", NULL, false);
	sample_nic(c, "00:16:3e:00:00:02", "br53.x", "e1000", true);
}
