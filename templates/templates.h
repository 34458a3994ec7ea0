/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The site file and guest templates: YAML in, plain validated structs out.
 *
 * Only templates/parse-yaml.c sees libyaml. Every value keeps the source location it came
 * from, so checks made after parsing still cite FILE:LINE:COL. All errors of a file are
 * collected in the diag before a function returns -EINVAL.
 *
 * Units: memory in MiB, sizes in bytes, IPv4 addresses in host byte order, timeouts in seconds.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

struct site_vlan {
	unsigned id;	 /* 1..4094 */
	char *bridge;	 /* "br53" */
	bool native;	 /* untagged: the bridge enslaves the trunk itself */
	bool has_subnet; /* subnet, gateway and range given */
	uint32_t subnet; /* network address */
	unsigned prefix; /* 0..32 */
	uint32_t gateway;
	uint32_t range_first, range_last; /* addresses provision may hand out, inclusive */
	char **nameservers;		  /* dotted quads; NULL-terminated, may be empty */
	struct src_loc loc;
	struct src_loc bridge_loc, subnet_loc; /* of their values (line 0: not given) */
};

struct site_kernel {
	char *name; /* key under kernels: ("default") */
	char *kernel;
	char *initrd; /* NULL: none */
	struct src_loc loc;
};

struct site_fai {
	char *server;	       /* dotted quad of the NFS/monitor server */
	char *nfsroot;	       /* path exported by the server */
	char *config_src;      /* FAI_CONFIG_SRC, "nfs://server/path" */
	char *kernel, *initrd; /* the installer's */
	char *hvm_kernel;      /* the installer's for HVM guests (a bzImage); NULL: kernel */
	char **flags;	       /* FAI_FLAGS, joined with ',' */
	unsigned monitor_port; /* default 4711 */
	char *legacy_location; /* NULL, or "srv:/path": also emit the 2007 FAI_LOCATION form */
	unsigned fail_code;    /* a TASKEND code >= this fails the install; default 400 */
	unsigned timeout_s;    /* install timeout, default 3600 */
};

struct site {
	char *path;	      /* the file it was read from */
	char *config_dir;     /* NAME.install.cfg, NAME.boot.cfg */
	char *state_dir;      /* inventory, per-guest logs */
	char **template_dirs; /* searched before the built-in templates */
	char *hooks_dir;
	unsigned hook_timeout_s;   /* default 300 */
	char **luns;		   /* the only devices provision may write */
	struct src_loc *lun_locs;  /* where each of luns is listed */
	uint64_t *partition_sizes; /* bytes */
	size_t n_partition_sizes;
	uint8_t mac_prefix[6];
	unsigned mac_prefix_len; /* bytes of mac_prefix in use, 1..5 (seed: 3) */
	char *trunk;		 /* "eth0" */
	struct site_vlan *vlans;
	size_t n_vlans;
	struct site_fai fai;
	struct site_kernel *kernels;
	size_t n_kernels;
	char *pvgrub; /* PV-GRUB2 for templates with kernel: pvgrub (grub-xen-host's, by default) */
	char *inventory; /* a libpq connection string; NULL: SQLite in state_dir (one Dom0) */
	char **ssh; /* runs provision on another Dom0: SSH... HOST provision ...; never empty */
};

/*
 * Read and validate a site file. Every problem is appended to d as FILE:LINE:COL.
 * Returns: 0 and a new site in *ret, or < 0 (-EINVAL on bad content, -errno on I/O).
 */
int tmpl_site_load(const char *path, struct diag *d, struct site **ret);
/* The same for the text of a site file; path is what errors cite and site.path says. */
int tmpl_site_parse(const char *path, const char *text, size_t len, struct diag *d,
		    struct site **ret);
/* Accepts NULL. Returns NULL. */
struct site *tmpl_site_free(struct site *s);
static inline void tmpl_site_freep(struct site **s)
{
	tmpl_site_free(*s);
}
/*
 * Whether the site's LUNs are distinct devices: compared by device number (block devices) or
 * inode (image files), so a symlink, "//" or another name of a listed LUN is refused, both
 * entries cited as FILE:LINE:COL. A LUN that does not exist now is left out (it cannot be
 * another's name; whoever opens it reports it). Run where LUNs are used, not at load: a
 * site is also read by commands that never touch a LUN.
 * Returns: 0, or -EINVAL with every repeat in d.
 */
