/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * site.yaml: read, check every value, collect every error. The schema is documented in
 * doc/site.yaml.md; keep the two in step.
 *
 * Paths in the site file must be absolute: the file is read by every Dom0 and by scripts
 * from any working directory, and its config_dir lives on a shared filesystem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/macro.h"
#include "common/util.h"
#include "templates-internal.h"
#include "templates.h"

/* TMPL_SYSCONF_DIR: SYSCONFDIR/provision from the build, where the install makes both dirs */
#define SITE_DEFAULT_CONFIG_DIR	  "/etc/xen/provision"
#define SITE_DEFAULT_STATE_DIR	  "/var/lib/provision"
#define SITE_DEFAULT_TEMPLATE_DIR TMPL_SYSCONF_DIR "/templates"
#define SITE_DEFAULT_HOOKS_DIR	  TMPL_SYSCONF_DIR "/hooks.d"
#define SITE_DEFAULT_MAC_PREFIX	  "00:16:3e" /* Xen's OUI */
/* PV-GRUB2 as Debian's grub-xen-host installs it */
#define SITE_DEFAULT_PVGRUB "/usr/lib/grub-xen/grub-x86_64-xen.bin"

static const char *const top_keys[] = {
	"config_dir", "state_dir",	 "template_dirs", "hooks_dir", "hook_timeout",
	"luns",	      "partition_sizes", "mac_prefix",	  "network",   "fai",
	"kernels",    "inventory",	 "ssh",		  "pvgrub",    NULL,
};
static const char *const fai_keys[] = {
	"server",	"nfsroot",	   "config_src", "kernel",  "initrd",	  "flags",
	"monitor_port", "legacy_location", "fail_code",	 "timeout", "hvm_kernel", NULL,
};
static const char *const kernel_keys[] = {"kernel", "initrd", NULL};

bool tmpl__fld_get(struct tmpl__fld *f, struct diag *d, const struct ynode *map,
		   const char *section, const char *key, bool scalar)
{
	const struct ypair *p = tmpl__ynode_pair(map, key);

	snprintf(f->key, sizeof(f->key), "%s%s%s", section, *section ? "." : "", key);
	f->n = p ? p->value : NULL;
	f->s = NULL;
	if (!f->n || tmpl__ynode_is_null(f->n))
		return false;
	f->c = (struct vctx){d, f->key, &f->n->loc};
	if (!scalar)
		return true;
	f->s = tmpl__scalar(&f->c, f->n);
	return f->s != NULL;
}

void tmpl__require(struct diag *d, const struct ynode *map, const char *section,
		   const struct src_loc *at, const char *file, const char *key)
{
	const struct ypair *p = tmpl__ynode_pair(map, key);
	struct src_loc top = {file, 0, 0};

	if (p && !tmpl__ynode_is_null(p->value))
		return;
	if (*section)
		diag_error(d, at, "missing required key '%s' in '%s'", key, section);
	else
		diag_error(d, &top, "missing required key '%s'", key);
}

static int load_paths(struct diag *d, const struct ynode *map, const char *section, const char *key,
		      char ***ret)
{
	struct tmpl__fld f;

	if (!tmpl__fld_get(&f, d, map, section, key, false))
		return 0;
	return tmpl__parse_list(&f.c, f.n, NULL, tmpl__parse_path, ret);
}

static int load_partition_sizes(struct diag *d, const struct ynode *root, struct site *s)
{
	struct tmpl__fld f;

	if (!tmpl__fld_get(&f, d, root, "", "partition_sizes", false) ||
	    tmpl__expect(&f.c, f.n, YNODE_SEQ) < 0)
		return 0;
	s->partition_sizes = calloc(f.n->n_items + 1, sizeof(uint64_t));
	if (!s->partition_sizes)
		return -ENOMEM;
	for (size_t i = 0; i < f.n->n_items; i++) {
		struct vctx c = {d, f.key, &f.n->items[i]->loc};
		const char *v = tmpl__scalar(&c, f.n->items[i]);
		uint64_t size;

		if (!v || tmpl__parse_size(&c, v, false, &size) < 0)
			continue;
		if (size % (1 << 20)) {
			tmpl__err(&c, "partition size '%s' is not a whole number of MiB", v);
			continue;
		}
		s->partition_sizes[s->n_partition_sizes++] = size;
	}
	return 0;
}

/* Report items of a sequence of scalars given twice. */
static void check_unique(struct diag *d, const struct ynode *seq, const char *key)
{
	for (size_t i = 1; i < seq->n_items; i++)
		for (size_t j = 0; j < i; j++)
			if (seq->items[i]->scalar && seq->items[j]->scalar &&
			    streq(seq->items[i]->scalar, seq->items[j]->scalar)) {
				struct vctx c = {d, key, &seq->items[i]->loc};

				tmpl__err(&c, "'%s' is listed twice (first at line %u)",
					  seq->items[i]->scalar, seq->items[j]->loc.line);
				break;
			}
}

