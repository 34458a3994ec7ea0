/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event channel of a run (events.h): JSON lines on PROVISION_EVENTS_FD. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "inventory/inventory.h"
#include "events.h"
#include "pipeline.h"

#define EVENTS_ENV "PROVISION_EVENTS_FD"

/* A progress stream: the human stream it writes to, and the line being assembled. */
struct out_cookie {
	struct prov_events *ev;
	FILE *human, *f;
	struct strbuf line;
};

struct prov_events {
	int fd;
	char *stage; /* the stage running, for progress events; NULL: none yet */
	char *first_error;
	bool result_sent;
	struct out_cookie out[2]; /* for stdout and stderr */
};

static void emit(struct prov_events *ev, struct json *j)
{
	_cleanup_(freep) char *text = json_finish(j);

	/* the reader went away: the run goes on, its human output tells the rest */
	if (text && ev->fd >= 0 && write_all(ev->fd, text, strlen(text)) < 0) {
		close(ev->fd);
		ev->fd = -1;
	}
}

static void progress(struct prov_events *ev, const char *line)
{
	struct json j;

	line += strspn(line, " \t");
	if (!*line)
		return;
	json_init(&j, false);
	json_obj_begin(&j);
	json_key_str(&j, "event", "progress");
	json_key_str(&j, "stage", ev->stage);
	json_key_str(&j, "message", line);
	json_obj_end(&j);
	emit(ev, &j);
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
	struct out_cookie *c = cookie;

	/* the human line first, unchanged and at once */
	(void) !fwrite(buf, 1, size, c->human);
	fflush(c->human);
	for (size_t i = 0; i < size; i++) {
		if (buf[i] != '\n') {
			strbuf_putc(&c->line, buf[i]);
			continue;
		}
		progress(c->ev, strbuf_str(&c->line));
		strbuf_reset(&c->line);
	}
	return (ssize_t) size;
}

static int cookie_close(void *cookie)
{
	struct out_cookie *c = cookie;

	if (c->line.len)
		progress(c->ev, strbuf_str(&c->line));
	strbuf_release(&c->line);
	return 0;
}

int prov_events_open(struct prov_ctx *ctx)
{
	const char *s = getenv(EVENTS_ENV);
	uint64_t v;
	int fl;

	if (!s)
		return 0;
	if (parse_u64(s, &v) < 0 || v < 3 || v > 1024 || (fl = fcntl((int) v, F_GETFL)) < 0 ||
	    (fl & O_ACCMODE) == O_RDONLY)
		return usage_error(ctx, EVENTS_ENV ": '%s' is not an fd open for writing", s);
	(void) fcntl((int) v, F_SETFD, FD_CLOEXEC); /* not the hooks', nor any other child's */
	(void) unsetenv(EVENTS_ENV);
	ctx->events = calloc(1, sizeof(*ctx->events));
	if (!ctx->events)
		return EXIT_FAIL;
	ctx->events->fd = (int) v;
	return 0;
}

FILE *prov_out(struct prov_ctx *ctx, FILE *human)
{
	static const cookie_io_functions_t io = {.write = cookie_write, .close = cookie_close};
	struct prov_events *ev = ctx->events;
	struct out_cookie *c;

	if (!ev || (human != stdout && human != stderr))
		return human;
	c = &ev->out[human == stderr];
	if (!c->f) {
		*c = (struct out_cookie){.ev = ev, .human = human};
		c->f = fopencookie(c, "w", io);
		if (!c->f)
			return human;
		setvbuf(c->f, NULL, _IONBF, 0);
	}
	return c->f;
}

void prov_events_note(struct prov_ctx *ctx, const char *error)
{
	if (ctx->events && !ctx->events->first_error && error)
		ctx->events->first_error = strdup(error);
}

void prov_events_note_diag(struct prov_ctx *ctx)
{
	_cleanup_(freep) char *cause = NULL;

	if (!ctx->events || ctx->events->first_error)
		return;
	cause = diag_cause(&ctx->diag, 0); /* the one rule for a cause */
	prov_events_note(ctx, cause);
}