int tmpl_site_luns_check(const struct site *s, struct diag *d);
/*
 * Check a guest name (hostname label rules, hostname_label_valid()): the one check for
 * every place a name comes from. key prefixes the message ("name: ...") when loc is given.
 * Returns: 0, or -EINVAL with "invalid guest name '...'" in d.
 */
int tmpl_guest_name_check(const char *name, const char *key, const struct src_loc *loc,
			  struct diag *d);
/* Lookups; borrowed pointers valid while the site lives, or NULL. */
const struct site_vlan *tmpl_site_vlan(const struct site *s, unsigned id);
const struct site_kernel *tmpl_site_kernel(const struct site *s, const char *name);

enum tmpl_guest_type {
	TMPL_GUEST_PV,
	TMPL_GUEST_HVM,
	_TMPL_GUEST_TYPE_MAX,
	_TMPL_GUEST_TYPE_INVALID = -22,
};

/* How a guest is installed (install.method). */
enum tmpl_install_method {
	TMPL_INSTALL_FAI,   /* the FAI installer's kernel, watched as its monitor */
	TMPL_INSTALL_CDROM, /* HVM: the guest's own installer from its CD, until it powers off */
	_TMPL_INSTALL_METHOD_MAX,
	_TMPL_INSTALL_METHOD_INVALID = -22,
};

/* The kernel name that boots the guest's own kernel with PV-GRUB2 (site.pvgrub). */
#define TMPL_KERNEL_PVGRUB "pvgrub"

/* HVM settings, as in the seed: hvmloader firmware, emulated NIC, cdrom image, boot "dc". */
struct tmpl_hvm {
	char *firmware;	 /* NULL: Xen's default (hvmloader) */
	char *nic_model; /* emulated NIC model ("rtl8139", "e1000"); the vif is type=ioemu */
	char *cdrom;	 /* image path or NULL */
	char *boot;	 /* boot order, "dc" */
	bool vnc;
};

struct tmpl_origin; /* private: where each key's value came from */

/*
 * A template after `extends:` and `<<` merges are applied and every value is checked.
 * Values the template leaves out have the documented defaults (doc/templates.md).
 */
struct tmpl_guest {
	char *name; /* template name ("debian") */
	char *path; /* file it came from */
	char *description;
	enum tmpl_guest_type type;
	uint64_t memory_mib;
	uint64_t maxmem_mib; /* 0: same as memory */
	unsigned vcpus;
	char *cpus;	     /* pinning list as written ("0-3,6"), validated; NULL: none */
	uint64_t disk_size;  /* bytes */
	uint64_t swap_size;  /* bytes, default 2 GiB; 0: no swap file */
	unsigned vlan;	     /* 0: must be given on the command line */
	char *kernel;	     /* a name from site kernels: (default "default"), or "pvgrub" */
	char *root;	     /* production root, default "/dev/xvda1 ro" */
	char *extra;	     /* extra kernel command line for the production boot, may be NULL */
	char *install_extra; /* extra kernel command line for the installer, may be NULL */
	enum tmpl_install_method install_method; /* default FAI */
	char **fai_classes;	    /* FAI classes for the install, may be empty (never NULL) */
	unsigned install_timeout_s; /* 0: the site's */
	unsigned boot_timeout_s;    /* the ready marker within this long; 0: provision's (15 min) */
	struct tmpl_hvm hvm;	    /* used when type is HVM */
	struct src_loc loc;	    /* where the template starts */
	char **files; /* the extends chain, this template's file first; every loc points here */
	struct tmpl_origin *origins;
};

/* The install's time limit in seconds: the template's install.timeout, else the site's. */
static inline unsigned tmpl_install_timeout_s(const struct tmpl_guest *t, const struct site *s)
{
	return t->install_timeout_s ? t->install_timeout_s : s->fai.timeout_s;
}

/*
 * Find template NAME in the site's template_dirs, then the built-in directory; NAME may
 * also be a path to a file (contains '/' or ends in ".yaml").
 * s may be NULL: then only the built-in directory is searched and the checks against the
 * site (kernel names, VLANs, partition sizes) are left out.
 * The built-in directory is $PROVISION_TEMPLATES_DIR when set (tests, running from the
 * build tree), else the one provision was installed with.
 * Returns: 0 and a new template in *ret, or < 0 with the reasons in d.
 */
int tmpl_guest_load(const struct site *s, const char *name, struct diag *d,
		    struct tmpl_guest **ret);
/*
 * A guest's saved spec (what tmpl_guest_to_yaml() wrote; no extends:) from text, checked as
 * tmpl_guest_load() checks a template; label names it in messages (LABEL:LINE:COL).
 * Returns: 0 and a new template in *ret, or < 0 with the reasons in d.
 */