static void load_mac_prefix(struct diag *d, const struct ynode *root, struct site *s)
{
	struct tmpl__fld f;
	uint8_t m[6];
	int n;

	n = parse_mac_prefix(SITE_DEFAULT_MAC_PREFIX, s->mac_prefix);
	s->mac_prefix_len = (unsigned) n;
	if (!tmpl__fld_get(&f, d, root, "", "mac_prefix", true))
		return;
	n = parse_mac_prefix(f.s, m);
	if (n < 0) {
		tmpl__err(&f.c, "invalid MAC prefix '%s' (1 to 5 hex bytes like \"00:16:3e\")",
			  f.s);
		return;
	}
	if (n == 6) {
		tmpl__err(&f.c, "MAC prefix '%s' is a whole address: it leaves no bytes for guests",
			  f.s);
		return;
	}
	if (m[0] & 1) {
		tmpl__err(&f.c, "MAC prefix '%s' has the multicast bit set", f.s);
		return;
	}
	memcpy(s->mac_prefix, m, (size_t) n);
	s->mac_prefix_len = (unsigned) n;
}

static int load_fai(struct diag *d, const struct ynode *root, const char *file, struct site *s)
{
	const struct ypair *fp = tmpl__ynode_pair(root, "fai");
	/* no initrd: the 2007 installer kernels booted an NFS root without one */
	static const char *const required[] = {"server", "nfsroot", "config_src", "kernel", NULL};
	struct site_fai *fai = &s->fai;
	const struct ynode *m;
	struct tmpl__fld f;
	uint32_t a;

	fai->flags = calloc(1, sizeof(char *));
	if (!fai->flags)
		return -ENOMEM;
	fai->monitor_port = 4711;
	fai->fail_code = 400;
	fai->timeout_s = 3600;
	tmpl__require(d, root, "", NULL, file, "fai");
	if (!tmpl__fld_get(&f, d, root, "", "fai", false) || tmpl__expect(&f.c, f.n, YNODE_MAP) < 0)
		return 0;
	m = f.n;
	tmpl__check_keys(d, m, "fai", fai_keys);
	for (const char *const *k = required; *k; k++)
		tmpl__require(d, m, "fai", &fp->loc, file, *k);
	if (tmpl__fld_get(&f, d, m, "fai", "server", true) && tmpl__parse_ipv4(&f.c, f.s, &a) == 0)
		tmpl__parse_str(&f.c, f.s, &fai->server);
	if (tmpl__fld_get(&f, d, m, "fai", "nfsroot", true))
		tmpl__parse_path(&f.c, f.s, &fai->nfsroot);
	if (tmpl__fld_get(&f, d, m, "fai", "config_src", true)) {
		if (!strstr(f.s, "://"))
			tmpl__err(&f.c, "'%s' is not a URL (e.g. nfs://10.0.0.1/srv/fai/config)",
				  f.s);
		else
			tmpl__parse_str(&f.c, f.s, &fai->config_src);
	}
	if (tmpl__fld_get(&f, d, m, "fai", "hvm_kernel", true))
		tmpl__parse_path(&f.c, f.s, &fai->hvm_kernel);
	if (tmpl__fld_get(&f, d, m, "fai", "kernel", true))
		tmpl__parse_path(&f.c, f.s, &fai->kernel);
	if (tmpl__fld_get(&f, d, m, "fai", "initrd", true))
		tmpl__parse_path(&f.c, f.s, &fai->initrd);
	if (tmpl__fld_get(&f, d, m, "fai", "flags", false) &&
	    tmpl__parse_list(&f.c, f.n, NULL, tmpl__word_item, &fai->flags) == -ENOMEM)
		return -ENOMEM;
	if (tmpl__fld_get(&f, d, m, "fai", "monitor_port", true))
		tmpl__parse_uint(&f.c, f.s, 1, 65535, "port", &fai->monitor_port);
	if (tmpl__fld_get(&f, d, m, "fai", "legacy_location", true)) {
		const char *c = strstr(f.s, ":/");

		if (!c || c == f.s)
			tmpl__err(&f.c, "'%s' is not SERVER:/PATH", f.s);
		else
			tmpl__parse_str(&f.c, f.s, &fai->legacy_location);
	}
	if (tmpl__fld_get(&f, d, m, "fai", "fail_code", true))
		tmpl__parse_uint(&f.c, f.s, 1, 999, "exit code", &fai->fail_code);
	if (tmpl__fld_get(&f, d, m, "fai", "timeout", true))
		tmpl__parse_duration(&f.c, f.s, &fai->timeout_s);
	return 0;
}

