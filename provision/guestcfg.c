/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "netboot/netboot.h"
#include "templates/templates.h"
#include "guestcfg.h"

char *guest_cfg_path(const char *dir, const char *name, const char *kind)
{
	char *p;

	if (asprintf(&p, "%s/%s.%s.cfg", dir, name, kind) < 0)
		return NULL;
	return p;
}

int guest_cfg_leftovers_remove(const char *dir, const char *name, bool dry_run, FILE *out,
			       struct diag *d)
{
	static const char *const kinds[] = {"install", "boot"};

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		_cleanup_(freep) char *path = guest_cfg_path(dir, name, kinds[i]);
		_cleanup_(strv_freep) char **left = NULL;
		int r;

		if (!path)
			return -ENOMEM;
		r = write_file_atomic_leftovers(path, &left);
		if (r < 0)
			return diag_error_errno(d, NULL, r, "cannot read the directory of '%s'",
						path);
		for (char **l = left; *l; l++) {
			if (!dry_run && unlink(*l) < 0 && errno != ENOENT)
				return diag_error_errno(d, NULL, -errno, "cannot remove '%s'", *l);
			fprintf(out, "  %s leftover %s\n", dry_run ? "would remove" : "removed",
				*l);
		}
	}
	return 0;
}

static char *join_words(const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;

	if (a && *a)
		strbuf_puts(&sb, a);
	if (b && *b) {
		if (sb.len)
			strbuf_putc(&sb, ' ');
		strbuf_puts(&sb, b);
	}
	return strbuf_detach(&sb);
}

