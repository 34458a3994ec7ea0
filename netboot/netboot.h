/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Network installs: the installer's kernel command line (netboot/cmdline.c, pure).
 *
 * Two root forms:
 *  - NB_ROOT_DRACUT, FAI 6 (what fai-chboot -i writes, proven in the lab):
 *      root=nfs:SERVER:/srv/fai/nfsroot:vers=3 rootovl ip=CLIENT::GW:MASK:HOST:eth0:off
 *    dracut reads the second ip= field as a point-to-point *peer*, so it stays empty here.
 *  - NB_ROOT_KERNEL, the kernel's own NFS root (the 2007 seed's form):
 *      root=/dev/nfs nfsroot=SERVER:/path,vers=3 ip=CLIENT:SERVER:GW:MASK:HOST:eth0:off
 *    the kernel's ipconfig reads the second field as the boot/NFS server.
 * Then the FAI parameters: FAI_ACTION, FAI_FLAGS, FAI_CONFIG_SRC, and when a legacy location
 * is given the 2007 FAI form FAI_LOCATION=server:/path FLAGS=... as well.
 */

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"

enum nb_root_form {
	NB_ROOT_DRACUT,
	NB_ROOT_KERNEL,
	_NB_ROOT_FORM_MAX,
	_NB_ROOT_FORM_INVALID = -22,
};

/* Everything the installer command line says. Strings are borrowed. */
struct nb_install {
	/* network: ip= */
	uint32_t client;      /* the guest's address, host byte order */
	unsigned prefix;      /* its subnet's prefix length, 1..32: the netmask field */
	uint32_t gateway;     /* 0: none */
	const char *hostname; /* RFC 1123 label; FAI's $HOSTNAME and class */
	const char *device;   /* NULL: "eth0" */
	/* root */
	enum nb_root_form root_form;
	uint32_t server;	 /* the FAI/NFS server, host byte order */
	const char *nfsroot;	 /* "/srv/fai/nfsroot" */
	const char *nfs_options; /* NULL: "vers=3" */
	/* FAI */
	const char *action;	/* NULL: "install" */
	char *const *flags;	/* FAI_FLAGS, NULL-terminated; NULL or empty: omitted */
	const char *config_src; /* FAI_CONFIG_SRC ("nfs://server/srv/fai/config"); NULL: omitted */
	const char *legacy_location; /* "server:/path": also FAI_LOCATION= and FLAGS= (2007) */
	bool monserver; /* add monserver=SERVER (where FAI sends its monitor messages) */
	/* kernel */
	const char *console; /* NULL: none; "hvc0" gives console=hvc0 first */
	bool net_ifnames0;   /* add net.ifnames=0 so that the vif is named eth0 */
	const char *extra;   /* appended as is: words separated by spaces, no quotes; may be NULL */
};

const char *nb_root_form_to_string(enum nb_root_form f); /* "dracut", "kernel" */
enum nb_root_form nb_root_form_from_string(const char *s);

/*
 * Build the installer kernel command line, one line, words separated by single spaces, in
 * this order: console, net.ifnames, root (and rootovl or nfsroot), ip, FAI_ACTION, FAI_FLAGS,
 * FAI_CONFIG_SRC, FAI_LOCATION, FLAGS, monserver, extra.
 * Checks: host name label, client address not the subnet's network or broadcast address,
 * gateway inside the subnet, absolute nfsroot without ':' ',' or white space, flags as plain
 * words, legacy location "host:/path", no white space or quotes in any value.
 * Returns: 0 and a new string in *ret (caller frees), -EINVAL with every problem in d,
 * -ENOMEM.
 */
int nb_cmdline_build(const struct nb_install *p, char **ret, struct diag *d);
