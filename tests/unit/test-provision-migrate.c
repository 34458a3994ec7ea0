/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration handshake (provision/migrate-proto.c), both halves over a socketpair: the
 * source in this process, the target in a child, each on a hypervisor double that writes (the
 * source) or reads (the target) a fake stream, "FAKESTREAM N\n" and N bytes, and appends every
 * call to one log, "a: ..." for the source and "b: ..." for the target. Calls that follow each
 * other through the handshake appear in the log in that order, so the success path's order
 * is asserted whole; on the failure paths the two sides act at the same time and each side's
 * calls are asserted on their own.
 *
 * The failures are the ones a real Xen does not produce on demand: the transport cut in the
 * middle of the stream, the target refusing, the target failing to start the guest after
 * "go", the target going silent after "go". What libxl does on a real Dom0 is the lab's
 * (doc/migrate.md, "What is proven where").
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "hypervisor/hypervisor.h"
#include "provision/migrate.h"
#include "tests/unit/inventory-test.h"
#include "tests/unit/test.h"

#define STREAM_BYTES 4096
#define CHUNK	     1024

struct mfake {
	char side;
	int log_fd;
	uint32_t domid; /* the source's domain; the target's restored one */
	bool exists;
	size_t cut_at;	  /* source: cut the transport after this many bytes of the stream */
	int restore_r;	  /* target: the restore fails */
	int unpause_r;	  /* target: starting the guest fails */
	bool vanish;	  /* target: the process dies while starting the guest */
	bool stay_paused; /* target: a failed restore leaves the domain (libxl should not) */
	uint64_t last_progress;
};

static void mlog(struct mfake *f, const char *fmt, ...) _printf_(2, 3);
static void mlog(struct mfake *f, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "%c: ", f->side);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t) n, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	(void) !write(f->log_fd, buf, (size_t) n); /* O_APPEND: one line at a time */
}

static int f_open(const struct hv_open_opts *o, void **ret_h, struct diag *d)
{
	return -ENODEV;
}

static void f_close(void *h)
{
}

static int f_destroy(void *h, uint32_t domid, struct diag *d)
{
	struct mfake *f = h;

	mlog(f, "destroy %u", domid);
	f->exists = false;
	return 0;
}

static int f_domid(void *h, const char *name, uint32_t *ret, struct diag *d)
{
	struct mfake *f = h;

	mlog(f, "domid %s", name);
	if (!f->exists)
		return -ENOENT;
	*ret = f->domid;
	return 0;
}

static int f_send(void *h, uint32_t domid, int fd, unsigned flags, const struct hv_progress *p,
		  struct diag *d)
{
	struct mfake *f = h;
	char chunk[CHUNK], head[64];
	size_t sent = 0;

	mlog(f, "send %u %s", domid, flags & HV_MIGRATE_LIVE ? "live" : "offline");
	memset(chunk, 'x', sizeof(chunk));
	snprintf(head, sizeof(head), "FAKESTREAM %d\n", STREAM_BYTES);
	if (write_all(fd, head, strlen(head)) < 0)
		return diag_error(d, NULL, "cannot send domain %u", domid);
	while (sent < STREAM_BYTES) {
		if (f->cut_at && sent >= f->cut_at) {
			/* ssh died: the socket is gone both ways */
			(void) shutdown(fd, SHUT_RDWR);
			return diag_error_errno(d, NULL, -EPIPE,
						"cannot send domain %u: the stream broke after "
						"%zu bytes",
						domid, sent);
		}
		if (write_all(fd, chunk, CHUNK) < 0)
			return diag_error(d, NULL, "cannot send domain %u", domid);
		sent += CHUNK;
		if (p && p->fn)
			p->fn(sent, p->userdata);
	}
	return 0;
}

static int f_receive(void *h, const struct hv_domcfg *cfg, int fd, uint32_t *ret_domid,
		     struct diag *d)
{
	struct mfake *f = h;
	char line[512], buf[CHUNK];
	size_t want, got = 0;

