/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Private to the templates module: a generic YAML node tree (built by parse-yaml.c, the only
 * file that sees libyaml) and the value checks shared by the site and template loaders.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/macro.h"

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_MAP,
	YNODE_SEQ,
};

struct ynode;

struct ypair {
	char *key;
	struct src_loc loc; /* of the key */
	struct ynode *value;
};

struct ynode {
	enum ynode_kind kind;
	struct src_loc loc;  /* loc.file is borrowed from the ydoc (or whoever made the node) */
	char *scalar;	     /* YNODE_SCALAR: the text, never NULL */
	bool plain;	     /* YNODE_SCALAR: unquoted (so "~", "null" and "" mean null) */
	struct ypair *pairs; /* YNODE_MAP, in document order; merged keys after explicit ones */
	size_t n_pairs;
	struct ynode **items; /* YNODE_SEQ */
	size_t n_items;
};

/* A parsed file: owns the file name every node's loc.file points to. */
struct ydoc {
	char *file;
	struct ynode *root; /* never NULL: an empty file is an empty mapping */
};

/* Largest number of nodes in one document, aliases expanded (stops "billion laughs"). */
#define YAML_MAX_NODES 100000
/* Deepest nesting of mappings and sequences. */
#define YAML_MAX_DEPTH 64

/*
 * Parse YAML text into a tree. Duplicate keys, bad merge keys and unknown aliases are
 * reported in d and parsing goes on (the first of duplicate keys is kept); YAML syntax
 * errors are reported as FILE:LINE:COL: error: <libyaml's text> and end the parse.
 * `<<` merge keys are applied: explicit keys win, then the merged mappings in order.
 * Returns: 0 and a tree in *ret (check d->n_errors for soft errors), -EINVAL on a syntax
 * error, -ENOMEM.
 */
int tmpl__yaml_parse(const char *file, const char *text, size_t len, struct diag *d,
		     struct ydoc **ret);
/*
 * Read path and parse it. what names the file in I/O errors ("site file", "template"), at is
 * where the file was named (NULL: the command line).
 */
int tmpl__yaml_load(const char *path, const char *what, const struct src_loc *at, struct diag *d,
		    struct ydoc **ret);
struct ydoc *tmpl__ydoc_free(struct ydoc *doc);
static inline void tmpl__ydoc_freep(struct ydoc **doc)
{
	tmpl__ydoc_free(*doc);
}

/* tree.c */
struct ynode *tmpl__ynode_new(enum ynode_kind kind, const struct src_loc *loc);
struct ynode *tmpl__ynode_free(struct ynode *n);
static inline void tmpl__ynode_freep(struct ynode **n)
{
	tmpl__ynode_free(*n);
}
/* Deep copy (locations included); NULL on OOM. */
struct ynode *tmpl__ynode_copy(const struct ynode *n);
/* Number of nodes in the tree. */
size_t tmpl__ynode_count(const struct ynode *n);
/* Append to a mapping (takes key and value) or a sequence (takes item). Returns: 0, -ENOMEM. */
int tmpl__ynode_map_add(struct ynode *map, char *key, const struct src_loc *loc,
			struct ynode *value);
int tmpl__ynode_seq_add(struct ynode *seq, struct ynode *item);
/* The pair for key, or NULL. */
const struct ypair *tmpl__ynode_pair(const struct ynode *map, const char *key);
/* Whether s, as a plain scalar, is YAML's null ("", "~", "null", "Null", "NULL"). */
bool tmpl__yaml_null(const char *s);
/* A plain ~, null or empty scalar. */
bool tmpl__ynode_is_null(const struct ynode *n);
const char *tmpl__ynode_kind_name(enum ynode_kind k);
/*
 * Overlay over onto base (both mappings), for `extends:`: over's keys replace base's,
 * except that two mappings are merged key by key. Keys listed in skip are ignored.
 * Returns: 0, -ENOMEM.
 */
int tmpl__ynode_overlay(struct ynode *base, const struct ynode *over, const char *const *skip);

