/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A Xen domain as provision means it, independent of libxl: what render writes as an xl
 * config file, converts to a libxl_domain_config (hypervisor/libxl.c), and hands to
 * libxl_domain_create_new (hypervisor/libxl-run.c) through struct hv_ops. Only the libxl edge
 * files (libxl.c, libxl-run.c, libxl-log.c) include libxl's headers; no libxl type is here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

enum hv_type {
	HV_TYPE_PV,
	HV_TYPE_HVM,
	_HV_TYPE_MAX,
	_HV_TYPE_INVALID = -22,
};

/* What to do when the guest powers off, reboots or crashes (xl's on_poweroff & co). */
enum hv_action {
	HV_ACTION_DESTROY,
	HV_ACTION_RESTART,
	HV_ACTION_PRESERVE,
	HV_ACTION_RENAME_RESTART,
	HV_ACTION_COREDUMP_DESTROY,
	HV_ACTION_COREDUMP_RESTART,
	HV_ACTION_SOFT_RESET,
	_HV_ACTION_MAX,
	_HV_ACTION_INVALID = -22,
};

struct hv_disk {
	char *target; /* "/dev/fc/fc-p1d1p13" or an image path */
	char *vdev;   /* "xvda1" (PV), "hda" (HVM) */
	bool writable;
	bool cdrom; /* HVM cdrom (read-only, devtype=cdrom) */
};

struct hv_nic {
	uint8_t mac[6];
	char *bridge;
	char *model; /* HVM emulated model ("rtl8139"), NULL for PV */
	bool ioemu;  /* HVM: type=ioemu (emulated NIC) */
};

struct hv_domcfg {
	char *name;
	enum hv_type type;
	uint64_t memory_mib;
	uint64_t maxmem_mib; /* 0: same as memory */
	unsigned vcpus;
	char *cpus; /* pinning list "0-3,6", or NULL */
	/* PV (and HVM direct kernel boot when set) */
	char *kernel;
	char *ramdisk; /* NULL: none */
	char *cmdline; /* whole kernel command line, "root=/dev/xvda1 ro console=hvc0" */
	/* HVM */
	char *firmware; /* NULL: default hvmloader */
	char *boot;	/* "dc" */
	char *serial;	/* the emulated serial port, "pty" (the primary console then); NULL: none */
	bool vnc;
	struct hv_disk *disks;
	size_t n_disks;
	struct hv_nic *nics;
	size_t n_nics;
	enum hv_action on_poweroff, on_reboot, on_crash;
};

void hv_domcfg_release(struct hv_domcfg *c); /* frees members, leaves c zeroed; idempotent */
static inline void hv_domcfg_releasep(struct hv_domcfg *c)
{
	hv_domcfg_release(c);
}

const char *hv_type_to_string(enum hv_type t);
enum hv_type hv_type_from_string(const char *s);
const char *hv_action_to_string(enum hv_action a); /* xl spelling: "destroy", "rename-restart" */
enum hv_action hv_action_from_string(const char *s);

/* Limits enforced by hv_domcfg_check(). */
#define HV_CPUS_MAX	  4096 /* CPU numbers in a pinning list are below this */
#define HV_VCPUS_MAX	  512
#define HV_MEMORY_MAX_MIB (16ULL << 20) /* 16 TiB */
#define HV_CMDLINE_MAX	  1023 /* Xen's guest command line buffer is 1024 bytes with the NUL */

/*
 * Check that c describes a domain xl and libxl accept and that every string can be written
 * into an xl config file: name, memory, vcpus, the pinning list, PV kernel, absolute paths,
 * HVM-only settings only on HVM guests, disk vdevs and NIC bridges, the command line length.
 * Every problem is appended to d, naming the domain and the field.
 * Returns: 0 when valid, -EINVAL otherwise.
 */
int hv_domcfg_check(const struct hv_domcfg *c, struct diag *d);

/*
 * Render c as an xl config file in modern syntax (type = "pv", disk specs with
 * format/vdev/access/target, vif specs with mac/bridge[/type/model], on_* actions).
 * header_comment (may be NULL) is written first, each line prefixed with "# ".
 * c is checked with hv_domcfg_check() first, so nothing invalid or unrepresentable is written.
 * Strings are double-quoted; backslash, double quote and \a \b \f \n \r \t \v are escaped as
 * xl's parser decodes them; other control characters (xl's numeric escapes are broken in
 * 4.17) cannot be represented and are refused.
 * Returns: 0 and a NUL-terminated text in *ret (caller frees), -EINVAL with the reasons in d,
 * -ENOMEM.
 */
