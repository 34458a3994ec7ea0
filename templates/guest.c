/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest template values: the key table, defaults, setting a key from text (for the YAML
 * loader and for overrides alike), the checks between keys, and freeing. The keys are
 * documented in doc/templates.md; keep the two in step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

/* key, type, member, default as text (NULL: zero, NULL or an empty list) */
#define GUEST_FIELDS(X)                                                                            \
	X("description", G_STR, description, NULL)                                                 \
	X("type", G_TYPE, type, "pv")                                                              \
	X("memory", G_MEMORY, memory_mib, "512")                                                   \
	X("maxmem", G_MEMORY, maxmem_mib, NULL)                                                    \
	X("vcpus", G_VCPUS, vcpus, "1")                                                            \
	X("cpus", G_CPUS, cpus, NULL)                                                              \
	X("disk", G_SIZE, disk_size, "10G")                                                        \
	X("swap", G_SWAP, swap_size, "2G")                                                         \
	X("vlan", G_VLAN, vlan, NULL)                                                              \
	X("kernel", G_WORD, kernel, "default")                                                     \
	X("root", G_STR, root, "/dev/xvda1 ro")                                                    \
	X("extra", G_STR, extra, NULL)                                                             \
	X("install.method", G_METHOD, install_method, "fai")                                       \
	X("install.extra", G_STR, install_extra, NULL)                                             \
	X("install.classes", G_CLASSES, fai_classes, NULL)                                         \
	X("install.timeout", G_DURATION, install_timeout_s, NULL)                                  \
	X("boot.timeout", G_DURATION, boot_timeout_s, NULL)                                        \
	X("hvm.firmware", G_FIRMWARE, hvm.firmware, NULL)                                          \
	X("hvm.nic_model", G_WORD, hvm.nic_model, NULL)                                            \
	X("hvm.cdrom", G_PATH, hvm.cdrom, NULL)                                                    \
	X("hvm.boot", G_BOOT, hvm.boot, NULL)                                                      \
	X("hvm.vnc", G_BOOL, hvm.vnc, "false")

#define FIELD_ENTRY(k, t, m, def) {k, t, offsetof(struct tmpl_guest, m), def},
#define FIELD_KEY(k, t, m, def)	  k,

const struct gfield tmpl__guest_fields[] = {GUEST_FIELDS(FIELD_ENTRY)};
const size_t tmpl__n_guest_fields = ELEMENTSOF(tmpl__guest_fields);
const char *const tmpl_guest_keys[] = {GUEST_FIELDS(FIELD_KEY) NULL};

static const char *const type_names[_TMPL_GUEST_TYPE_MAX] = {
	[TMPL_GUEST_PV] = "pv",
	[TMPL_GUEST_HVM] = "hvm",
};

DEFINE_STRING_TABLE(tmpl_guest_type, enum tmpl_guest_type, type_names)

static const char *const method_names[_TMPL_INSTALL_METHOD_MAX] = {
	[TMPL_INSTALL_FAI] = "fai",
	[TMPL_INSTALL_CDROM] = "cdrom",
};

DEFINE_STRING_TABLE(tmpl_install_method, enum tmpl_install_method, method_names)

int tmpl__guest_field(const char *key)
{
	for (size_t i = 0; i < tmpl__n_guest_fields; i++)
		if (streq(tmpl__guest_fields[i].key, key))
			return (int) i;
	return -ENOENT;
}

static int parse_boot(const struct vctx *c, const char *s, char **ret)
{
	size_t n = strlen(s);

	if (n < 1 || n > 4 || strspn(s, "acdn") != n)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (strchr(s + i + 1, s[i]))
			goto bad;
	return tmpl__parse_str(c, s, ret);
bad:
	return tmpl__err(c, "invalid boot order '%s' (letters from a, c, d, n; e.g. \"dc\")", s);
}

