/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guests of a batch as child processes: each is `provision new-guest --request - --json`
 * (this very program, /proc/self/exe, from an argv: no shell, started with common/run.h)
 * with its request as JSON on its stdin and an event channel as its fd 3 (events.h): its
 * stage, progress and result events, read with the JSON reader, are all this file learns of
 * its run. Its stderr is kept (the tail) only for a child that ends without a result; its
 * human lines are never parsed. Several run at once; the pipeline serialises the LUN writes.
 *
 * A guest starts only once the one before it is past `allocate` (its allocate stage done):
 * allocations happen in the batch's order, so lab01 gets the first free address, lab02 the
 * next, as batch_plan() planned them, while the slow stages (format, install) still overlap.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "templates/templates.h"
#include "batch.h"

static const char *const bg_status_names[_BG_STATUS_MAX] = {
	[BG_WAITING] = "waiting", [BG_RUNNING] = "running", [BG_DONE] = "done",
	[BG_FAILED] = "failed",	  [BG_SKIPPED] = "skipped",
};

DEFINE_STRING_TABLE_TO(bg_status, enum bg_status, bg_status_names)

void batch_guest_release(struct batch_guest *g)
{
	free(g->refused);
	free(g->stage);
	free(g->message);
	free(g->ip);
	free(g->mac);
	free(g->lun);
	free(g->err_stage);
	free(g->err_cause);
	free(g->req_json);
	run_child_release(&g->child);
	batch_plan_release(&g->plan);
	*g = (struct batch_guest){0};
}

static __attribute__((noinline)) void set_str(char **field, const char *v)
{
	char *c = v ? strdup(v) : NULL;

	free(*field);
	*field = c;
}

/* ---- children ---- */

static char *request_json(const struct tmpl_request *req)
{
	struct json j;

	json_init(&j, false);
	json_obj_begin(&j);
	json_key_str(&j, "request_id", req->request_id);
	json_key_str(&j, "name", req->name);
	json_key_str(&j, "template", req->template_name);
	if (req->owner)
		json_key_str(&j, "owner", req->owner);
	if (req->ip)
		json_key_str(&j, "ip", req->ip);
	if (req->mac)
		json_key_str(&j, "mac", req->mac);
	if (req->lun)
		json_key_str(&j, "lun", req->lun);
	for (size_t i = 0; i < req->n_params; i++)
		json_key_str(&j, req->params[i].key, req->params[i].value);
	json_obj_end(&j);
	return json_finish(&j);
}

/* The result event: how the child's run ended, its addresses and partition. */
static void on_result(struct batch_guest *g, const struct json_value *v)
{
	const struct json_value *part = json_get(v, "partition");

	g->result = json_get_bool(v, "ok") == 1 ? 1 : 0;
	set_str(&g->ip, json_get_str(v, "ip"));
	set_str(&g->mac, json_get_str(v, "mac"));
	set_str(&g->lun, json_get_str(v, "lun"));
	if (json_get_str(v, "reached"))
		set_str(&g->stage, json_get_str(v, "reached"));
	if (part && (json_get_u64(part, "start", &g->part_start) < 0 ||
		     json_get_u64(part, "size", &g->part_size) < 0))
		g->part_start = g->part_size = 0;
	if (!g->result) {
		set_str(&g->err_stage, json_get_str(v, "stage"));
		set_str(&g->err_cause, json_get_str(v, "cause"));
	}
}

/* One line on the child's event fd (events.h): JSON, never its human stderr. */
static void on_event(struct run_child *c, const char *line)
{
	_cleanup_(json_value_freep) struct json_value *v = NULL;
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct batch_guest *g = c->userdata;
	const char *ev, *stage, *state;

	if (json_parse(line, strlen(line), &v, &d) < 0 || v->type != JSON_OBJECT) {
		g->bad_events++; /* not ours: ignored (the result decides) */
		return;
	}
	ev = json_get_str(v, "event");
	stage = json_get_str(v, "stage");
	state = json_get_str(v, "state");
	if (ev && streq(ev, "stage") && stage && state) {
		if (streq(state, "started")) {
			_cleanup_(freep) char *msg = NULL;

			set_str(&g->stage, stage);
			g->allocated = g->allocated || !streq(stage, "allocate");
			if (asprintf(&msg, "stage %s", stage) >= 0)
				batch_progress(g->b, g, msg, true);
		} else if (streq(state, "done") && streq(stage, "allocate")) {
			g->allocated = true; /* the next guest may allocate */
		}
	} else if (ev && streq(ev, "progress") && json_get_str(v, "message")) {
		batch_progress(g->b, g, json_get_str(v, "message"), false);
	} else if (ev && streq(ev, "result")) {
		on_result(g, v);
	}
}