int hv_domcfg_to_xl(const struct hv_domcfg *c, const char *header_comment, char **ret,
		    struct diag *d);

/*
 * Build c as a libxl_domain_config (libxl's own types, hypervisor/libxl.c) and print it with
 * libxl_domain_config_to_json(). Needs no hypervisor. c is checked first.
 * Returns: 0 and the JSON text in *ret (caller frees), -EINVAL with reasons in d, -ENOMEM.
 */
int hv_domcfg_to_json(const struct hv_domcfg *c, char **ret, struct diag *d);

/* ---- Lifecycle: create, wait, apply on_poweroff/on_reboot/on_crash, destroy ---------------- */

#define HV_DOMID_NONE UINT32_MAX
#define HV_DUMP_DIR   "/var/lib/xen/dump" /* where xl writes coredump-* cores: DIR/NAME */

/* Why a domain shut down (libxl's shutdown_reason). */
enum hv_shutdown {
	HV_SHUTDOWN_POWEROFF,
	HV_SHUTDOWN_REBOOT,
	HV_SHUTDOWN_SUSPEND,
	HV_SHUTDOWN_CRASH,
	HV_SHUTDOWN_WATCHDOG,
	HV_SHUTDOWN_SOFT_RESET,
	HV_SHUTDOWN_UNKNOWN, /* a reason code libxl does not name */
	_HV_SHUTDOWN_MAX,
	_HV_SHUTDOWN_INVALID = -22,
};
const char *hv_shutdown_to_string(enum hv_shutdown s); /* "poweroff", "soft_reset", ... */

/* What hv_ops.wait saw. */
enum hv_event_type {
	HV_EVENT_SHUTDOWN, /* the domain shut down and still exists (reason says why) */
	HV_EVENT_DEATH,	   /* the domain is gone (destroyed by someone else) */
	HV_EVENT_TIMEOUT,  /* hv_wait_opts.timeout_ms passed */
	HV_EVENT_WATCH,	   /* a caller's watch asked to stop waiting */
	_HV_EVENT_MAX,
	_HV_EVENT_INVALID = -22,
};
const char *hv_event_type_to_string(enum hv_event_type t);

struct hv_event {
	enum hv_event_type type;
	enum hv_shutdown reason; /* HV_EVENT_SHUTDOWN */
	int watch_result;	 /* HV_EVENT_WATCH: the watch callback's positive return value */
};

/*
 * A file descriptor of the caller's (the FAI monitor's socket, a connection, a pipe) polled in
 * the same loop as the hypervisor's own events and the guest consoles, so one thread waits for
 * all of them. fn runs when poll() reports revents for fd; it returns 0 to keep waiting, > 0 to
 * make wait return HV_EVENT_WATCH with that value, < 0 (-errno) to make wait fail with it.
 */
struct hv_watch {
	int fd;
	short events; /* POLLIN, ... */
	int (*fn)(int fd, short revents, void *userdata);
	void *userdata;
};

struct hv_wait_opts {
	int timeout_ms; /* < 0: no timeout; small slices let the caller print progress */
	const struct hv_watch *watches;
	size_t n_watches;
};

/* Where libxl's own messages go, and how many: the dispatcher's -v count. */
/* What a Dom0's hypervisor is and has (hv_host_info()). */
struct hv_host_info {
	char version[32];	/* "4.17.3" */
	uint64_t mem_total_mib; /* the host's memory */
	uint64_t mem_free_mib;	/* what new domains can have now */
	/* Xen can log a PV domain's dirty pages (shadow paging), which moving a PV guest live
	 * needs; Debian's Xen 4.17 is built without (CONFIG_SHADOW_PAGING is not set) */
	bool pv_log_dirty;
};

/* migrate_send's flags. */
enum hv_migrate_flags {
	HV_MIGRATE_LIVE = 1 << 0, /* copy the memory while the domain runs (xl migrate's default) */
};

/* How far migrate_send is: fn(bytes written into the stream so far, userdata). */
struct hv_progress {
	void (*fn)(uint64_t bytes, void *userdata);
	void *userdata;
};

struct hv_open_opts {
	FILE *log;   /* NULL: stderr. Never closed. */
	int verbose; /* 0: warnings and errors, 1: +info, 2: +detail, 3 and more: +debug */
};

