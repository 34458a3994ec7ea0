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
/* Read path and parse it; what names the file in I/O errors ("site file", "template"). */
int tmpl__yaml_load(const char *path, const char *what, struct diag *d, struct ydoc **ret);
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