static int child_start(struct batch *b, struct batch_guest *g)
{
	char *env[] = {(char *) "PROVISION_EVENTS_FD=3", NULL};
	char *argv[14];
	int n = 0;

	g->req_json = request_json(g->req);
	if (!g->req_json)
		return -ENOMEM;
	argv[n++] = (char *) "provision";
	argv[n++] = (char *) "--site";
	argv[n++] = (char *) b->ctx->site_path;
	argv[n++] = (char *) "new-guest";
	argv[n++] = (char *) "--request";
	argv[n++] = (char *) "-";
	argv[n++] = (char *) "--json"; /* progress on stderr; the result is the event's */
	if (b->until) {
		argv[n++] = (char *) "--until";
		argv[n++] = (char *) b->until;
	}
	if (g->plan.host && b->host) {
		argv[n++] = (char *) "--host"; /* where the plan placed it */
		argv[n++] = g->plan.host;
	}
	argv[n] = NULL;
	g->b = b;
	g->result = -1;
	g->child = (struct run_child){
		.path = "/proc/self/exe",
		.argv = argv,
		.env = env,
		.in = {.io = RUN_PIPE, .data = g->req_json},
		.err = {.io = RUN_PIPE, .cap = BATCH_STDERR_TAIL, .keep_tail = true},
		.extra = {{.io = RUN_PIPE, .num = 3, .on_line = on_event}},
		.userdata = g,
	};
	g->status = BG_RUNNING;
	g->start_usec = mono_usec();
	return run_start(&g->child);
}

/* The last line of the child's stderr, or NULL. */
static const char *last_line(struct strbuf *err, char *buf, size_t size)
{
	const char *s = strbuf_str(err);
	size_t len = strlen(s);

	while (len && s[len - 1] == '\n')
		len--;
	if (!len)
		return NULL;
	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == '\n') {
			s += i;
			len -= i;
			break;
		}
	snprintf(buf, size, "%.*s", (int) len, s);
	return buf;
}

/* The child ended: its result event, else its exit status, says how. */
static void child_end(struct batch *b, struct batch_guest *g)
{
	const struct run_child *c = &g->child;

	g->allocated = true;
	g->status = c->exit_code == 0 && g->result == 1 ? BG_DONE : BG_FAILED;
	if (g->status == BG_FAILED && !g->err_cause) {
		char s[600], line[512];
		const char *last = last_line(&g->child.err.buf, line, sizeof(line));

		if (c->exit_code < 0)
			snprintf(s, sizeof(s), "killed by signal %d", c->signal);
		else
			snprintf(s, sizeof(s), "exited with status %d", c->exit_code);
		if (last)
			snprintf(s + strlen(s), sizeof(s) - strlen(s), " (its last line: %s)",
				 last);
		set_str(&g->err_cause, s);
	}
	batch_finished(b, g);
}

static size_t running(const struct batch *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++)
		n += b->g[i].status == BG_RUNNING;
	return n;
}

/* Wait for output or a child's end, at most timeout_ms; handle what came. */
static int poll_children(struct batch *b, int timeout_ms)
{
	_cleanup_(freep) struct pollfd *fds = calloc(b->n * RUN_POLL_MAX + 1, sizeof(*fds));
	_cleanup_(freep) size_t *first = calloc(b->n + 1, sizeof(*first));
	size_t n = 0;
	int k;

	if (!fds || !first)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_guest *g = &b->g[i];

		first[i] = n;
		if (g->status != BG_RUNNING)
			continue;
		n += run_poll_fds(&g->child, fds + n, RUN_POLL_MAX);
		timeout_ms = run_poll_timeout(&g->child, timeout_ms);
	}
	first[b->n] = n;
	k = poll(fds, n, timeout_ms);
	if (k < 0 && errno != EINTR)
		return -errno;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_guest *g = &b->g[i];

		if (g->status != BG_RUNNING)
			continue;
		k = run_handle(&g->child, fds + first[i], first[i + 1] - first[i]);
		if (k < 0)
			return k;
		if (k > 0)
			child_end(b, g);
	}
	return 0;
}

int batch_run(struct batch *b)
{
	bool stop = false;
	size_t next = 0;
	int r = 0;

	signal(SIGPIPE, SIG_IGN);
	if (b->live)
		batch_redraw(b);
	for (;;) {
		for (size_t i = 0; i < b->n; i++)
			if (b->g[i].status == BG_FAILED)
				stop = !b->keep_going;
		while (!stop && r >= 0 && next < b->n && running(b) < b->parallel &&
		       (next == 0 || b->g[next - 1].allocated)) {
			struct batch_guest *g = &b->g[next++];

			if (g->refused) {
				g->allocated = true;
				g->status = BG_FAILED;
				set_str(&g->err_stage, "request");
				set_str(&g->err_cause, g->refused);
				batch_finished(b, g);
				stop = !b->keep_going;
				continue;
			}
			r = child_start(b, g);
			if (r < 0) {
				g->allocated = true;
				g->status = BG_FAILED;
				set_str(&g->err_cause, strerror(-r));
				batch_finished(b, g);
				break;
			}
			batch_progress(b, g, "started", false);
		}
		if (!running(b) && (stop || r < 0 || next >= b->n))
			break;
		if (poll_children(b, 500) < 0)
			break;
		if (b->live)
			batch_redraw(b);
	}
	for (size_t i = next; i < b->n; i++)
		b->g[i].status = BG_SKIPPED;
	if (b->live)
		batch_redraw(b);
	return r;
}
