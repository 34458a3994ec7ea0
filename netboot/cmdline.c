/* SPDX-License-Identifier: GPL-2.0-or-later */

/* The installer's kernel command line. Pure: no I/O. */

#include <errno.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "netboot/netboot.h"

static const char *const root_form_names[_NB_ROOT_FORM_MAX] = {
	[NB_ROOT_DRACUT] = "dracut",
	[NB_ROOT_KERNEL] = "kernel",
};

DEFINE_STRING_TABLE(nb_root_form, enum nb_root_form, root_form_names)

/* A kernel command line value: printable ASCII, no space, no quotes. */
static bool word_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '"' || *s == '\'')
			return false;
	return true;
}

static bool only_chars(const char *s, const char *extra_ok)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      (*s >= 'A' && *s <= 'Z') || strchr(extra_ok, *s)))
			return false;
	return true;
}

/* Check a value that must be one word; what names it. Returns true when valid. */
static bool check_word(struct diag *d, const char *what, const char *v)
{
	if (!v || !*v) {
		diag_error(d, NULL, "installer command line: %s is missing", what);
		return false;
	}
	if (!word_ok(v)) {
		diag_error(
			d, NULL,
			"installer command line: %s '%s' may only hold printable characters without spaces or quotes",
			what, v);
		return false;
	}
	return true;
}

static void check_network(const struct nb_install *p, struct diag *d)
{
	uint32_t mask = p->prefix >= 1 && p->prefix <= 32 ? ~0u << (32 - p->prefix) : 0;
	char a[16], b[16];

	if (!p->hostname || !hostname_label_valid(p->hostname))
		diag_error(
			d, NULL,
			"installer command line: invalid host name '%s': want 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'",
			p->hostname ? p->hostname : "");
	if (p->device && check_word(d, "device", p->device) &&
	    (strlen(p->device) > 15 || !only_chars(p->device, "_.-")))
		diag_error(d, NULL, "installer command line: invalid network device '%s'",
			   p->device);
	if (p->prefix < 1 || p->prefix > 32) {
		diag_error(d, NULL,
			   "installer command line: prefix length %u is out of range (1..32)",
			   p->prefix);
		return;
	}
	if (p->client == 0)
		diag_error(d, NULL, "installer command line: the client address is missing");
	else if (p->prefix <= 30 && ((p->client & ~mask) == 0 || (p->client & ~mask) == ~mask))
		diag_error(
			d, NULL,
			"installer command line: client address %s is the network or broadcast address of %s/%u",
			format_ipv4(p->client, a), format_ipv4(p->client & mask, b), p->prefix);
	if (p->gateway && ((p->gateway & mask) != (p->client & mask) || p->gateway == p->client))
		diag_error(d, NULL,
			   "installer command line: gateway %s is not another address in %s/%u",
			   format_ipv4(p->gateway, a), format_ipv4(p->client & mask, b), p->prefix);
	if (p->server == 0)
		diag_error(d, NULL, "installer command line: the server address is missing");
}

