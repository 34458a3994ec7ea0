/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The neutral domain config: lifecycle, names, checks and the xl config file writer.
 * Pure: no libxl here (hypervisor/libxl.c builds the libxl types from the same struct).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor-internal.h"
#include "hypervisor/hypervisor.h"

void hv_domcfg_release(struct hv_domcfg *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->cpus);
	free(c->kernel);
	free(c->ramdisk);
	free(c->cmdline);
	free(c->firmware);
	free(c->boot);
	free(c->serial);
	for (size_t i = 0; i < c->n_disks; i++) {
		free(c->disks[i].target);
		free(c->disks[i].vdev);
	}
	free(c->disks);
	for (size_t i = 0; i < c->n_nics; i++) {
		free(c->nics[i].bridge);
		free(c->nics[i].model);
	}
	free(c->nics);
	*c = (struct hv_domcfg){0};
}

static const char *const type_names[_HV_TYPE_MAX] = {
	[HV_TYPE_PV] = "pv",
	[HV_TYPE_HVM] = "hvm",
};

/* xl's spellings (parse_action_on_shutdown() in xl_parse.c). */
static const char *const action_names[_HV_ACTION_MAX] = {
	[HV_ACTION_DESTROY] = "destroy",
	[HV_ACTION_RESTART] = "restart",
	[HV_ACTION_PRESERVE] = "preserve",
	[HV_ACTION_RENAME_RESTART] = "rename-restart",
	[HV_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
	[HV_ACTION_COREDUMP_RESTART] = "coredump-restart",
	[HV_ACTION_SOFT_RESET] = "soft-reset",
};

DEFINE_STRING_TABLE(hv_type, enum hv_type, type_names)

DEFINE_STRING_TABLE(hv_action, enum hv_action, action_names)

static int parse_cpu(const char **p, unsigned *ret)
{
	unsigned v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned) (*s - '0');
		if (v >= HV_CPUS_MAX)
			return -EINVAL;
	}
	*p = s;
	*ret = v;
	return 0;
}

int hv__cpuset_parse(const char *s, struct hv__cpuset *ret)
{
	struct hv__cpuset set = {0};

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned lo, hi;

		if (parse_cpu(&s, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*s == '-') {
			s++;
			if (parse_cpu(&s, &hi) < 0 || hi < lo)
				return -EINVAL;
		}
		for (unsigned cpu = lo; cpu <= hi; cpu++)
			set.bits[cpu / 64] |= 1ULL << (cpu % 64);
		if (hi + 1 > set.max)
			set.max = hi + 1;
		if (*s == '\0')
			break;
		if (*s != ',')
			return -EINVAL;
		s++;
	}
	*ret = set;
	return 0;
}

/*
 * xl's config lexer decodes \\ \" \' \a \b \f \n \r \t \v inside quoted strings; its numeric
 * escapes (\x.., \ooo) are unreliable in 4.17 (the octal one reads decimal), so every other
 * control character is refused rather than written.
 */
static const char *xl_unrepresentable(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char) *s;

		if ((ch < 0x20 && !strchr("\a\b\f\n\r\t\v", ch)) || ch == 0x7f)
			return s;
	}
	return NULL;
}

static void xl_quote(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (; *s; s++) {
		const char *esc = NULL;

		switch (*s) {
		case '\\':
			esc = "\\\\";
			break;
		case '"':
			esc = "\\\"";
			break;
		case '\a':
			esc = "\\a";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\v':
			esc = "\\v";
			break;
		}
		if (esc)
			strbuf_puts(sb, esc);
		else
			strbuf_putc(sb, *s);
	}
	strbuf_putc(sb, '"');
}

enum {
	STR_REQUIRED = 1 << 0, /* must be set and non-empty */
	STR_ABSPATH = 1 << 1,  /* must start with '/' */
	STR_WORD = 1 << 2,     /* no whitespace or control characters at all */
	STR_SPECVAL = 1 << 3,  /* a value inside a disk/vif spec: also no ',', '=', quotes */
};

