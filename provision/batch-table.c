/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The progress of a batch (batch.h): a live table on a terminal, else plain lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util.h"
#include "templates/templates.h"
#include "batch.h"

static void set_message(struct batch_guest *g, const char *v)
{
	char *c = v ? strdup(v) : NULL;

	free(g->message);
	g->message = c;
}

/* ---- progress ---- */

static void plain_line(struct batch *b, const struct batch_guest *g, const char *what)
{
	fprintf(b->progress, "%s: %s\n", g->req->name, what);
	fflush(b->progress);
}

void batch_redraw(struct batch *b)
{
	struct winsize ws = {0};
	unsigned cols = 100, rows = 40, shown = 0, waiting = 0, done = 0;
	int64_t now = mono_usec();

	if (ioctl(fileno(b->progress), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 40) {
		cols = ws.ws_col;
		rows = ws.ws_row > 6 ? ws.ws_row : 6;
	}
	if (b->drawn)
		fprintf(b->progress, "\033[%uA", b->drawn);
	fprintf(b->progress, "\r\033[K%-20s %-9s %-8s %s\n", "GUEST", "STAGE", "ELAPSED", "LAST");
	shown = 1;
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_guest *g = &b->g[i];
		char el[32] = "", line[512];
		int64_t t;

		if (g->status == BG_WAITING) {
			waiting++;
			continue;
		}
		/* a batch taller than the terminal: finished guests give way to running ones */
		if (g->status == BG_DONE && b->n + 2 > rows) {
			done++;
			continue;
		}
		if (shown + 2 >= rows)
			continue;
		t = (g->end_usec ? g->end_usec : now) - g->start_usec;
		if (g->start_usec)
			snprintf(el, sizeof(el), "%lld:%02lld", (long long) (t / 60000000),
				 (long long) (t / 1000000 % 60));
		snprintf(line, sizeof(line), "%-20s %-9s %-8s %s", g->req->name,
			 g->status == BG_RUNNING ? (g->stage ? g->stage : "start")
						 : bg_status_to_string(g->status),
			 el, g->message ? g->message : "");
		if (strlen(line) >= cols)
			line[cols - 1] = '\0';
		fprintf(b->progress, "\r\033[K%s\n", line);
		shown++;
	}
	fprintf(b->progress, "\r\033[K%u waiting%s", waiting, done ? "" : "\n");
	if (done)
		fprintf(b->progress, ", %u more done\n", done);
	shown++;
	/* lines left over from a taller table */
	for (unsigned i = shown; i < b->drawn; i++)
		fprintf(b->progress, "\r\033[K\n");
	if (b->drawn > shown)
		fprintf(b->progress, "\033[%uA", b->drawn - shown);
	b->drawn = shown;
	fflush(b->progress);
}

void batch_progress(struct batch *b, struct batch_guest *g, const char *line, bool plain)
{
	if (line)
		set_message(g, line);
	if (b->live)
		batch_redraw(b);
	else if (plain && line)
		plain_line(b, g, line); /* "lab03: stage format" */
}

void batch_finished(struct batch *b, struct batch_guest *g)
{
	_cleanup_(freep) char *s = NULL;
	int k = -1;

	g->end_usec = mono_usec();
	if (g->status == BG_DONE)
		k = asprintf(&s, "done (stage %s%s%s)", g->stage ? g->stage : "none",
			     g->ip ? ", IP " : "", g->ip ? g->ip : "");
	else if (g->status == BG_FAILED)
		k = asprintf(&s, "failed at %s: %s", g->err_stage ? g->err_stage : "start",
			     g->err_cause ? g->err_cause : "unknown cause");
	if (k < 0)
		s = NULL;
	else
		set_message(g, s);
	if (b->live)
		batch_redraw(b);
	else if (s)
		plain_line(b, g, s);
}