static void check_fai(const struct nb_install *p, struct diag *d)
{
	if (!nb_root_form_to_string(p->root_form))
		diag_error(d, NULL, "installer command line: invalid root form %d",
			   (int) p->root_form);
	if (check_word(d, "nfsroot", p->nfsroot) &&
	    (p->nfsroot[0] != '/' || strpbrk(p->nfsroot, ":,")))
		diag_error(
			d, NULL,
			"installer command line: nfsroot '%s' must be an absolute path without ':' or ','",
			p->nfsroot);
	if (p->nfs_options && check_word(d, "NFS options", p->nfs_options) &&
	    strchr(p->nfs_options, ':'))
		diag_error(d, NULL, "installer command line: NFS options '%s' may not contain ':'",
			   p->nfs_options);
	if (p->action && (!*p->action || !only_chars(p->action, "_-")))
		diag_error(d, NULL, "installer command line: invalid FAI action '%s'", p->action);
	for (size_t i = 0; p->flags && p->flags[i]; i++)
		if (!*p->flags[i] || !only_chars(p->flags[i], "_-"))
			diag_error(d, NULL, "installer command line: invalid FAI flag '%s'",
				   p->flags[i]);
	if (p->config_src)
		check_word(d, "FAI_CONFIG_SRC", p->config_src);
	if (p->legacy_location && check_word(d, "FAI_LOCATION", p->legacy_location)) {
		const char *colon = strchr(p->legacy_location, ':');

		if (!colon || colon == p->legacy_location || colon[1] != '/')
			diag_error(
				d, NULL,
				"installer command line: FAI_LOCATION '%s' must read SERVER:/PATH",
				p->legacy_location);
	}
	if (p->console)
		check_word(d, "console", p->console);
	if (p->extra)
		for (const char *s = p->extra; *s; s++)
			if ((*s < ' ' || *s >= 0x7f || *s == '"' || *s == '\'')) {
				diag_error(
					d, NULL,
					"installer command line: extra parameters may not contain quotes or control characters");
				break;
			}
}

static void put_flags(struct strbuf *sb, const char *key, char *const *flags)
{
	strbuf_addf(sb, " %s=", key);
	for (size_t i = 0; flags[i]; i++)
		strbuf_addf(sb, "%s%s", i ? "," : "", flags[i]);
}

int nb_cmdline_build(const struct nb_install *p, char **ret, struct diag *d)
{
	_cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
	unsigned before = d->n_errors;
	const char *opts = p->nfs_options ? p->nfs_options : "vers=3";
	char client[16], server[16], gw[16], mask[16];
	char *text;

	check_network(p, d);
	check_fai(p, d);
	if (d->n_errors > before)
		return -EINVAL;

	format_ipv4(p->client, client);
	format_ipv4(p->server, server);
	format_ipv4(~0u << (32 - p->prefix), mask);
	if (p->gateway)
		format_ipv4(p->gateway, gw);
	else
		gw[0] = '\0';

	if (p->console)
		strbuf_addf(&sb, " console=%s", p->console);
	if (p->net_ifnames0)
		strbuf_puts(&sb, " net.ifnames=0");
	if (p->root_form == NB_ROOT_DRACUT)
		/* rootovl: dracut's overlay-root puts a tmpfs over the read-only NFS root. */
		strbuf_addf(&sb, " root=nfs:%s:%s:%s rootovl", server, p->nfsroot, opts);
	else
		strbuf_addf(&sb, " root=/dev/nfs nfsroot=%s:%s,%s", server, p->nfsroot, opts);
	strbuf_addf(&sb, " ip=%s:%s:%s:%s:%s:%s:off", client,
		    p->root_form == NB_ROOT_KERNEL ? server : "", gw, mask, p->hostname,
		    p->device ? p->device : "eth0");
	strbuf_addf(&sb, " FAI_ACTION=%s", p->action ? p->action : "install");
	if (p->flags && p->flags[0])
		put_flags(&sb, "FAI_FLAGS", p->flags);
	if (p->config_src)
		strbuf_addf(&sb, " FAI_CONFIG_SRC=%s", p->config_src);
	if (p->legacy_location) {
		strbuf_addf(&sb, " FAI_LOCATION=%s", p->legacy_location);
		/* The 2007 FAI read its flags from FLAGS= (the seed's install config). */
		if (p->flags && p->flags[0])
			put_flags(&sb, "FLAGS", p->flags);
	}
	if (p->monserver)
		strbuf_addf(&sb, " monserver=%s", server);
	if (p->extra) {
		const char *s = p->extra;

		while (*s) {
			size_t n;

			s += strspn(s, " ");
			n = strcspn(s, " ");
			if (n) {
				strbuf_putc(&sb, ' ');
				strbuf_add(&sb, s, n);
			}
			s += n;
		}
	}

	text = strbuf_detach(&sb);
	if (!text)
		return -ENOMEM;
	memmove(text, text + 1, strlen(text)); /* drop the leading space */
	*ret = text;
	return 0;
}