static int load_kernels(struct diag *d, const struct ynode *root, const char *file, struct site *s)
{
	struct tmpl__fld f;

	if (!tmpl__fld_get(&f, d, root, "", "kernels", false) ||
	    tmpl__expect(&f.c, f.n, YNODE_MAP) < 0)
		return 0;
	s->kernels = calloc(f.n->n_pairs + 1, sizeof(*s->kernels));
	if (!s->kernels)
		return -ENOMEM;
	for (size_t i = 0; i < f.n->n_pairs; i++) {
		const struct ypair *p = &f.n->pairs[i];
		struct vctx kc = {d, "kernels", &p->loc};
		struct site_kernel *k = &s->kernels[s->n_kernels];
		char sec[96];
		struct tmpl__fld g;

		if (tmpl__parse_word(&kc, p->key, "kernel name", &k->name) < 0)
			continue;
		if (streq(k->name, TMPL_KERNEL_PVGRUB)) {
			/* a template's kernel: pvgrub means PV-GRUB2 (pvgrub:), never this one */
			tmpl__err(&kc, "'%s' is reserved for PV-GRUB2 (set its path with pvgrub:)",
				  k->name);
			free(k->name);
			k->name = NULL;
			continue;
		}
		snprintf(sec, sizeof(sec), "kernels.%s", p->key);
		kc.key = sec;
		k->loc = p->loc;
		k->loc.file = s->path;
		s->n_kernels++;
		if (tmpl__expect(&kc, p->value, YNODE_MAP) < 0)
			continue;
		tmpl__check_keys(d, p->value, sec, kernel_keys);
		tmpl__require(d, p->value, sec, &p->loc, file, "kernel");
		if (tmpl__fld_get(&g, d, p->value, sec, "kernel", true))
			tmpl__parse_path(&g.c, g.s, &k->kernel);
		if (tmpl__fld_get(&g, d, p->value, sec, "initrd", true))
			tmpl__parse_path(&g.c, g.s, &k->initrd);
	}
	return 0;
}

static int load_dirs(struct diag *d, const struct ynode *root, struct site *s)
{
	static const struct {
		const char *key, *def;
		size_t off;
	} dirs[] = {
		{"config_dir", SITE_DEFAULT_CONFIG_DIR, offsetof(struct site, config_dir)},
		{"state_dir", SITE_DEFAULT_STATE_DIR, offsetof(struct site, state_dir)},
		{"hooks_dir", SITE_DEFAULT_HOOKS_DIR, offsetof(struct site, hooks_dir)},
		{"pvgrub", SITE_DEFAULT_PVGRUB, offsetof(struct site, pvgrub)},
	};
	struct tmpl__fld f;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		char **p = (char **) ((char *) s + dirs[i].off);

		*p = strdup(dirs[i].def);
		if (!*p)
			return -ENOMEM;
		if (tmpl__fld_get(&f, d, root, "", dirs[i].key, true))
			tmpl__parse_path(&f.c, f.s, p);
	}
	r = strv_push(&s->template_dirs, SITE_DEFAULT_TEMPLATE_DIR);
	if (r < 0)
		return r;
	r = load_paths(d, root, "", "template_dirs", &s->template_dirs);
	if (r == -ENOMEM)
		return r;
	s->hook_timeout_s = 300;
	if (tmpl__fld_get(&f, d, root, "", "hook_timeout", true))
		tmpl__parse_duration(&f.c, f.s, &s->hook_timeout_s);
	return 0;
}

/* Where each of s->luns is listed, for tmpl_site_luns_check(). */
static int lun_locs(struct site *s, const struct ynode *seq)
{
	if (strv_length(s->luns) != seq->n_items)
		return 0; /* a bad item: the load fails anyway */
	s->lun_locs = calloc(seq->n_items + 1, sizeof(*s->lun_locs));
	if (!s->lun_locs)
		return -ENOMEM;
	for (size_t i = 0; i < seq->n_items; i++)
		s->lun_locs[i] =
			(struct src_loc){s->path, seq->items[i]->loc.line, seq->items[i]->loc.col};
	return 0;
}

int tmpl_site_parse(const char *path, const char *text, size_t len, struct diag *d,
		    struct site **ret)
{
	_cleanup_(tmpl__ydoc_freep) struct ydoc *doc = NULL;
	struct site *s = NULL;
	const struct ynode *root;
	unsigned errors = d->n_errors;
	struct tmpl__fld f;
	int r;