/* Check one string field; what names it ("kernel", "disk 2 vdev"). Returns true if valid. */
static bool check_str(struct diag *d, const char *dom, const char *what, const char *v,
		      unsigned flags)
{
	const char *bad;

	if (!v || !*v) {
		if (flags & STR_REQUIRED) {
			diag_error(d, NULL, "domain '%s': %s is missing", dom, what);
			return false;
		}
		return true;
	}
	bad = xl_unrepresentable(v);
	if (bad) {
		diag_error(
			d, NULL,
			"domain '%s': %s contains byte 0x%02x, which an xl config file cannot hold",
			dom, what, (unsigned char) *bad);
		return false;
	}
	if ((flags & STR_ABSPATH) && v[0] != '/') {
		diag_error(d, NULL, "domain '%s': %s '%s' is not an absolute path", dom, what, v);
		return false;
	}
	if ((flags & (STR_WORD | STR_SPECVAL)) && strpbrk(v, " \t\n\r\v\f\a\b")) {
		diag_error(d, NULL, "domain '%s': %s '%s' may not contain white space", dom, what,
			   v);
		return false;
	}
	if ((flags & STR_SPECVAL) && strpbrk(v, ",=\"'\\")) {
		diag_error(d, NULL, "domain '%s': %s '%s' may not contain ',', '=', quotes or '\\'",
			   dom, what, v);
		return false;
	}
	return true;
}

static bool name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.';
}

