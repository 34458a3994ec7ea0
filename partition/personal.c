/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What makes a clone of a golden image this guest, as edits of its files (pure: ext2-edit.c
 * carries them out). The files are the ones a guest's install writes, in the same form:
 * hooks/fai/scripts/XENGUEST/10-setup for /etc/hostname, /etc/hosts, /etc/network/interfaces
 * (ifupdown, static) and /etc/resolv.conf; hooks/fai/hooks/partition.XENGUEST for /etc/fstab.
 * What must differ between clones and is not theirs to choose is reset: the machine id
 * (empty: made on first boot) and the SSH host keys (image.c adds new ones).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "partition/partition-internal.h"

#define FSTAB_ROOT_OPTS "ext4 defaults,errors=remount-ro 0 1"
#define FSTAB_SWAP	"/swapfile none swap sw 0 0"

/* The first two whitespace-separated fields of line (len bytes), for matching. */
static void fstab_fields(const char *line, size_t len, char f[3][64])
{
	size_t i = 0;

	for (int k = 0; k < 3; k++) {
		size_t n = 0;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			if (n < 63)
				f[k][n++] = line[i];
			i++;
		}
		f[k][n] = 0;
	}
}

char *part__fstab_rewrite(const char *fstab, const char *fs_uuid, bool swap)
{
	struct strbuf out = STRBUF_INIT;
	bool have_root = false, have_swap = false;
	const char *p = fstab ? fstab : "";

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t) (nl - p) : strlen(p);
		char f[3][64];

		fstab_fields(p, len, f);
		if (f[0][0] != '#' && streq(f[1], "/")) {
			const char *rest = p;

			while (*rest == ' ' || *rest == '\t')
				rest++;
			while (rest < p + len && *rest != ' ' && *rest != '\t')
				rest++;

			/* the source is replaced; the rest of the line is kept as it was */
			strbuf_addf(&out, "UUID=%s%.*s\n", fs_uuid,
				    (int) (len - (size_t) (rest - p)), rest);
			have_root = true;
		} else if (f[0][0] != '#' && streq(f[0], "/swapfile") && streq(f[2], "swap")) {
			if (swap)
				strbuf_addf(&out, "%.*s\n", (int) len, p);
			have_swap = true;
		} else {
			strbuf_addf(&out, "%.*s\n", (int) len, p);
		}
		p += nl ? len + 1 : len;
	}
	if (!fstab || !*fstab)
		strbuf_puts(&out, "# <file system> <mount point> <type> <options> <dump> <pass>\n");
	if (!have_root)
		strbuf_addf(&out, "UUID=%s / " FSTAB_ROOT_OPTS "\n", fs_uuid);
	if (swap && !have_swap)
		strbuf_puts(&out, FSTAB_SWAP "\n");
	return strbuf_detach(&out);
}

static int add_text(struct part__edits *e, const char *path, const struct strbuf *sb, unsigned mode)
{
	return part__edits_add(e, PART__EDIT_WRITE, path, strbuf_str(sb), sb->len, mode);
}

static bool iface_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("-_.", *s)))
			return false;
	return true;
}

/* /etc/network/interfaces as 10-setup writes it: loopback, and a static address if any. */
static int interfaces(const struct part_personal *p, struct strbuf *sb, struct diag *d)
{
	const char *iface = p->iface ? p->iface : "eth0";
	uint32_t addr, gw;
	char mask[16];

	strbuf_puts(sb, "auto lo\niface lo inet loopback\n");
	if (!p->address)
		return 0;
	if (!iface_valid(iface))
		return diag_error(d, NULL, "invalid interface name '%s'", iface);
	if (parse_ipv4(p->address, &addr) < 0)
		return diag_error(d, NULL, "invalid IPv4 address '%s'", p->address);
	if (p->prefix < 1 || p->prefix > 32)
		return diag_error(d, NULL, "invalid prefix length %u for '%s'", p->prefix,
				  p->address);
	if (p->gateway && parse_ipv4(p->gateway, &gw) < 0)
		return diag_error(d, NULL, "invalid gateway '%s'", p->gateway);
	format_ipv4(p->prefix == 32 ? UINT32_MAX : ~(UINT32_MAX >> p->prefix), mask);
	strbuf_addf(sb, "\nauto %s\niface %s inet static\n\taddress %s\n\tnetmask %s\n", iface,
		    iface, p->address, mask);
	if (p->gateway)
		strbuf_addf(sb, "\tgateway %s\n", p->gateway);
	return 0;
}

static int resolv_conf(const struct part_personal *p, struct strbuf *sb, struct diag *d)
{
	for (const char *const *ns = p->nameservers; *ns; ns++) {
		uint32_t a;

		if (parse_ipv4(*ns, &a) < 0)
			return diag_error(d, NULL, "invalid name server '%s'", *ns);
		strbuf_addf(sb, "nameserver %s\n", *ns);
	}
	return 0;
}

int part__personal_edits(const struct part_personal *p, const char *guest, const char *fstab,
			 const char *fs_uuid, struct part__edits *e, struct diag *d)
{
	const char *host = p->hostname ? p->hostname : guest;
	struct strbuf sb = STRBUF_INIT;
	_cleanup_(freep) char *tab = NULL;
	int r;

	if (!host || !hostname_label_valid(host))
		return diag_error(d, NULL, "invalid host name '%s'", host ? host : "");
	strbuf_addf(&sb, "%s\n", host);
	r = add_text(e, "/etc/hostname", &sb, 0644);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n", host);
	if (r >= 0)
		r = add_text(e, "/etc/hosts", &sb, 0644);
	strbuf_reset(&sb);
	if (r >= 0)
		r = interfaces(p, &sb, d);
	if (r >= 0)
		r = add_text(e, "/etc/network/interfaces", &sb, 0644);
	strbuf_reset(&sb);
	if (r >= 0 && p->nameservers) {
		r = resolv_conf(p, &sb, d);
		if (r >= 0)
			r = add_text(e, "/etc/resolv.conf", &sb, 0644);
	}
	strbuf_release(&sb);
	if (r < 0)
		return r;
	tab = part__fstab_rewrite(fstab, fs_uuid, p->swap_size > 0);
	if (!tab)
		return -ENOMEM;
	r = part__edits_add(e, PART__EDIT_WRITE, "/etc/fstab", tab, strlen(tab), 0644);
	/* empty, not absent: systemd makes one at first boot and keeps it, dbus reads it */
	if (r >= 0)
		r = part__edits_add(e, PART__EDIT_WRITE, "/etc/machine-id", "", 0, 0444);
	if (r >= 0)
		r = part__edits_add(e, PART__EDIT_REMOVE, "/var/lib/dbus/machine-id", NULL, 0, 0);
	if (r >= 0)
		r = part__edits_add(e, PART__EDIT_REMOVE_PREFIX, "/etc/ssh", "ssh_host_", 9, 0);
	return r;
}
