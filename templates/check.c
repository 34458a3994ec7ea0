/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Value checks shared by the site and template loaders. A value comes either from a YAML
 * node (c->loc set: "FILE:LINE:COL: error: KEY: problem") or from the command line
 * (c->loc NULL: "provision: error: --KEY: problem"). All values are text to libyaml.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

int tmpl__err(const struct vctx *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (!c->loc)
		strbuf_addf(&sb, "--%s: ", c->key);
	else if (c->key && *c->key)
		strbuf_addf(&sb, "%s: ", c->key);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_error(c->d, c->loc, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
	return -EINVAL;
}

int tmpl_guest_name_check(const char *name, const char *key, const struct src_loc *loc,
			  struct diag *d)
{
	bool k = loc && key && *key;

	if (name && hostname_label_valid(name))
		return 0;
	return diag_error(
		d, loc,
		"%s%sinvalid guest name '%s' (1 to 63 of a-z, 0-9 and '-', not starting or ending with '-')",
		k ? key : "", k ? ": " : "", name ? name : "");
}

const char *tmpl__scalar(const struct vctx *c, const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR) {
		tmpl__err(c, "expected a scalar, got a %s", tmpl__ynode_kind_name(n->kind));
		return NULL;
	}
	return n->scalar;
}

int tmpl__expect(const struct vctx *c, const struct ynode *n, enum ynode_kind kind)
{
	if (n->kind != kind)
		return tmpl__err(c, "expected a %s, got a %s", tmpl__ynode_kind_name(kind),
				 tmpl__ynode_kind_name(n->kind));
	return 0;
}

int tmpl__check_keys(struct diag *d, const struct ynode *map, const char *section,
		     const char *const *keys)
{
	int r = 0;

	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ypair *p = &map->pairs[i];
		bool found = false;
		const char *best;

		/* top-level "x-" keys are free, a place for anchors to be merged with << */
		if (!*section && strncmp(p->key, "x-", 2) == 0)
			continue;
		for (const char *const *k = keys; *k && !found; k++)
			found = streq(*k, p->key);
		if (found)
			continue;
		best = str_closest(p->key, keys);
		if (*section && best)
			r = diag_error(d, &p->loc, "unknown key '%s' in '%s' (did you mean '%s'?)",
				       p->key, section, best);
		else if (*section)
			r = diag_error(d, &p->loc, "unknown key '%s' in '%s'", p->key, section);
		else if (best)
			r = diag_error(d, &p->loc, "unknown key '%s' (did you mean '%s'?)", p->key,
				       best);
		else
			r = diag_error(d, &p->loc, "unknown key '%s'", p->key);
	}
	return r;
}

/*
 * A control character in UTF-8 beyond ASCII's: C1 (U+0080..U+009F, NEL among them) and the
 * line and paragraph separators U+2028, U+2029. YAML reads NEL, U+2028 and U+2029 as line
 * breaks, so a value holding one would not load back as it was written (found by the fuzzer).
 */
static bool utf8_control(const unsigned char *p)
{
	return (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
	       (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9));
}

/* Text that can be written inside a double-quoted xl config string. */
int tmpl__parse_str(const struct vctx *c, const char *s, char **ret)
{
	char *v;

	for (const char *p = s; *p; p++)
		if (iscntrl((unsigned char) *p) || *p == '"' ||
		    utf8_control((const unsigned char *) p))
			return tmpl__err(c, "invalid character %s in '%s'",
					 *p == '"' ? "'\"'" : "(control)", s);
	v = strdup(s);
	if (!v)
		return -ENOMEM;
	free(*ret);
	*ret = v;
	return 0;
}

/* An absolute path that fits into an xl disk or kernel line. */
int tmpl__parse_path(const struct vctx *c, const char *s, char **ret)
{
	if (s[0] != '/')
		return tmpl__err(c, "'%s' is not an absolute path", s);
	if (strpbrk(s, ",'"))
		return tmpl__err(c, "path '%s' must not contain ',' or quotes", s);
	return tmpl__parse_str(c, s, ret);
}

int tmpl__parse_size(const struct vctx *c, const char *s, bool zero_ok, uint64_t *ret)
{
	uint64_t v;
	int r = parse_size(s, &v);

	if (r == -ERANGE)
		return tmpl__err(c, "size '%s' is too large", s);
	if (r < 0)
		return tmpl__err(c, "invalid size '%s' (use e.g. 20G or 512M)", s);
	if (v == 0 && !zero_ok)
		return tmpl__err(c, "size must not be 0");
	*ret = v;
	return 0;
}

/* "512M", "2G", or a plain number of MiB. */
int tmpl__parse_memory(const struct vctx *c, const char *s, uint64_t *ret_mib)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0) {
		if (parse_size(s, &v) < 0)
			return tmpl__err(
				c,
				"invalid memory size '%s' (use e.g. 512M, 2G or a number of MiB)",
				s);
		if (v % (1 << 20))
			return tmpl__err(c, "memory size '%s' is not a whole number of MiB", s);
		v >>= 20;
	}
	if (v < 32)
		return tmpl__err(c, "memory size '%s' is too small (at least 32M)", s);
	if (v > (UINT64_C(1) << 30))
		return tmpl__err(c, "memory size '%s' is too large", s);
	*ret_mib = v;
	return 0;
}