/* Set field f of t from text (or from node, for lists). Writes only on success. */
int tmpl__guest_field_set(struct tmpl_guest *t, const struct gfield *f, const struct vctx *c,
			  const char *text, const struct ynode *node)
{
	void *p = (char *) t + f->off;
	uint64_t u64;
	unsigned u;
	bool b;
	int r;

	switch (f->type) {
	case G_STR:
		return tmpl__parse_str(c, text, p);
	case G_PATH:
		return tmpl__parse_path(c, text, p);
	case G_WORD:
		return tmpl__parse_word(c, text, "name", p);
	case G_FIRMWARE:
		if (text[0] == '/')
			return tmpl__parse_path(c, text, p);
		return tmpl__parse_word(c, text, "firmware", p);
	case G_CPUS:
		return tmpl__parse_cpus(c, text, p);
	case G_BOOT:
		return parse_boot(c, text, p);
	case G_CLASSES:
		return tmpl__parse_list(c, node, node ? NULL : text, tmpl__word_item, p);
	case G_SIZE:
	case G_SWAP:
		r = tmpl__parse_size(c, text, f->type == G_SWAP, &u64);
		if (r == 0)
			*(uint64_t *) p = u64;
		return r;
	case G_MEMORY:
		r = tmpl__parse_memory(c, text, &u64);
		if (r == 0)
			*(uint64_t *) p = u64;
		return r;
	case G_VCPUS:
		r = tmpl__parse_uint(c, text, 1, 512, "vcpu count", &u);
		if (r == 0)
			*(unsigned *) p = u;
		return r;
	case G_VLAN:
		r = tmpl__parse_vlan(c, text, &u);
		if (r == 0)
			*(unsigned *) p = u;
		return r;
	case G_DURATION:
		r = tmpl__parse_duration(c, text, &u);
		if (r == 0)
			*(unsigned *) p = u;
		return r;
	case G_BOOL:
		r = tmpl__parse_bool(c, text, &b);
		if (r == 0)
			*(bool *) p = b;
		return r;
	case G_TYPE:
		if (tmpl_guest_type_from_string(text) < 0)
			return tmpl__err(c, "invalid type '%s' (use pv or hvm)", text);
		*(enum tmpl_guest_type *) p = tmpl_guest_type_from_string(text);
		return 0;
	case G_METHOD:
		if (tmpl_install_method_from_string(text) < 0)
			return tmpl__err(c, "invalid install method '%s' (use fai or cdrom)", text);
		*(enum tmpl_install_method *) p = tmpl_install_method_from_string(text);
		return 0;
	}
	return -EINVAL;
}

/* Back to the default value. Returns: 0, -ENOMEM. */
static int field_reset(struct tmpl_guest *t, const struct gfield *f)
{
	void *p = (char *) t + f->off;
	struct diag scratch = DIAG_INIT;
	struct vctx c = {&scratch, f->key, NULL};
	int r = 0;

	switch (f->type) {
	case G_STR:
	case G_PATH:
	case G_WORD:
	case G_FIRMWARE:
	case G_CPUS:
	case G_BOOT:
		free(*(char **) p);
		*(char **) p = NULL;
		break;
	case G_CLASSES:
		strv_free(*(char ***) p);
		*(char ***) p = calloc(1, sizeof(char *));
		if (!*(char ***) p)
			return -ENOMEM;
		break;
	case G_SIZE:
	case G_SWAP:
	case G_MEMORY:
		*(uint64_t *) p = 0;
		break;
	case G_VCPUS:
	case G_VLAN:
	case G_DURATION:
		*(unsigned *) p = 0;
		break;
	case G_BOOL:
		*(bool *) p = false;
		break;
	case G_TYPE:
		*(enum tmpl_guest_type *) p = TMPL_GUEST_PV;
		break;
	case G_METHOD:
		*(enum tmpl_install_method *) p = TMPL_INSTALL_FAI;
		break;
	}
	if (f->def)
		r = tmpl__guest_field_set(t, f, &c, f->def, NULL);
	diag_release(&scratch);
	return r;
}

struct tmpl_guest *tmpl__guest_new(void)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->origins = calloc(tmpl__n_guest_fields, sizeof(*t->origins));
	t->files = calloc(1, sizeof(char *));
	if (!t->origins || !t->files)
		return NULL;
	for (size_t i = 0; i < tmpl__n_guest_fields; i++)
		if (field_reset(t, &tmpl__guest_fields[i]) < 0)
			return NULL;
	return TAKE_PTR(t);
}