bool hv__name_valid(const char *n)
{
	if (!n || !*n || strlen(n) > HV__NAME_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (!name_char_ok(*p))
			return false;
	return true;
}

static void check_name(const struct hv_domcfg *c, struct diag *d)
{
	const char *n = c->name;

	if (!n || !*n) {
		diag_error(d, NULL, "domain name is missing");
		return;
	}
	for (const char *p = n; *p; p++)
		if (!name_char_ok(*p)) {
			diag_error(
				d, NULL,
				"invalid domain name '%s': use letters, digits, '-', '_' and '.'",
				xl_unrepresentable(n) ? "(unprintable)" : n);
			return;
		}
	if (strlen(n) > HV__NAME_MAX)
		diag_error(d, NULL, "domain name '%s' is longer than %d characters", n,
			   HV__NAME_MAX);
}

static const char *const firmware_keywords[] = {"bios", "uefi", "seabios", "rombios", "ovmf", NULL};

static void check_hvm(const struct hv_domcfg *c, const char *dom, struct diag *d)
{
	if (c->type == HV_TYPE_HVM && c->kernel) {
		const char *base = strrchr(c->kernel, '/');

		/* xl drops such a kernel with a warning and boots the default firmware. */
		if (streq(base ? base + 1 : c->kernel, "hvmloader"))
			diag_error(d, NULL,
				   "domain '%s': give hvmloader as firmware, not as kernel", dom);
	}
	if (c->type != HV_TYPE_HVM) {
		if (c->firmware || c->boot || c->vnc || c->serial)
			diag_error(
				d, NULL,
				"domain '%s': firmware, boot, serial and vnc are for HVM guests only",
				dom);
		return;
	}
	check_str(d, dom, "serial", c->serial, STR_WORD);
	if (c->firmware && !strv_contains((char **) firmware_keywords, c->firmware))
		check_str(d, dom, "firmware (bios, uefi, seabios, rombios, ovmf or a path)",
			  c->firmware, STR_ABSPATH);
	if (c->boot) {
		size_t n = strlen(c->boot);

		if (n == 0 || n > 4 || strspn(c->boot, "acdn") != n)
			diag_error(
				d, NULL,
				"domain '%s': boot order '%s' must be 1 to 4 of the letters a, c, d, n",
				dom, xl_unrepresentable(c->boot) ? "(unprintable)" : c->boot);
	}
}

static void check_disks(const struct hv_domcfg *c, const char *dom, struct diag *d)
{
	for (size_t i = 0; i < c->n_disks; i++) {
		const struct hv_disk *k = &c->disks[i];
		char what[64];

		snprintf(what, sizeof(what), "disk %zu target", i + 1);
		check_str(d, dom, what, k->target, STR_REQUIRED | STR_ABSPATH);
		snprintf(what, sizeof(what), "disk %zu vdev", i + 1);
		if (!check_str(d, dom, what, k->vdev, STR_REQUIRED | STR_SPECVAL))
			continue;
		for (size_t j = 0; j < i; j++)
			if (c->disks[j].vdev && streq(c->disks[j].vdev, k->vdev))
				diag_error(d, NULL,
					   "domain '%s': disks %zu and %zu both use vdev '%s'", dom,
					   j + 1, i + 1, k->vdev);
		if (k->cdrom && c->type != HV_TYPE_HVM)
			diag_error(d, NULL, "domain '%s': disk %zu: a cdrom needs an HVM guest",
				   dom, i + 1);
		if (k->cdrom && k->writable)
			diag_error(d, NULL, "domain '%s': disk %zu: a cdrom cannot be writable",
				   dom, i + 1);
	}
}

static void check_nics(const struct hv_domcfg *c, const char *dom, struct diag *d)
{
	for (size_t i = 0; i < c->n_nics; i++) {
		const struct hv_nic *n = &c->nics[i];
		char what[64], mac[18];

		snprintf(what, sizeof(what), "vif %zu bridge", i + 1);
		if (check_str(d, dom, what, n->bridge, STR_REQUIRED | STR_SPECVAL) &&
		    strlen(n->bridge) > 15)
			diag_error(d, NULL,
				   "domain '%s': vif %zu bridge '%s' is longer than 15 characters",
				   dom, i + 1, n->bridge);
		snprintf(what, sizeof(what), "vif %zu model", i + 1);
		check_str(d, dom, what, n->model, STR_SPECVAL);
		if (n->mac[0] & 1)
			diag_error(d, NULL, "domain '%s': vif %zu MAC %s is a multicast address",
				   dom, i + 1, format_mac(n->mac, mac));
		if ((n->model || n->ioemu) && c->type != HV_TYPE_HVM)
			diag_error(
				d, NULL,
				"domain '%s': vif %zu: an emulated NIC (model, ioemu) needs an HVM guest",
				dom, i + 1);
	}
}

int hv_domcfg_check(const struct hv_domcfg *c, struct diag *d)
{
	unsigned before = d->n_errors;
	const char *dom = c->name && *c->name && !xl_unrepresentable(c->name) ? c->name : "?";
	enum hv_action actions[] = {c->on_poweroff, c->on_reboot, c->on_crash};
	const char *action_keys[] = {"on_poweroff", "on_reboot", "on_crash"};

	check_name(c, d);
	if (!hv_type_to_string(c->type))
		diag_error(d, NULL, "domain '%s': invalid type %d", dom, (int) c->type);
	if (c->memory_mib == 0 || c->memory_mib > HV_MEMORY_MAX_MIB)
		diag_error(d, NULL, "domain '%s': memory %llu MiB is out of range (1..%llu)", dom,
			   (unsigned long long) c->memory_mib,
			   (unsigned long long) HV_MEMORY_MAX_MIB);
	if (c->maxmem_mib && (c->maxmem_mib < c->memory_mib || c->maxmem_mib > HV_MEMORY_MAX_MIB))
		diag_error(d, NULL, "domain '%s': maxmem %llu MiB must be between memory and %llu",
			   dom, (unsigned long long) c->maxmem_mib,
			   (unsigned long long) HV_MEMORY_MAX_MIB);
	if (c->vcpus == 0 || c->vcpus > HV_VCPUS_MAX)
		diag_error(d, NULL, "domain '%s': vcpus %u is out of range (1..%u)", dom, c->vcpus,
			   HV_VCPUS_MAX);
	if (c->cpus) {
		struct hv__cpuset set;

		if (hv__cpuset_parse(c->cpus, &set) < 0)
			diag_error(
				d, NULL,
				"domain '%s': invalid cpus '%s': want CPU numbers and ranges below %u, like '0-3,6'",
				dom, xl_unrepresentable(c->cpus) ? "(unprintable)" : c->cpus,
				HV_CPUS_MAX);
	}

	check_str(d, dom, "kernel", c->kernel,
		  STR_ABSPATH | (c->type == HV_TYPE_PV ? STR_REQUIRED : 0));
	check_str(d, dom, "ramdisk", c->ramdisk, STR_ABSPATH);
	if (c->ramdisk && !c->kernel)
		diag_error(d, NULL, "domain '%s': a ramdisk needs a kernel", dom);
	if (check_str(d, dom, "cmdline", c->cmdline, 0) && c->cmdline) {
		if (strpbrk(c->cmdline, "\n\r\t\v\f\a\b"))
			diag_error(
				d, NULL,
				"domain '%s': the kernel command line may not contain control characters",
				dom);
		if (strlen(c->cmdline) > HV_CMDLINE_MAX)
			diag_error(
				d, NULL,
				"domain '%s': the kernel command line is %zu bytes, Xen takes at most %d",
				dom, strlen(c->cmdline), HV_CMDLINE_MAX);
	}
	check_hvm(c, dom, d);
	check_disks(c, dom, d);
	check_nics(c, dom, d);
	for (size_t i = 0; i < ELEMENTSOF(actions); i++)
		if (!hv_action_to_string(actions[i]))
			diag_error(d, NULL, "domain '%s': invalid %s action %d", dom,
				   action_keys[i], (int) actions[i]);
	return d->n_errors > before ? -EINVAL : 0;
}

static void put_str(struct strbuf *sb, const char *key, const char *v)
{
	strbuf_addf(sb, "%s = ", key);
	xl_quote(sb, v);
	strbuf_putc(sb, '\n');
}

/* One item: key = [ "a" ]; more: one item a line, so that each disk/vif reads on its own. */
static void put_list(struct strbuf *sb, const char *key, char **items)
{
	size_t n = strv_length(items);

	strbuf_addf(sb, "%s = [", key);
	for (size_t i = 0; i < n; i++) {
		strbuf_puts(sb, n == 1 ? " " : "\n\t");
		xl_quote(sb, items[i]);
		if (i + 1 < n)
			strbuf_putc(sb, ',');
	}
	strbuf_puts(sb, n == 1 ? " ]\n" : "\n]\n");
}

static char *disk_spec(const struct hv_disk *k)
{
	struct strbuf sb = STRBUF_INIT;

	/* target= must come last: xl's disk parser takes the rest of the spec as the path. */
	strbuf_addf(&sb, "format=raw, vdev=%s, access=%s, %starget=%s", k->vdev,
		    k->writable ? "rw" : "ro", k->cdrom ? "devtype=cdrom, " : "", k->target);
	return strbuf_detach(&sb);
}

static char *vif_spec(const struct hv_nic *n)
{
	struct strbuf sb = STRBUF_INIT;
	char mac[18];

	strbuf_addf(&sb, "mac=%s, bridge=%s", format_mac(n->mac, mac), n->bridge);
	if (n->ioemu)
		strbuf_puts(&sb, ", type=ioemu");
	if (n->model)
		strbuf_addf(&sb, ", model=%s", n->model);
	return strbuf_detach(&sb);
}

static void put_comment(struct strbuf *sb, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		strbuf_puts(sb, n ? "# " : "#");
		strbuf_add(sb, p, n);
		strbuf_putc(sb, '\n');
		p += n;
		if (*p == '\n')
			p++;
	}
}