int tmpl__parse_uint(const struct vctx *c, const char *s, unsigned min, unsigned max,
		     const char *what, unsigned *ret)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v < min || v > max)
		return tmpl__err(c, "invalid %s '%s' (must be %u..%u)", what, s, min, max);
	*ret = (unsigned) v;
	return 0;
}

int tmpl__parse_vlan(const struct vctx *c, const char *s, unsigned *ret)
{
	return tmpl__parse_uint(c, s, 1, 4094, "VLAN id", ret);
}

int tmpl__parse_bool(const struct vctx *c, const char *s, bool *ret)
{
	if (streq(s, "true") || streq(s, "yes") || streq(s, "on"))
		*ret = true;
	else if (streq(s, "false") || streq(s, "no") || streq(s, "off"))
		*ret = false;
	else
		return tmpl__err(c, "invalid boolean '%s' (use true or false)", s);
	return 0;
}

int tmpl__parse_duration(const struct vctx *c, const char *s, unsigned *ret_sec)
{
	uint64_t v;

	if (parse_duration(s, &v) < 0 || v > UINT_MAX)
		return tmpl__err(c, "invalid duration '%s' (use e.g. 300s, 5m or 1h)", s);
	if (v == 0)
		return tmpl__err(c, "duration must be more than 0");
	*ret_sec = (unsigned) v;
	return 0;
}

int tmpl__parse_ipv4(const struct vctx *c, const char *s, uint32_t *ret)
{
	if (parse_ipv4(s, ret) < 0)
		return tmpl__err(c, "invalid IPv4 address '%s'", s);
	return 0;
}

#define CPU_MAX 4095

static int cpu_number(const char **p, unsigned *ret)
{
	unsigned v = 0;

	if (!isdigit((unsigned char) **p))
		return -EINVAL;
	while (isdigit((unsigned char) **p)) {
		v = v * 10 + (unsigned) (*(*p)++ - '0');
		if (v > CPU_MAX)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

/* xl's "cpus=" list: "all", or items "N", "N-M", "^N" (exclude) separated by commas. */
int tmpl__parse_cpus(const struct vctx *c, const char *s, char **ret)
{
	const char *p = s;
	bool any = false;

	if (streq(s, "all"))
		return tmpl__parse_str(c, s, ret);
	for (;;) {
		unsigned a, b;
		int r;

		if (*p == '^')
			p++;
		else
			any = true;
		r = cpu_number(&p, &a);
		b = a;
		if (r == 0 && *p == '-') {
			p++;
			r = cpu_number(&p, &b);
		}
		if (r == -ERANGE)
			return tmpl__err(c, "CPU number in '%s' is out of range (0..%d)", s,
					 CPU_MAX);
		if (r < 0 || (*p && *p != ','))
			return tmpl__err(c, "invalid CPU list '%s' (use e.g. 0-3,6)", s);
		if (b < a)
			return tmpl__err(c, "CPU range %u-%u in '%s' goes backwards", a, b, s);
		if (!*p)
			break;
		p++;
	}
	if (!any)
		return tmpl__err(c, "CPU list '%s' only excludes CPUs", s);
	return tmpl__parse_str(c, s, ret);
}

int tmpl__parse_word(const struct vctx *c, const char *s, const char *what, char **ret)
{
	char *v;

	if (!*s || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
			   strlen(s))
		return tmpl__err(c, "invalid %s '%s' (letters, digits, '_', '.' and '-' only)",
				 what, s);
	/* written out unquoted, YAML would read it back as no value (found by the fuzzer) */
	if (tmpl__yaml_null(s))
		return tmpl__err(c, "invalid %s '%s' (YAML's word for no value)", what, s);
	v = strdup(s);
	if (!v)
		return -ENOMEM;
	free(*ret);
	*ret = v;
	return 0;
}

int tmpl__word_item(const struct vctx *c, const char *s, char **ret)
{
	return tmpl__parse_word(c, s, "name", ret);
}

static int list_add(const struct vctx *c, const char *s,
		    int (*item)(const struct vctx *c, const char *s, char **ret), char ***v)
{
	char *x = NULL;
	int r;

	r = item ? item(c, s, &x) : tmpl__parse_str(c, s, &x);
	if (r < 0)
		return r;
	return strv_push_take(v, x);
}

int tmpl__parse_list(const struct vctx *c, const struct ynode *n, const char *text,
		     int (*item)(const struct vctx *c, const char *s, char **ret), char ***ret)
{
	_cleanup_(strv_freep) char **v = calloc(1, sizeof(char *));
	int r = 0;

	if (!v)
		return -ENOMEM;
	if (n && !tmpl__ynode_is_null(n)) {
		if (tmpl__expect(c, n, YNODE_SEQ) < 0)
			return -EINVAL;
		for (size_t i = 0; i < n->n_items; i++) {
			struct vctx ic = {c->d, c->key, &n->items[i]->loc};
			const char *s = tmpl__scalar(&ic, n->items[i]);
			int k = s ? list_add(&ic, s, item, &v) : -EINVAL;

			if (k == -ENOMEM)
				return k;
			if (k < 0)
				r = k;
		}
	} else if (!n && text) {
		_cleanup_(freep) char *copy = strdup(text);
		char *save = NULL;

		if (!copy)
			return -ENOMEM;
		for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
			r = list_add(c, w, item, &v);
			if (r < 0)
				return r;
		}
	}
	if (r < 0)
		return r;
	strv_free(*ret);
	*ret = TAKE_PTR(v);
	return 0;
}
