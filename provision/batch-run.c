/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guests of a batch as child processes: each is `provision new-guest --request - --json`
 * (this very program, /proc/self/exe, from an argv: no shell) with its request as JSON on
 * its stdin. Its stderr lines ("stage: carve", errors) are the progress; its stdout is the
 * one JSON result. Several run at once; the pipeline itself serialises the LUN writes.
 *
 * A guest starts only once the one before it is past `allocate`: allocations happen in
 * the batch's order, so lab01 gets the first free address, lab02 the next, exactly as -n
 * planned them, while the slow stages (format, install) still overlap.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
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
	strbuf_release(&g->out);
	strbuf_release(&g->err_line);
	if (g->fd_out >= 0)
		close(g->fd_out);
	if (g->fd_err >= 0)
		close(g->fd_err);
	*g = (struct batch_guest){.fd_out = -1, .fd_err = -1};
}

static __attribute__((noinline)) void set_str(char **field, const char *v)
{
	char *c = v ? strdup(v) : NULL;

	free(*field);
	*field = c;
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

void batch_progress(struct batch *b, struct batch_guest *g, const char *line)
{
	if (line)
		set_str(&g->message, line);
	if (b->live) {
		batch_redraw(b);
		return;
	}
	/* "lab03: stage format" */
	if (line && strncmp(line, "stage: ", 7) == 0) {
		_cleanup_(freep) char *s = NULL;

		if (asprintf(&s, "stage %s", line + 7) >= 0)
			plain_line(b, g, s);
	}
}

/* Print the end of a guest in plain mode. */
static void finished(struct batch *b, struct batch_guest *g)
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
		set_str(&g->message, s);
	if (b->live)
		batch_redraw(b);
	else if (s)
		plain_line(b, g, s);
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

static int child_start(struct batch *b, struct batch_guest *g)
{
	_cleanup_(freep) char *req = request_json(g->req);
	char *argv[12];
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, n = 0, r;
	pid_t pid;

	if (!req)
		return -ENOMEM;
	argv[n++] = (char *) "provision";
	argv[n++] = (char *) "--site";
	argv[n++] = (char *) b->ctx->site_path;
	argv[n++] = (char *) "new-guest";
	argv[n++] = (char *) "--request";
	argv[n++] = (char *) "-";
	argv[n++] = (char *) "--json";
	if (b->until) {
		argv[n++] = (char *) "--until";
		argv[n++] = (char *) b->until;
	}
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0) {
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
		    dup2(err[1], STDERR_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execv("/proc/self/exe", argv);
		dprintf(STDERR_FILENO, "provision: error: cannot run '/proc/self/exe': %s\n",
			strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* a request is far smaller than a pipe's buffer: this write does not block */
	r = write_all(in[1], req, strlen(req));
	close(in[1]);
	if (r < 0 && r != -EPIPE)
		return r;
	/* non-blocking: what an ended child left in its pipes is drained without waiting */
	(void) fcntl(out[0], F_SETFL, O_NONBLOCK);
	(void) fcntl(err[0], F_SETFL, O_NONBLOCK);
	g->pid = pid;
	g->fd_out = out[0];
	g->fd_err = err[0];
	g->status = BG_RUNNING;
	g->start_usec = mono_usec();
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return r;
}

/* One line of a child's stderr. */
static void child_line(struct batch *b, struct batch_guest *g, const char *line)
{
	const char *s = line + strspn(line, " ");

	if (!*s)
		return;
	if (strncmp(s, "stage: ", 7) == 0) {
		set_str(&g->stage, s + 7);
		g->allocated = g->allocated || !streq(s + 7, "allocate");
	}
	if (strncmp(s, "request '", 9) == 0)
		g->allocated = true; /* made by an earlier run */
	if (strncmp(s, "provision: error: ", 18) == 0 && !g->err_cause)
		set_str(&g->err_cause, s + 18); /* until the JSON result says better */
	batch_progress(b, g, s);
}

/* Read what a child wrote on fd; at EOF close it. */
static void child_read(struct batch *b, struct batch_guest *g, int *fd)
{
	char buf[4096];
	ssize_t k = read(*fd, buf, sizeof(buf));

	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (k <= 0) {
		close(*fd);
		*fd = -1;
		if (fd == &g->fd_err && g->err_line.len) {
			child_line(b, g, strbuf_str(&g->err_line));
			strbuf_reset(&g->err_line);
		}
		return;
	}
	if (fd == &g->fd_out) {
		strbuf_add(&g->out, buf, (size_t) k);
		return;
	}
	for (ssize_t i = 0; i < k; i++) {
		if (buf[i] != '\n') {
			strbuf_putc(&g->err_line, buf[i]);
			continue;
		}
		child_line(b, g, strbuf_str(&g->err_line));
		strbuf_reset(&g->err_line);
	}
}

/* The child ended: its JSON result, else its exit status, says how. */
static void child_end(struct batch *b, struct batch_guest *g, int status)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(strv_freep) char **res = NULL;
	const char *ok = NULL;

	if (g->out.len &&
	    tmpl_doc_flatten("result", strbuf_str(&g->out), g->out.len, &d, &res) >= 0) {
		ok = tmpl_flat_get(res, "ok");
		set_str(&g->ip, tmpl_flat_get(res, "ip"));
		set_str(&g->mac, tmpl_flat_get(res, "mac"));
		set_str(&g->lun, tmpl_flat_get(res, "lun"));
		if (tmpl_flat_get(res, "stage"))
			set_str(&g->stage, tmpl_flat_get(res, "stage"));
		if (tmpl_flat_get(res, "error.stage"))
			set_str(&g->err_stage, tmpl_flat_get(res, "error.stage"));
		if (tmpl_flat_get(res, "error.cause"))
			set_str(&g->err_cause, tmpl_flat_get(res, "error.cause"));
	}
	g->pid = 0;
	g->allocated = true;
	g->status = WIFEXITED(status) && WEXITSTATUS(status) == 0 && ok && streq(ok, "true")
			    ? BG_DONE
			    : BG_FAILED;
	if (g->status == BG_FAILED && !g->err_cause) {
		char s[64];

		if (WIFSIGNALED(status))
			snprintf(s, sizeof(s), "killed by signal %d", WTERMSIG(status));
		else
			snprintf(s, sizeof(s), "exited with status %d", WEXITSTATUS(status));
		set_str(&g->err_cause, s);
	}
	finished(b, g);
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
	_cleanup_(freep) struct pollfd *fds = calloc(2 * b->n + 1, sizeof(*fds));
	_cleanup_(freep) struct batch_guest **owner = calloc(2 * b->n + 1, sizeof(*owner));
	size_t n = 0;
	int k;

	if (!fds || !owner)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		struct batch_guest *g = &b->g[i];

		if (g->status != BG_RUNNING)
			continue;
		if (g->fd_out >= 0) {
			owner[n] = g;
			fds[n++] = (struct pollfd){.fd = g->fd_out, .events = POLLIN};
		}
		if (g->fd_err >= 0) {
			owner[n] = g;
			fds[n++] = (struct pollfd){.fd = g->fd_err, .events = POLLIN};
		}
	}
	k = n ? poll(fds, n, timeout_ms) : 0;
	if (k < 0 && errno != EINTR)
		return -errno;
	for (size_t i = 0; k > 0 && i < n; i++)
		if (fds[i].revents)
			child_read(b, owner[i],
				   fds[i].fd == owner[i]->fd_out ? &owner[i]->fd_out
								 : &owner[i]->fd_err);
	/*
	 * A child that ended: drain its pipes. Its pipes may stay open after it ended (a hook
	 * left something running in the background), so the end is asked of waitpid().
	 */
	for (size_t i = 0; i < b->n; i++) {
		struct batch_guest *g = &b->g[i];
		bool closed;
		int status;

		if (g->status != BG_RUNNING)
			continue;
		closed = g->fd_out < 0 && g->fd_err < 0;
		if (waitpid(g->pid, &status, closed ? 0 : WNOHANG) != g->pid)
			continue;
		for (int j = 0; j < 64 && g->fd_out >= 0; j++)
			child_read(b, g, &g->fd_out);
		for (int j = 0; j < 64 && g->fd_err >= 0; j++)
			child_read(b, g, &g->fd_err);
		if (g->fd_out >= 0)
			close(g->fd_out);
		if (g->fd_err >= 0) {
			close(g->fd_err);
			if (g->err_line.len)
				child_line(b, g, strbuf_str(&g->err_line));
			strbuf_reset(&g->err_line);
		}
		g->fd_out = g->fd_err = -1;
		child_end(b, g, status);
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
				finished(b, g);
				stop = !b->keep_going;
				continue;
			}
			r = child_start(b, g);
			if (r < 0) {
				g->allocated = true;
				g->status = BG_FAILED;
				set_str(&g->err_cause, strerror(-r));
				finished(b, g);
				break;
			}
			batch_progress(b, g, "started");
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