int tmpl_guest_load_text(const struct site *s, const char *label, const char *text, struct diag *d,
			 struct tmpl_guest **ret);
/* Accepts NULL. Returns NULL. */
struct tmpl_guest *tmpl_guest_free(struct tmpl_guest *t);
static inline void tmpl_guest_freep(struct tmpl_guest **t)
{
	tmpl_guest_free(*t);
}

/*
 * The checks between values (maxmem >= memory, swap smaller than disk, hvm settings only
 * for HVM guests) and, when s is not NULL, against the site (kernel name, VLAN, disk not
 * larger than the largest partition). tmpl_guest_load() runs them; run them again after
 * tmpl_guest_set() overrides. Returns: 0, or -EINVAL with every problem in d.
 */
int tmpl_guest_check(const struct tmpl_guest *t, const struct site *s, struct diag *d);

/* Where the value of key ("memory", "hvm.boot") was set, or NULL (default, command line). */
const struct src_loc *tmpl_guest_loc(const struct tmpl_guest *t, const char *key);

/*
 * The value of key as a template would write it ("512M", "0-3,6", "[DEBIAN, LAB]", "dc"),
 * text values in double quotes; NULL in *ret when unset. The caller frees *ret.
 * Returns: 0, -ENOENT for an unknown key, -ENOMEM.
 */
int tmpl_guest_format(const struct tmpl_guest *t, const char *key, char **ret);

/*
 * The template as YAML that tmpl_guest_load() reads back to the same values: every key, in
 * sections ("install:", "hvm:"). With origins, comments say which file and line each value
 * came from (template show). Returns: 0 and a new string in *ret, -ENOMEM.
 */
int tmpl_guest_to_yaml(const struct tmpl_guest *t, bool origins, char **ret);

/* The template keys tmpl_guest_set() accepts, NULL-terminated ("description", ..., "hvm.vnc"). */
extern const char *const tmpl_guest_keys[];

/* One entry of `template list`. */
struct tmpl_info {
	char *name;
	char *path;
	char *description; /* NULL if none or invalid */
	bool valid;	   /* loads and passes every check */
};

struct tmpl_list {
	struct tmpl_info *v;
	size_t n;
};

/*
 * Every template in the search path (site template_dirs, then built-in), sorted by name; a
 * name found in an earlier directory hides the same name in a later one, as for lookups.
 * Each is loaded to check it; its errors are not reported here (see `template check`).
 * Unreadable directories are warnings in d; missing ones are skipped.
 * Returns: 0 and a new list in *ret, or -ENOMEM.
 */
int tmpl_list_load(const struct site *s, struct diag *d, struct tmpl_list **ret);
/* Accepts NULL. Returns NULL. */
struct tmpl_list *tmpl_list_free(struct tmpl_list *l);
static inline void tmpl_list_freep(struct tmpl_list **l)
{
	tmpl_list_free(*l);
}

const char *tmpl_guest_type_to_string(enum tmpl_guest_type t);
enum tmpl_guest_type tmpl_guest_type_from_string(const char *s);
const char *tmpl_install_method_to_string(enum tmpl_install_method m); /* "fai", "cdrom" */
enum tmpl_install_method tmpl_install_method_from_string(const char *s);

/*
 * Apply one "key=value" style override (from the command line, a request or a batch file)
 * with the same checks as the template file: key is a template key ("memory", "disk",
 * "vlan", "hvm.cdrom", ...), value its text (NULL: back to the default; lists such as
 * install.classes are separated by commas). loc says where the value came from (NULL for
 * the command line: errors then read "provision: error: --memory: ..."); its file name is
 * copied. Checks between values are left to tmpl_guest_check().
 * Returns: 0, or -EINVAL with the reason in d.
 */
int tmpl_guest_set(struct tmpl_guest *t, const char *key, const char *value,
		   const struct src_loc *loc, struct diag *d);

/* ---- requests from a ticket system ---- */

struct tmpl_request_param {
	char *key;	    /* a template key ("memory", "install.extra") */
	char *value;	    /* its text; a list comma-separated */
	struct src_loc loc; /* of the value, for tmpl_guest_set() */
	struct src_loc key_loc;
};

/*
 * A request: request_id, name, template (required), owner, ip, mac, lun, image (a clone of
 * that golden image, doc/images.md), and any template parameter ("memory: 2G",
 * "install: {extra: ...}"), in YAML or JSON.
 */
