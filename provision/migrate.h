/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Moving a running guest to another Dom0 (doc/migrate.md).
 *
 * migrate-proto.c: the handshake of the two provision processes around the hypervisor's
 * stream, both halves, over a transport the caller made (the source: a socket to the site's
 * ssh command running `provision migrate-receive NAME` on the target; the target: its stdin
 * and stdout). Lines of text, then the hypervisor's stream, then lines again:
 *
 *   target: "provision-migrate 1 ready NAME"      or "provision-migrate 1 refused REASON"
 *   source: "stream live" | "stream offline"      then hv migrate_send's stream
 *   target: "restored DOMID"  (paused)            or "failed REASON" (nothing left there)
 *   source: "go"                                  the commit point
 *   target: "running DOMID"                       or "failed REASON", then "destroyed"
 *   source: destroys its copy, records the target as the guest's Dom0, then "done"
 *
 * Before "go" every failure leaves the guest running on the source, unchanged: the source
 * resumes its (suspended) domain and the target destroys its half-made one. After "go" the
 * source resumes only when the target said it destroyed its copy; when the source hears
 * nothing after "go", neither side can know which copy may run: both are left alone and the
 * error says so (as xl does).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/diag.h"
#include "common/macro.h"

struct hv_ops;

#define PROV_MIGRATE_PROTO "provision-migrate 1"

/* Where a migration stopped (the error names it). */
enum prov_migrate_step {
	MIGRATE_STEP_NONE,    /* it did not stop: done */
	MIGRATE_STEP_HELLO,   /* the target did not answer ready */
	MIGRATE_STEP_STREAM,  /* sending the domain */
	MIGRATE_STEP_RESTORE, /* the target making the domain from the stream */
	MIGRATE_STEP_GO,      /* the commit: telling the target to start it */
	MIGRATE_STEP_START,   /* the target starting it */
	MIGRATE_STEP_CLEANUP, /* destroying the source's copy */
	MIGRATE_STEP_RECORD,  /* recording the new Dom0 in the inventory */
	_MIGRATE_STEP_MAX,
	_MIGRATE_STEP_INVALID = -22,
};
const char *prov_migrate_step_to_string(enum prov_migrate_step s); /* "stream", "go", ... */

/* How long each side waits for the other's next line (ms); 0: the defaults. */
struct prov_migrate_timeouts {
	int hello_ms;	 /* the target's ready line: ssh, its checks (default 120 s) */
	int restored_ms; /* after the stream: the target's restore (default 300 s) */
	int go_ms;	 /* the target waits this long for "go" (default 120 s) */
	int running_ms;	 /* the source waits this long for "running" (default 120 s) */
};

/* The source's half. */
struct prov_migrate_send {
	const struct hv_ops *hv;
	void *h;
	const char *name, *to; /* for messages */
	uint32_t domid;
	unsigned flags; /* HV_MIGRATE_LIVE */
	int fd;		/* the transport: read and written */
	struct prov_migrate_timeouts t;
	void (*progress)(uint64_t bytes, void *userdata);
	/* after the source's copy is gone: record the target as the guest's Dom0 */
	int (*commit)(void *userdata, struct diag *d);
	void *userdata;
	/* results */
	enum prov_migrate_step stopped_at;
	bool moved;   /* the guest runs on the target */
	bool resumed; /* it was stopped for the move and runs on the source again */
	bool unknown; /* after "go" the target went silent: which copy runs is not known */
	uint32_t target_domid;
};

/*
 * Run the source's half (see above). m->stopped_at says where it stopped; a failure before
 * the commit leaves the guest running here (m->resumed when it had been suspended).
 * Returns: 0 (m->moved), or < 0 with the reason and where it stopped in d.
 */
int prov_migrate_send_run(struct prov_migrate_send *m, struct diag *d);

/* The target's half. */
struct prov_migrate_recv {
	const struct hv_ops *hv;
	void *h;
	const struct hv_domcfg *cfg;
	int rfd, wfd; /* the transport (stdin, stdout) */
	struct prov_migrate_timeouts t;
	const char *refuse; /* non-NULL: answer "refused" with this reason */
	/* the source could not be told the guest runs here: record it ourselves */
	int (*orphan)(void *userdata, struct diag *d);
	void *userdata;
	/* results */
	enum prov_migrate_step stopped_at;
	bool running;
	uint32_t domid;
};

/*
 * Run the target's half. Returns: 0 (the guest runs here, paused no longer), or < 0 with the
 * reason in d (nothing of the guest is left here).
 */
int prov_migrate_recv_run(struct prov_migrate_recv *m, struct diag *d);

/*
 * One line of the handshake from fd, without its '\n', read byte by byte so that nothing of
 * the stream after it is taken (at most 511 bytes). Returns: 0, -ETIMEDOUT after timeout_ms,
 * -EPIPE at the end of the stream, -EPROTO for a line too long, -errno.
 */
int prov_migrate_read_line(int fd, int timeout_ms, char buf[static 512]);
/* Write one line (a '\n' is added). Returns: 0 or -errno (-EPIPE: the peer is gone). */
int prov_migrate_write_line(int fd, const char *fmt, ...) _printf_(2, 3);