int hv_domcfg_to_xl(const struct hv_domcfg *c, const char *header_comment, char **ret,
		    struct diag *d)
{
	_cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
	_cleanup_(strv_freep) char **disks = NULL;
	_cleanup_(strv_freep) char **vifs = NULL;
	char *text;
	int r;

	r = hv_domcfg_check(c, d);
	if (r < 0)
		return r;
	if (header_comment) {
		for (const char *p = header_comment; *p; p++)
			if (((unsigned char) *p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
				return diag_error(
					d, NULL,
					"domain '%s': the header comment contains byte 0x%02x",
					c->name, (unsigned char) *p);
		put_comment(&sb, header_comment);
	}
	for (size_t i = 0; i < c->n_disks; i++)
		if (strv_push_take(&disks, disk_spec(&c->disks[i])) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < c->n_nics; i++)
		if (strv_push_take(&vifs, vif_spec(&c->nics[i])) < 0)
			return -ENOMEM;

	put_str(&sb, "name", c->name);
	put_str(&sb, "type", hv_type_to_string(c->type));
	if (c->kernel)
		put_str(&sb, "kernel", c->kernel);
	if (c->ramdisk)
		put_str(&sb, "ramdisk", c->ramdisk);
	if (c->cmdline)
		put_str(&sb, "cmdline", c->cmdline);
	strbuf_addf(&sb, "memory = %llu\n", (unsigned long long) c->memory_mib);
	if (c->maxmem_mib && c->maxmem_mib != c->memory_mib)
		strbuf_addf(&sb, "maxmem = %llu\n", (unsigned long long) c->maxmem_mib);
	strbuf_addf(&sb, "vcpus = %u\n", c->vcpus);
	if (c->cpus)
		put_str(&sb, "cpus", c->cpus);
	if (c->type == HV_TYPE_HVM) {
		if (c->firmware)
			put_str(&sb, "firmware", c->firmware);
		if (c->boot)
			put_str(&sb, "boot", c->boot);
		if (c->serial)
			put_str(&sb, "serial", c->serial);
		strbuf_addf(&sb, "vnc = %d\n", c->vnc ? 1 : 0);
	}
	if (disks)
		put_list(&sb, "disk", disks);
	if (vifs)
		put_list(&sb, "vif", vifs);
	put_str(&sb, "on_poweroff", hv_action_to_string(c->on_poweroff));
	put_str(&sb, "on_reboot", hv_action_to_string(c->on_reboot));
	put_str(&sb, "on_crash", hv_action_to_string(c->on_crash));

	text = strbuf_detach(&sb);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}
