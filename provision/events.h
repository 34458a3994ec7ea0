/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The event channel of a run (doc/batch.md "The event channel"). With PROVISION_EVENTS_FD=N
 * in its environment (read once at start, then removed: hooks do not see it, and fd N is
 * closed at every exec), provision writes JSON objects on fd N, one a line:
 *
 *	{"event":"stage","stage":"carve","state":"started"}	(also "done", "failed")
 *	{"event":"progress","stage":"install","message":"install: 60s, FAI task 'instsoft'"}
 *	{"event":"result","ok":false,"stage":"network","cause":"...","status":1,...}
 *
 * They come from the code that prints the human lines, so the two cannot drift: a stage
 * event and its "stage: carve" line from pipeline_event_stage(); every line the stages print
 * to p->out (prov_out(): a stream that passes each write to the human stream at once and
 * makes each whole line a progress event); the result from pipeline_event_result(), whose
 * cause is the --json result's (pipeline_cause()). A command that ends without a result
 * event (refused before its pipeline ran) gets one with its first error at exit.
 * Without PROVISION_EVENTS_FD all of this prints the human lines only, exactly as before.
 */

#include <stdio.h>

#include "cmds.h"

struct pipeline;
enum stage;

/*
 * Take PROVISION_EVENTS_FD from the environment. Returns: 0 (also when unset), or
 * EXIT_USAGE (printed) when it is not an fd open for writing.
 */
int prov_events_open(struct prov_ctx *ctx);

/*
 * The stream progress goes to: human itself, or with an event channel one that passes
 * everything on to human at once and sends each whole line as a progress event. Borrowed:
 * valid until prov_events_close().
 */
FILE *prov_out(struct prov_ctx *ctx, FILE *human);

/* An error printed (the first is the fallback result's cause); ctx->diag's first error. */
void prov_events_note(struct prov_ctx *ctx, const char *error);
void prov_events_note_diag(struct prov_ctx *ctx);

/* The end of the run: a result event (exit status status) when none was sent; free all. */
void prov_events_close(struct prov_ctx *ctx, int status);

enum pipeline_event_state {
	PIPELINE_STAGE_STARTED,
	PIPELINE_STAGE_DONE,
	PIPELINE_STAGE_FAILED,
};

/* Stage s of p started ("stage: S" or "plan: S" on p->out, and the event), is done, failed. */
void pipeline_event_stage(struct pipeline *p, enum stage s, enum pipeline_event_state state);

/* The result event of p's run (r as pipeline_run() returned it). */
void pipeline_event_result(struct pipeline *p, int r);

/* Why p's run failed: the first error in ctx->diag, else strerror(-r). Borrowed. */
const char *pipeline_cause(struct pipeline *p, int r);