	if (prov_migrate_read_line(fd, 5000, line) < 0 ||
	    sscanf(line, "FAKESTREAM %zu", &want) != 1)
		return diag_error(d, NULL, "no stream header");
	f->exists = true; /* libxl makes the domain before it reads the memory */
	while (got < want) {
		ssize_t k = read(fd, buf, want - got < sizeof(buf) ? want - got : sizeof(buf));

		if (k <= 0) {
			mlog(f, "restore %s -> %u failed after %zu bytes", cfg->name, f->domid,
			     got);
			f->exists = f->stay_paused;
			return diag_error(d, NULL, "cannot receive domain '%s': short stream",
					  cfg->name);
		}
		got += (size_t) k;
	}
	if (f->restore_r < 0) {
		mlog(f, "restore %s failed", cfg->name);
		f->exists = f->stay_paused;
		return diag_error_errno(d, NULL, f->restore_r, "cannot receive domain '%s'",
					cfg->name);
	}
	mlog(f, "restore %s -> %u paused", cfg->name, f->domid);
	*ret_domid = f->domid;
	return 0;
}

static int f_unpause(void *h, uint32_t domid, struct diag *d)
{
	struct mfake *f = h;

	mlog(f, "unpause %u", domid);
	if (f->vanish)
		_exit(3);
	if (f->unpause_r < 0)
		return diag_error_errno(d, NULL, f->unpause_r, "cannot start domain %u", domid);
	return 0;
}

static int f_resume(void *h, uint32_t domid, struct diag *d)
{
	mlog(h, "resume %u", domid);
	return 0;
}

static const struct hv_ops fake_ops = {
	.name = "fake",
	.open = f_open,
	.close = f_close,
	.destroy = f_destroy,
	.domid = f_domid,
	.migrate_send = f_send,
	.migrate_receive = f_receive,
	.unpause = f_unpause,
	.resume = f_resume,
};

/* a peer gone is an EPIPE to handle, not a signal (the commands ignore SIGPIPE too) */
__attribute__((constructor)) static void no_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

/* ---- the two sides ------------------------------------------------------------------------ */

struct run {
	char *dir, *log;
	int log_fd;
	struct mfake a, b;
	const char *refuse;
	struct prov_migrate_send m;
	struct diag d;
	unsigned flags;
	int r, child_status;
	unsigned progress_calls;
};

static void progress(uint64_t bytes, void *userdata)
{
	struct run *x = userdata;

	x->progress_calls++;
	x->a.last_progress = bytes;
}

static int commit(void *userdata, struct diag *d)
{
	struct run *x = userdata;

	mlog(&x->a, "inventory host b");
	return 0;
}

static void run_init(struct run *x)
{
	*x = (struct run){.d = DIAG_INIT, .flags = HV_MIGRATE_LIVE};
	x->dir = test_tmpdir();
	ASSERT_TRUE(asprintf(&x->log, "%s/log", x->dir) > 0);
	x->log_fd = open(x->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ASSERT_TRUE(x->log_fd >= 0);
	x->a = (struct mfake){.side = 'a', .log_fd = x->log_fd, .domid = 7, .exists = true};
	x->b = (struct mfake){.side = 'b', .log_fd = x->log_fd, .domid = 9};
}

/* The target's half, in the child: its exit status says how it ended. */
static void target(struct run *x, int fd)
{
	struct hv_domcfg cfg = {.name = (char *) "web1"};
	struct prov_migrate_recv m = {
		.hv = &fake_ops,
		.h = &x->b,
		.cfg = &cfg,
		.rfd = fd,
		.wfd = fd,
		.t = {5000, 5000, 5000, 5000},
		.refuse = x->refuse,
	};
	struct diag d = DIAG_INIT;
	int r;

	r = prov_migrate_recv_run(&m, &d);
	for (size_t i = 0; i < d.n; i++)
		mlog(&x->b, "said: %s", d.v[i].msg);
	_exit(r < 0 ? 1 : 0);
}

static void run_both(struct run *x)
{
	int sv[2];
	pid_t pid;

	ASSERT_TRUE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		target(x, sv[1]);
	}
	close(sv[1]);
	x->m = (struct prov_migrate_send){
		.hv = &fake_ops,
		.h = &x->a,
		.name = "web1",
		.to = "b",
		.domid = 7,
		.flags = x->flags,
		.fd = sv[0],
		.t = {5000, 5000, 5000, 5000},
		.progress = progress,
		.commit = commit,
		.userdata = x,
	};
	x->r = prov_migrate_send_run(&x->m, &x->d);
	close(sv[0]);
	ASSERT_EQ(waitpid(pid, &x->child_status, 0), pid);
}