	r = tmpl__yaml_parse(path, text, len, d, &doc);
	if (r < 0)
		return r;
	root = doc->root;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		r = -ENOMEM;
		goto out;
	}
	if (root->kind != YNODE_MAP) {
		r = diag_error(d, &root->loc, "expected a mapping at the top of the file, got a %s",
			       tmpl__ynode_kind_name(root->kind));
		goto out;
	}
	tmpl__check_keys(d, root, "", top_keys);
	r = load_dirs(d, root, s);
	if (r < 0)
		goto out;
	tmpl__require(d, root, "", NULL, doc->file, "luns");
	s->luns = calloc(1, sizeof(char *));
	if (!s->luns) {
		r = -ENOMEM;
		goto out;
	}
	r = load_paths(d, root, "", "luns", &s->luns);
	if (r == -ENOMEM)
		goto out;
	if (tmpl__fld_get(&f, d, root, "", "luns", false) && f.n->kind == YNODE_SEQ) {
		if (f.n->n_items == 0)
			tmpl__err(&f.c, "at least one device is needed");
		check_unique(d, f.n, "luns");
		r = lun_locs(s, f.n);
		if (r < 0)
			goto out;
	}
	tmpl__require(d, root, "", NULL, doc->file, "partition_sizes");
	r = load_partition_sizes(d, root, s);
	if (r < 0)
		goto out;
	if (tmpl__fld_get(&f, d, root, "", "partition_sizes", false) && f.n->kind == YNODE_SEQ) {
		if (f.n->n_items == 0)
			tmpl__err(&f.c, "at least one size is needed");
		check_unique(d, f.n, "partition_sizes");
	}
	load_mac_prefix(d, root, s);
	r = tmpl__site_load_network(d, root, doc->file, s);
	if (r < 0)
		goto out;
	r = load_fai(d, root, doc->file, s);
	if (r < 0)
		goto out;
	r = load_kernels(d, root, doc->file, s);
	if (r < 0)
		goto out;
	r = tmpl__site_load_cluster(d, root, s);
	if (r < 0)
		goto out;
	r = d->n_errors > errors ? -EINVAL : 0;
out:
	if (r < 0) {
		tmpl_site_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int tmpl_site_load(const char *path, struct diag *d, struct site **ret)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;
	int r = read_file(path, &text, &len);

	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot open site file '%s'", path);
	return tmpl_site_parse(path, text, len, d, ret);
}

struct site *tmpl_site_free(struct site *s)
{
	if (!s)
		return NULL;
	free(s->path);
	free(s->config_dir);
	free(s->state_dir);
	strv_free(s->template_dirs);
	free(s->hooks_dir);
	free(s->pvgrub);
	free(s->inventory);
	strv_free(s->ssh);
	strv_free(s->luns);
	free(s->lun_locs);
	free(s->partition_sizes);
	free(s->trunk);
	for (size_t i = 0; i < s->n_vlans; i++) {
		free(s->vlans[i].bridge);
		strv_free(s->vlans[i].nameservers);
	}
	free(s->vlans);
	free(s->fai.server);
	free(s->fai.nfsroot);
	free(s->fai.config_src);
	free(s->fai.kernel);
	free(s->fai.hvm_kernel);
	free(s->fai.initrd);
	strv_free(s->fai.flags);
	free(s->fai.legacy_location);
	for (size_t i = 0; i < s->n_kernels; i++) {
		free(s->kernels[i].name);
		free(s->kernels[i].kernel);
		free(s->kernels[i].initrd);
	}
	free(s->kernels);
	free(s);
	return NULL;
}

int tmpl_site_luns_check(const struct site *s, struct diag *d)
{
	size_t n = strv_length(s->luns);
	_cleanup_(freep) struct stat *st = calloc(n + 1, sizeof(*st));
	_cleanup_(freep) bool *found = calloc(n + 1, sizeof(*found));
	int r = 0;

	if (!st || !found)
		return -ENOMEM;
	/* a LUN missing now is nobody's other name; opening it reports it */
	for (size_t i = 0; i < n; i++)
		found[i] = stat(s->luns[i], &st[i]) == 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; found[i] && j < i; j++) {
			if (!found[j] || !stat_same_device(&st[i], &st[j]))
				continue;
			r = diag_error(d, s->lun_locs ? &s->lun_locs[i] : NULL,
				       "luns: '%s' is the same device as '%s'", s->luns[i],
				       s->luns[j]);
			diag_add(d, DIAG_NOTE, s->lun_locs ? &s->lun_locs[j] : NULL,
				 "'%s' is listed here", s->luns[j]);
			break;
		}
	return r;
}

const struct site_vlan *tmpl_site_vlan(const struct site *s, unsigned id)
{
	for (size_t i = 0; s && i < s->n_vlans; i++)
		if (s->vlans[i].id == id)
			return &s->vlans[i];
	return NULL;
}

const struct site_kernel *tmpl_site_kernel(const struct site *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_kernels; i++)
		if (streq(s->kernels[i].name, name))
			return &s->kernels[i];
	return NULL;
}