/*
 * check.c: value checks. Each reports "KEY: problem" at the node's location and returns
 * -EINVAL, or converts the value. key is the dotted path used in messages ("fai.server").
 */
struct vctx {
	struct diag *d;
	const char *key;	   /* for messages */
	const struct src_loc *loc; /* NULL: the value came from the command line */
};

int tmpl__err(const struct vctx *c, const char *fmt, ...) _printf_(2, 3);
/* The scalar of n or an error "expected a scalar, got a mapping". NULL on error. */
const char *tmpl__scalar(const struct vctx *c, const struct ynode *n);
/* Check that n is a mapping / sequence. Returns: 0 or -EINVAL. */
int tmpl__expect(const struct vctx *c, const struct ynode *n, enum ynode_kind kind);
/*
 * Report every key of map not in keys[] (NULL-terminated), with "did you mean".
 * section is the dotted path of map ("" at the top). Returns: 0 or -EINVAL.
 */
int tmpl__check_keys(struct diag *d, const struct ynode *map, const char *section,
		     const char *const *keys);

int tmpl__parse_str(const struct vctx *c, const char *s, char **ret);
int tmpl__parse_path(const struct vctx *c, const char *s, char **ret);
int tmpl__parse_size(const struct vctx *c, const char *s, bool zero_ok, uint64_t *ret);
int tmpl__parse_memory(const struct vctx *c, const char *s, uint64_t *ret_mib);
int tmpl__parse_uint(const struct vctx *c, const char *s, unsigned min, unsigned max,
		     const char *what, unsigned *ret);
int tmpl__parse_vlan(const struct vctx *c, const char *s, unsigned *ret);
int tmpl__parse_bool(const struct vctx *c, const char *s, bool *ret);
int tmpl__parse_duration(const struct vctx *c, const char *s, unsigned *ret_sec);
int tmpl__parse_ipv4(const struct vctx *c, const char *s, uint32_t *ret);
int tmpl__parse_cpus(const struct vctx *c, const char *s, char **ret);
/* A word of [A-Za-z0-9_.-] (names, FAI classes and flags, NIC models). */
int tmpl__parse_word(const struct vctx *c, const char *s, const char *what, char **ret);
/*
 * A sequence of scalars, each checked with item (may be NULL: any text). From the command
 * line (n NULL, text given) the items are separated by commas.
 */
int tmpl__parse_list(const struct vctx *c, const struct ynode *n, const char *text,
		     int (*item)(const struct vctx *c, const char *s, char **ret), char ***ret);
int tmpl__word_item(const struct vctx *c, const char *s, char **ret);

/* site.c: reading a site file's values; site-net.c its network: section. */
struct site;
/* One value being read: its node, its dotted key for messages, its text if a scalar. */
struct tmpl__fld {
	char key[128];
	struct vctx c;
	const struct ynode *n;
	const char *s;
};
/*
 * Look up section.key in map into f. Returns true when a non-null value is there (and, if
 * scalar is set, it is a scalar: a non-scalar is reported).
 */
bool tmpl__fld_get(struct tmpl__fld *f, struct diag *d, const struct ynode *map,
		   const char *section, const char *key, bool scalar);
/* Report key missing from map. at: the section's key, or NULL for the top of the file. */
void tmpl__require(struct diag *d, const struct ynode *map, const char *section,
		   const struct src_loc *at, const char *file, const char *key);
/* network: into s->trunk and s->vlans, then the checks between VLANs. Returns: 0, -ENOMEM. */
/* site-cluster.c: inventory: and ssh:. Returns: 0, or -ENOMEM (problems are in d). */
int tmpl__site_load_cluster(struct diag *d, const struct ynode *root, struct site *s);
int tmpl__site_load_network(struct diag *d, const struct ynode *root, const char *file,
			    struct site *s);