const char *tmpl__guest_intern(struct tmpl_guest *t, const char *file)
{
	for (char **f = t->files; f && *f; f++)
		if (streq(*f, file))
			return *f;
	if (strv_push(&t->files, file) < 0)
		return NULL;
	return t->files[strv_length(t->files) - 1];
}

void tmpl__guest_origin(struct tmpl_guest *t, size_t i, enum origin_how how,
			const struct src_loc *loc)
{
	struct tmpl_origin *o = &t->origins[i];

	*o = (struct tmpl_origin){.how = how};
	if (loc && loc->file) {
		o->loc = *loc;
		o->loc.file = tmpl__guest_intern(t, loc->file);
		if (!o->loc.file)
			o->loc = (struct src_loc){0};
	}
}

int tmpl_guest_set(struct tmpl_guest *t, const char *key, const char *value,
		   const struct src_loc *loc, struct diag *d)
{
	int i = tmpl__guest_field(key);
	const struct gfield *f;
	struct vctx c = {d, key, loc};
	int r;

	if (i < 0) {
		const char *best = str_closest(key, tmpl_guest_keys);

		if (best)
			return diag_error(d, loc, "unknown template key '%s' (did you mean '%s'?)",
					  key, best);
		return diag_error(d, loc, "unknown template key '%s'", key);
	}
	f = &tmpl__guest_fields[i];
	if (!value) {
		r = field_reset(t, f);
		if (r < 0)
			return r;
		tmpl__guest_origin(t, (size_t) i, ORIGIN_DEFAULT, NULL);
		return 0;
	}
	r = tmpl__guest_field_set(t, f, &c, value, NULL);
	if (r < 0)
		return r;
	tmpl__guest_origin(t, (size_t) i, ORIGIN_SET, loc);
	return 0;
}

const struct src_loc *tmpl_guest_loc(const struct tmpl_guest *t, const char *key)
{
	int i = tmpl__guest_field(key);

	if (i < 0 || t->origins[i].how == ORIGIN_DEFAULT || !t->origins[i].loc.file)
		return NULL;
	return &t->origins[i].loc;
}

int tmpl_guest_format(const struct tmpl_guest *t, const char *key, char **ret)
{
	int i = tmpl__guest_field(key);
	const struct gfield *f;
	const void *p;
	char buf[64];
	char *v = NULL;

	if (i < 0)
		return -ENOENT;
	f = &tmpl__guest_fields[i];
	p = (const char *) t + f->off;
	switch (f->type) {
	case G_STR:
	case G_PATH:
	case G_FIRMWARE:
		/* double-quoted YAML: only '\\' needs escaping, '"' is never in a value */
		if (*(char *const *) p) {
			struct strbuf sb = STRBUF_INIT;

			strbuf_putc(&sb, '"');
			for (const char *c = *(char *const *) p; *c; c++) {
				if (*c == '\\')
					strbuf_putc(&sb, '\\');
				strbuf_putc(&sb, *c);
			}
			strbuf_putc(&sb, '"');
			v = strbuf_detach(&sb);
			if (!v)
				return -ENOMEM;
		}
		break;
	case G_WORD:
	case G_CPUS:
	case G_BOOT:
		if (*(char *const *) p && !(v = strdup(*(char *const *) p)))
			return -ENOMEM;
		break;
	case G_CLASSES: {
		struct strbuf sb = STRBUF_INIT;

		strbuf_putc(&sb, '[');
		for (char *const *c = *(char **const *) p; c && *c; c++)
			strbuf_addf(&sb, "%s%s", c == *(char **const *) p ? "" : ", ", *c);
		strbuf_putc(&sb, ']');
		v = strbuf_detach(&sb);
		if (!v)
			return -ENOMEM;
		break;
	}
	case G_SIZE:
	case G_SWAP:
		v = strdup(format_size(*(const uint64_t *) p, buf, sizeof(buf)));
		break;
	case G_MEMORY:
		if (*(const uint64_t *) p)
			v = strdup(format_size(*(const uint64_t *) p << 20, buf, sizeof(buf)));
		break;
	case G_VCPUS:
	case G_VLAN:
		if (*(const unsigned *) p && asprintf(&v, "%u", *(const unsigned *) p) < 0)
			return -ENOMEM;
		break;
	case G_DURATION:
		if (*(const unsigned *) p)
			v = strdup(format_duration(*(const unsigned *) p, buf, sizeof(buf)));
		break;
	case G_BOOL:
		v = strdup(*(const bool *) p ? "true" : "false");
		break;
	case G_TYPE:
		v = strdup(tmpl_guest_type_to_string(*(const enum tmpl_guest_type *) p));
		break;
	case G_METHOD:
		v = strdup(tmpl_install_method_to_string(*(const enum tmpl_install_method *) p));
		break;
	}
	*ret = v;
	return 0;
}