/*
 * The hypervisor as the pipeline uses it (STYLE §2): hv_libxl_ops drives Xen through
 * libxenlight; tests plug in a double to reach the error paths. h is what open returned.
 * Every function appends its reason to d when it fails and returns -errno.
 * The optional members (preserve, core_dump, soft_reset) may be NULL: hv_shutdown_apply()
 * then fails with -EOPNOTSUPP for the actions that need them.
 */
struct hv_ops {
	const char *name; /* "libxl" */
	/* Connect. Returns -ENODEV with "not a Xen dom0 (no /dev/xen/privcmd)" off Xen. */
	int (*open)(const struct hv_open_opts *o, void **ret_h, struct diag *d);
	/* Stop capturing consoles (after a last read) and disconnect. Accepts NULL. */
	void (*close)(void *h);
	/*
	 * Create the domain described by cfg (checked with hv_domcfg_check() first) and start it.
	 * With console_log set, the guest's console is appended to that file from its first byte
	 * (captured before the domain is unpaused) for as long as h lives and the domain runs;
	 * the data is copied while wait runs. Failing to capture is a warning in d, not an error.
	 */
	int (*create)(void *h, const struct hv_domcfg *cfg, const char *console_log,
		      uint32_t *ret_domid, struct diag *d);
	/* Wait for domid to shut down or die, for a watch, or for the timeout (see hv_event). */
	int (*wait)(void *h, uint32_t domid, const struct hv_wait_opts *o, struct hv_event *ret,
		    struct diag *d);
	/* Destroy domid (its console is read one last time). -ENOENT (nothing in d): no such
	 * domain. */
	int (*destroy)(void *h, uint32_t domid, struct diag *d);
	/* The id of the domain called name; -ENOENT (nothing in d) when there is none. */
	int (*domid)(void *h, const char *name, uint32_t *ret_domid, struct diag *d);
	/* Keep the shut-down domid under "NAMEsuffix" (rename-restart). */
	int (*preserve)(void *h, const struct hv_domcfg *cfg, uint32_t domid, const char *suffix,
			struct diag *d);
	/* Write domid's memory to path. */
	int (*core_dump)(void *h, uint32_t domid, const char *path, struct diag *d);
	/* Reset domid in place from cfg and start it again (on_soft_reset). */
	int (*soft_reset)(void *h, const struct hv_domcfg *cfg, uint32_t domid, struct diag *d);
	/* Memory the hypervisor can give new domains now, in MiB. */
	int (*free_memory)(void *h, uint64_t *ret_mib, struct diag *d);
	/* The hypervisor's version and memory (optional: NULL, -EOPNOTSUPP). */
	int (*host_info)(void *h, struct hv_host_info *ret, struct diag *d);
	/*
	 * Migration (optional, all four or none: NULL, -EOPNOTSUPP; doc/migrate.md has the
	 * handshake around them). migrate_send writes domid's whole state into fd (a stream:
	 * the transport's socket), as xl migrate does: with HV_MIGRATE_LIVE its memory is copied
	 * while it runs and it is suspended for the last round only; without, it is suspended
	 * first. progress (may be NULL) is called as the stream is written. On success the
	 * domain is suspended here: destroy it once the receiver runs its copy, or resume it.
	 * On failure it is suspended (resume it) or, with -ETIMEDOUT (the guest did not
	 * suspend), still running: nothing to resume.
	 */
	int (*migrate_send)(void *h, uint32_t domid, int fd, unsigned flags,
			    const struct hv_progress *progress, struct diag *d);
	/*
	 * Make domain cfg from the stream migrate_send writes, read from fd up to its end and
	 * not further (the handshake goes on on fd). The domain is left paused. On failure no
	 * domain of it is left that libxl knows of (the caller destroys by name to be sure).
	 */
	int (*migrate_receive)(void *h, const struct hv_domcfg *cfg, int fd, uint32_t *ret_domid,
			       struct diag *d);
	/* Let a paused domain (migrate_receive's) run. */
	int (*unpause)(void *h, uint32_t domid, struct diag *d);
	/* Let a domain migrate_send suspended run again here (a migration that failed). */
	int (*resume)(void *h, uint32_t domid, struct diag *d);
};

extern const struct hv_ops hv_libxl_ops;