struct tmpl_request {
	char *file; /* what errors cite; "<stdin>" for - */
	char *request_id, *name, *template_name, *owner;
	char *ip, *mac, *lun; /* NULL: the allocator's choice */
	char *image;	      /* NULL: installed, not cloned */
	struct src_loc name_loc;
	struct src_loc ip_loc, mac_loc, lun_loc, image_loc; /* of ip, mac, lun, image when given */
	struct tmpl_request_param *params;		    /* in file order */
	size_t n_params;
};

/*
 * Parse a request; path "-" reads standard input. Unknown keys (neither a request's nor a
 * template's) are errors with "did you mean"; template values are checked when applied with
 * tmpl_guest_set(params[i].key, params[i].value, &params[i].loc, d).
 * Returns: 0 and a new request in *ret, or < 0 with every problem in d as FILE:LINE:COL.
 */
int tmpl_request_load(const char *path, struct diag *d, struct tmpl_request **ret);
int tmpl_request_parse(const char *file, const char *text, size_t len, struct diag *d,
		       struct tmpl_request **ret);
/* Accepts NULL. Returns NULL. */
struct tmpl_request *tmpl_request_free(struct tmpl_request *r);
static inline void tmpl_request_freep(struct tmpl_request **r)
{
	tmpl_request_free(*r);
}

/* ---- batches of lab machines ---- */

/* Most guests one batch file may name. */
#define TMPL_BATCH_MAX 1000

/*
 * Expand a guest name pattern: at most one brace group {A..B} of decimal numbers, A <= B,
 * with text around it ("lab{01..20}" is lab01 ... lab20). A number written with a leading
 * zero pads every number to the width of the wider of A and B ({01..20}, {001..120});
 * without one there is no padding ({8..10} is 8 9 10). No brace group: the pattern is one
 * name. loc is where the pattern's first character is (NULL: no file); errors cite the
 * column of the problem. Names are not checked here.
 * Returns: 0 and a new NULL-terminated list in *ret, or -EINVAL with d, -ENOMEM.
 */
int tmpl_names_expand(const char *pattern, const struct src_loc *loc, struct diag *d, char ***ret);

/*
 * A batch file: name (default: the file's name without .yaml), template, vlan, owner,
 * names (a pattern or a list of names) and overrides (guest name -> template parameters),
 * and how the guests are installed: `image: NAME` (each a clone of golden image NAME) or
 * `install: once` (the first installed, captured as image NAME-of-the-batch, the rest clones
 * of it; doc/batch.md). Each guest is one request: request_id "NAME:GUEST", the batch's
 * template, owner, vlan and image, then the guest's overrides, each keeping its place.
 */
struct tmpl_batch {
	char *file; /* as errors cite it */
	char *name;
	char *template_name, *owner; /* owner NULL: none */
	char *image;		     /* image: NAME, or with install_once the batch's name */
	bool install_once;	     /* install: once (guests[0] has no image, the rest do) */
	struct src_loc template_loc, image_loc;
	struct tmpl_request **guests; /* in the order of names */
	size_t n_guests;
	/* the batch's own settings (template, owner, vlan) without any override */
	struct tmpl_request *base;
};

/*
 * Read and check a batch file: its keys, the names (hostname labels, no duplicates, at most
 * TMPL_BATCH_MAX), overrides only for names of the batch, override keys that are template
 * keys. The override values are checked when applied, with tmpl_guest_set().
 * Returns: 0 and a new batch in *ret, or < 0 with every problem in d as FILE:LINE:COL.
 */
int tmpl_batch_load(const char *path, struct diag *d, struct tmpl_batch **ret);
int tmpl_batch_parse(const char *file, const char *text, size_t len, struct diag *d,
		     struct tmpl_batch **ret);
/* Accepts NULL. Returns NULL. */
struct tmpl_batch *tmpl_batch_free(struct tmpl_batch *b);
static inline void tmpl_batch_freep(struct tmpl_batch **b)
{
	tmpl_batch_free(*b);
}

/*
 * A YAML or JSON document as flat pairs: a NULL-terminated list "KEY", "VALUE", ... with the
 * keys of nested mappings dotted ("error.cause"); null values and sequences are left out.
 * For reading the one-object results of `new-guest --json` (batch).
 * Returns: 0 and a new list in *ret, or < 0 with d.
 */
int tmpl_doc_flatten(const char *file, const char *text, size_t len, struct diag *d, char ***ret);
/* The value of key in a list from tmpl_doc_flatten(), or NULL. */
const char *tmpl_flat_get(char *const *flat, const char *key);