void prov_events_close(struct prov_ctx *ctx, int status)
{
	struct prov_events *ev = ctx->events;

	if (!ev)
		return;
	for (size_t i = 0; i < ELEMENTSOF(ev->out); i++)
		if (ev->out[i].f)
			fclose(ev->out[i].f);
	if (!ev->result_sent) {
		struct json j;
		char s[32];

		snprintf(s, sizeof(s), "exit status %d", status);
		json_init(&j, false);
		json_obj_begin(&j);
		json_key_str(&j, "event", "result");
		json_key_bool(&j, "ok", status == 0);
		json_key_str(&j, "stage", NULL);
		json_key_str(&j, "cause", status ? (ev->first_error ? ev->first_error : s) : NULL);
		json_key_int(&j, "status", status);
		json_obj_end(&j);
		emit(ev, &j);
	}
	if (ev->fd >= 0)
		close(ev->fd);
	free(ev->stage);
	free(ev->first_error);
	free(ev);
	ctx->events = NULL;
}

/* The human stream under p->out: a stage's own line is not also a progress event. */
static FILE *human_of(const struct prov_events *ev, FILE *out)
{
	for (size_t i = 0; ev && i < ELEMENTSOF(ev->out); i++)
		if (ev->out[i].f && ev->out[i].f == out)
			return ev->out[i].human;
	return out;
}

void pipeline_event_stage(struct pipeline *p, enum stage s, enum pipeline_event_state state)
{
	static const char *const states[] = {"started", "done", "failed"};
	struct prov_events *ev = p->ctx->events;
	struct json j;

	if (state == PIPELINE_STAGE_STARTED) {
		FILE *f = human_of(ev, p->out);

		fprintf(f, "%s%s\n", p->o.dry_run ? "plan: " : "stage: ", stage_to_string(s));
		fflush(f);
	}
	if (!ev)
		return;
	if (state == PIPELINE_STAGE_STARTED) {
		free(ev->stage);
		ev->stage = strdup(stage_to_string(s));
	}
	json_init(&j, false);
	json_obj_begin(&j);
	json_key_str(&j, "event", "stage");
	json_key_str(&j, "stage", stage_to_string(s));
	json_key_str(&j, "state", states[state]);
	json_obj_end(&j);
	emit(ev, &j);
}

const char *pipeline_cause(struct pipeline *p, int r)
{
	/* a failed stage set it (fail_stage()); a run refused before any stage: its first error */
	if (!p->cause)
		p->cause = diag_cause(&p->ctx->diag, 0);
	return p->cause ? p->cause : strerror(-r);
}

void pipeline_event_result(struct pipeline *p, int r)
{
	struct prov_events *ev = p->ctx->events;
	const struct inv_guest *g = p->g;
	char mac[18], ip[16];
	struct json j;

	if (!ev)
		return;
	json_init(&j, false);
	json_obj_begin(&j);
	json_key_str(&j, "event", "result");
	json_key_bool(&j, "ok", r >= 0);
	/* failed: the stage that failed (null: refused before any); else the last one done */
	json_key_str(&j, "stage", r < 0 ? p->failed_stage : g ? g->stage : NULL);
	json_key_str(&j, "cause", r < 0 ? pipeline_cause(p, r) : NULL);
	json_key_int(&j, "status", prov_exit_status(r));
	json_key_str(&j, "guest", p->name);
	json_key_str(&j, "reached", g ? g->stage : NULL);
	json_key_str(&j, "ip", g && g->has_ip ? format_ipv4(g->ip, ip) : NULL);
	json_key_str(&j, "mac", g ? format_mac(g->mac, mac) : NULL);
	json_key_str(&j, "lun", g && g->has_partition ? g->part.lun : NULL);
	if (g && g->has_partition) {
		json_key(&j, "partition");
		json_obj_begin(&j);
		json_key_uint(&j, "start", g->part.start);
		json_key_uint(&j, "size", g->part.size);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	emit(ev, &j);
	ev->result_sent = true;
}