/* The log's lines of side ('a', 'b'; 0: all calls in their order, without what the target
 * said at its end, which races with the source's last calls). */
static char *calls(struct run *x, char side)
{
	_cleanup_(freep) char *text = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *save = NULL;

	ASSERT_OK(read_file(x->log, &text, NULL));
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if ((!side && !strstr(l, ": said: ")) || l[0] == side)
			strbuf_addf(&sb, "%s\n", l);
	return strbuf_detach(&sb) ?: strdup("");
}

static char *diag_text(struct run *x)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < x->d.n; i++)
		strbuf_addf(&sb, "%s: %s\n", diag_level_to_string(x->d.v[i].level), x->d.v[i].msg);
	return strbuf_detach(&sb) ?: strdup("");
}

static void run_release(struct run *x)
{
	close(x->log_fd);
	free(x->log);
	diag_release(&x->d);
	test_tmpdir_free(&x->dir);
}

#define ASSERT_TEXT(got, want)                                                                     \
	do {                                                                                       \
		_cleanup_(freep) char *_t = (got);                                                 \
		ASSERT_STREQ(_t, want);                                                            \
	} while (0)

TEST(success_order)
{
	struct run x;

	run_init(&x);
	run_both(&x);
	ASSERT_OK(x.r);
	ASSERT_TRUE(x.m.moved);
	ASSERT_FALSE(x.m.resumed);
	ASSERT_EQ(x.m.stopped_at, MIGRATE_STEP_NONE);
	ASSERT_EQ(x.m.target_domid, 9);
	ASSERT_EQ(x.child_status, 0);
	/* created paused there, started on "go", then ours destroyed, then the inventory */
	ASSERT_TEXT(calls(&x, 0), "a: send 7 live\n"
				  "b: restore web1 -> 9 paused\n"
				  "b: unpause 9\n"
				  "a: destroy 7\n"
				  "a: inventory host b\n");
	ASSERT_EQ(x.progress_calls, STREAM_BYTES / CHUNK);
	ASSERT_EQ(x.a.last_progress, STREAM_BYTES);
	ASSERT_TEXT(diag_text(&x), "");
	run_release(&x);
}

TEST(offline)
{
	struct run x;

	run_init(&x);
	x.flags = 0;
	run_both(&x);
	ASSERT_OK(x.r);
	ASSERT_TEXT(calls(&x, 'a'), "a: send 7 offline\na: destroy 7\na: inventory host b\n");
	run_release(&x);
}

TEST(transport_cut_mid_stream)
{
	struct run x;

	run_init(&x);
	x.a.cut_at = 2 * CHUNK;
	x.b.stay_paused = true; /* even if the restore leaves its domain, it goes */
	run_both(&x);
	ASSERT_ERR(x.r, EPIPE);
	ASSERT_FALSE(x.m.moved);
	ASSERT_TRUE(x.m.resumed);
	ASSERT_EQ(x.m.stopped_at, MIGRATE_STEP_STREAM);
	/* the source runs its copy again, nothing else */
	ASSERT_TEXT(calls(&x, 'a'), "a: send 7 live\na: resume 7\n");
	/* the target destroys what it had begun */
	ASSERT_TEXT(calls(&x, 'b'), "b: restore web1 -> 9 failed after 2048 bytes\n"
				    "b: domid web1\n"
				    "b: destroy 9\n"
				    "b: said: cannot receive domain 'web1': short stream\n");
	ASSERT_EQ(WEXITSTATUS(x.child_status), 1);
	ASSERT_TEXT(
		diag_text(&x),
		"error: cannot send domain 7: the stream broke after 2048 bytes: Broken pipe\n");
	run_release(&x);
}

TEST(target_refuses)
{
	struct run x;

	run_init(&x);
	x.refuse = "no bridge 'br10' here";
	run_both(&x);
	ASSERT_TRUE(x.r < 0);
	ASSERT_FALSE(x.m.resumed); /* never stopped */
	ASSERT_EQ(x.m.stopped_at, MIGRATE_STEP_HELLO);
	ASSERT_TEXT(calls(&x, 'a'), "");
	ASSERT_TEXT(calls(&x, 'b'), "b: said: refusing guest 'web1': no bridge 'br10' here\n");
	ASSERT_TEXT(diag_text(&x), "error: Dom0 'b' refused at 'ready': no bridge 'br10' here\n");
	run_release(&x);
}