/* Report a problem between keys a and b at a's value, else at b's, else on the command line. */
_printf_(5, 6) static void cross_err(const struct tmpl_guest *t, struct diag *d, const char *a,
				     const char *b, const char *fmt, ...)
{
	const struct tmpl_origin *oa = &t->origins[tmpl__guest_field(a)];
	const struct tmpl_origin *ob = b ? &t->origins[tmpl__guest_field(b)] : NULL;
	struct vctx c = {d, a, oa->loc.file ? &oa->loc : NULL};
	_cleanup_(freep) char *msg = NULL;
	va_list ap;

	if (oa->how == ORIGIN_INVALID || (ob && ob->how == ORIGIN_INVALID))
		return; /* already reported; the check would only repeat it */
	if (oa->how == ORIGIN_DEFAULT && ob && ob->how != ORIGIN_DEFAULT)
		c = (struct vctx){d, b, ob->loc.file ? &ob->loc : NULL};
	else if (oa->how == ORIGIN_DEFAULT && (!ob || ob->how == ORIGIN_DEFAULT))
		c.loc = &t->loc;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	tmpl__err(&c, "%s", msg ? msg : fmt);
}

static void check_site(const struct tmpl_guest *t, const struct site *s, struct diag *d)
{
	char a[32], b[32];
	uint64_t largest = 0;

	if (t->type == TMPL_GUEST_PV && !streq(t->kernel, TMPL_KERNEL_PVGRUB) &&
	    !tmpl_site_kernel(s, t->kernel)) {
		_cleanup_(freep) const char **names = calloc(s->n_kernels + 1, sizeof(char *));
		const char *best = NULL;

		for (size_t i = 0; names && i < s->n_kernels; i++)
			names[i] = s->kernels[i].name;
		if (names)
			best = str_closest(t->kernel, names);
		if (best)
			cross_err(t, d, "kernel", NULL, "unknown kernel '%s' (did you mean '%s'?)",
				  t->kernel, best);
		else
			cross_err(t, d, "kernel", NULL, "kernel '%s' is not in the site's kernels",
				  t->kernel);
	}
	if (t->vlan && !tmpl_site_vlan(s, t->vlan))
		cross_err(t, d, "vlan", NULL, "VLAN %u is not in the site's network.vlans",
			  t->vlan);
	for (size_t i = 0; i < s->n_partition_sizes; i++)
		if (s->partition_sizes[i] > largest)
			largest = s->partition_sizes[i];
	if (largest && t->disk_size > largest)
		cross_err(t, d, "disk", NULL, "%s is larger than the site's largest partition (%s)",
			  format_size(t->disk_size, a, sizeof(a)),
			  format_size(largest, b, sizeof(b)));
}

/* A CD install is the HVM guest's own installer: no FAI settings, and a CD to boot. */
static void check_install(const struct tmpl_guest *t, struct diag *d)
{
	if (t->install_method != TMPL_INSTALL_CDROM)
		return;
	if (t->type != TMPL_GUEST_HVM)
		cross_err(t, d, "install.method", "type",
			  "a cdrom install needs an HVM guest (this one is pv)");
	else if (!t->hvm.cdrom)
		cross_err(t, d, "install.method", "hvm.cdrom",
			  "a cdrom install needs hvm.cdrom, the installer's CD image");
	if (t->fai_classes && t->fai_classes[0])
		cross_err(t, d, "install.classes", "install.method",
			  "FAI classes are only for install.method fai (this one is cdrom)");
	if (t->install_extra)
		cross_err(
			t, d, "install.extra", "install.method",
			"the installer's command line is only for install.method fai (this one is cdrom)");
}

