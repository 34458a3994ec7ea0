/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * provision batch: the guests of a batch file, each a request run by a child
 * `provision new-guest --request - --json` (batch-run.c), with the progress shown as a live
 * table on a terminal or as plain lines (batch-run.c), and the plan of -n made in this
 * process on one scratch inventory (cmd-batch.c).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/strbuf.h"
#include "cmds.h"

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

struct batch_guest {
	const struct tmpl_request *req; /* borrowed from the batch */
	char *refused;			/* the request's errors found before it ran, or NULL */
	enum bg_status status;
	char *stage;   /* last stage started (running) or reached (done) */
	char *message; /* last progress line */
	char *ip, *mac, *lun;
	uint64_t part_start, part_size; /* -n: the planned partition */
	char *err_stage, *err_cause;
	int64_t start_usec, end_usec;
	bool allocated; /* past the allocate stage (or ended): the next guest may start */
	/* the child */
	pid_t pid;
	int fd_out, fd_err;
	struct strbuf out, err_line;
};

struct batch {
	struct prov_ctx *ctx;
	const char *name;
	struct batch_guest *g;
	size_t n;
	const char *until; /* NULL: every stage */
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

/* Progress of one guest changed: a plain line, or a redraw of the table. */
void batch_progress(struct batch *b, struct batch_guest *g, const char *line);
/* Redraw the live table (elapsed times move on). */
void batch_redraw(struct batch *b);

void batch_guest_release(struct batch_guest *g);