static int dup_or_null(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/*
 * What both configs share: name, memory, CPUs, the guest's disk and its vif; for HVM the
 * firmware, VNC and the emulated serial port. The CD image is the install's only (cdrom).
 */
static int common_part(const struct site_vlan *v, const struct tmpl_guest *t,
		       const struct guest_alloc *a, bool install, struct hv_domcfg *c)
{
	bool hvm = t->type == TMPL_GUEST_HVM;

	c->type = hvm ? HV_TYPE_HVM : HV_TYPE_PV;
	c->memory_mib = t->memory_mib;
	c->maxmem_mib = t->maxmem_mib;
	c->vcpus = t->vcpus;
	c->name = strdup(a->name);
	c->disks = calloc(2, sizeof(*c->disks));
	c->nics = calloc(1, sizeof(*c->nics));
	if (!c->name || !c->disks || !c->nics || dup_or_null(t->cpus, &c->cpus) < 0)
		return -ENOMEM;
	/*
	 * The partition is the guest's whole disk. PV: exported as the partition xvda1, so the
	 * guest's root is /dev/xvda1 as at the seed site; HVM: a whole emulated disk.
	 */
	c->disks[0] = (struct hv_disk){.target = strdup(a->disk_path),
				       .vdev = strdup(hvm ? "hda" : "xvda1"),
				       .writable = true};
	c->n_disks = 1;
	if (!c->disks[0].target || !c->disks[0].vdev)
		return -ENOMEM;
	if (hvm && install && t->hvm.cdrom) {
		c->disks[1] = (struct hv_disk){
			.target = strdup(t->hvm.cdrom), .vdev = strdup("hdc"), .cdrom = true};
		c->n_disks = 2;
		if (!c->disks[1].target || !c->disks[1].vdev)
			return -ENOMEM;
	}
	memcpy(c->nics[0].mac, a->mac, 6);
	c->nics[0].bridge = strdup(v->bridge);
	c->n_nics = 1;
	if (!c->nics[0].bridge)
		return -ENOMEM;
	if (hvm) {
		c->nics[0].ioemu = true;
		/* xm's "hvmloader" is what xl runs anyway: no firmware key means hvmloader */
		const char *fw = t->hvm.firmware && !streq(t->hvm.firmware, "hvmloader")
					 ? t->hvm.firmware
					 : NULL;

		/* provision captures the serial port (a CD installer's, the firmware's) and the
		 * PV console (hvc0: an HVM Linux's, FAI's, the ready marker) into one log */
		if (dup_or_null(t->hvm.nic_model, &c->nics[0].model) < 0 ||
		    dup_or_null(fw, &c->firmware) < 0 || dup_or_null("pty", &c->serial) < 0)
			return -ENOMEM;
		c->vnc = t->hvm.vnc;
	}
	c->on_poweroff = HV_ACTION_DESTROY;
	c->on_reboot = HV_ACTION_RESTART;
	c->on_crash = HV_ACTION_RESTART;
	return 0;
}

static int boot_part(const struct site *s, const struct tmpl_guest *t, struct hv_domcfg *c,
		     struct diag *d)
{
	const struct site_kernel *k;
	_cleanup_(freep) char *root = NULL;

	if (t->type == TMPL_GUEST_HVM)
		return dup_or_null("c", &c->boot); /* the firmware boots the installed disk */
	if (streq(t->kernel, TMPL_KERNEL_PVGRUB)) {
		/* PV-GRUB2 boots the kernel the guest's /boot/grub/grub.cfg names */
		c->kernel = strdup(s->pvgrub);
		return c->kernel ? 0 : -ENOMEM;
	}
	k = tmpl_site_kernel(s, t->kernel);
	if (!k)
		return diag_error(d, &t->loc,
				  "template '%s': kernel '%s' is not in the site's kernels",
				  t->name, t->kernel);
	if (asprintf(&root, "root=%s", t->root) < 0) {
		root = NULL;
		return -ENOMEM;
	}
	c->kernel = strdup(k->kernel);
	c->cmdline = join_words(root, t->extra);
	if (!c->kernel || !c->cmdline || dup_or_null(k->initrd, &c->ramdisk) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * The installer's own words beside FAI's: the classes provision adds for what the guest
 * boots (XENHVM: partitions its whole disk and installs grub-pc; PVGRUB: its own kernel and
 * grub.cfg), the template's classes, the swap file's size for XENHVM (a PV guest's swap file
 * is made by provision), and the template's install.extra. Caller frees; NULL on OOM.
 */
static char *install_extra(const struct tmpl_guest *t)
{
	struct strbuf sb = STRBUF_INIT;
	const char *sep = "PROVISION_CLASSES=";
	bool hvm = t->type == TMPL_GUEST_HVM;

	if (hvm) {
		strbuf_addf(&sb, "%sXENHVM", sep);
		sep = ",";
	} else if (streq(t->kernel, TMPL_KERNEL_PVGRUB)) {
		strbuf_addf(&sb, "%sPVGRUB", sep);
		sep = ",";
	}
	for (char **k = t->fai_classes; k && *k; k++) {
		strbuf_addf(&sb, "%s%s", sep, *k);
		sep = ",";
	}
	if (hvm)
		strbuf_addf(&sb, "%sPROVISION_SWAP_MIB=%llu", sb.len ? " " : "",
			    (unsigned long long) (t->swap_size >> 20));
	if (t->install_extra && *t->install_extra)
		strbuf_addf(&sb, "%s%s", sb.len ? " " : "", t->install_extra);
	return strbuf_detach(&sb);
}

static int install_part(const struct site *s, const struct site_vlan *v, const struct tmpl_guest *t,
			const struct guest_alloc *a, struct hv_domcfg *c, struct diag *d)
{
	struct nb_install nb = {0};
	_cleanup_(freep) char *extra = NULL;
	uint32_t server;
	int r;

	/* The end of the install (FAI halts or reboots) stops the domain; we take over then. */
	c->on_poweroff = HV_ACTION_DESTROY;
	c->on_reboot = HV_ACTION_DESTROY;
	c->on_crash = HV_ACTION_PRESERVE; /* keep a crashed installer for a look at its console */
	if (t->install_method == TMPL_INSTALL_CDROM) {
		/* the guest's own installer from its CD: its reboots belong to the install (a
		 * Windows setup reboots several times); it ends when the guest powers off */
		c->on_reboot = HV_ACTION_RESTART;
		return dup_or_null(t->hvm.boot ? t->hvm.boot : "dc", &c->boot);
	}

	if (!v->has_subnet || !a->ip)
		return diag_error(
			d, &v->loc,
			"VLAN %u has no subnet: cannot give the installer of '%s' an address",
			v->id, a->name);
	/* FAI classes for the config space's class script (hooks/fai), and the like */
	extra = install_extra(t);
	if (!extra)
		return -ENOMEM;
	if (!s->fai.server || parse_ipv4(s->fai.server, &server) < 0)
		return diag_error(d, NULL,
				  "site '%s': fai.server must be an IPv4 address to install '%s'",
				  s->path, a->name);
	nb = (struct nb_install){
		.client = a->ip,
		.prefix = v->prefix,
		.gateway = v->gateway,
		.hostname = a->name,
		.root_form = s->fai.legacy_location ? NB_ROOT_KERNEL : NB_ROOT_DRACUT,
		.server = server,
		.nfsroot = s->fai.nfsroot,
		.flags = s->fai.flags,
		.config_src = s->fai.config_src,
		.legacy_location = s->fai.legacy_location,
		.monserver = true,
		/* HVM too: Xen's PV console (an HVM guest's serial port traps per byte) */
		.console = "hvc0",
		.net_ifnames0 = true,
		.extra = extra,
	};
	r = nb_cmdline_build(&nb, &c->cmdline, d);
	if (r < 0)
		return r;
	/* the device model boots a bzImage (Linux's boot protocol); PV also an ELF vmlinux */
	c->kernel = strdup(t->type == TMPL_GUEST_HVM && s->fai.hvm_kernel ? s->fai.hvm_kernel
									  : s->fai.kernel);
	if (!c->kernel || dup_or_null(s->fai.initrd, &c->ramdisk) < 0)
		return -ENOMEM;
	return 0;
}

int guest_domcfgs(const struct site *s, const struct tmpl_guest *t, const struct guest_alloc *a,
		  struct hv_domcfg *ret_install, struct hv_domcfg *ret_boot, struct diag *d)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg inst = {0};
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg boot = {0};
	const struct site_vlan *v;
	int r;

	v = tmpl_site_vlan(s, a->vlan);
	if (!v)
		return diag_error(d, NULL, "VLAN %u is not in the site file '%s'", a->vlan,
				  s->path);
	r = common_part(v, t, a, true, &inst);
	if (r >= 0)
		r = common_part(v, t, a, false, &boot);
	if (r >= 0)
		r = boot_part(s, t, &boot, d);
	if (r >= 0)
		r = install_part(s, v, t, a, &inst, d);
	if (r < 0)
		return r;
	r = hv_domcfg_check(&inst, d);
	if (r >= 0)
		r = hv_domcfg_check(&boot, d);
	if (r < 0)
		return r;
	*ret_install = inst;
	*ret_boot = boot;
	inst = (struct hv_domcfg){0};
	boot = (struct hv_domcfg){0};
	return 0;
}