int tmpl_guest_check(const struct tmpl_guest *t, const struct site *s, struct diag *d)
{
	unsigned errors = d->n_errors;
	char a[32], b[32];

	if (t->maxmem_mib && t->maxmem_mib < t->memory_mib) {
		snprintf(a, sizeof(a), "%lluM", (unsigned long long) t->maxmem_mib);
		snprintf(b, sizeof(b), "%lluM", (unsigned long long) t->memory_mib);
		cross_err(t, d, "maxmem", "memory", "%s is less than memory %s", a, b);
	}
	if (t->swap_size >= t->disk_size)
		cross_err(t, d, "swap", "disk", "a %s swap file does not fit in a %s disk",
			  format_size(t->swap_size, a, sizeof(a)),
			  format_size(t->disk_size, b, sizeof(b)));
	if (t->type == TMPL_GUEST_PV)
		for (size_t i = 0; i < tmpl__n_guest_fields; i++)
			if (strncmp(tmpl__guest_fields[i].key, "hvm.", 4) == 0 &&
			    t->origins[i].how != ORIGIN_DEFAULT)
				cross_err(t, d, tmpl__guest_fields[i].key, "type",
					  "only for HVM guests (this one is pv)");
	check_install(t, d);
	if (s)
		check_site(t, s, d);
	return d->n_errors > errors ? -EINVAL : 0;
}

struct tmpl_guest *tmpl_guest_free(struct tmpl_guest *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < tmpl__n_guest_fields; i++) {
		void *p = (char *) t + tmpl__guest_fields[i].off;

		if (tmpl__guest_fields[i].type == G_CLASSES)
			strv_free(*(char ***) p);
		else if (tmpl__guest_fields[i].type <= G_BOOT)
			free(*(char **) p);
	}
	free(t->name);
	free(t->path);
	strv_free(t->files);
	free(t->origins);
	free(t);
	return NULL;
}

int tmpl_guest_to_yaml(const struct tmpl_guest *t, bool origins, char **ret)
{
	struct strbuf sb = STRBUF_INIT;
	const char *section = "";
	size_t sl = 0;

	if (origins) {
		strbuf_addf(&sb, "# template '%s' from %s\n", t->name, t->path);
		for (char **f = t->files + 1; *f; f++)
			strbuf_addf(&sb, "# extends %s\n", *f);
	}
	for (const char *const *k = tmpl_guest_keys; *k; k++) {
		const char *dot = strchr(*k, '.');
		const struct src_loc *l = origins ? tmpl_guest_loc(t, *k) : NULL;
		_cleanup_(freep) char *v = NULL, *line = NULL;

		if (t->type != TMPL_GUEST_HVM && strncmp(*k, "hvm.", 4) == 0)
			continue;
		if (tmpl_guest_format(t, *k, &v) < 0)
			continue;
		if (dot && (sl != (size_t) (dot - *k) || strncmp(section, *k, sl) != 0)) {
			section = *k;
			sl = (size_t) (dot - *k);
			strbuf_addf(&sb, "%.*s:\n", (int) sl, section);
		}
		/* values have no length limit (a long extra=): no fixed buffer to cut them */
		if (asprintf(&line, "%s%s: %s", dot ? "  " : "", dot ? dot + 1 : *k, v ? v : "~") <
		    0) {
			line = NULL;
			strbuf_release(&sb);
			return -ENOMEM;
		}
		if (l)
			strbuf_addf(&sb, "%-40s # %s:%u\n", line, l->file, l->line);
		else
			strbuf_addf(&sb, "%s\n", line);
	}
	*ret = strbuf_detach(&sb);
	return *ret ? 0 : -ENOMEM;
}