TEST(restore_fails)
{
	struct run x;

	run_init(&x);
	x.b.restore_r = -EINVAL;
	run_both(&x);
	ASSERT_TRUE(x.r < 0);
	ASSERT_TRUE(x.m.resumed);
	ASSERT_EQ(x.m.stopped_at, MIGRATE_STEP_RESTORE);
	ASSERT_TEXT(calls(&x, 'a'), "a: send 7 live\na: resume 7\n");
	ASSERT_TEXT(calls(&x, 'b'), "b: restore web1 failed\n"
				    "b: domid web1\n"
				    "b: said: cannot receive domain 'web1': Invalid argument\n");
	ASSERT_TEXT(diag_text(&x),
		    "error: Dom0 'b' refused at 'restored': cannot receive domain 'web1': "
		    "Invalid argument\n");
	run_release(&x);
}

TEST(start_fails_after_go)
{
	struct run x;

	run_init(&x);
	x.b.unpause_r = -EIO;
	run_both(&x);
	ASSERT_TRUE(x.r < 0);
	ASSERT_FALSE(x.m.moved);
	ASSERT_TRUE(x.m.resumed); /* only once the target said it destroyed its copy */
	ASSERT_EQ(x.m.stopped_at, MIGRATE_STEP_START);
	ASSERT_TEXT(calls(&x, 0), "a: send 7 live\n"
				  "b: restore web1 -> 9 paused\n"
				  "b: unpause 9\n"
				  "b: destroy 9\n"
				  "a: resume 7\n");
	ASSERT_TEXT(calls(&x, 'b'), "b: restore web1 -> 9 paused\n"
				    "b: unpause 9\n"
				    "b: destroy 9\n"
				    "b: said: cannot start domain 9: Input/output error\n");
	run_release(&x);
}

TEST(silence_after_go)
{
	struct run x;

	run_init(&x);
	x.b.vanish = true;
	run_both(&x);
	ASSERT_TRUE(x.r < 0);
	ASSERT_FALSE(x.m.moved);
	ASSERT_FALSE(x.m.resumed);
	ASSERT_TRUE(x.m.unknown);
	ASSERT_EQ(x.m.stopped_at, MIGRATE_STEP_START);
	/* neither resumed nor destroyed here: the guest may run there */
	ASSERT_TEXT(calls(&x, 'a'), "a: send 7 live\n");
	ASSERT_TEXT(
		diag_text(&x),
		"error: Dom0 'b' closed the migration stream before 'running'\n"
		"error: after 'go' Dom0 'b' did not confirm the start: guest 'web1' is suspended "
		"here "
		"(domain 7) and may run there; check both Dom0s and keep at most one copy\n");
	run_release(&x);
}

TEST(line_limits)
{
	char buf[512];
	int sv[2];

	ASSERT_TRUE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	/* one line at a time, the rest stays for the next reader */
	ASSERT_OK(prov_migrate_write_line(sv[0], "go"));
	ASSERT_TRUE(write(sv[0], "STREAM", 6) == 6);
	ASSERT_OK(prov_migrate_read_line(sv[1], 1000, buf));
	ASSERT_STREQ(buf, "go");
	ASSERT_TRUE(read(sv[1], buf, 6) == 6);
	ASSERT_TRUE(memcmp(buf, "STREAM", 6) == 0);
	/* a reason with a newline stays one line */
	ASSERT_OK(prov_migrate_write_line(sv[0], "failed %s", "two\nlines"));
	ASSERT_OK(prov_migrate_read_line(sv[1], 1000, buf));
	ASSERT_STREQ(buf, "failed two");
	ASSERT_ERR(prov_migrate_read_line(sv[1], 50, buf), ETIMEDOUT);
	close(sv[0]);
	ASSERT_ERR(prov_migrate_read_line(sv[1], 1000, buf), EPIPE);
	close(sv[1]);
}

TEST_MAIN()