/* What to do after a shutdown: xl's on_* handling, which libxl leaves to its caller. */
enum hv_next_step {
	HV_NEXT_LEAVE,		/* suspended: leave the domain alone (as xl does) */
	HV_NEXT_DESTROY,	/* destroy it */
	HV_NEXT_RESTART,	/* destroy it, then create it again from the same config */
	HV_NEXT_PRESERVE,	/* keep the shut-down domain for inspection */
	HV_NEXT_RENAME_RESTART, /* keep it renamed NAME-YYYYmmddTHHMMZ, create a new one */
	HV_NEXT_SOFT_RESET,	/* reset it in place and start it again */
	_HV_NEXT_MAX,
	_HV_NEXT_INVALID = -22,
};
const char *hv_next_step_to_string(enum hv_next_step s); /* "destroy", "rename-restart", ... */

struct hv_next {
	enum hv_next_step step;
	bool coredump; /* dump the domain's core to HV_DUMP_DIR/NAME first */
};

/*
 * The policy, pure: poweroff, reboot and crash follow c->on_poweroff/on_reboot/on_crash;
 * watchdog destroys and soft_reset soft-resets (xl's defaults for on_watchdog and
 * on_soft_reset, which hv_domcfg does not carry); suspend leaves the domain; an unknown
 * reason (or an out-of-range action) destroys, as xl does. coredump-destroy and
 * coredump-restart are DESTROY and RESTART with coredump set.
 */
struct hv_next hv_shutdown_next(enum hv_shutdown reason, const struct hv_domcfg *c);

/*
 * Carry out hv_shutdown_next(reason, c) for domain *domid_io, which shut down, through ops.
 * A failed core dump is a warning (xl goes on too). A restarted domain's console goes to
 * console_log (may be NULL). *domid_io is updated to the domain that now runs under c->name:
 * the new id after a restart or soft reset, unchanged for LEAVE and PRESERVE, HV_DOMID_NONE
 * after DESTROY. ret_next (may be NULL) gets the decision.
 * Returns: 0, or < 0 with the reason in d (-EOPNOTSUPP when ops lacks what the step needs).
 */
int hv_shutdown_apply(const struct hv_ops *ops, void *h, const struct hv_domcfg *c,
		      const char *console_log, enum hv_shutdown reason, uint32_t *domid_io,
		      struct hv_next *ret_next, struct diag *d);

/*
 * The memory the hypervisor can give new domains now, in MiB: ops opened, asked, closed.
 * Returns: 0, -ENODEV (not a Xen dom0: the reason in d), other < 0 with the reason in d.
 */
int hv_free_memory(const struct hv_ops *ops, const struct hv_open_opts *o, uint64_t *ret_mib,
		   struct diag *d);
/*
 * Whether a domain called name is on this host (running, paused, or shut down and not yet
 * destroyed): ops opened, asked, closed. *ret_domid (may be NULL) gets its id.
 * Returns: 1 there is, 0 there is none, -ENODEV (not a Xen dom0: the reason in d), other < 0.
 */
int hv_domain_exists(const struct hv_ops *ops, const struct hv_open_opts *o, const char *name,
		     uint32_t *ret_domid, struct diag *d);
/*
 * The same connection for the version and memory of this Dom0's hypervisor.
 * Returns: 0, -ENODEV (not a Xen dom0: the reason in d), other < 0 with the reason in d.
 */
int hv_host_info(const struct hv_ops *ops, const struct hv_open_opts *o, struct hv_host_info *ret,
		 struct diag *d);

/*
 * Destroy the domain called name. Returns: 0, -ENOENT (nothing in d) when no domain has that
 * name, other < 0 with the reason in d.
 */
int hv_domain_destroy_by_name(const struct hv_ops *ops, void *h, const char *name, struct diag *d);

/* ---- Guest consoles ----------------------------------------------------------------------- */

/*
 * The console log of a guest in one stage: STATE_DIR/guests/NAME/console-STAGE.log (the caller
 * creates the directory). name must be a valid domain name, stage [a-z]+.
 * Returns: 0 and a path in *ret (caller frees), -EINVAL, -ENOMEM.
 */
int hv_console_log_path(const char *state_dir, const char *name, const char *stage, char **ret);

/*
 * The last nlines lines of a console log, made safe to print on a terminal: CR LF is a line
 * end, text before a lone CR is dropped (the terminal would overwrite it), ANSI escape
 * sequences and other control characters except TAB are removed. Only the file's last
 * HV_CONSOLE_TAIL_MAX bytes are read; a line cut there is left out. Every line in *ret ends in
 * '\n'; *ret is "" for an empty file or nlines 0.
 * Returns: 0 and the text in *ret (caller frees), -errno (-ENOENT: no log).
 */
#define HV_CONSOLE_TAIL_MAX (64 * 1024)
int hv_console_tail(const char *path, unsigned nlines, char **ret);
