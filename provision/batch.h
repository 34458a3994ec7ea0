/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * provision batch: the guests of a batch file, each a request run by a child
 * `provision new-guest --request - --json` (batch-run.c) that reports on an event channel
 * (events.h), with the progress shown as a live table on a terminal or as plain lines
 * (batch-run.c). The plan (which guest gets which partition, MAC and IP, in which order) is
 * made by one function, batch_plan() (batch-plan.c), for -n and before a real run alike.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/run.h"
#include "common/strbuf.h"
#include "cmds.h"
#include "pipeline.h"

struct tmpl_request;

enum bg_status {
	BG_WAITING,
	BG_RUNNING,
	BG_DONE,
	BG_FAILED,
	BG_SKIPPED,
	_BG_STATUS_MAX,
};

const char *bg_status_to_string(enum bg_status s);

/* What batch_plan() planned for a guest. */
struct batch_plan {
	enum bg_status status; /* BG_DONE: planned; BG_FAILED, BG_SKIPPED */
	char *stage;	       /* the last stage planned */
	char *ip, *mac, *lun;
	uint64_t part_start, part_size;
	char *host; /* the Dom0 that runs it (--host) */
	char *err_stage, *err_cause;
};

void batch_plan_release(struct batch_plan *pl);

/* The first error of d as "FILE:LINE:COL: message" (or the message). Caller frees. */
char *batch_first_error(const struct diag *d);

struct batch;

struct batch_guest {
	const struct tmpl_request *req; /* borrowed from the batch */
	char *refused;			/* the request's errors found before it ran, or NULL */
	enum bg_status status;
	char *stage;   /* last stage started (running) or reached (done) */
	char *message; /* last progress line */
	char *ip, *mac, *lun;
	uint64_t part_start, part_size;
	char *err_stage, *err_cause;
	int64_t start_usec, end_usec;
	bool allocated; /* past the allocate stage (or ended): the next guest may start */
	struct batch_plan plan;
	/* the child */
	struct batch *b;
	struct run_child child;
	char *req_json;
	int result;	     /* the result event's ok: 1, 0; -1: none came */
	unsigned bad_events; /* lines on the event fd that were not JSON objects */
};

/* What a child's stderr is kept of: for the cause when it ends without a result. */
#define BATCH_STDERR_TAIL 4096

struct batch {
	struct prov_ctx *ctx;
	const char *name;
	struct batch_guest *g;
	size_t n;
	const char *until; /* NULL: every stage */
	const char *host;  /* --host: NULL, a Dom0 or "auto" (the plan places each guest) */
	unsigned parallel;
	bool keep_going;
	FILE *progress; /* stdout, or stderr with --json */
	bool live;	/* progress is a terminal: a table redrawn in place */
	unsigned drawn; /* lines of the table on the terminal */
};

/*
 * Run the waiting guests, at most b->parallel at once, as child processes of this program,
 * each started once the one before it is past allocate (allocations in the batch's order);
 * after a failure start no more unless keep_going (the rest become skipped). A guest with
 * `refused` set fails when its turn comes, without a child.
 * Returns: 0 (look at each guest's status), or < 0 when children cannot be started.
 */
int batch_run(struct batch *b);

/*
 * The plan of every guest, in the batch's order, into each g->plan: each guest's pipeline
 * with dry_run in this process, all on one scratch copy of the inventory, so that the plan is
 * cumulative (lab02 does not get lab01's address). Progress lines go to out (NULL: nowhere).
 * After a guest's failure the rest are planned only with keep_going (else skipped).
 * Returns: 0, or < 0 when the inventory cannot be copied.
 */
struct pipeline_opts;
int batch_plan(struct batch *b, const struct pipeline_opts *o, FILE *out, bool keep_going);

/* Progress of one guest changed: the table redrawn, or with plain "NAME: line" printed. */
void batch_progress(struct batch *b, struct batch_guest *g, const char *line, bool plain);
/* A guest ended (g->status): its last line, in the table or plain. */
void batch_finished(struct batch *b, struct batch_guest *g);
/* Redraw the live table (elapsed times move on). */
void batch_redraw(struct batch *b);

void batch_guest_release(struct batch_guest *g);