/* lookup.c */
/* The built-in template directory: $PROVISION_TEMPLATES_DIR, else TMPL_BUILTIN_DIR. */
const char *tmpl__builtin_dir(void);
/* The site's template_dirs (none if s is NULL), then the built-in one. NULL on OOM. */
char **tmpl__search_dirs(const struct site *s);
/* Whether a --template argument names a file (has a '/' or ends in ".yaml"). */
bool tmpl__is_path(const char *name);
/* A template name: letters, digits, '_', '.', '-'. */
bool tmpl__name_valid(const char *name);
/* "/x/lab.yaml" -> "lab". NULL on OOM. */
char *tmpl__name_of(const char *path);
/* Whether a and b are the same file (false if either does not exist). */
bool tmpl__same_file(const char *a, const char *b);
/*
 * NAME.yaml in the search dirs, the first found, not counting the file skip (may be NULL).
 * Returns: 0 and a new path, -ENOENT, -ENOMEM.
 */
int tmpl__find(const struct site *s, const char *name, const char *skip, char **ret_path);
/* Every template name in the search dirs, for "did you mean". NULL on OOM. */
char **tmpl__all_names(const struct site *s);

/* guest.c: the template keys */
struct tmpl_guest;

enum gtype {
	/* char * */
	G_STR,
	G_PATH,
	G_WORD,
	G_FIRMWARE, /* a word ("hvmloader", "ovmf") or an absolute path */
	G_CPUS,
	G_BOOT,
	/* char ** */
	G_CLASSES,
	/* numbers */
	G_SIZE,
	G_SWAP, /* a size, 0 allowed */
	G_MEMORY,
	G_VCPUS,
	G_VLAN,
	G_DURATION,
	G_BOOL,
	G_TYPE,
	G_METHOD, /* enum tmpl_install_method */
};

struct gfield {
	const char *key; /* "memory", "hvm.boot" */
	enum gtype type;
	size_t off;	 /* in struct tmpl_guest */
	const char *def; /* default as text, NULL: zero */
};

enum origin_how {
	ORIGIN_DEFAULT,
	ORIGIN_FILE,
	ORIGIN_SET,	/* tmpl_guest_set() */
	ORIGIN_INVALID, /* the file's value was refused: checks involving the key are left out */
};

struct tmpl_origin {
	struct src_loc loc; /* file interned in tmpl_guest.files; file NULL: command line */
	enum origin_how how;
};

extern const struct gfield tmpl__guest_fields[];
extern const size_t tmpl__n_guest_fields;

/* Index of key in tmpl__guest_fields, or -ENOENT. */
int tmpl__guest_field(const char *key);
/* A template with every default set. NULL on OOM. */
struct tmpl_guest *tmpl__guest_new(void);
int tmpl__guest_field_set(struct tmpl_guest *t, const struct gfield *f, const struct vctx *c,
			  const char *text, const struct ynode *node);
/* Record where field i came from (the file name is copied into t->files). */
void tmpl__guest_origin(struct tmpl_guest *t, size_t i, enum origin_how how,
			const struct src_loc *loc);
/* file, as one of t->files (added if missing). NULL on OOM. */
const char *tmpl__guest_intern(struct tmpl_guest *t, const char *file);

/* request.c: a request's template parameters, shared with the batch files */
struct tmpl_request;
/* Append key (a template key) with the text of n (a scalar, or a list joined by commas). */
int tmpl__request_param_add(struct tmpl_request *r, const char *key, const struct src_loc *key_loc,
			    const struct ynode *n, struct diag *d);
/*
 * The pairs of map as template parameters of r, except the keys in own_keys (NULL: none);
 * one level of nesting gives dotted keys (install: {extra: x} is install.extra). A key that
 * is no template key is an error, with "did you mean" among the template keys and own_keys.
 * Returns: 0, -EINVAL with d, -ENOMEM.
 */
int tmpl__request_params_add(struct tmpl_request *r, const struct ynode *map,
			     const char *const *own_keys, struct diag *d);
/* Point every location of r at r->file (call once r->file is set for good). */
void tmpl__request_own_locs(struct tmpl_request *r);
